"""Standard errors of the t and Bernoulli mixtures: against our own Hessian and the bootstrap."""

import warnings

import numpy as np
import pytest

from emcore import BernoulliMixture, StudentTMixture, bootstrap, standard_errors
from emcore.nongaussian import DOF_BOUNDS


def _hessian_se(loglik, u_hat, to_theta, h=1e-4):
    """SEs of to_theta(u) by central differences of loglik(to_theta(u)) and the delta method."""
    f = lambda u: loglik(to_theta(u))
    p = u_hat.size
    steps = np.eye(p) * h
    hess = np.array([[(f(u_hat + a + b) - f(u_hat + a - b) - f(u_hat - a + b) + f(u_hat - a - b))
                      / (4 * h * h) for b in steps] for a in steps])
    jac = np.column_stack([(to_theta(u_hat + e) - to_theta(u_hat - e)) / (2 * h) for e in steps])
    return np.sqrt(np.diag(jac @ np.linalg.inv(-hess) @ jac.T))


@pytest.fixture(scope="module")
def t_fit():
    rng = np.random.default_rng(2)
    z = rng.random(500) < 0.35
    x = np.where(z, -3 + rng.standard_t(3, 500), 2 + 1.5 * rng.standard_t(3, 500))[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = StudentTMixture(2, reg_covar=0.0, tol=1e-12, max_iter=5000,
                              random_state=0).fit(x)
    dofs = est.degrees_of_freedom_
    assert est.converged_ and np.all((dofs > 1) & (dofs < 100))
    return est, x


def test_t_mixture_standard_errors_match_a_hessian_in_logit_and_log_coordinates(t_fit):
    est, x = t_fit
    model, theta = est.em_problem(x)
    se = est.standard_errors(x)

    def to_theta(u):   # logit weight, means, log scales, log degrees of freedom
        w0 = 1 / (1 + np.exp(-u[0]))
        return np.r_[w0, 1 - w0, u[1:3], np.exp(u[3:5]), np.exp(u[5:7])]

    w = est.weights_
    u_hat = np.r_[np.log(w[0] / w[1]), est.means_[:, 0], np.log(est.covariances_[:, 0, 0]),
                  np.log(est.degrees_of_freedom_)]
    ours = _hessian_se(model.log_likelihood, u_hat, to_theta)
    emcore = np.r_[se["weights_"], se["means_"][:, 0], se["covariances_"][:, 0, 0],
                   se["degrees_of_freedom_"]]
    np.testing.assert_allclose(emcore, ours, rtol=1e-3)
    assert se["boundary"] == []
    # the function-level call on em_problem agrees with the estimator-level one
    by_key = np.concatenate([np.ravel(se[k]) for k in model.as_attributes(theta)])
    np.testing.assert_allclose(standard_errors(model, theta).se, by_key)


def test_t_mixture_standard_errors_agree_with_the_parametric_bootstrap(t_fit):
    est, x = t_fit
    se = est.standard_errors(x)
    boot = bootstrap(est, x, n_boot=60, kind="parametric", random_state=1)
    # first moments: a bootstrap SE from 60 replicates is uncertain by about 9 %
    for key in ("weights_", "means_"):
        np.testing.assert_allclose(boot.se[key], se[key], rtol=0.35)


def test_t_degrees_of_freedom_at_their_bound_are_flagged():
    x = np.random.default_rng(2).normal(size=(300, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # EM creeps towards nu = infinity; started at the bound (the Gaussian), it stays there
        est = StudentTMixture(1, reg_covar=0.0, tol=1e-12, max_iter=2000, dof_init=DOF_BOUNDS[1],
                              random_state=0).fit(x)
    assert est.degrees_of_freedom_[0] == DOF_BOUNDS[1]
    se = est.standard_errors(x)
    assert ("degrees_of_freedom_", (0,)) in se["boundary"]
    assert np.isnan(se["degrees_of_freedom_"][0]) and np.isfinite(se["means_"]).all()


@pytest.fixture(scope="module")
def bernoulli_fit():
    rng = np.random.default_rng(0)
    probs = np.array([[0.8, 0.7, 0.2, 0.3], [0.2, 0.3, 0.8, 0.6]])
    z = (rng.random(600) < 0.4).astype(int)
    X = (rng.random((600, 4)) < probs[z]).astype(float)
    est = BernoulliMixture(2, tol=1e-12, max_iter=5000, random_state=0).fit(X)
    return est, X


def test_bernoulli_standard_errors_match_a_hessian_in_logit_coordinates(bernoulli_fit):
    est, X = bernoulli_fit
    model, _ = est.em_problem(X)
    se = est.standard_errors(X)
    expit = lambda v: 1 / (1 + np.exp(-v))

    def to_theta(u):
        w0 = expit(u[0])
        return np.r_[w0, 1 - w0, expit(u[1:])]

    mu = est.means_.ravel()
    u_hat = np.r_[np.log(est.weights_[0] / est.weights_[1]), np.log(mu / (1 - mu))]
    ours = _hessian_se(model.log_likelihood, u_hat, to_theta)
    np.testing.assert_allclose(np.r_[se["weights_"], se["means_"].ravel()], ours, rtol=1e-3)


def test_bernoulli_standard_errors_agree_with_the_bootstrap(bernoulli_fit):
    est, X = bernoulli_fit
    se = est.standard_errors(X)
    boot = bootstrap(est, X, n_boot=60, kind="parametric", random_state=1)
    for key in ("weights_", "means_"):
        np.testing.assert_allclose(boot.se[key], se[key], rtol=0.35)


def test_a_bernoulli_probability_of_zero_is_on_the_boundary():
    rng = np.random.default_rng(1)
    X = (rng.random((300, 3)) < [0.6, 0.4, 0.5]).astype(float)
    X[:150, 2] = 0.0                              # the first half never shows feature 2
    X[:150, 0] = 1.0
    X[150:, 0] = 0.0
    est = BernoulliMixture(2, tol=1e-12, max_iter=5000, random_state=0).fit(X)
    k = int(np.argmax(est.means_[:, 0]))          # the component of the first half
    assert est.means_[k, 2] == 0.0
    se = est.standard_errors(X)
    assert ("means_", (k, 2)) in se["boundary"] and np.isnan(se["means_"][k, 2])
    assert np.isfinite(se["means_"][k, 1])
