"""The generic EM driver: stopping, history, callbacks, checks, warnings."""

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import EMModel, EMResult, MonotonicityWarning, run_em
from emcore.models import ExponentialMissing


def toy():
    return ExponentialMissing([5.0], n_missing=1)


class BrokenMStep(ExponentialMissing):
    """An M-step that overshoots: it decreases the log-likelihood."""

    def m_step(self, stats):
        return 3.0 * super().m_step(stats)


@dataclasses.dataclass
class Pair:
    a: float
    b: np.ndarray


class TwoExponentials(EMModel):
    """Two independent toy problems sharing one run; parameters in a dataclass."""

    def __init__(self):
        self.left, self.right = toy(), ExponentialMissing([1.0, 2.0], n_missing=2)

    def e_step(self, theta):
        return self.left.e_step(theta.a), self.right.e_step(theta.b[0])

    def m_step(self, stats):
        return Pair(self.left.m_step(stats[0]), np.array([self.right.m_step(stats[1])]))

    def log_likelihood(self, theta):
        return self.left.log_likelihood(theta.a) + self.right.log_likelihood(theta.b[0])


def test_run_em_reaches_the_toy_mle():
    result = run_em(toy(), theta0=1.0, tol=1e-12)
    assert isinstance(result, EMResult)
    assert result.converged and result.message == "converged"
    assert abs(result.theta - 0.2) < 1e-10


def test_histories_start_at_theta0_and_have_one_entry_per_iteration():
    model = toy()
    result = run_em(model, theta0=1.0, max_iter=5)
    assert result.theta_history[0] == 1.0
    assert len(result.theta_history) == len(result.log_likelihood_history) == 6
    assert result.n_iter == 5 and not result.converged
    assert result.message == "max_iter reached"
    expected = [model.log_likelihood(t) for t in result.theta_history]
    np.testing.assert_allclose(result.log_likelihood_history, expected, rtol=0, atol=0)


def test_each_iteration_applies_the_models_em_map():
    model = toy()
    result = run_em(model, theta0=1.0, max_iter=4)
    for old, new in zip(result.theta_history, result.theta_history[1:]):
        assert new == model.m_step(model.e_step(old))


def test_max_iter_zero_returns_the_start():
    result = run_em(toy(), theta0=0.7, max_iter=0)
    assert result.theta == 0.7 and result.n_iter == 0 and not result.converged
    assert result.log_likelihood == toy().log_likelihood(0.7)
    assert result.n_e_steps == 1 and result.n_m_steps == 0


def test_evaluation_counts_match_iterations():
    result = run_em(toy(), theta0=1.0, max_iter=7)
    assert result.n_m_steps == 7 and result.n_e_steps == 8


def test_callback_sees_every_iteration_and_can_stop_the_run():
    seen = []

    def callback(t, theta, ll):
        seen.append((t, theta, ll))
        return t == 3

    result = run_em(toy(), theta0=1.0, callback=callback)
    assert [s[0] for s in seen] == [1, 2, 3]
    assert result.n_iter == 3 and result.message == "stopped by callback"
    assert not result.converged
    assert seen[-1][1] == result.theta and seen[-1][2] == result.log_likelihood


def test_callback_returning_none_does_not_stop():
    calls = []
    result = run_em(toy(), theta0=1.0, tol=1e-12, callback=lambda *a: calls.append(a))
    assert result.converged and len(calls) == result.n_iter


def test_tighter_tol_gives_a_closer_answer_and_more_iterations():
    loose = run_em(toy(), theta0=1.0, tol=1e-4)
    tight = run_em(toy(), theta0=1.0, tol=1e-12)
    assert abs(tight.theta - 0.2) < abs(loose.theta - 0.2)
    assert tight.n_iter > loose.n_iter


@pytest.mark.parametrize("stop", ["both", "loglik", "params"])
def test_every_stopping_rule_converges_on_the_toy(stop):
    result = run_em(toy(), theta0=1.0, tol=1e-10, stop=stop)
    assert result.converged and abs(result.theta - 0.2) < 1e-4


