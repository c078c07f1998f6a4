"""MixtureOfFactorAnalyzers: the diagonal mixture at n_factors=0, dense densities, d = 1000."""

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from emcore import (
    FactorAnalysis,
    GaussianMixture,
    MixtureOfFactorAnalyzers,
    MonotonicityWarning,
    run_em,
)
from emcore.factor import MFAModel, MFAParams


def clusters(seed=0, n=(300, 200), d=6, q=1, shift=4.0):
    """Seeded clusters, each a factor analyser with its own loadings and noise."""
    rng = np.random.default_rng(seed)
    parts = []
    for k, size in enumerate(n):
        W = rng.normal(size=(d, q)) * 1.5
        noise = rng.normal(size=(size, d)) * rng.uniform(0.2, 1, d)
        parts.append(rng.normal(size=(size, q)) @ W.T + noise + k * shift)
    return np.vstack(parts)


def random_params(rng, k, d, q):
    return MFAParams(rng.dirichlet(np.ones(k) * 3), rng.normal(size=(k, d)) * 3,
                     rng.normal(size=(k, d, q)), rng.uniform(0.3, 2.0, size=(k, d)))


def dense_log_likelihood(X, theta):
    joint = [np.log(w) + stats.multivariate_normal(m, W @ W.T + np.diag(psi)).logpdf(X)
             for w, m, W, psi in zip(theta.weights, theta.means, theta.loadings, theta.noise)]
    return logsumexp(np.column_stack(joint), axis=1)


def cholesky_log_likelihood(X, theta):
    """The same through a Cholesky factor of each dense d x d covariance (cheaper than eigh)."""
    joint = []
    for w, m, W, psi in zip(theta.weights, theta.means, theta.loadings, theta.noise):
        chol = np.linalg.cholesky(W @ W.T + np.diag(psi))
        z = np.linalg.solve(chol, (X - m).T)
        logdet = 2 * np.sum(np.log(np.diag(chol)))
        quad = np.sum(z**2, axis=0)
        joint.append(np.log(w) - 0.5 * (X.shape[1] * np.log(2 * np.pi) + logdet + quad))
    return logsumexp(np.column_stack(joint), axis=1)


def test_zero_factors_iterates_equal_the_diagonal_gaussian_mixture_from_the_same_start():
    X = clusters(1, d=4) + 10.0
    w0, m0, v0 = np.array([0.4, 0.6]), X[[0, 400]], np.array([[1.0] * 4, [2.0] * 4])
    model = MFAModel(X, 2, 0)
    for n_iter in (1, 5, 25):
        gm = GaussianMixture(2, covariance_type="diag", weights_init=w0, means_init=m0,
                             precisions_init=1 / v0, reg_covar=0.0, tol=0.0, max_iter=n_iter).fit(X)
        run = run_em(model, MFAParams(w0, m0, np.zeros((2, 4, 0)), v0), max_iter=n_iter,
                     stop=lambda *args: False)
        assert np.allclose(run.theta.weights, gm.weights_, rtol=1e-10)
        assert np.allclose(run.theta.means, gm.means_, rtol=1e-10)
        assert np.allclose(run.theta.noise, gm.covariances_, rtol=1e-9)
        assert run.log_likelihood / X.shape[0] == pytest.approx(gm.score(X), rel=1e-12)


def test_log_likelihood_and_posteriors_equal_a_dense_computation():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2500, 7)) * 2  # more rows than one block of the E-step
    theta = random_params(rng, 3, 7, 2)
    dense = dense_log_likelihood(X, theta)
    assert MFAModel(X, 3, 2).log_likelihood(theta) == pytest.approx(dense.sum(), rel=1e-12)
    mfa = MixtureOfFactorAnalyzers(3, 2)
    mfa.weights_, mfa.means_, mfa.noise_variance_ = theta.weights, theta.means, theta.noise
    mfa.components_, mfa.n_features_in_ = np.swapaxes(theta.loadings, 1, 2), 7
    assert np.allclose(mfa.score_samples(X), dense, rtol=1e-12)
    joint = [np.log(w) + stats.multivariate_normal(m, W @ W.T + np.diag(p)).logpdf(X)
             for w, m, W, p in zip(theta.weights, theta.means, theta.loadings, theta.noise)]
    resp = np.exp(np.column_stack(joint) - dense[:, None])
    assert np.allclose(mfa.predict_proba(X), resp, atol=1e-12)


def test_em_history_never_decreases_with_own_or_common_noise():
    X = clusters(3, d=6, q=2)
    for common in (False, True):
        model = MFAModel(X, 2, 2, common_noise=common)
        with warnings.catch_warnings():
            warnings.simplefilter("error", MonotonicityWarning)
            run = run_em(model, model.initial_params(4), max_iter=200, stop=lambda *args: False)
        history = run.log_likelihood_history
        assert np.all(np.diff(history) >= -1e-10 * np.abs(history[1:]))
        assert history[-1] > history[0]
        if common:
            assert np.all(run.theta.noise == run.theta.noise[0])


def test_one_component_reaches_the_factor_analysis_maximum():
    X = clusters(5, n=(400,), d=7, q=2)
    fa = FactorAnalysis(2, tol=1e-12, max_iter=20_000).fit(X)
    mfa = MixtureOfFactorAnalyzers(1, 2, tol=1e-12, reg_noise=0.0, max_iter=20_000,
                                   random_state=0).fit(X)
    assert mfa.score(X) == pytest.approx(fa.score(X), rel=1e-8)
    assert np.allclose(mfa.means_[0], X.mean(axis=0), atol=1e-6)


