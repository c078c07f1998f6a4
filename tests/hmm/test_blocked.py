"""The blocked forward-backward against enumeration and the tree; the emissions' two log-density paths."""

import numpy as np
import pytest

from emcore.hmm import _blocked, _emissions, _scan

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
    A = np.array([[0.9, 0.1, 0.0, 0.0], [0.0, 0.8, 0.2, 0.0], [0.05, 0.0, 0.9, 0.05], [0.3, 0.0, 0.0, 0.7]])
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
    assert _blocked._EVERY >= 2 and _blocked.forward_backward(log_emis, np.array([n]), pi, A) is None
    got = _scan.forward_backward(log_emis, np.array([n]), pi, A, method="blocked")
    want = _scan.forward_backward(log_emis, np.array([n]), pi, A, method="tree")
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-300)
    assert np.all(got[1][:, 2] == 0.0)


@pytest.mark.parametrize("cov_type", ["diag", "full"])
@pytest.mark.parametrize("max_error", [np.inf, -1.0, "mixed"])
def test_log_densities_by_either_path_equal_scipy(cov_type, max_error, monkeypatch):
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(6)
    k, d, n = 3, 2, 50
    X = rng.normal(size=(n, d)) * 2.0
    if max_error == "mixed":  # chunks of 8: one far out (direct path), the others near (expanded)
        monkeypatch.setattr(_emissions, "_CHUNK", 8)
        X[17] += 1e7
    else:
        monkeypatch.setattr(_emissions, "EXPANDED_MAX_ERROR", max_error)
    em = _emissions.GaussianEmissions(cov_type, k, d, center=X.mean(axis=0))
    means = rng.normal(size=(k, d))
    if cov_type == "diag":
        cov = rng.uniform(0.5, 2.0, size=(k, d))
        sigma = [np.diag(c) for c in cov]
    else:
        L = rng.normal(size=(k, d, d))
        cov = L @ np.swapaxes(L, 1, 2) + np.eye(d)
        sigma = list(cov)
    got = em.log_prob(X, em.pack(means, cov))
    assert got.shape == (n, k)
    for j in range(k):
        want = multivariate_normal(means[j], sigma[j]).logpdf(X)
        np.testing.assert_allclose(got[:, j], want, rtol=1e-10)


@pytest.mark.parametrize("cov_type", ["diag", "full"])
def test_m_step_by_quadratic_features_equals_the_weighted_moments(cov_type, monkeypatch):
    monkeypatch.setattr(_emissions, "_CHUNK", 7)  # several chunks, the last one short
    rng = np.random.default_rng(7)
    k, d, n = 3, 3, 40
    X = rng.normal(size=(n, d)) + 5.0
    post = rng.dirichlet(np.ones(k), size=n)
    em = _emissions.GaussianEmissions(cov_type, k, d, reg_covar=1e-3, center=X.mean(axis=0))
    means, cov = em.unpack(em.m_step(X, post))
    for j in range(k):
        w = post[:, j] / post[:, j].sum()
        mu = w @ X
        full = (X - mu).T @ ((X - mu) * w[:, None]) + 1e-3 * np.eye(d)
        np.testing.assert_allclose(means[j], mu, rtol=1e-12)
        np.testing.assert_allclose(cov[j], np.diag(full) if cov_type == "diag" else full, rtol=1e-10)
