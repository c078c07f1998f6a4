"""CensoredNormal: likelihood, the Gehan data against scipy's censored fit, SEs, monotonicity,
input checks."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from emcore import em_rate, run_em, standard_errors
from emcore.datasets import load_gehan
from emcore.models import CensoredNormal


def gehan_6mp():
    data = load_gehan()
    data = data[data[:, 0] == 1]
    return np.log(data[:, 1]), data[:, 2] == 0


def fitted(model):
    return run_em(model, model.initial_params(), tol=1e-13, max_iter=20_000)


def test_log_likelihood_is_density_plus_survival_from_scipy():
    y, cen = gehan_6mp()
    expected = stats.norm(2.5, 1.3).logpdf(y[~cen]).sum() + stats.norm(2.5, 1.3).logsf(y[cen]).sum()
    assert CensoredNormal(y, cen).log_likelihood([2.5, 1.3]) == pytest.approx(expected, rel=1e-12)


def test_left_censoring_uses_the_lower_tail():
    y, cen = gehan_6mp()
    expected = (stats.norm(-2.5, 1.3).logpdf(-y[~cen]).sum()
                + stats.norm(-2.5, 1.3).logcdf(-y[cen]).sum())
    assert CensoredNormal(-y, cen, side="left").log_likelihood([-2.5, 1.3]) == pytest.approx(
        expected, rel=1e-12)


def test_tail_moments_equal_numerical_integrals():
    model = CensoredNormal([0.0, 1.0, 0.4], censored=[0, 0, 1])
    first, second = model.tail_moments([0.2, 0.7])
    dens = stats.norm(0.2, 0.7)
    mass = dens.sf(0.4)
    assert first[0] == pytest.approx(
        integrate.quad(lambda v: v * dens.pdf(v), 0.4, np.inf)[0] / mass, rel=1e-9)
    assert second[0] == pytest.approx(
        integrate.quad(lambda v: v * v * dens.pdf(v), 0.4, np.inf)[0] / mass, rel=1e-9)


def test_em_on_gehan_is_at_least_as_good_as_scipy_censored_fit():
    y, cen = gehan_6mp()
    model = CensoredNormal(y, cen)
    run = fitted(model)
    ref = stats.norm.fit(stats.CensoredData(uncensored=y[~cen], right=y[cen]))
    assert np.allclose(run.theta, ref, atol=1e-3)
    assert run.log_likelihood >= model.log_likelihood(ref) - 1e-9


def test_direct_optimiser_started_at_em_cannot_improve():
    y, cen = gehan_6mp()
    model = CensoredNormal(y, cen)
    run = fitted(model)
    best = optimize.minimize(lambda v: -model.log_likelihood([v[0], np.exp(v[1])]),
                             [run.theta[0], np.log(run.theta[1])], method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-12})
    assert -best.fun <= run.log_likelihood + 1e-9


def test_sem_standard_errors_equal_the_hessian_ones():
    model = CensoredNormal(*gehan_6mp())
    theta = fitted(model).theta
    assert np.allclose(standard_errors(model, theta, "sem").se,
                       standard_errors(model, theta).se, rtol=1e-4)


def test_no_censoring_gives_the_sample_mean_and_sd_and_rate_zero():
    y = np.random.default_rng(0).normal(3.0, 2.0, size=50)
    model = CensoredNormal(y, np.zeros(50))
    run = fitted(model)
    assert np.allclose(run.theta, [y.mean(), y.std()])
    assert em_rate(model, run.theta).rate < 1e-6


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), cut=st.floats(-1.0, 1.5))
def test_log_likelihood_never_decreases_along_em(seed, cut):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=40)
    cen = y > cut
    y = np.where(cen, cut, y)
    y[:3], cen[:3] = [-2.0, -1.5, -1.2], False   # two distinct values seen
    model = CensoredNormal(y, cen)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = run_em(model, [0.0, 1.0], tol=1e-10, max_iter=200).log_likelihood_history
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


@pytest.mark.parametrize(
    "y, censored, side, match",
    [
        ([1.0, 2.0, 3.0], [0, 2, 1], "right", "censored must hold only 0/1"),
        ([1.0, 2.0, 3.0], [0, 0.5, 1], "right", "censored must hold only 0/1"),
        ([1.0, 2.0, 3.0], ["a", "b", "c"], "right", "censored must hold only 0/1"),
        ([1.0, 2.0, 3.0], [0, 1], "right", "censored must have the shape of y"),
        ([1.0, np.nan, 3.0], [0, 0, 1], "right", "y contains NaN"),
        ([1.0, 2.0, np.inf], [0, 0, 1], "right", "y contains NaN or infinite"),
        ([1.0, 2.0, 3.0], [0, 1, 1], "right", "fewer than two distinct uncensored"),
        ([1.0, 1.0, 3.0], [0, 0, 1], "right", "fewer than two distinct uncensored"),
        ([1.0, 2.0, 3.0], [0, 0, 1], "up", "side must be"),
    ],
)
def test_bad_input_raises_naming_the_argument(y, censored, side, match):
    with pytest.raises(ValueError, match=match):
        CensoredNormal(y, censored, side=side)


@pytest.mark.parametrize("theta", [[0.0, 0.0], [0.0, -1.0], [np.nan, 1.0], [1.0, 2.0, 3.0]])
def test_parameters_outside_the_space_are_a_value_error(theta):
    with pytest.raises(ValueError, match="theta"):
        CensoredNormal([1.0, 2.0, 3.0], [0, 0, 1]).log_likelihood(theta)
