"""The collapse rule: a covariance singular in some direction is a collapse; a tight one is not.

A component on ``d + 1`` collinear points has a covariance of rank one: its
likelihood is unbounded like that of a component on one point, although its
variance averaged over the features is large. Clusters 0.01 wide and far from
the origin, or tight in one feature only, are components, not collapses.
"""

import warnings

import numpy as np
import pytest
import scipy.linalg

from emcore import ConvergenceWarning, GaussianMixture
from emcore.datasets import load_faithful
from emcore.gaussian.covariance import covariance_model
from emcore.gaussian.mstep import COLLAPSE_ULPS, DegenerateComponentError, collapsed_components

EPS = np.finfo(float).eps
COLLAPSED = "collapsed onto a point"


def _cloud_and_line(direction, rng):
    """100 points around 0 and 4 points on a line through (10, 10) (``direction``)."""
    line = np.array([10.0, 10.0]) + np.outer([0.0, 1.0, 2.0, 3.0], direction)
    return np.concatenate([rng.normal(0.0, 1.0, size=(100, 2)), line]), line


@pytest.mark.parametrize("cov_type, direction", [("full", [1.0, 2.0]), ("VVV", [1.0, 2.0]),
                                                 ("diag", [1.0, 0.0]), ("VVI", [0.0, 1.0])])
def test_a_component_on_a_line_is_a_collapse(cov_type, direction):
    X, line = _cloud_and_line(direction, np.random.default_rng(0))
    start = dict(covariance_type=cov_type, means_init=[[0.0, 0.0], line.mean(axis=0)])
    # its variance along the line is that of 4 points 1 apart (1.25 |direction|^2): not round-off
    assert np.var(line @ direction) / np.dot(direction, direction) > 1
    with pytest.warns(ConvergenceWarning, match=f"component 1 {COLLAPSED}"):
        gm = GaussianMixture(2, reg_covar=1e-6, **start).fit(X)
    assert not gm.converged_
    with pytest.raises(DegenerateComponentError, match=f"component 1 {COLLAPSED}"):
        GaussianMixture(2, reg_covar=0, **start).fit(X)


@pytest.mark.parametrize("cov_type", ["tied", "EEE"])
def test_a_shared_covariance_of_data_on_a_line_is_a_collapse(cov_type):
    t = np.random.default_rng(1).normal(size=200) + np.repeat([0.0, 8.0], 100)
    X = np.column_stack([t, 3.0 * t - 1.0])     # two groups along one line: pooled rank one
    with pytest.warns(ConvergenceWarning, match=COLLAPSED):
        GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X)


@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical", "VVV", "EEE"])
def test_far_clusters_tight_in_one_feature_are_not_collapses(cov_type):
    # sd 10 and 0.01, 3e4 apart: a rule comparing every direction with the data's spread,
    # or with eps |mu|^2, would call the tight feature round-off
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal([0.0, 0.0], [10.0, 0.01], size=(100, 2)),
                        rng.normal([3e4, 3e4], [10.0, 0.01], size=(100, 2))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm = GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X)
    assert gm.converged_
    np.testing.assert_allclose(np.sort(gm.means_[:, 1]), [0.0, 3e4], atol=0.01)


def test_old_faithful_rank_one_end_is_reported_as_a_collapse():
    # chapter 11's start: the two-component fit plus a third component on the 5 eruptions
    # nearest eruption 172; EM puts it on two points, a covariance of rank one
    X = load_faithful()
    n = len(X)
    two = GaussianMixture(2, init_params="hc", tol=1e-8, max_iter=3000).fit(X)
    centre = X[np.random.default_rng(0).integers(n)]
    near = np.argsort(np.linalg.norm((X - centre) / X.std(axis=0), axis=1))[:5]
    start = dict(weights_init=np.r_[two.weights_ * (1 - 5 / n), 5 / n],
                 means_init=np.vstack([two.means_, X[near].mean(axis=0)]),
                 precisions_init=np.linalg.inv(np.concatenate(
                     [two.covariances_, [np.cov(X[near].T) + 1e-6 * np.eye(2)]])))
    with pytest.raises(DegenerateComponentError, match=f"component 2 {COLLAPSED}"):
        GaussianMixture(3, reg_covar=0, tol=1e-10, max_iter=3000, **start).fit(X)
    with pytest.warns(ConvergenceWarning, match=f"component 2 {COLLAPSED}"):
        gm = GaussianMixture(3, reg_covar=1e-9, tol=1e-10, max_iter=3000, **start).fit(X)
    small = np.linalg.eigvalsh(gm.covariances_[2])
    assert small[0] > 1e-9 * small[1]      # the run kept the iteration before the collapse


def _spd(rng, d, condition):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (q * np.geomspace(1.0, 1.0 / condition, d)) @ q.T


@pytest.mark.parametrize("seed", range(5))
def test_relative_spread_is_the_least_generalised_eigenvalue_and_free_of_units(seed):
    rng = np.random.default_rng(seed)
    d = 3
    S, mu = _spd(rng, d, 10.0 ** rng.uniform(0, 12)), rng.normal(0.0, 100.0, size=(1, d))
    # oracle: min over w of w'Sw / w'D^2w, D^2 = diag(S) + mu^2, by scipy's generalised eigh
    oracle = scipy.linalg.eigh(S, np.diag(np.diag(S) + mu[0] ** 2), eigvals_only=True)[0]
    full = covariance_model("full")
    np.testing.assert_allclose(full.relative_spread(S[None], mu), oracle, rtol=1e-6)
    np.testing.assert_allclose(covariance_model("tied").relative_spread(S, mu), oracle,
                               rtol=1e-6)
    # new units for every feature change nothing
    units = 10.0 ** rng.uniform(-6, 6, size=d)
    scaled = full.relative_spread((units[:, None] * S * units)[None], mu * units)
    np.testing.assert_allclose(scaled, oracle, rtol=1e-6)
    diag = covariance_model("diag").relative_spread(np.diag(S)[None], mu)
    np.testing.assert_allclose(diag, np.min(np.diag(S) / (np.diag(S) + mu[0] ** 2)), rtol=1e-12)


def test_the_threshold_separates_rank_one_from_resolved():
    # a rank-one covariance (to round-off) is collapsed; a resolved small eigenvalue is not
    v = np.array([[1.0, 2.0]])
    rank_one = v.T @ v
    means = np.array([[3.0, 4.0]])
    assert collapsed_components("full", rank_one[None], means).tolist() == [0]
    resolved = rank_one + 1e3 * COLLAPSE_ULPS * EPS * 25 * np.eye(2)
    assert collapsed_components("full", resolved[None], means).size == 0
    assert collapsed_components("full", np.full((1, 2, 2), np.nan), means).tolist() == [0]
