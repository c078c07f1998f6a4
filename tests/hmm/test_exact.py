"""Forward-backward and Viterbi equal brute-force enumeration of every hidden path on tiny HMMs."""

import itertools

import numpy as np
import pytest

from emcore.hmm import _scan


def _random_hmm(rng, k, s):
    return (rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k), size=k),
            rng.dirichlet(np.ones(s), size=k))


def _enumerate(pi, A, B, x):
    """Joint probability of every path of one sequence, by direct products."""
    k = pi.size
    paths = list(itertools.product(range(k), repeat=len(x)))
    probs = []
    for z in paths:
        p = pi[z[0]] * B[z[0], x[0]]
        for t in range(1, len(x)):
            p *= A[z[t - 1], z[t]] * B[z[t], x[t]]
        probs.append(p)
    return paths, np.array(probs)


def _brute(pi, A, B, x, lengths):
    n, k = x.size, pi.size
    ll, best_lp, post, trans, best = 0.0, 0.0, np.zeros((n, k)), np.zeros((k, k)), []
    off = 0
    for length in lengths:
        seg = x[off:off + length]
        paths, probs = _enumerate(pi, A, B, seg)
        total = probs.sum()
        ll += np.log(total)
        for z, p in zip(paths, probs):
            post[off + np.arange(length), list(z)] += p / total
            for t in range(1, length):
                trans[z[t - 1], z[t]] += p / total
        i = int(np.argmax(probs))
        best_lp += np.log(probs[i])
        best += list(paths[i])
        off += length
    return ll, post, trans, best_lp, np.array(best)


CASES = [(2, [6]), (3, [5]), (3, [3, 1, 4]), (2, [1]), (4, [2, 5])]


@pytest.mark.parametrize("method", [None, "sequential", "tree", "blocked"])
@pytest.mark.parametrize("k,lengths", CASES)
def test_forward_backward_equals_enumeration_of_all_paths(k, lengths, method):
    rng = np.random.default_rng(10 * k + len(lengths))
    pi, A, B = _random_hmm(rng, k, 3)
    x = rng.integers(3, size=sum(lengths))
    ll, post, trans, _, _ = _brute(pi, A, B, x, lengths)
    got_ll, got_post, got_start, got_trans = _scan.forward_backward(
        np.log(B[:, x].T), np.array(lengths), pi, A, method=method)
    starts = np.cumsum(lengths) - lengths
    assert got_ll.sum() == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(got_post, post, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_trans, trans, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_start, post[starts].sum(axis=0), rtol=1e-12, atol=1e-14)
    only_ll = _scan.log_likelihood(np.log(B[:, x].T), np.array(lengths), pi, A, method=method)
    assert only_ll.sum() == pytest.approx(ll, rel=1e-13)


@pytest.mark.parametrize("block", [None, 1, 2, 3])
@pytest.mark.parametrize("k,lengths", CASES)
def test_viterbi_equals_the_most_probable_enumerated_path(k, lengths, block):
    rng = np.random.default_rng(7 * k + len(lengths))
    pi, A, B = _random_hmm(rng, k, 3)
    x = rng.integers(3, size=sum(lengths))
    *_, best_lp, best = _brute(pi, A, B, x, lengths)
    lp, states = _scan.viterbi(np.log(B[:, x].T), np.array(lengths), pi, A, block=block)
    assert lp == pytest.approx(best_lp, rel=1e-13)
    np.testing.assert_array_equal(states, best)


def test_zero_transitions_are_respected_by_the_posteriors():
    rng = np.random.default_rng(3)
    pi, A, B = _random_hmm(rng, 3, 3)
    A[0, 2] = A[2, 1] = 0.0
    A /= A.sum(axis=1, keepdims=True)
    x = rng.integers(3, size=7)
    _, post, trans, _, best = _brute(pi, A, B, x, [7])
    for method in _scan.METHODS:
        got = _scan.forward_backward(np.log(B[:, x].T), np.array([7]), pi, A, method=method)
        assert got[3][0, 2] == 0.0 and got[3][2, 1] == 0.0
        np.testing.assert_allclose(got[3], trans, rtol=1e-12, atol=1e-15)
    with np.errstate(divide="ignore"):
        states = _scan.viterbi(np.log(B[:, x].T), np.array([7]), pi, A, block=2)[1]
    np.testing.assert_array_equal(states, best)


@pytest.mark.parametrize("n", [3001, 3000])
def test_left_right_chain_whose_block_rows_differ_beyond_floating_range(n):
    # The chain starts in the absorbing state 2 (mean 10), the data come from state 0's
    # N(0, 1): from state 2 a block of 16 steps is ~e^-800 less likely than from state 0,
    # so the rows of the block products differ far beyond the floating-point range.
    rng = np.random.default_rng(11)
    A = np.array([[0.99, 0.01, 0.0], [0.0, 0.99, 0.01], [0.0, 0.0, 1.0]])
    pi = np.array([0.0, 0.0, 1.0])
    x = rng.normal(size=n)
    log_emis = -0.5 * (x[:, None] - np.array([0.0, 5.0, 10.0])) ** 2 - 0.5 * np.log(2 * np.pi)
    ll = log_emis[:, 2].sum()  # the only path: state 2 throughout
    for m in _scan.METHODS:
        got = _scan.log_likelihood(log_emis, np.array([n]), pi, A, method=m).sum()
        assert got == pytest.approx(ll, rel=1e-12)
        # the normalised backward vectors underflow here (beta_t(2) / beta_t(0) ~ e^(-50 (n - t))):
        # a clear error, never NaN posteriors
        with pytest.raises(FloatingPointError, match="posterior"):
            _scan.forward_backward(log_emis, np.array([n]), pi, A, method=m)
