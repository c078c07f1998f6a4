"""The Kalman filter: log-likelihood and moments against statsmodels, missing data, steady
stretches."""

import numpy as np
import pytest

from emcore.statespace import _kalman
from emcore.statespace._kalman import SSMData, kalman_filter

from .reference import random_params, statsmodels_loglike, statsmodels_ssm, with_holes

CASES = [(1, 1, 60), (2, 3, 200), (3, 2, 400), (4, 5, 150)]


def _data(Y, lengths=None):
    return SSMData(Y, np.array([len(Y)] if lengths is None else lengths))


@pytest.mark.parametrize("k,p,n", CASES)
@pytest.mark.parametrize("holes", [False, True])
def test_log_likelihood_equals_statsmodels(k, p, n, holes):
    rng = np.random.default_rng(100 * k + p)
    params = random_params(k, p, rng)
    Y = rng.normal(size=(n, p)) + np.cumsum(rng.normal(size=(n, p)), axis=0)
    if holes:
        Y = with_holes(Y, rng, whole=((0, 2), (20, 31), (n - 3, n)))
    ll = kalman_filter(_data(Y), params)[0].log_likelihood
    assert ll == pytest.approx(statsmodels_loglike(Y, params), rel=1e-9)


def test_log_likelihood_of_several_sequences_is_their_sum():
    rng = np.random.default_rng(5)
    params = random_params(2, 2, rng)
    Y = with_holes(rng.normal(size=(300, 2)), rng)
    lengths = [100, 50, 150]
    ll = kalman_filter(_data(Y, lengths), params)[0].log_likelihood
    assert ll == pytest.approx(statsmodels_loglike(Y, params, lengths), rel=1e-9)


@pytest.mark.parametrize("holes", [False, True])
def test_filtered_moments_equal_statsmodels(holes):
    rng = np.random.default_rng(7)
    params = random_params(3, 2, rng)
    Y = rng.normal(size=(250, 2))
    if holes:
        Y = with_holes(Y, rng, whole=((30, 45),))
    result = kalman_filter(_data(Y), params)[0]
    ref = statsmodels_ssm(Y, params, tolerance=0).filter()
    scale = np.max(np.abs(ref.filtered_state))
    np.testing.assert_allclose(result.means, ref.filtered_state.T, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(result.covariances, np.moveaxis(ref.filtered_state_cov, -1, 0),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.predicted_means, ref.predicted_state[:, :-1].T,
                               rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(result.predicted_covariances,
                               np.moveaxis(ref.predicted_state_cov[..., :-1], -1, 0),
                               rtol=1e-9, atol=1e-12)


def test_steady_stretches_are_jumped_and_agree_with_the_full_loop(monkeypatch):
    rng = np.random.default_rng(11)
    params = random_params(2, 2, rng)
    Y = rng.normal(size=(3000, 2))
    Y[1000:1010] = np.nan
    Y[2000, 0] = np.nan
    data = _data(Y)
    fast, cov = kalman_filter(data, params)
    assert cov.pred_cov.shape[0] < 500  # the steady stretches were jumped (white-box) ...
    monkeypatch.setattr(_kalman, "STEADY_ULPS", -1)  # never steady: one row per step
    slow, cov_slow = kalman_filter(data, params)
    assert cov_slow.pred_cov.shape[0] == 3000
    # ... and the result is the full loop's, to round-off (numerical)
    assert fast.log_likelihood == pytest.approx(slow.log_likelihood, rel=1e-13)
    np.testing.assert_allclose(fast.covariances, slow.covariances, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast.means, slow.means, rtol=0, atol=1e-11)


def test_covariances_stay_symmetric_and_positive_definite_over_1e5_steps():
    rng = np.random.default_rng(3)
    params = random_params(2, 2, rng)
    n = 100_000
    Y = rng.normal(size=(n, 2))
    Y[rng.random((n, 2)) < 0.3] = np.nan  # patterns change every few steps: no steady stretch
    result, cov = kalman_filter(_data(Y), params)
    assert cov.pred_cov.shape[0] > 0.9 * n  # the recursion really ran (almost) every step
    for P in (result.covariances, result.predicted_covariances):
        assert np.array_equal(P, np.swapaxes(P, 1, 2))
        assert np.min(np.linalg.eigvalsh(P)) > 0
    assert result.log_likelihood == pytest.approx(statsmodels_loglike(Y, params), rel=1e-9)


def test_a_step_with_nothing_seen_is_a_pure_prediction():
    rng = np.random.default_rng(4)
    params = random_params(2, 2, rng)
    Y = rng.normal(size=(10, 2))
    Y[4] = np.nan
    result = kalman_filter(_data(Y), params)[0]
    np.testing.assert_array_equal(result.means[4], result.predicted_means[4])
    A, Q = params.transition, params.transition_cov
    np.testing.assert_allclose(result.predicted_covariances[5],
                               A @ result.covariances[4] @ A.T + Q, rtol=1e-14)
