"""The blocked forward-backward against enumeration and the tree; the emissions' two
log-density paths."""

import numpy as np
import pytest

from emcore import _tuning
from emcore.gaussian.covariance import COVARIANCE_TYPES
from emcore.hmm import _blocked, _gaussian, _scan

from .test_exact import CASES, _brute, _random_hmm


@pytest.mark.parametrize("block", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("k,lengths", CASES)
def test_blocked_equals_enumeration_with_restarts_anywhere_in_the_blocks(k, lengths, block):
    rng = np.random.default_rng(10 * k + len(lengths) + block)
    pi, A, B = _random_hmm(rng, k, 3)
    x = rng.integers(3, size=sum(lengths))
    ll, post, trans, _, _ = _brute(pi, A, B, x, lengths)
    got = _blocked.forward_backward(np.log(B[:, x].T), np.array(lengths), pi, A, block=block)
    assert got is not None  # the blocked scan itself, not the tree it gives way to
    got_ll, got_post, got_start, got_trans = got
    starts = np.cumsum(lengths) - lengths
    assert got_ll.sum() == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(got_post, post, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_trans, trans, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_start, post[starts].sum(axis=0), rtol=1e-12, atol=1e-14)


def _long_problem(rng, lengths, spread):
    k = 4
    A = np.array([[0.9, 0.1, 0.0, 0.0], [0.0, 0.8, 0.2, 0.0], [0.05, 0.0, 0.9, 0.05],
                  [0.3, 0.0, 0.0, 0.7]])
    pi = np.array([0.5, 0.0, 0.5, 0.0])
    n = int(np.sum(lengths))
    means = spread * np.arange(k)
    x = means[np.repeat(rng.integers(k, size=n // 40 + 1), 40)[:n]] + rng.normal(size=n)
    return pi, A, -0.5 * (x[:, None] - means) ** 2 - 0.5 * np.log(2 * np.pi)


@pytest.mark.parametrize("lengths", [[30_011], [12_000, 1, 7_999, 1_001, 9_010]])
def test_long_sequences_with_forbidden_transitions_equal_the_tree(lengths):
    rng = np.random.default_rng(len(lengths))
    # means 6 apart: neighbouring states' densities differ by up to e^-100 and more at a step
    pi, A, log_emis = _long_problem(rng, lengths, 6.0)
    lengths = np.array(lengths)
    got = _blocked.forward_backward(log_emis, lengths, pi, A)
    assert got is not None
    want = _scan.forward_backward(log_emis, lengths, pi, A, method="tree")
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-10)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-10)
    assert np.all(got[3][A == 0] == 0.0)
    np.testing.assert_allclose(got[1].sum(axis=1), 1.0, rtol=1e-12)


def test_underflow_in_a_block_product_gives_way_to_the_tree():
    # From state 1 or 2 the chain cannot reach state 0 within a step, and at every 50th step
    # only state 0 explains the data (the others ~e^-800 less): a block row starting in 1 or 2
    # underflows there, although the sequence (through state 0) has a fine probability.
    rng = np.random.default_rng(4)
    A = np.array([[0.98, 0.01, 0.01], [0.0, 0.99, 0.01], [0.01, 0.0, 0.99]])
    pi = np.full(3, 1.0 / 3)
    n = 5_000
    log_emis = rng.normal(size=(n, 3))
    log_emis[::50, 1:] -= 800.0
    assert _blocked.forward_backward(log_emis, np.array([n]), pi, A) is None
    got = _scan.forward_backward(log_emis, np.array([n]), pi, A, method="blocked")
    want = _scan.forward_backward(log_emis, np.array([n]), pi, A, method="tree")
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert np.all(np.isfinite(got[1])) and np.allclose(got[1].sum(axis=1), 1.0)


def test_rows_that_fall_below_the_threshold_between_normalisations_give_way_to_the_tree():
    # An absorbing state whose density is e^-120 of the best one at every step: its block row
    # falls by that much per step, over the steps between normalisations below 1e-200.
    rng = np.random.default_rng(5)
    A = np.array([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.0, 0.0, 1.0]])
    pi = np.array([0.5, 0.5, 0.0])
    n = 2_000
    log_emis = rng.normal(size=(n, 3))
    log_emis[:, 2] = log_emis[:, :2].max(axis=1) - 120.0
    assert _blocked._EVERY >= 2
    assert _blocked.forward_backward(log_emis, np.array([n]), pi, A) is None
    got = _scan.forward_backward(log_emis, np.array([n]), pi, A, method="blocked")
    want = _scan.forward_backward(log_emis, np.array([n]), pi, A, method="tree")
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-300)
    assert np.all(got[1][:, 2] == 0.0)


