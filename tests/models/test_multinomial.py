"""GeneticLinkage: Rao's multinomial with a merged cell, derived in the latent-variables chapter."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import run_em
from emcore.models import GeneticLinkage

RAO = (125, 18, 20, 34)

counts_strategy = st.tuples(
    st.integers(0, 500), st.integers(0, 200), st.integers(1, 200), st.integers(1, 200)
)


def test_run_em_reaches_the_closed_form_mle():
    model = GeneticLinkage(RAO)
    result = run_em(model, theta0=0.5, tol=1e-13)
    assert result.converged
    assert result.theta == pytest.approx(model.mle(), abs=1e-11)


def test_mle_matches_dempster_laird_rubin_table_1():
    # Dempster, Laird & Rubin (1977), Table 1: theta* = 0.6268214980.
    assert GeneticLinkage(RAO).mle() == pytest.approx(0.6268214980, abs=1e-9)
    assert run_em(GeneticLinkage(RAO), 0.5, tol=1e-13).theta == pytest.approx(0.6268214980,
                                                                              abs=1e-9)


def test_default_counts_are_raos_data():
    # Rao's counts as published (Dempster, Laird & Rubin 1977), and their published MLE
    assert GeneticLinkage().counts.tolist() == [125, 18, 20, 34]
    assert GeneticLinkage().mle() == pytest.approx(0.6268214980, abs=1e-9)


def test_mle_is_a_root_of_the_score():
    model = GeneticLinkage(RAO)
    y1, y2, y3, y4 = RAO
    t = model.mle()
    score = y1 / (2 + t) - (y2 + y3) / (1 - t) + y4 / t
    assert abs(score) < 1e-9


def test_e_step_is_the_binomial_mean_of_the_split_cell():
    model = GeneticLinkage(RAO)
    # Given y1, z ~ Binomial(y1, (theta/4) / (1/2 + theta/4)).
    assert model.e_step(0.5) == pytest.approx(125 * 0.125 / 0.625, rel=1e-15)


def test_m_step_maximises_the_q_function():
    model = GeneticLinkage(RAO)
    theta_next = model.m_step(model.e_step(0.3))
    grid = np.linspace(1e-4, 1 - 1e-4, 2001)
    q_grid = [model.q_function(g, 0.3) for g in grid]
    assert model.q_function(theta_next, 0.3) >= max(q_grid) - 1e-12


def test_log_likelihood_omits_only_the_multinomial_coefficient():
    scipy_stats = pytest.importorskip("scipy.stats")
    model = GeneticLinkage(RAO)
    theta = 0.4
    exact = scipy_stats.multinomial.logpmf(RAO, n=sum(RAO), p=model.cell_probabilities(theta))
    log_coefficient = math.lgamma(sum(RAO) + 1) - sum(math.lgamma(c + 1) for c in RAO)
    assert model.log_likelihood(theta) == pytest.approx(exact - log_coefficient, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(counts=counts_strategy, theta0=st.floats(0.001, 0.999))
def test_log_likelihood_history_never_decreases(counts, theta0):
    result = run_em(GeneticLinkage(counts), theta0=theta0, tol=1e-12, max_iter=200)
    ll = result.log_likelihood_history
    assert np.all(np.diff(ll) >= -1e-10 * np.maximum(1.0, np.abs(ll[:-1])))


@settings(max_examples=40, deadline=None)
@given(counts=counts_strategy)
def test_mle_lies_in_the_open_unit_interval_and_maximises(counts):
    model = GeneticLinkage(counts)
    t = model.mle()
    assert 0 < t < 1
    for other in (t * 0.99, t + (1 - t) * 0.01):
        assert model.log_likelihood(other) <= model.log_likelihood(t)


@pytest.mark.parametrize(
    "counts, error, match",
    [
        ((125, 18, 20), ValueError, "counts must have shape \\(4,\\)"),
        ((125, -18, 20, 34), ValueError, "counts must be non-negative"),
        ((125, 18.5, 20, 34), ValueError, "counts must be whole numbers"),
        ((125, np.nan, 20, 34), ValueError, "counts contains NaN"),
        ((125, 0, 0, 34), ValueError, "cells 2 and 3"),
        ((125, 18, 20, 0), ValueError, "cell 4"),
        (("a", "b", "c", "d"), TypeError, "counts must be integers"),
        ((True, False, True, True), TypeError, "counts must be integers"),
    ],
)
def test_bad_counts_raise_naming_the_argument(counts, error, match):
    with pytest.raises(error, match=match):
        GeneticLinkage(counts)


@pytest.mark.parametrize("theta", [0.0, 1.0, -0.2, 1.5, np.nan])
def test_theta_outside_the_unit_interval_is_rejected(theta):
    with pytest.raises(ValueError, match="theta"):
        GeneticLinkage(RAO).log_likelihood(theta)


def test_non_numeric_theta_is_a_type_error():
    with pytest.raises(TypeError, match="theta"):
        GeneticLinkage(RAO).e_step("0.5")
