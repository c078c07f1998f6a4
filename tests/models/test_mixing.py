"""MixingProportion: EM on the weights of known normal components, and its analytic information."""

import itertools

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


@pytest.mark.parametrize(("means", "n"), [([0.0, 3.0], 12), ([0.0, 3.0, 6.0], 7),
                                          ([0.0, 2.0, 4.0, 6.0], 5)])
def test_complete_score_outer_is_the_average_over_every_labelling(means, n):
    # E[S_c S_c^T | x] exactly: a sum over all K^n labellings z, each with p(z | x) = prod
    # gamma_{n z_n}
    model = MixingProportion(data(seed=1, n=n), means=means, sds=1.0)
    k = len(means)
    theta = np.linspace(0.15, 0.35, k - 1)  # not the MLE: the score's mean is not zero
    pi, gamma = model.weights(theta), model.responsibilities(theta)
    labels = np.array(list(itertools.product(range(k), repeat=n)))      # (K^n, n)
    prob = np.prod(gamma[np.arange(n), labels], axis=1)                 # p(z | x)
    counts = np.stack([(labels == j).sum(axis=1) for j in range(k)], axis=1)
    scores = counts[:, :-1] / pi[:-1] - counts[:, -1:] / pi[-1]         # S_c(z)
    exact = np.einsum("z,zi,zj->ij", prob, scores, scores)
    assert prob.sum() == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(model.complete_score_outer(theta), exact, rtol=1e-11)


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
