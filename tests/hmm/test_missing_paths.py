"""The two paths of GaussianHMM's emissions with holes: expanded (per-pattern marginal
coefficients times each row's features) and plain (each row completed about each state's mean).

The plain path is the reference (``MissingGaussianEmissions(plain=True)``): on hostile data
(ill-conditioned covariances, many patterns of which some too rare or over the budget for their
own coefficients, steps with nothing observed, rows far from the centre) the expanded path must
give the same log-densities and the same expected statistics; its log-densities must be scipy's
marginal densities; and a whole fit must not depend on the path.
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emcore import GaussianHMM
from emcore.hmm import _estimator
from emcore.hmm._gaussian import data_origin
from emcore.hmm._missing import MissingGaussianEmissions

TYPES = ["diag", "full", "tied", "spherical"]


def _covariances(rng, cov_type, k, d, spread):
    """Covariances of ``cov_type`` with eigenvalues over ``10**-spread .. 10**spread``,
    and the same as full (K, d, d) matrices."""
    def matrix():
        q, _ = np.linalg.qr(rng.normal(size=(d, d)))
        return (q * np.logspace(-spread, spread, d)[rng.permutation(d)]) @ q.T

    if cov_type == "diag":
        cov = 10.0 ** rng.uniform(-spread, spread, size=(k, d))
        return cov, np.stack([np.diag(c) for c in cov])
    if cov_type == "spherical":
        cov = 10.0 ** rng.uniform(-spread, spread, size=k)
        return cov, np.stack([c * np.eye(d) for c in cov])
    if cov_type == "tied":
        cov = matrix()
        return cov, np.stack([cov] * k)
    cov = np.stack([matrix() for _ in range(k)])
    return cov, cov


def _hostile(seed, cov_type, n=600, k=3, d=5, spread=3.0, far=0.0):
    """Holed rows with many patterns (some frequent, some rare), a few steps with nothing
    observed, ill-conditioned states; ``far`` moves a few rows that far from the others."""
    rng = np.random.default_rng(seed)
    cov, full = _covariances(rng, cov_type, k, d, spread)
    means = rng.normal(scale=3.0, size=(k, d))
    # about 40, within a factor 2 of the mean: the origin is the mean (data_origin), as the
    # expanded path's round-off bound assumes at this conditioning
    X = rng.normal(scale=4.0, size=(n, d)) + 40.0
    X[rng.random((n, d)) < 0.25] = np.nan
    X[rng.random(n) < 0.3, 1:3] = np.nan  # a frequent pattern of two holes
    X[[7, 100, n - 9]] = np.nan
    X[:3] += far
    em = MissingGaussianEmissions(cov_type, k, d, center=data_origin(X))
    assert np.all(em.center != 0) or far
    return X, em, em.pack(means + 40.0, cov), full, rng


def _with_path(em, plain):
    return MissingGaussianEmissions(em.cov_type, em.k, em.d, center=em.center, plain=plain)


def _expanded_share(em, X, params):
    """The fraction of holed rows that the expanded path scores."""
    incomplete = em._incomplete(X)[2]
    tasks = em._tasks(incomplete, em._params(params))
    taken = sum(e - s for _, _, _, maps, s, e in tasks if maps is not None)
    return taken / sum(e - s for *_, s, e in tasks)


def _stats_about_centre(em, X, post, params):
    stats = em.accumulate(X, post, params).about(np.zeros(em.d), em.cov_type)
    return stats.n, stats.first, stats.second


@pytest.mark.parametrize("cov_type", TYPES)
def test_expanded_path_scores_each_row_by_its_observed_marginal(cov_type):
    X, em, params, full, _ = _hostile(1, cov_type, n=300, d=3, spread=1.0)
    share = _expanded_share(em, X, params)
    assert share > 0.8  # the check below is of the expanded path
    got = em.log_prob(X, params)
    means = em.unpack(params)[0]
    for n in np.flatnonzero(np.isnan(X).any(axis=1)):
        o = ~np.isnan(X[n])
        want = ([multivariate_normal(means[j, o], full[j][np.ix_(o, o)]).logpdf(X[n, o])
                 for j in range(em.k)] if o.any() else np.zeros(em.k))
        np.testing.assert_allclose(got[n], want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cov_type", TYPES)
@pytest.mark.parametrize("seed", [2, 3])
def test_expanded_path_equals_the_plain_one_on_hostile_data(cov_type, seed):
    X, em, params, _, rng = _hostile(seed, cov_type)
    plain = _with_path(em, plain=True)
    assert 0.3 < _expanded_share(em, X, params) < 1.0  # both paths in one call
    assert _expanded_share(plain, X, params) == 0.0
    fast_lp, ref_lp = em.log_prob(X, params), plain.log_prob(X, params)
    assert np.all(np.isfinite(ref_lp))
    np.testing.assert_allclose(fast_lp, ref_lp, rtol=1e-9, atol=1e-9 * np.abs(ref_lp).max())
    post = rng.dirichlet(np.full(em.k, 0.3), size=X.shape[0])
    for fast, ref in zip(_stats_about_centre(em, X, post, params),
                         _stats_about_centre(plain, X, post, params)):
        np.testing.assert_allclose(fast, ref, rtol=1e-9, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_rows_beyond_the_round_off_bound_take_the_plain_path(cov_type):
    X, em, params, _, _ = _hostile(4, cov_type, spread=1.0, far=1e6)
    assert _expanded_share(em, X, params) == 0.0
    near, em_near = _hostile(4, cov_type, spread=1.0)[:2]
    assert _expanded_share(em_near, near, params) > 0.3  # the same problem without the far rows
    plain = _with_path(em, plain=True)
    ref = plain.log_prob(X, params)
    np.testing.assert_array_equal(em.log_prob(X, params), ref)
    means = em.unpack(params)[0]
    assert np.all(ref[:3] < -1e6 / np.abs(means).max())  # far rows: very unlikely, yet finite


@pytest.mark.parametrize("cov_type", TYPES)
def test_a_fit_does_not_depend_on_the_path(cov_type, monkeypatch):
    X, em, params, _, _ = _hostile(5, cov_type, n=900, spread=0.5)
    means, cov = em.unpack(params)
    kw = dict(covariance_type=cov_type, missing="marginalize", tol=0, max_iter=8,
              means_init=means, covariances_init=cov, reg_covar=1e-6)
    fast = GaussianHMM(3, **kw).fit(X, [300, 600])

    def plain_emissions(*args):
        return MissingGaussianEmissions(*args, plain=True)

    monkeypatch.setattr(_estimator, "MissingGaussianEmissions", plain_emissions)
    plain = GaussianHMM(3, **kw).fit(X, [300, 600])
    hist = plain.log_likelihood_history_
    assert hist[-1] > hist[0]
    np.testing.assert_allclose(fast.log_likelihood_history_, hist, rtol=1e-10)
    np.testing.assert_allclose(fast.means_, plain.means_, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(fast.covariances_, plain.covariances_, rtol=1e-8,
                               atol=1e-9 * np.abs(plain.covariances_).max())


@pytest.mark.parametrize("d", [1, 2, 5, 40, 62, 63, 70])
def test_patterns_are_numbered_as_numpy_unique_numbers_rows(d):
    """The grouping's integer codes give ``np.unique(axis=0)``'s patterns, order and labels."""
    from emcore.gaussian.holes import _unique_rows

    mask = np.random.default_rng(d).random((2000, d)) < 0.3
    mask[:5] = True
    want, want_pid = np.unique(mask, axis=0, return_inverse=True)
    got, pid = _unique_rows(mask)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(pid.ravel(), want_pid.ravel())
    np.testing.assert_array_equal(got[pid.ravel()], mask)
