"""em_rate on mclust's models: EM's rate in free coordinates.

In the mixture's own vector a difference step leaves the parameter set (weights off the
simplex, covariances off the model's curved set), where the M-step is not smooth (it keeps the
current point when that has the higher Q; the curved models' inner loops start from the
current covariances), and the rate taken there is wrong, above 1 for VVE. In free coordinates
it must be the contraction factor of the EM run itself, and the same in any other chart.
"""

import numpy as np
import pytest

from emcore import EMModel, GaussianMixture, em_rate
from emcore.datasets import load_faithful
from emcore.gaussian import covariance_model
from emcore.models import MixingProportion

from .test_standard_errors_iterative import _chart, _fit


class InOwnVector(EMModel):
    """The same EM problem without its free coordinates: em_rate differences its vector."""

    def __init__(self, model):
        self.model = model

    def e_step(self, theta):
        return self.model.e_step(theta)

    def m_step(self, stats):
        return self.model.m_step(stats)

    def log_likelihood(self, theta):
        return self.model.log_likelihood(theta)


@pytest.fixture(scope="module")
def faithful():
    return load_faithful()


def _measured_rate(model, theta, n_steps=150):
    """The ratio of successive EM steps' lengths, per step, over the last 50 of n_steps."""
    lengths = []
    for _ in range(n_steps):
        new = model.m_step(model.e_step(theta))
        lengths.append(np.linalg.norm(new - theta))
        theta = new
    return (lengths[-1] / lengths[-51]) ** (1 / 50)


@pytest.mark.parametrize("name", ["VVE", "VEV", "EVE", "VEI", "VVV", "diag"])
def test_rate_is_the_contraction_of_the_em_run(name, faithful):
    gm = GaussianMixture(3, covariance_type=name, init_params="hc", reg_covar=0, tol=1e-10,
                         max_iter=5000).fit(faithful)
    model, theta = gm.em_problem(faithful)
    result = em_rate(model, theta)
    assert result.parametrization == "free"
    q = covariance_model(name).n_parameters(3, 2)       # mclust's df: the free coordinates
    assert result.jacobian.shape == (q, q) == (result.step.size,) * 2
    assert 0 <= result.rate < 1
    assert result.rate == pytest.approx(_measured_rate(model, theta), rel=2e-3)
    if name == "VVE":   # in the vector's own entries the same map seems not to converge
        assert em_rate(InOwnVector(model), theta).rate > 1


def _chart_coordinates(chart_theta, chart_jacobian, start, target):
    """The chart's coordinates of ``target`` (a point of the set): Newton's iteration with
    the Jacobian at the fit held fixed (the chord method), run to convergence."""
    u = start.copy()
    for _ in range(50):
        u = u - np.linalg.lstsq(chart_jacobian, chart_theta(u) - target, rcond=None)[0]
    assert np.max(np.abs(chart_theta(u) - target)) < 1e-11 * np.max(np.abs(target))
    return u


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    first = rng.multivariate_normal([0, 0, 0], [[2, .6, .2], [.6, 1, .1], [.2, .1, .5]], 200)
    second = rng.multivariate_normal([4, 2, 1], [[1, -.3, .1], [-.3, 1.5, .2], [.1, .2, .4]],
                                     150)
    return np.vstack([first, second])


#: the five whose M-step is an inner iteration (mclust_iterative); the other three curved
#: models (EVI, EEV, EVV) have closed-form M-steps
ITERATIVE = ["VEI", "VEE", "EVE", "VVE", "VEV"]


@pytest.mark.parametrize("name", ITERATIVE)
def test_rate_equals_a_finite_difference_in_another_chart(name, data):
    # the test's own chart (logit weight, log shapes, exp rotations), the EM map carried into
    # it and back by solving for the chart's coordinates, its own central differences: the
    # Jacobians in two charts are similar matrices, so their spectral radii are equal
    gm = _fit(name, data)
    model, theta_hat = gm.em_problem(data)
    start, chart_theta = _chart(name, gm)
    assert np.allclose(chart_theta(start), theta_hat, rtol=1e-10, atol=1e-12)
    chart_jacobian = np.column_stack([
        (chart_theta(start + 1e-6 * e) - chart_theta(start - 1e-6 * e)) / 2e-6
        for e in np.eye(start.size)])
    anchor = _chart_coordinates(chart_theta, chart_jacobian, start,
                                model.m_step(model.e_step(theta_hat)))
    columns = []
    for j in range(start.size):
        h = 1e-5 * max(1.0, abs(start[j]))
        ends = [_chart_coordinates(chart_theta, chart_jacobian, anchor, model.m_step(
            model.e_step(chart_theta(start + sign * h * np.eye(start.size)[j]))))
            for sign in (1, -1)]
        columns.append((ends[0] - ends[1]) / (2 * h))
    theirs = float(np.max(np.abs(np.linalg.eigvals(np.column_stack(columns)))))
    ours = em_rate(model, theta_hat)
    assert ours.parametrization == "free" and ours.jacobian.shape == (start.size,) * 2
    assert 0 <= ours.rate < 1
    assert ours.rate == pytest.approx(theirs, rel=1e-5)


def test_a_model_whose_vector_is_free_gets_the_same_rate_as_before():
    # MixingProportion's free coordinates are its own weights inside the simplex: the two
    # ways of differencing are the same computation
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(1.5, 1, 500), rng.normal(3, 1, 200)])
    mix = MixingProportion(x, means=[0.0, 1.5, 3.0])
    theta = np.array([0.3, 0.5])
    for _ in range(2000):
        theta = mix.m_step(mix.e_step(theta))
    free, own = em_rate(mix, theta), em_rate(InOwnVector(mix), theta)
    assert (free.parametrization, own.parametrization) == ("free", "as given")
    np.testing.assert_allclose(free.jacobian, own.jacobian, rtol=1e-12, atol=1e-14)
    assert free.rate == own.rate
