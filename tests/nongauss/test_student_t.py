"""StudentTMixture: the Gaussian limit, direct numerical maximisation, the single t of
emcore.models, EM's monotonicity, and the estimator's conventions."""

import warnings

import numpy as np
import pytest

from emcore import (ConvergenceWarning, GaussianMixture, MonotonicityWarning, StudentTMixture,
                    run_em)
from emcore.models import MultivariateT


def clusters(n=150, seed=0, d=2):
    rng = np.random.default_rng(seed)
    a = rng.standard_t(4, size=(n, d))
    b = 0.5 * rng.standard_t(4, size=(n // 2, d)) + 5
    return np.vstack([a, b])


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_large_fixed_dof_is_the_gaussian_mixture(covariance_type):
    X = clusters()
    start = np.random.default_rng(1).dirichlet([1, 1], size=X.shape[0])
    kw = dict(covariance_type=covariance_type, resp_init=start, tol=0, max_iter=30,
              reg_covar=1e-6)
    gm = GaussianMixture(2, **kw).fit(X)
    t = StudentTMixture(2, dof=1e12, **kw).fit(X)
    # the t differs from the Gaussian by O(delta / nu), 1e-12 relative here
    np.testing.assert_allclose(t.means_, gm.means_, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(t.covariances_, gm.covariances_, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(t.weights_, gm.weights_, rtol=1e-8)
    assert t.score(X) == pytest.approx(gm.score(X), rel=1e-9)


def direct_loglik(params, x):
    from scipy.special import logsumexp
    from scipy.stats import t as student

    mu, log_s, log_nu = params[0:2], params[2:4], params[4:6]
    logit = params[6]
    log_pi = np.array([-np.logaddexp(0, logit), logit - np.logaddexp(0, logit)])
    dens = student.logpdf(x[:, None], np.exp(log_nu), mu, np.exp(log_s))
    return logsumexp(dens + log_pi, axis=1).sum()


def test_fit_is_the_maximum_found_by_direct_numerical_maximisation():
    from scipy.optimize import minimize

    rng = np.random.default_rng(2)
    x = np.concatenate([rng.standard_t(3, 120), 0.7 * rng.standard_t(8, 80) + 6])
    t = StudentTMixture(2, tol=1e-13, reg_covar=0, max_iter=20000, random_state=0)
    t.fit(x[:, None])
    scale = np.sqrt(t.covariances_[:, 0, 0])
    w = t.weights_
    em = np.concatenate([t.means_[:, 0], np.log(scale), np.log(t.degrees_of_freedom_),
                         [np.log(w[1] / w[0])]])
    found = minimize(lambda p: -direct_loglik(p, x), em + 0.05, method="BFGS",
                     options={"gtol": 1e-8})
    assert -found.fun == pytest.approx(t.log_likelihood_history_[-1], rel=1e-10)
    np.testing.assert_allclose(em, found.x, atol=1e-4)  # BFGS's gtol: parameters to ~1e-5


def test_one_component_equals_the_single_multivariate_t_of_emcore_models():
    X = clusters(200, seed=3)[:200]
    t = StudentTMixture(1, tol=1e-13, reg_covar=0, max_iter=20000).fit(X)
    model = MultivariateT(X)  # ECME, another algorithm for the same maximum
    run = run_em(model, model.initial_params(), tol=1e-13, max_iter=20000)
    mean, scale, nu = model.unpack(run.theta)
    np.testing.assert_allclose(t.means_[0], mean, atol=1e-6)
    np.testing.assert_allclose(t.covariances_[0], scale, rtol=1e-5)
    assert t.degrees_of_freedom_[0] == pytest.approx(nu, rel=1e-5)
    assert t.log_likelihood_history_[-1] == pytest.approx(run.log_likelihood, rel=1e-11)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_log_likelihood_never_decreases(covariance_type):
    X = clusters(seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        t = StudentTMixture(3, covariance_type=covariance_type, reg_covar=0, tol=0,
                            max_iter=60, random_state=0).fit(X)
    history = t.log_likelihood_history_
    assert np.all(np.diff(history) >= -1e-10 * np.abs(history[1:]))


def test_integer_sample_weights_equal_repeated_rows():
    X = clusters(60, seed=5)
    w = np.random.default_rng(6).integers(0, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), w)
    start = np.random.default_rng(7).dirichlet([1, 1], size=X.shape[0])
    a = StudentTMixture(2, resp_init=start, tol=0, max_iter=40).fit(X, sample_weight=w)
    b = StudentTMixture(2, resp_init=start[rep], tol=0, max_iter=40).fit(X[rep])
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-9)
    np.testing.assert_allclose(a.degrees_of_freedom_, b.degrees_of_freedom_, rtol=1e-8)


def test_outlier_scores_single_out_planted_outliers():
    X = clusters(seed=8)
    X[:3] = [[30.0, -30.0], [-25.0, 40.0], [50.0, 50.0]]
    resp = np.zeros((X.shape[0], 2))  # start from the two clusters, outliers in the first
    resp[:150, 0] = resp[150:, 1] = 1
    t = StudentTMixture(2, resp_init=resp).fit(X)
    scores = t.outlier_scores(X)
    assert set(np.argsort(scores)[:3]) == {0, 1, 2}
    delta = t.mahalanobis(X)
    resp = t.predict_proba(X)
    d = X.shape[1]
    expected = np.sum(resp * (t.degrees_of_freedom_ + d) / (t.degrees_of_freedom_ + delta), 1)
    np.testing.assert_allclose(scores, expected)


def test_sample_has_the_fitted_centres_and_heavy_tails():
    X = clusters(seed=9)
    t = StudentTMixture(2, dof=3.0, random_state=0).fit(X)
    draws, labels = t.sample(20000, random_state=1)
    assert draws.shape == (20000, 2) and set(np.unique(labels)) <= {0, 1}
    for k in range(2):
        # medians are robust to the tails: within a few standard errors of the centre
        np.testing.assert_allclose(np.median(draws[labels == k], axis=0), t.means_[k], atol=0.1)
    z = (draws[labels == 0] - t.means_[0])[:, 0] / np.sqrt(t.covariances_[0, 0, 0])
    assert np.mean(np.abs(z) > 5) > 0.005  # a normal has 6e-7 of its mass beyond 5 sd


def test_bic_counts_the_estimated_degrees_of_freedom():
    X = clusters(seed=10)
    est = StudentTMixture(2, covariance_type="diag", random_state=0).fit(X)
    fixed = StudentTMixture(2, covariance_type="diag", dof=5.0, random_state=0).fit(X)
    n = X.shape[0]
    p_gauss = 1 + 2 * 2 + 2 * 2
    assert est.bic(X) == pytest.approx(-2 * est.score(X) * n + (p_gauss + 2) * np.log(n))
    assert fixed.bic(X) == pytest.approx(-2 * fixed.score(X) * n + p_gauss * np.log(n))


def test_bad_arguments_are_errors_naming_them():
    X = clusters()
    with pytest.raises(ValueError, match="dof"):
        StudentTMixture(dof=-1.0).fit(X)
    with pytest.raises(ValueError, match="dof"):
        StudentTMixture(dof="fixed").fit(X)
    with pytest.raises(ValueError, match="covariance_type"):
        StudentTMixture(covariance_type="banded").fit(X)
    with pytest.raises(ValueError, match="NaN"):
        StudentTMixture().fit(np.full((5, 2), np.nan))


def test_component_on_a_single_point_is_an_error_or_ends_the_run():
    from emcore.mixture import DegenerateComponentError

    X = clusters(seed=11)
    X[0] = [100.0, -100.0]
    resp = np.zeros((X.shape[0], 2))
    resp[1:, 0] = resp[0, 1] = 1  # component 1 starts on the lone far point
    with pytest.raises(DegenerateComponentError, match="collapsed|positive definite"):
        StudentTMixture(2, resp_init=resp, dof=5.0, reg_covar=0).fit(X)
    # with reg_covar > 0, as GaussianMixture: the run ends there, with a warning
    with pytest.warns(ConvergenceWarning, match="collapsed onto a point"):
        t = StudentTMixture(2, resp_init=resp, dof=5.0).fit(X)
    assert not t.converged_ and t.n_iter_ == 0
