"""MultivariateT: scipy's t density, optimality, monotonicity, robustness, input checks."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from emcore import run_em
from emcore.models import MultivariateT


def sample(seed=0, n=300, df=4.0):
    rng = np.random.default_rng(seed)
    scale = np.array([[2.0, 0.5], [0.5, 1.0]])
    return stats.multivariate_t([1.0, -1.0], scale, df=df).rvs(size=n, random_state=rng)


def fitted(model):
    return run_em(model, model.initial_params(), tol=1e-12, max_iter=5000)


@pytest.mark.parametrize("nu", [None, 2.5])
def test_log_likelihood_equals_scipy_multivariate_t(nu):
    X = sample()
    model = MultivariateT(X, nu=nu)
    mean, scale = np.array([0.5, -0.5]), np.array([[1.5, 0.2], [0.2, 0.8]])
    theta = model.pack(mean, scale, 6.0) if nu is None else model.pack(mean, scale)
    expected = stats.multivariate_t(mean, scale, df=6.0 if nu is None else nu).logpdf(X).sum()
    assert model.log_likelihood(theta) == pytest.approx(expected, rel=1e-12)


def test_weights_are_the_posterior_mean_of_the_gamma_scale():
    # u | x ~ Gamma((nu + D)/2, rate (nu + delta)/2): mean (nu + D)/(nu + delta)
    X = sample(n=5)
    model = MultivariateT(X, nu=3.0)
    theta = model.pack(np.zeros(2), np.eye(2))
    delta = np.sum(X**2, axis=1)
    assert np.allclose(model.weights(theta), 5.0 / (3.0 + delta), rtol=1e-14)


@pytest.mark.parametrize("nu", [None, 4.0])
def test_direct_optimiser_started_at_em_cannot_improve(nu):
    X = sample(1, n=200)
    model = MultivariateT(X, nu=nu)
    run = fitted(model)
    parts = model.unpack(run.theta)
    low = np.linalg.cholesky(parts[1])

    def negative(v):
        chol = np.array([[np.exp(v[2]), 0.0], [v[3], np.exp(v[4])]])
        df = np.exp(v[5]) if nu is None else nu
        return -stats.multivariate_t(v[:2], chol @ chol.T, df=df).logpdf(X).sum()

    start = [*parts[0], np.log(low[0, 0]), low[1, 0], np.log(low[1, 1])]
    if nu is None:
        start.append(np.log(parts[2]))
    best = optimize.minimize(negative, start, method="Nelder-Mead",
                             options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 4000})
    assert -best.fun <= run.log_likelihood + 1e-7


def test_estimated_nu_is_near_the_truth_on_a_large_sample():
    model = MultivariateT(sample(2, n=3000, df=4.0))
    assert 3.0 < model.unpack(fitted(model).theta)[2] < 5.5


def test_one_far_outlier_moves_the_t_mean_much_less_than_the_sample_mean():
    X = sample(3, n=100)
    bad = np.vstack([X, [[60.0, 60.0]]])
    shift_t = np.linalg.norm(
        MultivariateT(bad, nu=4.0).unpack(fitted(MultivariateT(bad, nu=4.0)).theta)[0]
        - MultivariateT(X, nu=4.0).unpack(fitted(MultivariateT(X, nu=4.0)).theta)[0])
    shift_gauss = np.linalg.norm(bad.mean(axis=0) - X.mean(axis=0))
    assert shift_t < shift_gauss / 10


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), nu=st.one_of(st.none(), st.floats(0.5, 30.0)))
def test_log_likelihood_never_decreases_along_em(seed, nu):
    model = MultivariateT(sample(seed, n=40, df=3.0), nu=nu)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = run_em(model, model.initial_params(), tol=1e-10,
                         max_iter=100).log_likelihood_history
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


@pytest.mark.parametrize(
    "X, nu, error, match",
    [
        ([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]], 3.0, ValueError, "X contains NaN"),
        ([[1.0, 2.0], [2.0, 3.0]], 3.0, ValueError, "at least D \\+ 1"),
        ([1.0, 2.0, 3.0], 3.0, ValueError, "X must be 2-dimensional"),
        (np.eye(4)[:, :2], 0.0, ValueError, "nu must be positive"),
        (np.eye(4)[:, :2], -2.0, ValueError, "nu must be positive"),
        (np.eye(4)[:, :2], np.inf, ValueError, "nu must be positive"),
        (np.eye(4)[:, :2], "3", TypeError, "nu must be a positive float"),
    ],
)
def test_bad_input_raises_naming_the_argument(X, nu, error, match):
    with pytest.raises(error, match=match):
        MultivariateT(X, nu=nu)


def test_bad_parameters_are_a_value_error():
    model = MultivariateT(sample(), nu=None)
    with pytest.raises(ValueError, match="degrees of freedom"):
        model.log_likelihood(model.pack(np.zeros(2), np.eye(2), -1.0))
    with pytest.raises(ValueError, match="length 6"):
        model.log_likelihood(np.zeros(5))
    with pytest.raises(ValueError, match="nu must be given"):
        model.pack(np.zeros(2), np.eye(2))
