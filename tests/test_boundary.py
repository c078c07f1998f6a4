"""Standard errors at the boundary of the parameter space: flagged, never a number."""

import warnings

import numpy as np
import pytest

from emcore import run_em, standard_errors
from emcore._free import BOUNDARY, FreeCoordinates
from emcore.models import MixingProportion, MultivariateT
from emcore.models.student_t import NU_BOUNDS


def _edge_mixture(seed):
    """200 points from N(0, 1) alone, fitted as pi N(0, 1) + (1 - pi) N(2, 1)."""
    x = np.random.default_rng(seed).normal(0.0, 1.0, 200)
    return MixingProportion(x, means=[0.0, 2.0])


def test_a_bounded_entry_at_an_end_is_on_the_boundary_and_inside_it_has_room():
    theta = np.array([1.0, 5.0, 10.0 - 1e-12, 3.0])
    coords = FreeCoordinates([("free", (1,)), ("bounded", (2,), (0.0, 10.0)), ("free", (1,))],
                             theta)
    assert coords.boundary.tolist() == [False, False, True, False]
    assert coords.n_free == 3
    np.testing.assert_allclose(coords.room(), [np.inf, 5.0, np.inf])
    np.testing.assert_allclose(coords.from_free(coords.to_free()), theta)


def test_a_span_block_round_trips_and_its_jacobian_is_the_basis():
    basis = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])     # two entries tied together
    theta = np.array([0.3, 2.0, 2.0, -1.0])
    coords = FreeCoordinates([("free", (1,)), ("span", (3,), basis)], theta)
    np.testing.assert_allclose(coords.to_free(), [0.3, 2.0, -1.0])
    np.testing.assert_allclose(coords.from_free([0.3, 4.0, 1.0]), [0.3, 4.0, 4.0, 1.0])
    expected = np.zeros((4, 3))
    expected[0, 0], expected[1:, 1:] = 1.0, basis
    np.testing.assert_allclose(coords.jacobian(), expected)


def test_a_curved_block_round_trips_and_its_jacobian_is_the_derivative():
    # a point on the unit circle, coordinate its angle
    circle = lambda c: np.array([np.cos(c[0]), np.sin(c[0])])
    theta = np.array([0.5, np.cos(0.7), np.sin(0.7)])
    coords = FreeCoordinates([("free", (1,)), ("curved", (2,), (0.7, circle))], theta)
    assert coords.n_free == 2
    np.testing.assert_allclose(coords.to_free(), [0.5, 0.7])
    np.testing.assert_allclose(coords.from_free([0.5, 0.2]), [0.5, np.cos(0.2), np.sin(0.2)])
    expected = np.array([[1.0, 0.0], [0.0, -np.sin(0.7)], [0.0, np.cos(0.7)]])
    np.testing.assert_allclose(coords.jacobian(), expected, atol=1e-9)
    with pytest.raises(ValueError, match="only at the point"):
        coords.to_free(theta + 0.1)
    with pytest.raises(ValueError, match="give theta at its start"):
        FreeCoordinates([("curved", (2,), (0.0, circle))], theta[1:])


def test_a_weight_driven_to_zero_is_flagged_not_given_a_standard_error():
    model = _edge_mixture(seed=1)
    f1, f2 = model.densities.T
    assert np.sum((f1 - f2) / f1) > 0            # l'(1) > 0: the maximum is the edge pi = 1
    fit = run_em(model, np.array([0.5]), tol=1e-13, stop="params", max_iter=5000)
    assert 1 - fit.theta[0] < BOUNDARY
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no NotAMaximumWarning at the edge either
        result = standard_errors(model, fit.theta)
    assert result.boundary.tolist() == [True] and np.isnan(result.se).all()
    # whereas the closed-form information there is finite: a number that would look valid
    assert np.isfinite(model.observed_information(fit.theta)).all()


def test_an_interior_weight_keeps_its_closed_form_standard_error():
    model = _edge_mixture(seed=3)                   # here l'(1) < 0: an interior maximum
    f1, f2 = model.densities.T
    assert np.sum((f1 - f2) / f1) < 0
    fit = run_em(model, np.array([0.5]), tol=1e-13, stop="params", max_iter=5000)
    result = standard_errors(model, fit.theta)
    assert result.parametrization == "free" and not result.boundary.any()
    exact = 1 / np.sqrt(model.observed_information(fit.theta).item())
    np.testing.assert_allclose(result.se, [exact], rtol=1e-5)


def test_degrees_of_freedom_of_a_normal_sample_reach_the_bound_and_are_flagged():
    x = np.random.default_rng(2).normal(10.0, 2.0, size=(300, 1))
    model = MultivariateT(x)
    fit = run_em(model, model.initial_params(), tol=1e-10, max_iter=2000)
    assert fit.theta[-1] == NU_BOUNDS[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = standard_errors(model, fit.theta)
    assert result.boundary.tolist() == [False, False, True] and np.isnan(result.se[2])
    # with nu held at 1e4 the t is the normal to O(1/nu): the normal's standard errors
    sd = x.std()
    np.testing.assert_allclose(result.se[:2], [sd / np.sqrt(300), sd**2 * np.sqrt(2 / 300)],
                               rtol=0.01)


def test_interior_degrees_of_freedom_get_the_hessian_of_the_vector_as_given():
    rng = np.random.default_rng(0)
    x = rng.standard_t(4.0, size=(400, 1))
    model = MultivariateT(x)
    fit = run_em(model, model.initial_params(), tol=1e-12, max_iter=5000)
    assert 1 < fit.theta[-1] < 100
    free = standard_errors(model, fit.theta)
    plain = standard_errors(model, fit.theta, "hessian")
    assert free.parametrization == "free" and not free.boundary.any()
    np.testing.assert_allclose(free.se, plain.se, rtol=1e-6)


def test_the_t_models_free_coordinates_keep_nu_fixed_when_it_is_known():
    x = np.random.default_rng(0).normal(size=(50, 2))
    model = MultivariateT(x, nu=5.0)
    coords = model.free_coordinates(model.initial_params())
    assert coords.n_free == model.n_params and not coords.boundary.any()


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_a_profile_interval_at_the_edge_covers_the_edge(seed):
    # the one-sided profile-likelihood interval [pi_low, 1]: l(pi_low) = l(1) - chi2_1(0.90) / 2
    from scipy import optimize, stats

    model = _edge_mixture(seed)
    f1, f2 = model.densities.T
    assert np.sum((f1 - f2) / f1) > 0               # the maximum is the edge
    loglik = lambda p: float(np.sum(np.log(p * f1 + (1 - p) * f2)))
    cut = stats.chi2.ppf(0.90, df=1) / 2
    low = optimize.brentq(lambda p: loglik(1.0) - loglik(p) - cut, 0.3, 1.0)
    assert 0.3 < low < 1 and abs(loglik(1.0) - loglik(low) - cut) < 1e-9
