"""The chunked pass: log-sum-exp with truncated responsibilities, and the data summary."""

import numpy as np
import pytest

from emcore import _tuning
from emcore.mixture._data import MixtureData
from emcore.mixture._estep import NEGLIGIBLE_LOG, TINY_SUM, normalize, normalize_bounded


def exact(log_joint):
    top = log_joint.max(axis=0)
    p = np.exp(log_joint - top)
    return p / p.sum(axis=0), top + np.log(p.sum(axis=0))


def test_truncated_normalisation_equals_the_exact_one_to_round_off():
    rng = np.random.default_rng(0)
    log_joint = rng.normal(scale=300.0, size=(5, 400))  # mostly one dominant component per column
    log_joint[:, :10] = rng.normal(size=(5, 10))  # a few columns with several
    resp_exact, logp_exact = exact(log_joint)
    resp, logp, kept = normalize(log_joint.copy(), None, truncate=True)
    assert kept is not None and kept.sum() < 2 * 400
    np.testing.assert_allclose(resp, resp_exact, rtol=0, atol=2.0**-52)
    np.testing.assert_allclose(logp, logp_exact, rtol=1e-15)
    assert np.all(resp[~kept] == 0) and np.all(resp_exact[~kept] < 2.0**-53)
    np.testing.assert_allclose(resp.sum(axis=0), 1.0, rtol=0, atol=4 * 2.0**-53)


def test_mostly_overlapping_columns_use_the_dense_normalisation():
    log_joint = np.random.default_rng(1).normal(size=(4, 100))
    resp, logp, kept = normalize(log_joint.copy(), None, truncate=True)
    assert kept is None
    resp_exact, logp_exact = exact(log_joint)
    np.testing.assert_allclose(resp, resp_exact, rtol=1e-15)
    np.testing.assert_allclose(logp, logp_exact, rtol=1e-15)


def test_bounded_normalisation_equals_the_exact_one_and_rescores_far_columns():
    rng = np.random.default_rng(2)
    log_joint = rng.normal(size=(4, 300)) - 30.0  # overlapping columns, all below the bound 0
    log_joint[3] = -np.inf  # a component of weight 0
    log_joint[:3, 100:105] -= 2000.0  # far from every component: their sums underflow
    log_joint[:3, 200] -= 560.0  # far, but its sum is still a normal float
    shift, asked = 7.5, []

    def rescore(cols):
        asked.append(cols)
        return log_joint[:, cols] + shift, None

    resp, logp, kept = normalize_bounded(log_joint.copy(), shift, rescore)
    resp_exact, logp_exact = exact(log_joint + shift)
    assert kept is None and len(asked) == 1 and list(asked[0]) == list(range(100, 105))
    assert np.exp(log_joint[:, 200]).sum() > TINY_SUM
    np.testing.assert_allclose(resp, resp_exact, rtol=1e-13, atol=0)
    np.testing.assert_allclose(logp, logp_exact, rtol=1e-15)
    # a chunk where most columns keep one entry is truncated, as by normalize
    far = rng.normal(scale=300.0, size=(5, 400))
    far -= far.max() + 1.0
    resp, logp, kept = normalize_bounded(far.copy(), shift, rescore)
    want = normalize(far + shift, None, truncate=True)
    assert kept is not None and len(asked) == 1
    np.testing.assert_array_equal(kept, want[2])
    np.testing.assert_allclose(resp, want[0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(logp, want[1], rtol=1e-15)


def test_dropped_responsibilities_are_those_that_cannot_change_their_row_sum():
    # columns: a ratio of 2^-54 (dropped), one of exp(-1000) (dropped), one of 2^-52 (kept)
    log_joint = np.array([[0.0, 0.0, 0.0], [-54 * np.log(2), -1000.0, -52 * np.log(2)]])
    resp, logp, kept = normalize(log_joint.copy(), None, truncate=True)
    assert kept is not None
    assert resp[1, 0] == 0 and resp[1, 1] == 0 and resp[1, 2] > 0
    assert 1.0 + 2.0**-54 == 1.0 and 1.0 + 2.0**-52 > 1.0  # what dropping may and may not lose
    assert NEGLIGIBLE_LOG < -52 * np.log(2)
    np.testing.assert_allclose(logp, [0.0, 0.0, np.log1p(2.0**-52)], rtol=1e-15, atol=0)


def test_data_summary_uses_weights_and_ignores_zero_weight_rows():
    # the weighted samples lie within a factor 2 of their mean, so it is the origin
    # (exact_origin); the zero-weight row is neither the farthest nor in the way
    X = np.array([[1.0, 1.0], [2.0, 1.0], [100.0, 100.0]])
    data = MixtureData(X, np.array([1.0, 3.0, 0.0]), "full", 1, chunk_size=2)
    np.testing.assert_allclose(data.center, [1.75, 1.0])
    assert data.radius2 == pytest.approx(0.75**2)
    assert data.variance == pytest.approx((1 * 0.75**2 + 3 * 0.25**2) / 4 / 2)
    assert data.total_weight == 4.0


def test_float32_chunks_are_converted_to_float64():
    X = np.arange(12, dtype=np.float32).reshape(6, 2) / 7
    data = MixtureData(X, None, "diag", 2, chunk_size=4)
    chunk = data.chunk_T(4, 6, data.center)
    assert chunk.dtype == np.float64 and chunk.shape == (2, 2)
    np.testing.assert_array_equal(chunk, X[4:6].T.astype(np.float64) - data.center[:, None])


@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_the_expanded_path_agrees_with_and_without_a_simd_exp(cov_type, monkeypatch):
    # with SIMD_EXP, an overlapping chunk of the expanded path gets every entry exponentiated,
    # with no maxima shifted out; without it, only the kept entries (the direct path always
    # truncates). Both choices give the same fit, and the same E-step, to round-off.
    from emcore import GaussianMixture
    from emcore.mixture import _estep

    X = np.random.default_rng(7).normal(size=(4500, 3))  # one blob, three components: they overlap
    far = X.copy()
    # so far out that the bounded exps underflow
    far[[5, 3000]] = [[60.0, 0.0, 0.0], [0.0, -70.0, 0.0]]
    params = GaussianMixture(3, covariance_type=cov_type, tol=0, max_iter=5,
                             random_state=0).fit(X)._params()
    data = MixtureData(far, None, cov_type, 3)
    params = params.moved(-data.center)
    fits, steps, dense = [], [], []
    for simd in (False, True):
        monkeypatch.setattr(_tuning, "SIMD_EXP", simd)
        gm = GaussianMixture(3, covariance_type=cov_type, tol=0, max_iter=5, random_state=0,
                             n_jobs=1).fit(X)
        fits.append((gm.weights_, gm.means_, gm.covariances_, gm.score_samples(X)))
        stats, loglik = _estep.e_step(data, params)  # the same parameters under both settings
        steps.append((stats.n, stats.first, stats.second, loglik))
        scorer = _estep.ChunkScorer(cov_type, params, data.radius2)
        xt, feats = scorer.chunk(data.XT, data.center)
        dense.append(scorer.dense and _estep._mostly_overlapping(scorer.log_joint(xt, feats)[0]))
        if scorer.dense:
            sums = np.exp(scorer.bounded_log_joint(feats)).sum(axis=0)
            assert np.flatnonzero(sums < _estep.TINY_SUM).tolist() == [5, 3000]
    assert scorer.expanded and dense == [False, True]
    for a, b in zip(*fits):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for a, b in zip(*steps):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
