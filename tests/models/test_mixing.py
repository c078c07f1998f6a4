"""MixingProportion: EM on the weights of known normal components, and its analytic information."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import run_em
from emcore.models import MixingProportion


def normal_pdf(x, mu, sd):
    return np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))


def data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.3, rng.normal(0, 1, n), rng.normal(3, 2, n))


def test_log_likelihood_is_the_two_component_mixture_density():
    x = data()
    model = MixingProportion(x, means=[0.0, 3.0], sds=[1.0, 2.0])
    expected = np.sum(np.log(0.3 * normal_pdf(x, 0, 1) + 0.7 * normal_pdf(x, 3, 2)))
    assert model.log_likelihood(0.3) == pytest.approx(expected, rel=1e-13)


def test_em_fixed_point_solves_the_score_equation():
    x = data()
    model = MixingProportion(x, means=[0.0, 3.0], sds=[1.0, 2.0])
    pi = run_em(model, 0.5, tol=1e-14, max_iter=10_000).theta[0]
    f1, f2 = normal_pdf(x, 0, 1), normal_pdf(x, 3, 2)
    assert np.sum((f1 - f2) / (pi * f1 + (1 - pi) * f2)) == pytest.approx(0.0, abs=1e-7)


def test_observed_information_is_minus_the_second_derivative():
    model = MixingProportion(data(), means=[0.0, 3.0], sds=[1.0, 2.0])
    h = 1e-4
    second = (model.log_likelihood(0.3 + h) - 2 * model.log_likelihood(0.3)
              + model.log_likelihood(0.3 - h)) / h**2
    assert model.observed_information(0.3)[0, 0] == pytest.approx(-second, rel=1e-6)


def test_complete_score_outer_matches_simulated_latent_labels():
    model = MixingProportion(data(n=40), means=[0.0, 3.0, 6.0], sds=1.0)
    theta = np.array([0.3, 0.3])
    pi, gamma = model.weights(theta), model.responsibilities(theta)
    rng = np.random.default_rng(5)
    u = rng.random((20_000, 40, 1))
    labels = (u > np.cumsum(gamma, axis=1)[None]).sum(axis=2)            # draws z | x, theta
    z = np.eye(3)[labels].sum(axis=1)                                      # counts per draw
    scores = z[:, :2] / pi[:2] - z[:, 2:] / pi[2]
    simulated = scores.T @ scores / scores.shape[0]
    assert np.allclose(model.complete_score_outer(theta), simulated, rtol=0.05, atol=2.0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), start=st.floats(0.01, 0.99))
def test_log_likelihood_never_decreases_along_em(seed, start):
    model = MixingProportion(data(seed, n=100), means=[0.0, 1.0])
    run = run_em(model, start, max_iter=50, tol=1e-12)
    assert np.all(np.diff(run.log_likelihood_history) >= -1e-10)


def test_weights_outside_the_simplex_are_rejected():
    model = MixingProportion(data(), means=[0.0, 3.0])
    with pytest.raises(ValueError, match="theta"):
        model.log_likelihood(1.2)
    with pytest.raises(ValueError, match="theta"):
        model.e_step(np.array([0.3, 0.3]))


@pytest.mark.parametrize("kwargs, error, name", [
    ({"x": [1.0], "means": [0.0]}, ValueError, "means"),
    ({"x": [1.0], "means": [0.0, 1.0], "sds": [1.0, -1.0]}, ValueError, "sds"),
    ({"x": [1.0], "means": [0.0, 1.0], "sds": [1.0, 1.0, 1.0]}, ValueError, "sds"),
    ({"x": [[1.0]], "means": [0.0, 1.0]}, ValueError, "x"),
    ({"x": "data", "means": [0.0, 1.0]}, TypeError, "x"),
])
def test_bad_arguments_are_rejected_naming_them(kwargs, error, name):
    with pytest.raises(error, match=name):
        MixingProportion(**kwargs)
