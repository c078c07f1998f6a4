"""Restarts: the best of several runs, and runs a model ends (a collapse) ranked below the
others."""

import numpy as np
import pytest

from emcore import EMModel, run_em
from emcore._base import best_run
from emcore.em import LoglikChange
from emcore.exceptions import EndRun


class HalfwayToTarget(EMModel):
    """A toy whose EM map halves the distance to ``target``; its M-step ends the run past
    ``end_at``."""

    def __init__(self, target, end_at=np.inf):
        self.target, self.end_at = target, end_at

    def e_step(self, theta):
        return theta

    def m_step(self, theta):
        new = theta + 0.5 * (self.target - theta)
        if new > self.end_at:
            raise EndRun(f"past {self.end_at}")
        return new

    def log_likelihood(self, theta):
        return -((theta - self.target) ** 2)


def test_an_ended_run_keeps_the_parameters_it_reached_and_says_why():
    result = run_em(HalfwayToTarget(1.0, end_at=0.8), theta0=0.0, tol=1e-12)
    # the next step, 0.875, ends it
    np.testing.assert_allclose(result.theta_history, [0.0, 0.5, 0.75])
    assert result.n_iter == 2 and not result.converged
    assert str(result.ended_by) == "past 0.8" and result.message == "ended by the model: past 0.8"
    assert run_em(HalfwayToTarget(1.0), theta0=0.0, tol=1e-12).ended_by is None


class EndsFromZero(HalfwayToTarget):
    """Ends any run that reaches 0 (log-likelihood -1 for target 1)."""

    def m_step(self, theta):
        if theta == 0.0:
            raise EndRun("from zero")
        return super().m_step(theta)


def test_the_highest_run_wins_among_runs_that_ended_alike():
    stop = LoglikChange(1e-12)
    assert best_run(HalfwayToTarget(-5.0), [lambda: 10.0, lambda: 0.0], stop=stop,
                    max_iter=3).theta_history[0] == 0.0
    ended = HalfwayToTarget(1.0, end_at=0.8)  # every run ends at 0.75
    best = best_run(ended, [lambda: -3.0, lambda: 0.0], stop=stop, max_iter=100)
    assert best.theta == 0.75 and best.ended_by is not None


def test_a_run_that_ended_normally_beats_a_higher_one_the_model_ended():
    # from 0 the run ends at once, at log-likelihood -1; from -30, one step reaches -14.5,
    # far lower (log-likelihood -240.25), and is still preferred
    best = best_run(EndsFromZero(1.0), [lambda: 0.0, lambda: -30.0], stop=LoglikChange(1e-12),
                    max_iter=1)
    assert best.ended_by is None and best.theta == -14.5 and best.log_likelihood < -1.0


def test_starts_or_runs_raising_a_skipped_error_are_passed_over():
    def broken():
        raise ValueError("no start")

    model = HalfwayToTarget(1.0)
    stop = LoglikChange(1e-12)
    best = best_run(model, [broken, lambda: 0.0], stop=stop, skip=ValueError, max_iter=5)
    assert best.theta_history[0] == 0.0
    with pytest.raises(ValueError, match="no start"):
        best_run(model, [broken, broken], stop=stop, skip=ValueError)
    with pytest.raises(ValueError, match="no start"):  # not skipped: raised at once
        best_run(model, [broken, lambda: 0.0], stop=stop)