@pytest.mark.filterwarnings("ignore::emcore.ConvergenceWarning")  # 30 iterations are enough here
def test_thousand_features_run_without_a_d_by_d_matrix(monkeypatch):
    rng = np.random.default_rng(6)
    d = 1000
    X = np.vstack([rng.normal(size=(40, 2)) @ rng.normal(size=(2, d)) + rng.normal(size=(40, d))
                   + 3 * k for k in range(2)])
    largest = []
    for name in ("inv", "solve", "cholesky", "eigh", "svd", "slogdet"):
        original = getattr(np.linalg, name)

        def spy(a, *args, _original=original, **kw):
            largest.append(np.shape(a)[-1])
            return _original(a, *args, **kw)

        monkeypatch.setattr(np.linalg, name, spy)
    mfa = MixtureOfFactorAnalyzers(2, 2, max_iter=30, tol=1e-6, random_state=0).fit(X)
    monkeypatch.undo()
    assert max(largest) <= 3  # q + 1: the joint regression on (z, 1)
    assert np.bincount(mfa.predict(X)).tolist() == [40, 40]
    history = mfa.log_likelihood_history_
    assert np.all(np.diff(history) > -1e-8 * np.abs(history[1:]))
    rows = X[:3]  # the Woodbury density at d = 1000 against the dense one
    theta = MFAParams(mfa.weights_, mfa.means_, np.swapaxes(mfa.components_, 1, 2),
                      mfa.noise_variance_)
    assert np.allclose(mfa.score_samples(rows), cholesky_log_likelihood(rows, theta), rtol=1e-10)


def test_bic_and_aic_count_loadings_up_to_rotation():
    X = clusters(7, d=5, q=2)
    mfa = MixtureOfFactorAnalyzers(2, 2, random_state=0).fit(X)
    k, d, q, n = 2, 5, 2, X.shape[0]
    p = (k - 1) + k * d + k * (d * q - q * (q - 1) // 2) + k * d
    log_l = mfa.score(X) * n
    assert mfa.bic(X) == pytest.approx(-2 * log_l + p * np.log(n), rel=1e-12)
    assert mfa.aic(X) == pytest.approx(-2 * log_l + 2 * p, rel=1e-12)


def test_bic_prefers_the_true_number_of_components():
    X = clusters(8, n=(300, 300, 300), d=6, q=1, shift=6.0)
    bic = [MixtureOfFactorAnalyzers(k, 1, random_state=0, n_init=2).fit(X).bic(X)
           for k in (1, 2, 3, 4)]
    assert int(np.argmin(bic)) + 1 == 3


def test_sample_draws_the_fitted_mixture():
    X = clusters(9, d=4)
    mfa = MixtureOfFactorAnalyzers(2, 1, random_state=0).fit(X)
    Y, labels = mfa.sample(20_000, random_state=1)
    share = np.bincount(labels, minlength=2) / labels.size
    se = np.sqrt(mfa.weights_ * (1 - mfa.weights_) / labels.size)
    assert np.all(np.abs(share - mfa.weights_) < 4 * se)
    for k in range(2):
        cov = mfa.components_[k].T @ mfa.components_[k] + np.diag(mfa.noise_variance_[k])
        assert np.allclose(np.cov(Y[labels == k].T), cov, atol=0.1 * np.abs(cov).max())


def test_scikit_learn_conventions():
    from sklearn.base import clone

    mfa = MixtureOfFactorAnalyzers(2, 1, common_noise=True, random_state=np.random.default_rng(0))
    assert clone(mfa).get_params()["common_noise"] is True and not hasattr(mfa, "weights_")
    X = clusters(10, d=4)
    assert mfa.fit(X) is mfa
    assert mfa.components_.shape == (2, 1, 4) and mfa.noise_variance_.shape == (2, 4)
    assert mfa.fit_predict(X).shape == (X.shape[0],)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_factors": 3}, ValueError, "n_factors=3 .*Ledermann.* at most 2"),
    ({"n_factors": -1}, ValueError, "n_factors must be an integer >= 0"),
    ({"n_components": 0}, ValueError, "n_components must be an integer >= 1"),
    ({"n_components": 2.0}, TypeError, "n_components must be an integer"),
    ({"common_noise": "yes"}, TypeError, "common_noise"),
    ({"reg_noise": -1.0}, ValueError, "reg_noise"),
])
def test_bad_arguments_raise_errors_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        args = {"n_components": 2, "n_factors": 1, **kwargs}
        MixtureOfFactorAnalyzers(**args).fit(clusters(11, d=5))


def test_nan_in_the_data_is_refused():
    X = clusters(12, d=4)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        MixtureOfFactorAnalyzers(2, 1).fit(X)


#: The check these estimators cannot pass, with its reason (as GaussianMixture's test lists it).
UNFITTED = {"check_estimators_unfitted": (
    "needs scikit-learn's own NotFittedError class; emcore raises emcore.mixture.NotFittedError "
    "(a ValueError and AttributeError, as scikit-learn's) and cannot import scikit-learn")}


@pytest.mark.parametrize("estimator", [FactorAnalysis(0), MixtureOfFactorAnalyzers(1, 0)],
                         ids=lambda e: type(e).__name__)
def test_scikit_learn_check_estimator_passes(estimator):
    # n_factors=0: scikit-learn's checks fit 2-column data, where the Ledermann bound allows no
    # factor (a ValueError naming n_factors, by design).
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None, expected_failed_checks=UNFITTED)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 40
