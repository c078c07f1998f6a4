"""Properties that hold for any data: monotone history, weights, permutations, probabilities."""

import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from emcore import GaussianMixture, MonotonicityWarning
from emcore.mixture import DegenerateComponentError

from .conftest import COV_TYPES, blobs, explicit_init

problems = st.fixed_dictionaries({
    "seed": st.integers(0, 2**32 - 1),
    "n_per": st.integers(8, 25),
    "d": st.integers(1, 3),
    "k": st.integers(1, 3),
    "cov_type": st.sampled_from(COV_TYPES),
})


def fit(X, problem, init, n_iter=8, sample_weight=None):
    gm = GaussianMixture(problem["k"], covariance_type=problem["cov_type"], max_iter=n_iter,
                         tol=0.0, **init)
    try:
        return gm.fit(X, sample_weight=sample_weight)
    except DegenerateComponentError:
        reject()


def well_conditioned(gm, X):
    """No component sits (nearly) on a point or a subspace.

    Round-off there grows like 1/reg_covar, and a component on its way to
    collapse makes the EM map expanding: two fits that differ by round-off
    at the start (weights vs repeated rows, permuted rows) drift apart by
    orders of magnitude per iteration. So a variance under 1% of the data's
    smallest is not a fair test of round-off-level agreement.
    """
    cov = np.asarray(gm.covariances_)
    smallest = (np.linalg.eigvalsh(cov).min() if gm.covariance_type in ("full", "tied")
                else cov.min())
    return smallest > max(1e3 * gm.reg_covar, 1e-2 * float(np.min(np.var(X, axis=0))))


def data(problem):
    return blobs(n_per=problem["n_per"], d=problem["d"], k=problem["k"], seed=problem["seed"])


def assert_same_fit(a, b, rtol=1e-9):
    for name in ("weights_", "means_", "covariances_"):
        x, y = getattr(a, name), getattr(b, name)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * np.max(np.abs(y)), err_msg=name)
    h = b.log_likelihood_history_
    np.testing.assert_allclose(a.log_likelihood_history_, h, rtol=rtol,
                               atol=rtol * np.max(np.abs(h)))


@settings(max_examples=40, deadline=None)
@given(problem=problems, init=st.sampled_from(["kmeans", "k-means++", "random",
                                               "random_from_data"]))
def test_log_likelihood_history_never_decreases(problem, init):
    X = data(problem)
    gm = GaussianMixture(problem["k"], covariance_type=problem["cov_type"], init_params=init,
                         max_iter=60, tol=0.0, random_state=problem["seed"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        try:
            gm.fit(X)
        except DegenerateComponentError:
            reject()
    if not well_conditioned(gm, X):
        reject()
    history = gm.log_likelihood_history_
    round_off = 1e-12 * np.abs(gm.score_samples(X)).sum()  # of a sum of these terms
    assert np.all(np.diff(history) >= -round_off)


@settings(max_examples=30, deadline=None)
@given(problem=problems, weights=st.lists(st.integers(0, 3), min_size=75, max_size=75))
def test_integer_weights_equal_repeated_rows(problem, weights):
    X = data(problem)
    w = np.asarray(weights[: len(X)] + [1] * max(0, len(X) - 75))
    if np.count_nonzero(w) < problem["k"]:
        reject()
    init = explicit_init(X[w > 0], problem["k"], problem["cov_type"], seed=problem["seed"])
    a = fit(X, problem, init, sample_weight=w.astype(float))
    b = fit(np.repeat(X, w, axis=0), problem, init)
    if not well_conditioned(b, X):
        reject()
    assert_same_fit(a, b)
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(problem=problems, perm_seed=st.integers(0, 2**32 - 1))
def test_permuting_rows_does_not_change_the_fit(problem, perm_seed):
    X = data(problem)
    perm = np.random.default_rng(perm_seed).permutation(len(X))
    init = explicit_init(X, problem["k"], problem["cov_type"], seed=problem["seed"])
    a, b = fit(X, problem, init), fit(X[perm], problem, init)
    if not well_conditioned(b, X):
        reject()
    assert_same_fit(a, b)


@pytest.fixture(scope="module")
def fitted():
    return {ct: GaussianMixture(3, covariance_type=ct, random_state=0).fit(blobs())
            for ct in COV_TYPES}


@settings(max_examples=40, deadline=None)
@given(points=st.lists(st.lists(st.floats(-1e4, 1e4), min_size=3, max_size=3), min_size=1,
                       max_size=20),
       cov_type=st.sampled_from(COV_TYPES))
def test_predict_proba_rows_sum_to_one_anywhere(fitted, points, cov_type):
    proba = fitted[cov_type].predict_proba(np.asarray(points))
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