def _state_covariances(cov_type, k, d, rng):
    """Random covariances of ``cov_type`` in its compact shape, and each state's (d, d) matrix."""
    L = rng.normal(size=(k, d, d))
    full = L @ np.swapaxes(L, 1, 2) + np.eye(d)
    compact = {"full": full, "tied": full[0], "diag": np.stack([np.diag(f) for f in full]),
               "spherical": np.array([np.trace(f) / d for f in full])}[cov_type]
    sigma = {"full": list(full), "tied": [full[0]] * k, "diag": [np.diag(np.diag(f)) for f in full],
             "spherical": [np.eye(d) * c for c in compact]}[cov_type]
    return compact, sigma


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("max_error", [np.inf, -1.0, "mixed"])
def test_log_densities_by_either_path_equal_scipy(cov_type, max_error, monkeypatch):
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(6)
    k, d, n = 3, 2, 50
    X = rng.normal(size=(n, d)) * 2.0
    if max_error == "mixed":  # chunks of 8: one far out (direct path), the others near (expanded)
        monkeypatch.setattr(_tuning, "LOG_PROB_ROWS", 8)
        X[17] += 1e7
    else:
        monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", max_error)
    em = _gaussian.GaussianEmissions(cov_type, k, d, center=X.mean(axis=0))
    means = rng.normal(size=(k, d))
    cov, sigma = _state_covariances(cov_type, k, d, rng)
    got = em.log_prob(X, em.pack(means, cov))
    assert got.shape == (n, k)
    for j in range(k):
        want = multivariate_normal(means[j], sigma[j]).logpdf(X)
        np.testing.assert_allclose(got[:, j], want, rtol=1e-10)


def test_without_the_round_off_guard_far_tight_states_lose_digits(monkeypatch):
    # two states 1e5 apart and 1e-3 wide: with the guard the log-densities equal the reference
    # (x - mu first) to round-off; at infinity the expanded path is taken and they do not
    from emcore.gaussian import reference

    rng = np.random.default_rng(8)
    means = np.array([[0.0, 0.0], [1e5, 1e5]])
    X = np.concatenate([rng.normal(m, 1e-3, size=(50, 2)) for m in means])
    for cov_type in COVARIANCE_TYPES:
        em = _gaussian.GaussianEmissions(cov_type, 2, 2, center=X.mean(axis=0))
        cov = {"full": np.tile(np.eye(2) * 1e-6, (2, 1, 1)), "tied": np.eye(2) * 1e-6,
               "diag": np.full((2, 2), 1e-6), "spherical": np.full(2, 1e-6)}[cov_type]
        vec = em.pack(means, cov)
        want = reference.log_densities(X, means, em.cov.precision_cholesky(cov), em.cov)
        assert np.max(np.abs(em.log_prob(X, vec) - want)) < 1e-9, cov_type
        with monkeypatch.context() as m:
            m.setattr(_tuning, "MAX_ROUND_OFF", np.inf)
            assert np.max(np.abs(em.log_prob(X, vec) - want)) > 1e-6, cov_type


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_m_step_by_quadratic_features_equals_the_weighted_moments(cov_type, monkeypatch):
    monkeypatch.setattr(_tuning, "LOG_PROB_ROWS", 7)  # several chunks, the last one short
    rng = np.random.default_rng(7)
    k, d, n = 3, 3, 40
    X = rng.normal(size=(n, d)) + 5.0
    post = rng.dirichlet(np.ones(k), size=n)
    em = _gaussian.GaussianEmissions(cov_type, k, d, reg_covar=1e-3, center=X.mean(axis=0))
    start = em.initial(X, "random", np.random.default_rng(0))
    means, cov = em.unpack(em.m_step(em.accumulate(X, post, start), start))
    tied = np.zeros((d, d))
    for j in range(k):
        w = post[:, j] / post[:, j].sum()
        mu = w @ X
        full = (X - mu).T @ ((X - mu) * w[:, None])
        tied += post[:, j].sum() * full
        np.testing.assert_allclose(means[j], mu, rtol=1e-12)
        want = {"full": full + 1e-3 * np.eye(d), "diag": np.diag(full) + 1e-3,
                "spherical": np.trace(full) / d + 1e-3, "tied": None}[cov_type]
        if want is not None:
            np.testing.assert_allclose(cov[j], want, rtol=1e-10)
    if cov_type == "tied":
        np.testing.assert_allclose(cov, tied / n + 1e-3 * np.eye(d), rtol=1e-10)
