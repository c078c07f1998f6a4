"""The reference E-step against scipy, and every fast path of the mixture against the reference.

Hostile data: clusters 1e5 apart and 1e-3 wide, far outliers, float32 input,
sample weights, near-singular covariances. The round-off guard of the
expanded path is tested by switching it off: the same comparison must then fail.
"""

import numpy as np
import pytest

from emcore import GaussianMixture, _tuning
from emcore.gaussian import reference
from emcore.gaussian.covariance import COVARIANCE_TYPES, covariance_model
from emcore.gaussian.stats import MixtureParams
from emcore.mixture import _estep
from emcore.mixture._model import MixtureData

D = 3


def _precisions(cov_type, variances):
    """Precisions of ``cov_type`` for components with isotropic ``variances`` (K,)."""
    k = len(variances)
    full = np.stack([np.eye(D) / v for v in variances])
    return {"full": full, "tied": full[0], "diag": np.tile(1 / np.asarray(variances)[:, None], D),
            "spherical": 1 / np.asarray(variances, dtype=float)}[cov_type] if k else None


def _fixed_mixture(cov_type, means, variances, weights=None):
    k = len(means)
    weights = np.full(k, 1 / k) if weights is None else weights
    X0 = np.asarray(means, dtype=float)  # max_iter=0 keeps the given start
    prec = _precisions(cov_type, variances if cov_type != "tied" else [variances[0]] * k)
    return GaussianMixture(k, covariance_type=cov_type, weights_init=weights, means_init=means,
                           precisions_init=prec, max_iter=0).fit(np.repeat(X0, 2, axis=0))


def _reference_log_px(gm, X):
    cov = covariance_model(gm.covariance_type)
    return reference.responsibilities(X, gm.weights_, gm.means_, gm.precisions_cholesky_, cov)


def _far_tight_clusters(seed=0, scale=1e-3, gap=1e5, n=200):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0] * D, [gap] * D])
    X = np.concatenate([rng.normal(m, scale, size=(n, D)) for m in means])
    return X, means


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_reference_log_densities_equal_scipy_on_far_tight_clusters(cov_type):
    from scipy.stats import multivariate_normal

    X, means = _far_tight_clusters()
    cov = covariance_model(cov_type)
    variances = [1e-6, 4e-6]
    gm = _fixed_mixture(cov_type, means, variances)
    got = reference.log_densities(X, gm.means_, gm.precisions_cholesky_, cov)
    for j in range(2):
        sigma = np.atleast_2d(gm.covariances_ if cov.is_shared else gm.covariances_[j])
        sigma = sigma if sigma.shape == (D, D) else np.diag(np.broadcast_to(sigma.ravel(), (D,)))
        want = multivariate_normal(gm.means_[j], sigma).logpdf(X)
        np.testing.assert_allclose(got[:, j], want, rtol=1e-12, atol=0)


def test_reference_log_sum_exp_keeps_rows_of_minus_infinity_and_huge_values():
    a = np.array([[-np.inf, -np.inf], [1000.0, 1000.0], [-1000.0, -1e300]])
    out = reference.log_sum_exp(a)
    assert out[0] == -np.inf
    np.testing.assert_allclose(out[1:], [1000.0 + np.log(2), -1000.0], rtol=1e-15)


def _hostile_cases():
    X, means = _far_tight_clusters()
    rng = np.random.default_rng(1)
    outliers = np.array([[3e5, -2e5, 1e5], [-1e6, 0.0, 0.0]])
    yield "far tight clusters", X, means, [1e-6, 1e-6]
    yield "far outliers", np.concatenate([X, outliers]), means, [1e-6, 1e-6]
    yield "float32", X.astype(np.float32), means, [1e-6, 1e-6]
    Y = rng.normal(size=(300, D)) * [1.0, 1.0, 1e-5]  # a near-singular direction
    yield "near-singular", Y, np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]]), [1e-9, 1.0]


