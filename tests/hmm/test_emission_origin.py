"""The origin of the HMM's Gaussian emissions on hostile data: the mixture's exact origin.

The emissions take their sums about an origin (``center``). As in the mixture
(:func:`emcore.gaussian.stats.exact_origin`, ``tests/gaussian/test_fit_origin.py``), it is
each feature's mean only where subtracting the mean from every sample is exact, else 0.
On clusters 1e5 apart and 1e-3 wide the log-emissions must then equal a 50-digit
computation and scipy's, and the E-step's weighted means keep their digits, which
centring at the mean would round to the mean's last bit (about 7e-12).
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emcore import GaussianHMM, GMMHMM
from emcore.gaussian.covariance import COVARIANCE_TYPES
from emcore.gaussian.stats import exact_origin
from emcore.hmm._gaussian import data_origin

D = 3


def _hostile(cov_type, seed=0, n=40):
    """Clusters 1e5 apart and 1e-3 wide; three states, two overlapping near 0, one at 1e5
    (diagonal covariances, so that the 50-digit density is a plain sum)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0] * D, [1e-3] * D, [1e5] * D])
    X = np.concatenate([rng.normal(m, 1e-3, size=(n, D)) for m in centres])
    variances = np.array([1e-6, 4e-6, 2e-6])
    if cov_type == "tied":
        variances[:] = variances[0]
    covariances = {"full": variances[:, None, None] * np.eye(D), "tied": np.eye(D) * 1e-6,
                   "diag": np.repeat(variances[:, None], D, axis=1),
                   "spherical": variances}[cov_type]
    means = centres + rng.normal(0, 1e-4, size=centres.shape)
    return X, means, covariances, variances


def _emissions(cov_type, X):
    """The emissions GaussianHMM builds for ``X`` (its origin included)."""
    return GaussianHMM(3, covariance_type=cov_type)._emissions(X)


def _extended_log_densities(X, means, variances):
    """``log N(x_n | mu_k, v_k I)`` with 50 significant digits (mpmath)."""
    import mpmath

    mpmath.mp.dps = 50
    out = np.empty((X.shape[0], means.shape[0]))
    for i, x in enumerate(X):
        for j, (mu, v) in enumerate(zip(means, variances)):
            v = mpmath.mpf(float(v))
            square = sum((mpmath.mpf(float(a)) - mpmath.mpf(float(b))) ** 2
                         for a, b in zip(x, mu))
            out[i, j] = float(-square / (2 * v) - D * mpmath.log(2 * mpmath.pi * v) / 2)
    return out


def _relative(got, want):
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def test_the_origin_is_the_mixture_exact_origin_also_with_holes():
    X = np.array([[1.0, -2.0, 3.0], [1.5, 2.0, np.nan], [2.0, 0.5, 5.0], [np.nan, 1.0, 4.0]])
    seen = np.where(np.isnan(X), 0.0, X)
    mean = seen.sum(axis=0) / (~np.isnan(X)).sum(axis=0)
    want = exact_origin(mean, np.nanmin(X, axis=0), np.nanmax(X, axis=0))
    np.testing.assert_array_equal(data_origin(X), want)
    np.testing.assert_array_equal(want, [1.5, 0.0, 4.0])  # the middle feature crosses 0
    complete = X[[0, 2]]
    assert np.array_equal(GMMHMM(2)._emissions(complete).center, data_origin(complete))
    assert np.array_equal(_emissions("diag", complete).center, data_origin(complete))
    holed = GaussianHMM(2, missing="marginalize")._emissions(X)
    np.testing.assert_array_equal(holed.center, want)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_log_emissions_on_hostile_data_equal_a_50_digit_computation(cov_type):
    X, means, covariances, variances = _hostile(cov_type)
    em = _emissions(cov_type, X)
    got = em.log_prob(X, em.pack(means, covariances))
    exact = _extended_log_densities(X, means, variances)
    scipy_ = np.column_stack([multivariate_normal(m, v * np.eye(D)).logpdf(X)
                              for m, v in zip(means, variances)])
    assert _relative(scipy_, exact) < 1e-13  # the oracles agree
    assert _relative(got, exact) < 1e-13


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_without_the_round_off_guard_the_log_emissions_fail_the_comparison(cov_type,
                                                                           monkeypatch):
    # the guard at infinity: the expanded path is taken on these data too
    from emcore import _tuning

    X, means, covariances, variances = _hostile(cov_type)
    em = _emissions(cov_type, X)
    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", np.inf)
    got = em.log_prob(X, em.pack(means, covariances))
    assert _relative(got, _extended_log_densities(X, means, variances)) > 1e-6


def _weighted_means(em, X, posteriors, params):
    """The states' posterior-weighted means from the E-step's statistics (about their shifts,
    in the coordinates about the origin)."""
    stats = em.accumulate(X, posteriors, params)
    return stats.first / stats.n[:, None] + stats.shift + em.center


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_the_e_step_weighted_means_keep_their_digits_and_would_not_about_the_mean(cov_type):
    import mpmath

    mpmath.mp.dps = 50
    X, means, covariances, _ = _hostile(cov_type)
    # soft posteriors between the two states near 0, the far cluster in the third state
    posteriors = np.zeros((X.shape[0], 3))
    posteriors[:80, :2] = np.random.default_rng(1).dirichlet([0.5, 0.5], size=80)
    posteriors[80:, 2] = 1.0
    exact = np.array([[float(mpmath.fsum(mpmath.mpf(float(p)) * mpmath.mpf(float(x))
                                         for p, x in zip(posteriors[:, j], X[:, f]))
                             / mpmath.fsum(mpmath.mpf(float(p)) for p in posteriors[:, j]))
                       for f in range(D)] for j in range(3)])
    em = _emissions(cov_type, X)
    params = em.pack(means, covariances)
    error = np.max(np.abs(_weighted_means(em, X, posteriors, params) - exact) / np.abs(exact))
    assert error < 1e-13
    # the mutation: the origin at the mean, as before
    em.center = X.mean(axis=0)
    error = np.max(np.abs(_weighted_means(em, X, posteriors, params) - exact) / np.abs(exact))
    assert error > 1e-11
