"""Standard errors of a fitted GaussianMixture: on the simplex, checked three ways."""

import numpy as np
import pytest

from emcore import GaussianMixture, em_rate, standard_errors


def _two_components(n=400, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < 0.3
    return np.where(z, rng.normal(-2.0, 0.7, n), rng.normal(1.5, 1.0, n))[:, None]


@pytest.fixture(scope="module")
def fitted():
    X = _two_components()
    gm = GaussianMixture(2, covariance_type="diag", tol=1e-12, max_iter=5000, reg_covar=0.0,
                         random_state=0).fit(X)
    return gm, X


def _logit_standard_errors(gm, X):
    """The same SEs by another route: a logit weight, log-variances, own differences."""
    model, _ = gm.em_problem(X)

    def theta(u):
        w0 = 1 / (1 + np.exp(-u[0]))
        return np.r_[w0, 1 - w0, u[1:3], np.exp(u[3:5])]

    w = gm.weights_
    u_hat = np.r_[np.log(w[0] / w[1]), gm.means_[:, 0], np.log(gm.covariances_[:, 0])]
    f = lambda u: model.log_likelihood(theta(u))
    h, p = 1e-4, u_hat.size
    hess = np.array([[(f(u_hat + a + b) - f(u_hat + a - b) - f(u_hat - a + b) + f(u_hat - a - b))
                      / (4 * h * h) for b in np.eye(p) * h] for a in np.eye(p) * h])
    jac = np.column_stack([(theta(u_hat + e) - theta(u_hat - e)) / (2 * h)
                           for e in np.eye(p) * h])
    return np.sqrt(np.diag(jac @ np.linalg.inv(-hess) @ jac.T))


def test_standard_errors_equal_those_of_a_logit_parametrisation(fitted):
    gm, X = fitted
    se = gm.standard_errors(X)
    flat = np.r_[se["weights_"], se["means_"].ravel(), se["covariances_"].ravel()]
    np.testing.assert_allclose(flat, _logit_standard_errors(gm, X), rtol=2e-3)
    assert se["weights_"][0] == pytest.approx(se["weights_"][1], rel=1e-9)
    assert se["boundary"] == []


def test_standard_errors_agree_with_a_parametric_bootstrap(fitted):
    gm, X = fitted
    se = gm.standard_errors(X)["means_"][:, 0]
    order = np.argsort(gm.means_[:, 0])
    means = []
    for seed in range(100):
        Xb = gm.sample(len(X), random_state=seed)[0]
        fit = GaussianMixture(2, covariance_type="diag", tol=1e-8, max_iter=2000,
                              means_init=gm.means_, weights_init=gm.weights_,
                              precisions_init=1 / gm.covariances_).fit(Xb)
        means.append(np.sort(fit.means_[:, 0]))
    boot = np.std(means, axis=0, ddof=1)
    # 100 replicates estimate a standard deviation to about 7%: allow 25%
    np.testing.assert_allclose(boot, se[order], rtol=0.25)


def test_one_full_component_gives_the_normal_standard_errors():
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([0.0, 1.0], [[2.0, 0.6], [0.6, 1.0]], size=500)
    gm = GaussianMixture(1, covariance_type="full", reg_covar=0.0).fit(X)
    s = gm.covariances_[0]
    se = gm.standard_errors(X)
    np.testing.assert_allclose(se["means_"][0], np.sqrt(np.diag(s) / 500), rtol=1e-5)
    expected = np.sqrt((s**2 + np.outer(np.diag(s), np.diag(s))) / 500)
    np.testing.assert_allclose(se["covariances_"][0], expected, rtol=1e-4)


@pytest.mark.parametrize("covariance_type", ["spherical", "diag", "tied", "full"])
def test_every_covariance_type_has_finite_standard_errors_in_its_shape(covariance_type):
    X = np.column_stack([_two_components(seed=1)[:, 0], _two_components(seed=2)[:, 0]])
    gm = GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0, tol=1e-10,
                         max_iter=3000, random_state=0).fit(X)
    se = gm.standard_errors(X)
    assert se["covariances_"].shape == np.shape(gm.covariances_)
    assert all(np.isfinite(se[key]).all() for key in ("weights_", "means_", "covariances_"))
    result = standard_errors(*gm.em_problem(X))
    assert result.parametrization == "free"
    assert 0 < em_rate(*gm.em_problem(X)).rate < 1


def test_the_problem_refuses_points_outside_the_parameter_space(fitted):
    gm, X = fitted
    model, theta = gm.em_problem(X)
    off = theta.copy()
    off[0] *= 1.05
    with pytest.raises(ValueError, match="sum to 1"):
        model.log_likelihood(off)
    with pytest.raises(ValueError, match="NaN"):
        gm.em_problem(np.where(np.arange(len(X))[:, None] == 3, np.nan, X))


def test_mclust_models_point_to_the_bootstrap():
    X = np.column_stack([_two_components(seed=1)[:, 0], _two_components(seed=2)[:, 0]])
    gm = GaussianMixture(2, covariance_type="VEV", random_state=0).fit(X)
    with pytest.raises(ValueError, match="bootstrap"):
        gm.standard_errors(X)
