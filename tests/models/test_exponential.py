"""ExponentialMissing: the E-step, M-step and log-likelihood written out in chapter 3."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import run_em
from emcore.models import ExponentialMissing


def test_toy_m_step_is_two_theta_over_five_theta_plus_one():
    # Givens & Hoeting's example: theta_{t+1} = 2 theta_t / (5 theta_t + 1).
    model = ExponentialMissing([5.0], n_missing=1)
    for t in [0.01, 0.2, 1.0, 7.5]:
        assert model.m_step(model.e_step(t)) == pytest.approx(2 * t / (5 * t + 1), rel=1e-15)


def test_toy_q_function_matches_the_displayed_formula():
    model = ExponentialMissing([5.0], n_missing=1)
    for theta, theta_t in [(0.3, 1.0), (2.0, 0.1)]:
        expected = 2 * np.log(theta) - 5 * theta - theta / theta_t
        assert model.q_function(theta, theta_t) == pytest.approx(expected, rel=1e-14)


def test_observed_log_likelihood_ignores_missing_values():
    model = ExponentialMissing([1.0, 3.0], n_missing=5)
    assert model.log_likelihood(0.5) == pytest.approx(2 * np.log(0.5) - 0.5 * 4.0)


def test_mle_is_n_observed_over_observed_sum():
    assert ExponentialMissing([1.0, 3.0], n_missing=5).mle() == pytest.approx(0.5)


def test_toy_rate_is_one_half():
    model = ExponentialMissing([5.0], n_missing=1)
    theta = run_em(model, theta0=1.0, max_iter=30, stop=lambda *a: False).theta_history
    errors = np.array(theta) - 0.2
    assert errors[30] / errors[29] == pytest.approx(0.5, abs=1e-7)


@settings(max_examples=50, deadline=None)
@given(
    observed=st.lists(st.floats(0.01, 50.0), min_size=1, max_size=15),
    n_missing=st.integers(0, 10),
)
def test_em_converges_to_the_closed_form_mle(observed, n_missing):
    model = ExponentialMissing(observed, n_missing=n_missing)
    result = run_em(model, theta0=1.0, tol=1e-13, max_iter=10_000)
    assert result.converged
    assert result.theta == pytest.approx(model.mle(), rel=1e-8)


@pytest.mark.parametrize(
    "observed, n_missing, error, match",
    [
        ([], 1, ValueError, "observed must not be empty"),
        ([1.0, -2.0], 1, ValueError, "observed must be strictly positive"),
        ([1.0, np.nan], 1, ValueError, "observed contains NaN"),
        ([[1.0, 2.0]], 1, ValueError, "observed must be 1-dimensional"),
        (["a"], 1, TypeError, "observed must be numeric"),
        ([1.0], -1, ValueError, "n_missing must be an integer >= 0"),
        ([1.0], 1.5, TypeError, "n_missing must be an integer"),
    ],
)
def test_bad_input_raises_naming_the_argument(observed, n_missing, error, match):
    with pytest.raises(error, match=match):
        ExponentialMissing(observed, n_missing=n_missing)


@pytest.mark.parametrize("theta", [0.0, -1.0, np.inf, np.nan])
def test_rate_outside_the_parameter_space_is_rejected(theta):
    with pytest.raises(ValueError, match="theta"):
        ExponentialMissing([1.0], n_missing=1).log_likelihood(theta)