def _toy_stops(tol):
    """The iteration each rule stops at on the toy, replayed from the closed-form EM map.

    One observation 5.0 and one missing: ``theta' = 2 / (5 + 1/theta)``,
    ``l(theta) = log(theta) - 5 theta``; the rules as ``run_em`` documents them.
    """
    theta, stops = 1.0, {}
    ll = np.log(theta) - 5.0 * theta
    for t in range(1, 1000):
        new = 2.0 / (5.0 + 1.0 / theta)
        ll_new = np.log(new) - 5.0 * new
        hit = {"loglik": abs(ll_new - ll) <= tol * max(1.0, abs(ll_new)),
               "params": abs(new - theta) <= tol * max(1.0, abs(new))}
        hit["both"] = hit["loglik"] and hit["params"]
        for rule, ok in hit.items():
            if ok:
                stops.setdefault(rule, t)
        theta, ll = new, ll_new
    return stops


@pytest.mark.parametrize("tol", [1e-4, 1e-8])
def test_each_stopping_rule_stops_where_its_criterion_is_first_met(tol):
    want = _toy_stops(tol)
    for rule in ("loglik", "params", "both"):
        result = run_em(toy(), theta0=1.0, tol=tol, stop=rule)
        assert result.converged and result.n_iter == want[rule], rule
    # near the maximum l changes by the square of theta's step: the loglik rule stops first
    assert want["loglik"] < want["params"] == want["both"]


def test_callable_stop_rule_is_used():
    result = run_em(toy(), theta0=1.0, stop=lambda t, *_: t == 4)
    assert result.converged and result.n_iter == 4


def test_dataclass_parameters_pass_through_and_converge():
    result = run_em(TwoExponentials(), Pair(1.0, np.array([1.0])), tol=1e-12)
    assert isinstance(result.theta, Pair)
    assert abs(result.theta.a - 0.2) < 1e-10
    assert abs(result.theta.b[0] - 2 / 3) < 1e-10


def test_decreasing_log_likelihood_warns_naming_the_iteration():
    with pytest.warns(MonotonicityWarning, match="iteration 1"):
        run_em(BrokenMStep([5.0], n_missing=1), theta0=0.2, max_iter=1)


def test_a_correct_model_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_em(toy(), theta0=3.0, tol=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"tol": -1e-3}, ValueError, "tol must be a finite number >= 0"),
        ({"tol": float("nan")}, ValueError, "tol must be a finite number >= 0"),
        ({"tol": "small"}, TypeError, "tol must be a finite number >= 0, got str"),
        ({"max_iter": -1}, ValueError, "max_iter must be an integer >= 0, got -1"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an integer"),
        ({"max_iter": True}, TypeError, "max_iter must be an integer"),
        ({"callback": 3}, TypeError, "callback must be None or callable, got int"),
        ({"stop": "sometimes"}, ValueError, "stop must be one of"),
        ({"stop": 3}, TypeError, "stop must be one of"),
        ({"accelerate": "anderson"}, ValueError, "accelerate must be None or 'squarem'"),
    ],
)
def test_invalid_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        run_em(toy(), theta0=1.0, **kwargs)


def test_object_without_the_model_methods_is_rejected():
    with pytest.raises(TypeError, match="has no e_step"):
        run_em(object(), theta0=1.0)


def test_start_outside_the_parameter_space_names_theta():
    with pytest.raises(ValueError, match="theta"):
        run_em(toy(), theta0=-1.0)


def test_nan_log_likelihood_is_an_error_not_a_silent_nan():
    class NaNModel(ExponentialMissing):
        def log_likelihood(self, theta):
            return float("nan")

    with pytest.raises(FloatingPointError, match="at theta0"):
        run_em(NaNModel([5.0], n_missing=1), theta0=1.0)


@settings(max_examples=60, deadline=None)
@given(
    observed=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=20),
    n_missing=st.integers(0, 30),
    theta0=st.floats(1e-3, 1e3),
)
def test_log_likelihood_never_decreases_along_em(observed, n_missing, theta0):
    model = ExponentialMissing(observed, n_missing=n_missing)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        result = run_em(model, theta0=theta0, max_iter=200)
    ll = result.log_likelihood_history
    assert np.all(np.diff(ll) >= -1e-10 * np.maximum(1.0, np.abs(ll[:-1])))


@pytest.mark.parametrize("stop", ["both", "loglik", "params"])
def test_tol_zero_runs_exactly_max_iter(stop):
    # the estimators' convention: at a fixed point reached exactly, tol=0 still does not stop
    result = run_em(ExponentialMissing([5.0], n_missing=1), theta0=0.2, tol=0,
                    max_iter=7, stop=stop)
    assert result.n_iter == 7 and not result.converged
    assert run_em(ExponentialMissing([5.0], n_missing=1), theta0=0.2, tol=1e-12,
                  stop=stop).n_iter == 1