def _score_error(gm, X):
    """Largest absolute difference of ``score_samples`` and ``predict_proba`` from the
    reference's."""
    resp, log_px = _reference_log_px(gm, X)
    return max(np.max(np.abs(gm.score_samples(X) - log_px) / np.maximum(1.0, np.abs(log_px))),
               np.max(np.abs(gm.predict_proba(X) - resp)))


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_scoring_new_data_equals_the_reference_on_hostile_data(cov_type):
    for what, X, means, variances in _hostile_cases():
        gm = _fixed_mixture(cov_type, means, variances)
        assert _score_error(gm, X) < 1e-12, what


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_without_the_round_off_guard_the_hostile_comparison_fails(cov_type, monkeypatch):
    # With the guard at infinity the expanded path is always taken: on clusters 1e5 apart
    # and 1e-3 wide its log-densities lose about |x|^2 lambda_max eps = 1e10 * 1e6 * 2e-16.
    X, means = _far_tight_clusters()
    gm = _fixed_mixture(cov_type, means, [1e-6, 1e-6])
    assert _score_error(gm, X) < 1e-12
    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", np.inf)
    assert _score_error(gm, X) > 1e-6


def _fit_e_step(X, cov_type, params, w=None):
    """The mixture's own (fast) E-step on ``X``, its statistics re-expressed about
    ``params.means``."""
    data = MixtureData(X, w, cov_type, params.means.shape[0])
    rel = params.moved(-data.center)
    stats, ll = _estep.e_step(data, rel)
    return stats.about(rel.means, cov_type).moved(data.center), ll


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_the_fit_e_step_equals_the_reference(cov_type, weighted):
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(c, s, size=(150, D)) for c, s in ((0, 1.0), (4, 0.5), (9, 2.0))])
    w = rng.uniform(0.1, 3.0, size=X.shape[0]) if weighted else None
    gm = GaussianMixture(3, covariance_type=cov_type, max_iter=3, tol=0, random_state=0).fit(X)
    params = MixtureParams(gm.weights_, gm.means_, gm.covariances_, gm.precisions_cholesky_)
    cov = covariance_model(cov_type)
    want, want_ll = reference.e_step(X, params, cov, w)
    got, got_ll = _fit_e_step(X, cov_type, params, w)
    assert got_ll == pytest.approx(want_ll, rel=1e-12)
    np.testing.assert_allclose(got.n, want.n, rtol=1e-11)
    scale = np.abs(want.second).max()
    np.testing.assert_allclose(got.first, want.first, atol=1e-10 * scale)
    np.testing.assert_allclose(got.second, want.second, atol=1e-10 * scale)


def test_the_reference_m_step_from_reference_statistics_is_one_em_iteration():
    # one EM iteration from the fit's start by the reference equals the library's first iterate
    from emcore.gaussian.mstep import m_step

    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(0, 1, size=(100, 2)), rng.normal(5, 1, size=(100, 2))])
    for cov_type in COVARIANCE_TYPES:
        cov = covariance_model(cov_type)
        start = GaussianMixture(2, covariance_type=cov_type, max_iter=0, random_state=0).fit(X)
        params = MixtureParams(start.weights_, start.means_, start.covariances_,
                               start.precisions_cholesky_)
        stats, _ = reference.e_step(X, params, cov)
        new = m_step(stats, cov_type, 1e-6)
        one = GaussianMixture(2, covariance_type=cov_type, max_iter=1, tol=0, random_state=0)
        one.fit(X)
        np.testing.assert_allclose(new.means, one.means_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(new.covariances, one.covariances_, rtol=1e-9)
        np.testing.assert_allclose(new.weights, one.weights_, rtol=1e-12)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_the_collapse_rule_is_free_of_the_data_scale(cov_type):
    # two clusters 0.01 wide and 3e4 apart are two components, fitted without a warning ...
    import warnings

    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(0.0, 0.01, size=(100, 2)), rng.normal(3e4, 0.01, size=(100, 2))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm = GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X)
    assert gm.converged_
    np.testing.assert_allclose(np.sort(gm.means_[:, 0]), [0.0, 3e4], atol=0.01)
    # ... while a component on repeated points is a collapse, wherever it sits (a shared
    # covariance pools the other component's spread, so it does not collapse)
    from emcore.gaussian.mstep import DegenerateComponentError

    if cov_type == "tied":
        return

    Y = np.concatenate([np.full((20, 2), 3e4), rng.normal(0.0, 1.0, size=(100, 2))])
    with pytest.raises(DegenerateComponentError, match="collapsed onto a point"):
        GaussianMixture(2, covariance_type=cov_type, reg_covar=0, random_state=0,
                        means_init=[[3e4, 3e4], [0.0, 0.0]]).fit(Y)
