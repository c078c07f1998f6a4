"""Partly labelled states: a known step's posterior is a point mass, and the rest is exact.

Checked against enumeration of every hidden path consistent with the labels on tiny
categorical HMMs (several sequences, labels anywhere), then on a fit.
"""

import itertools

import numpy as np
import pytest

from emcore import CategoricalHMM, GaussianHMM

from .test_exact import _random_hmm


def _consistent_paths(pi, A, B, x, lengths, states):
    """Log-likelihood of (x, known states), posteriors and the best path, by enumeration."""
    n, k = x.size, pi.size
    ll, post, best_lp, best, off = 0.0, np.zeros((n, k)), 0.0, [], 0
    for length in lengths:
        seg, known = x[off:off + length], states[off:off + length]
        paths, probs = [], []
        for z in itertools.product(range(k), repeat=length):
            if any(s >= 0 and s != zi for s, zi in zip(known, z)):
                continue
            p = pi[z[0]] * B[z[0], seg[0]]
            for t in range(1, length):
                p *= A[z[t - 1], z[t]] * B[z[t], seg[t]]
            paths.append(z)
            probs.append(p)
        probs = np.array(probs)
        ll += np.log(probs.sum())
        for z, p in zip(paths, probs):
            post[off + np.arange(length), list(z)] += p / probs.sum()
        i = int(np.argmax(probs))
        best_lp, best, off = best_lp + np.log(probs[i]), best + list(paths[i]), off + length
    return ll, post, best_lp, np.array(best)


@pytest.mark.parametrize("k, lengths", [(2, [6]), (3, [4, 3]), (3, [1, 5])])
def test_labelled_posteriors_and_paths_equal_enumeration(k, lengths):
    rng = np.random.default_rng(7 * k + len(lengths))
    pi, A, B = _random_hmm(rng, k, 3)
    n = sum(lengths)
    x = rng.integers(3, size=n)
    states = np.full(n, -1)
    labelled = rng.choice(n, size=n // 2, replace=False)
    states[labelled] = rng.integers(k, size=labelled.size)
    hmm = CategoricalHMM(k, max_iter=0, startprob_init=pi, transmat_init=A,
                         emissionprob_init=B).fit(x[:, None], lengths)
    ll, post, best_lp, best = _consistent_paths(pi, A, B, x, lengths, states)
    got = hmm.predict_proba(x[:, None], lengths, states=states)
    np.testing.assert_allclose(got, post, atol=1e-12)
    assert np.all(got[labelled, states[labelled]] == 1.0)
    lp, path = hmm.decode(x[:, None], lengths, states=states)
    assert lp == pytest.approx(best_lp, rel=1e-12)
    np.testing.assert_array_equal(path, best)
    model, theta = hmm.em_problem(x[:, None], lengths)
    model.states = states
    assert model.log_likelihood(theta) == pytest.approx(ll, rel=1e-12)


def test_a_few_labels_fix_the_order_of_the_states():
    # two regimes; without labels a fit may call either state 0; one label per regime fixes it
    rng = np.random.default_rng(3)
    truth = np.repeat([0, 1, 0, 1], 150)
    X = rng.normal(np.where(truth == 0, 5.0, -5.0), 1.0)[:, None]
    states = np.full(truth.size, -1)
    states[[10, 200]] = [0, 1]
    means = []
    for seed in range(6):
        hmm = GaussianHMM(2, tol=1e-8, max_iter=300, init_params="random", random_state=seed)
        means.append(hmm.fit(X, states=states).means_[:, 0])
        post = hmm.predict_proba(X, states=states)
        assert post[10, 0] == 1.0 and post[200, 1] == 1.0
    np.testing.assert_allclose(means, [[5.0, -5.0]] * 6, atol=0.2)  # state 0 is the one at +5


def test_an_impossible_label_is_an_error_naming_its_step():
    hmm = CategoricalHMM(2, max_iter=0, startprob_init=[1.0, 0.0],
                         transmat_init=[[0.5, 0.5], [0.0, 1.0]],
                         emissionprob_init=[[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    hmm.fit(np.zeros((2, 1), int))
    x = np.array([[0], [1], [2], [0]])
    with pytest.raises(ValueError, match=r"states\[0\] = 1 has zero probability"):  # start prob 0
        hmm.predict_proba(x, states=np.array([1, -1, -1, -1]))
    with pytest.raises(ValueError, match=r"states\[2\] = 0 has zero probability"):  # emits 2 never
        hmm.predict_proba(x, states=np.array([-1, -1, 0, -1]))
    with pytest.raises(ValueError, match=r"states\[3\] = 0 has zero probability"):  # 1 -> 0 is 0
        hmm.decode(x, states=np.array([-1, -1, 1, 0]))


@pytest.mark.parametrize("states, match", [
    (np.array([0, 1, 2]), "one entry per row"),
    (np.array([0.0, 1.0, -1.0, 0.0]), "integer array"),
    (np.array([0, 5, -1, 0]), "a state 0..1"),
    (np.array([0, -2, -1, 0]), "-1 \\(unknown\\)"),
])
def test_bad_states_are_refused_naming_the_argument(states, match):
    with pytest.raises(ValueError, match=match):
        CategoricalHMM(2, random_state=0).fit(np.array([[0], [1], [0], [1]]), states=states)
