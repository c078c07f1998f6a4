"""SQUAREM in run_em and Aitken's extrapolation: same answers, fewer evaluations, no decrease."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import EMModel, aitken, em_rate, run_em
from emcore.models import ExponentialMissing, MixingProportion


def overlapping_mixture(separation=0.5, seed=1, n=400):
    """Two unit-variance normals `separation` apart: most information about pi is missing."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(n) < 0.4, rng.normal(0, 1, n), rng.normal(separation, 1, n))
    return MixingProportion(x, means=[0.0, separation])


class Counting(ExponentialMissing):
    """The toy model, counting how often its E- and M-steps run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = {"e": 0, "m": 0}

    def e_step(self, theta):
        self.calls["e"] += 1
        return super().e_step(theta)

    def m_step(self, stats):
        self.calls["m"] += 1
        return super().m_step(stats)


def test_squarem_reaches_the_plain_em_maximum_with_far_fewer_evaluations():
    model = overlapping_mixture()
    assert em_rate(model, np.array([0.48])).rate > 0.9   # a slow problem
    plain = run_em(model, 0.9, tol=1e-12, max_iter=10_000)
    fast = run_em(model, 0.9, tol=1e-12, accelerate="squarem")
    assert plain.converged and fast.converged
    assert fast.theta[0] == pytest.approx(plain.theta[0], abs=1e-8)
    assert fast.log_likelihood >= plain.log_likelihood - 1e-9
    assert fast.n_e_steps + fast.n_m_steps < (plain.n_e_steps + plain.n_m_steps) / 10


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), start=st.floats(0.01, 0.99),
       separation=st.floats(0.2, 4.0))
def test_squarem_log_likelihood_never_decreases(seed, start, separation):
    model = overlapping_mixture(separation, seed, n=200)
    run = run_em(model, start, tol=1e-10, max_iter=200, accelerate="squarem")
    assert np.all(np.diff(run.log_likelihood_history) >= -1e-9)


def test_safeguard_falls_back_when_the_extrapolation_leaves_the_parameter_space():
    # Started next to the boundary pi = 1 and far from pi_hat, the first SqS3 point overshoots.
    model = overlapping_mixture(separation=0.3)
    run = run_em(model, 0.999, tol=1e-12, max_iter=500, accelerate="squarem")
    assert run.converged
    assert np.all(np.diff(run.log_likelihood_history) >= -1e-9)
    plain = run_em(model, 0.999, tol=1e-13, max_iter=100_000)
    assert run.theta[0] == pytest.approx(plain.theta[0], abs=1e-7)


def test_squarem_on_scalar_parameters_keeps_them_scalar():
    run = run_em(ExponentialMissing([5.0], n_missing=1), 1.0, tol=1e-12, accelerate="squarem")
    assert isinstance(run.theta, float) and run.theta == pytest.approx(0.2, abs=1e-11)
    assert len(run.theta_history) == run.n_iter + 1 == len(run.log_likelihood_history)


def test_squarem_counts_every_model_evaluation():
    model = Counting([5.0], n_missing=1)
    run = run_em(model, 1.0, tol=1e-12, accelerate="squarem")
    assert (run.n_e_steps, run.n_m_steps) == (model.calls["e"], model.calls["m"])


def test_plain_run_is_unchanged_by_the_new_argument():
    model = ExponentialMissing([5.0], n_missing=1)
    a, b = run_em(model, 1.0, tol=1e-12), run_em(model, 1.0, tol=1e-12, accelerate=None)
    assert (a.theta_history == b.theta_history
            and (a.n_e_steps, a.n_m_steps) == (b.n_e_steps, b.n_m_steps))
    # plain EM: one E-step per iteration plus the start's, one M-step per iteration
    assert (a.n_e_steps, a.n_m_steps) == (a.n_iter + 1, a.n_iter) and a.converged


def test_unknown_acceleration_is_a_value_error():
    with pytest.raises(ValueError, match="accelerate"):
        run_em(ExponentialMissing([5.0], n_missing=1), 1.0, accelerate="anderson")


@dataclasses.dataclass
class Params:
    rate: float


@pytest.mark.parametrize("theta0", [(1.0,), Params(1.0), np.ones((1, 1))])
def test_squarem_rejects_parameters_that_are_not_a_float_or_vector(theta0):
    with pytest.raises(TypeError, match="squarem"):
        run_em(ExponentialMissing([5.0], n_missing=1), theta0, accelerate="squarem")


def test_aitken_is_exact_on_a_geometric_sequence():
    x = 3.0 + 0.7 * 0.9 ** np.arange(6)
    assert np.allclose(aitken(x), 3.0, atol=1e-12)


def test_aitken_of_an_em_run_is_closer_than_the_run():
    run = run_em(ExponentialMissing([5.0], n_missing=1), 1.0, max_iter=10)
    assert abs(aitken(run)[-1] - 0.2) < abs(run.theta - 0.2) / 10


def test_aitken_of_a_stopped_sequence_returns_its_value():
    assert aitken([0.5, 0.5, 0.5]).tolist() == [0.5]


def test_aitken_accepts_one_element_arrays():
    run = run_em(overlapping_mixture(separation=2.0), 0.9, max_iter=5)
    assert aitken(run).shape == (4,)


@pytest.mark.parametrize("sequence, error", [([1.0, 2.0], ValueError),
                                             ([np.ones(2)] * 3, TypeError),
                                             ([1.0, np.nan, 2.0], ValueError)])
def test_aitken_rejects_bad_sequences(sequence, error):
    with pytest.raises(error, match="sequence"):
        aitken(sequence)


class Halving(EMModel):
    """A linear EM map M(theta) = theta / 2 with a chosen 'log-likelihood' peak.

    SqS3 is exact on a scalar linear map: from 4 it extrapolates to the fixed
    point 0 in one cycle. With the peak at 2.2, that point is lower than the
    start (-4.84 < -3.24), so the safeguard must return the plain EM point 1.
    With ``floor`` set, the E-step rejects parameters below it, as a model
    rejects parameters outside its space.
    """

    def __init__(self, peak=0.0, floor=None):
        self.peak, self.floor = peak, floor

    def e_step(self, theta):
        if self.floor is not None and theta < self.floor:
            raise ValueError("theta outside the parameter space")
        return theta

    def m_step(self, stats):
        return stats / 2

    def log_likelihood(self, theta):
        return -float((theta - self.peak) ** 2)


def test_sqs3_lands_on_the_fixed_point_of_a_linear_map_in_one_cycle():
    run = run_em(Halving(peak=0.0), 4.0, max_iter=1, accelerate="squarem")
    assert run.theta == 0.0


def test_safeguard_returns_the_em_point_when_the_extrapolation_is_lower():
    run = run_em(Halving(peak=2.2), 4.0, max_iter=1, accelerate="squarem")
    assert run.theta == 1.0 and run.log_likelihood >= Halving(peak=2.2).log_likelihood(4.0)


def test_safeguard_returns_the_em_point_when_the_extrapolation_is_invalid():
    run = run_em(Halving(peak=0.0, floor=0.5), 4.0, max_iter=1, accelerate="squarem")
    assert run.theta == 1.0
