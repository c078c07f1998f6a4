"""Properties of EM for the non-Gaussian mixtures, on data hypothesis draws: the objective never
decreases, and integer sample weights are repeated rows."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import BernoulliMixture, MonotonicityWarning, RegressionMixture, StudentTMixture

SEEDS = st.integers(0, 2**31 - 1)


def _never_decreases(history):
    return bool(np.all(np.diff(history) >= -1e-9 * np.maximum(1.0, np.abs(history[1:]))))


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, k=st.integers(1, 4), n=st.integers(10, 60), d=st.integers(1, 6),
       smoothing=st.sampled_from([0.0, 0.5]))
def test_bernoulli_objective_never_decreases(seed, k, n, d, smoothing):
    rng = np.random.default_rng(seed)
    X = (rng.uniform(size=(n, d)) < rng.uniform(0.1, 0.9, size=d)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        bm = BernoulliMixture(min(k, n), smoothing=smoothing, tol=0, max_iter=25,
                              random_state=seed).fit(X)
    assert _never_decreases(bm.log_posterior_history_)


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, k=st.integers(1, 3), covariance_type=st.sampled_from(
    ["full", "tied", "diag", "spherical"]))
def test_student_t_log_likelihood_never_decreases(seed, k, covariance_type):
    rng = np.random.default_rng(seed)
    X = rng.standard_t(3, size=(80, 2)) + rng.integers(0, 3, size=(80, 1)) * 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        warnings.simplefilter("ignore", UserWarning)  # a collapse ends the run: still monotone
        t = StudentTMixture(k, covariance_type=covariance_type, reg_covar=0, tol=0,
                            max_iter=25, random_state=seed)
        try:
            t.fit(X)
        except ValueError:  # every start collapsed (reg_covar=0): nothing to check
            return
    assert _never_decreases(t.log_likelihood_history_)


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, family=st.sampled_from(["gaussian", "poisson", "binomial"]))
def test_regression_integer_weights_are_repeated_rows(seed, family):
    rng = np.random.default_rng(seed)
    n = 40
    x = rng.normal(size=(n, 1))
    y = {"gaussian": x[:, 0] + rng.normal(size=n), "poisson": rng.poisson(2.0, size=n),
         "binomial": rng.integers(2, size=n)}[family]
    w = rng.integers(1, 4, size=n)
    rep = np.repeat(np.arange(n), w)
    start = rng.dirichlet([1, 1], size=n)
    try:
        a = RegressionMixture(2, family=family, resp_init=start, tol=0, max_iter=10).fit(
            x, y, sample_weight=w)
    except ValueError:  # a separated or degenerate start: then both fail
        return
    b = RegressionMixture(2, family=family, resp_init=start[rep], tol=0, max_iter=10).fit(
        x[rep], y[rep])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-9)
    assert a.log_likelihood_history_[-1] == pytest.approx(b.log_likelihood_history_[-1],
                                                         rel=1e-10)
