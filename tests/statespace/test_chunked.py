"""The covariance recursions in chunks of time equal the step-by-step loop, and statsmodels."""

import numpy as np
import pytest

from emcore.statespace import SSMLayout, SSMModel, SSMParams, _chunked, _smoother
from emcore.statespace._kalman import SSMData, covariance_pass, kalman_filter
from emcore.statespace._params import NAMES

from .reference import random_params, statsmodels_loglike


def _scattered(n, p, seed, fraction=0.1):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n, p)).cumsum(axis=0) * 0.1 + rng.normal(size=(n, p))
    Y[rng.random((n, p)) < fraction] = np.nan
    return Y


def _e_step(data, params):
    model = SSMModel(data, SSMLayout(params, NAMES, ()))
    return model.e_step_with_log_likelihood(model.layout.pack(params))


@pytest.mark.parametrize("k,p,lengths", [(2, 1, [6000]), (3, 4, [2500, 1000, 2600])])
def test_chunked_e_step_equals_the_loop(monkeypatch, k, p, lengths):
    rng = np.random.default_rng(k)
    params = random_params(k, p, rng)
    data = SSMData(_scattered(sum(lengths), p, k), np.array(lengths))
    assert _chunked.worth_chunking(data)
    assert _chunked.chunked_covariance_pass(data, params) is not None  # the sweeps settled
    stats, ll = _e_step(data, params)
    monkeypatch.setattr(_chunked, "worth_chunking", lambda data: False)
    monkeypatch.setattr(_smoother, "worth_chunking", lambda data: False)
    loop_stats, loop_ll = _e_step(data, params)
    assert ll == pytest.approx(loop_ll, rel=1e-13)
    for name in ("S00", "S11", "S10", "Sxx", "Syx", "Syy", "first_means", "first_covs"):
        a, b = getattr(stats, name), getattr(loop_stats, name)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * np.max(np.abs(b)))


def test_chunked_filter_equals_statsmodels_over_several_sequences():
    rng = np.random.default_rng(8)
    params = random_params(2, 3, rng)
    Y, lengths = _scattered(5000, 3, 8, fraction=0.2), [2000, 3000]
    data = SSMData(Y, np.array(lengths))
    assert covariance_pass(data, params).pred_cov.shape[0] == 5000  # one row per step: chunked
    ll = kalman_filter(data, params)[0].log_likelihood
    assert ll == pytest.approx(statsmodels_loglike(Y, params, lengths), rel=1e-9)


def test_a_recursion_that_never_forgets_goes_back_to_the_loop():
    # the second state is an unobserved random walk: its variance grows from wherever it started
    params = SSMParams(np.eye(2), np.diag([0.5, 0.1]), np.array([[1.0, 0.0]]), np.eye(1),
                       np.zeros(2), np.eye(2))
    Y = _scattered(4000, 1, 9)
    data = SSMData(Y, np.array([4000]))
    assert _chunked.worth_chunking(data)
    assert _chunked.chunked_covariance_pass(data, params) is None
    ll = kalman_filter(data, params)[0].log_likelihood
    assert ll == pytest.approx(statsmodels_loglike(Y, params), rel=1e-9)
