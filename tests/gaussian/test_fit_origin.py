"""The fit's own E-step on hostile data: as accurate as the reference, for every covariance type.

Inside a fit the samples and the means live in coordinates about an origin
(:func:`emcore.gaussian.stats.exact_origin`). Centred at the mean of two
clusters 1e5 apart and 1e-3 wide, a sample near 0 would be rounded to the
centre's last bit (about 7e-12), which moves its log-density by about 1e-8;
the origin is therefore the mean only where subtracting it is exact. These
tests compare the fit's first E-step (its responsibilities and its
log-likelihood) with the reference E-step and with a 50-digit computation,
and check that centring at the mean would fail the same comparison.
"""

import numpy as np
import pytest

from emcore.gaussian import reference
from emcore.gaussian.covariance import COVARIANCE_TYPES, covariance_model
from emcore.gaussian.stats import MixtureParams, exact_origin
from emcore.mixture import _estep, _model
from emcore.mixture._model import MixtureData

D = 3


def _hostile(cov_type, seed=0, n=40):
    """Clusters 1e5 apart and 1e-3 wide, and a mixture of three components for them: two
    overlapping near 0 (soft responsibilities) and one at 1e5."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0] * D, [1e-3] * D, [1e5] * D])
    X = np.concatenate([rng.normal(m, 1e-3, size=(n, D)) for m in means])
    cov = covariance_model(cov_type)
    full = np.stack([np.eye(D) * 1e-6, np.eye(D) * 4e-6, np.eye(D) * 2e-6])
    diagonals = np.diagonal(full, axis1=1, axis2=2).copy()
    covariances = {"full": full, "tied": full[0], "diag": diagonals,
                   "spherical": diagonals[:, 0].copy()}[cov_type]
    params = MixtureParams(np.array([0.3, 0.3, 0.4]), means + rng.normal(0, 1e-4, size=means.shape),
                           covariances, cov.precision_cholesky(covariances))
    return X, params


def _fit_first_e_step(X, cov_type, params):
    """Responsibilities (n, K), ``log p(x_n)`` and the log-likelihood of the fit's own E-step."""
    data = MixtureData(X, None, cov_type, params.means.shape[0])
    rel = params.moved(-data.center)
    scorer = _estep.ChunkScorer(cov_type, rel, data.radius2)
    xt, feats = scorer.chunk(data.XT, data.center)
    resp, log_px, _ = _estep.normalize(*scorer.log_joint(xt, feats), truncate=True)
    _, loglik = data.e_step(rel)
    return resp.T, log_px, loglik


def _extended(X, params, cov_type):
    """Responsibilities and ``log p(x_n)`` with 50 significant digits (mpmath)."""
    import mpmath

    mpmath.mp.dps = 50
    cov, (k, d) = covariance_model(cov_type), params.means.shape
    resp, log_px = np.empty((X.shape[0], k)), np.empty(X.shape[0])
    chols = [mpmath.matrix(np.broadcast_to(cov.whiten(np.eye(d), params.precisions_cholesky, j),
                                           (d, d)).tolist()) for j in range(k)]
    half_log_det = [mpmath.log(abs(mpmath.det(u))) for u in chols]
    for i, x in enumerate(X):
        terms = []
        for j in range(k):
            diff = mpmath.matrix([[mpmath.mpf(float(a)) - mpmath.mpf(float(b))
                                   for a, b in zip(x, params.means[j])]])
            y = diff * chols[j]
            terms.append(mpmath.log(params.weights[j]) - sum(v**2 for v in y) / 2
                         + half_log_det[j] - d * mpmath.log(2 * mpmath.pi) / 2)
        top = max(terms)
        total = top + mpmath.log(sum(mpmath.exp(t - top) for t in terms))
        log_px[i] = float(total)
        resp[i] = [float(mpmath.exp(t - total)) for t in terms]
    return resp, log_px


def _errors(got, want):
    """Largest differences of responsibilities (absolute) and of ``log p`` (relative to
    ``max(1, |log p|)``)."""
    (r1, l1), (r2, l2) = got, want
    log_p_error = np.abs(l1 - l2) / np.maximum(1.0, np.abs(l2))
    return float(np.max(np.abs(r1 - r2))), float(np.max(log_p_error))


def test_exact_origin_keeps_the_mean_only_where_centring_is_exact():
    mean = np.array([3.0, 3.0, -3.0, -3.0, 0.0])
    low = np.array([1.5, 1.4, -6.0, -6.1, -1.0])
    high = np.array([6.0, 6.0, -1.5, -1.5, 1.0])
    np.testing.assert_array_equal(exact_origin(mean, low, high), [3.0, 0.0, -3.0, 0.0, 0.0])
    # within a factor 2 the subtraction is exact; a sample near 0 loses its digits to a far mean
    rng = np.random.default_rng(0)
    c = 5e4 + rng.uniform()
    x = c * rng.uniform(0.5, 2.0, size=1000)
    assert np.all((x - c) + c == x)
    assert (1e-3 - c) + c != 1e-3


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_the_fit_first_e_step_is_as_accurate_as_the_reference_on_hostile_data(cov_type):
    X, params = _hostile(cov_type)
    cov = covariance_model(cov_type)
    resp, log_px, loglik = _fit_first_e_step(X, cov_type, params)
    ref = reference.responsibilities(X, params.weights, params.means, params.precisions_cholesky,
                                     cov)
    exact = _extended(X, params, cov_type)
    assert max(_errors(ref, exact)) < 1e-13  # the oracle itself
    assert max(_errors((resp, log_px), ref)) < 1e-13
    assert max(_errors((resp, log_px), exact)) < 1e-13
    assert loglik == pytest.approx(float(np.sum(exact[1])), rel=1e-14)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_centring_at_the_mean_would_fail_the_hostile_comparison(cov_type, monkeypatch):
    # the mutation: the origin always at the mean, as before exact_origin
    X, params = _hostile(cov_type)
    exact = _extended(X, params, cov_type)
    resp, log_px, _ = _fit_first_e_step(X, cov_type, params)
    assert max(_errors((resp, log_px), exact)) < 1e-13
    monkeypatch.setattr(_model, "exact_origin", lambda mean, low, high: mean)
    resp, log_px, _ = _fit_first_e_step(X, cov_type, params)
    resp_error, log_px_error = _errors((resp, log_px), exact)
    assert resp_error > 1e-10 and log_px_error > 1e-11


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_without_the_round_off_guard_the_fit_e_step_fails_the_hostile_comparison(
        cov_type, monkeypatch):
    # the guard at infinity: the fit's E-step takes the expanded path on these data too
    from emcore import _tuning

    X, params = _hostile(cov_type)
    exact = _extended(X, params, cov_type)
    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", np.inf)
    resp, log_px, _ = _fit_first_e_step(X, cov_type, params)
    assert max(_errors((resp, log_px), exact)) > 1e-6
