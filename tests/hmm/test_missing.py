"""GaussianHMM(missing="marginalize"): NaN entries integrated out of the emission densities.

Checked against enumeration of every hidden path with each step's emission
the marginal Gaussian density of its observed entries (1 for a step with
nothing observed, computed by scipy), on tiny models of every covariance
type; then EM's monotonicity, its fixed point (the observed-data gradient
vanishes there) and imputation on simulated sequences.
"""

import itertools

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emcore import GaussianHMM

TYPES = ["diag", "full", "tied", "spherical"]


def _random_model(rng, cov_type, k=2, d=3):
    """Starting values for a GaussianHMM of ``cov_type`` and the full (K, d, d) covariances."""
    pi, A = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k), size=k)
    means = rng.normal(scale=1.5, size=(k, d))
    if cov_type == "diag":
        cov = rng.uniform(0.5, 2.0, size=(k, d))
        full = np.stack([np.diag(c) for c in cov])
    elif cov_type == "spherical":
        cov = rng.uniform(0.5, 2.0, size=k)
        full = np.stack([c * np.eye(d) for c in cov])
    else:
        mats = []
        for _ in range(k if cov_type == "full" else 1):
            b = rng.normal(size=(d, d))
            mats.append(b @ b.T + d * np.eye(d) * 0.5)
        cov = np.stack(mats) if cov_type == "full" else mats[0]
        full = np.stack(mats * (k if cov_type == "tied" else 1))
    hmm = GaussianHMM(k, covariance_type=cov_type, max_iter=0, startprob_init=pi,
                      transmat_init=A, means_init=means, covariances_init=cov,
                      missing="marginalize")
    return hmm, pi, A, means, full


def _marginal_densities(X, means, full):
    """(n, K): each step's Gaussian density on its observed entries, 1 if none is observed."""
    out = np.ones((X.shape[0], means.shape[0]))
    for n, x in enumerate(X):
        o = ~np.isnan(x)
        if o.any():
            for k in range(means.shape[0]):
                out[n, k] = multivariate_normal(means[k, o], full[k][np.ix_(o, o)]).pdf(x[o])
    return out


def _enumerate(pi, A, E, lengths):
    """Log-likelihood, posteriors, best path and its log-probability over all paths."""
    n, k = E.shape
    ll, post, best_lp, best, off = 0.0, np.zeros((n, k)), 0.0, [], 0
    for length in lengths:
        paths = list(itertools.product(range(k), repeat=length))
        probs = np.empty(len(paths))
        for i, z in enumerate(paths):
            p = pi[z[0]] * E[off, z[0]]
            for t in range(1, length):
                p *= A[z[t - 1], z[t]] * E[off + t, z[t]]
            probs[i] = p
        ll += np.log(probs.sum())
        for z, p in zip(paths, probs):
            post[off + np.arange(length), list(z)] += p / probs.sum()
        i = int(np.argmax(probs))
        best_lp, best, off = best_lp + np.log(probs[i]), best + list(paths[i]), off + length
    return ll, post, best_lp, np.array(best)


def _holed(rng, n, d, partial=0.3, empty=(2, 5)):
    X = rng.normal(size=(n, d)) * 2
    X[rng.random((n, d)) < partial] = np.nan
    X[list(empty)] = np.nan
    return X


@pytest.mark.parametrize("cov_type", TYPES)
def test_wholly_missing_steps_are_emissions_of_one(cov_type):
    """Steps with every entry missing: forward-backward and Viterbi with emission 1 there."""
    rng = np.random.default_rng(1)
    hmm, pi, A, means, full = _random_model(rng, cov_type)
    X = _holed(rng, 7, 3, partial=0.0)
    lengths = [3, 4]
    hmm.fit(X, lengths)
    E = _marginal_densities(X, means, full)
    assert np.all(E[[2, 5]] == 1.0) and np.all(E[[0, 1, 3, 4, 6]] < 1.0)
    ll, post, best_lp, best = _enumerate(pi, A, E, lengths)
    assert hmm.score(X, lengths) == pytest.approx(ll, rel=1e-12)
    np.testing.assert_allclose(hmm.predict_proba(X, lengths), post, rtol=1e-10, atol=1e-13)
    got_lp, path = hmm.decode(X, lengths)
    assert got_lp == pytest.approx(best_lp, rel=1e-12)
    np.testing.assert_array_equal(path, best)
    np.testing.assert_array_equal(hmm.predict(X, lengths), best)


@pytest.mark.parametrize("cov_type", TYPES)
def test_partly_missing_steps_emit_their_observed_marginal(cov_type):
    rng = np.random.default_rng(2)
    hmm, pi, A, means, full = _random_model(rng, cov_type)
    X = _holed(rng, 8, 3, partial=0.35, empty=(4,))
    assert np.isnan(X).any(axis=1).sum() >= 4
    hmm.fit(X)
    model, theta = hmm.em_problem(X)
    E = _marginal_densities(X, means, full)
    np.testing.assert_allclose(model.log_emissions(theta), np.log(E), rtol=1e-11, atol=1e-12)
    ll, post, best_lp, best = _enumerate(pi, A, E, [8])
    assert hmm.score(X) == pytest.approx(ll, rel=1e-12)
    np.testing.assert_allclose(hmm.predict_proba(X), post, rtol=1e-10, atol=1e-13)
    assert hmm.decode(X)[0] == pytest.approx(best_lp, rel=1e-12)
    np.testing.assert_array_equal(hmm.predict(X), best)


@pytest.mark.parametrize("cov_type", TYPES)
def test_without_nan_marginalize_is_the_ordinary_fit(cov_type):
    rng = np.random.default_rng(3)
    X = np.r_[rng.normal(size=(80, 2)), rng.normal(4.0, size=(80, 2))]
    kw = dict(covariance_type=cov_type, tol=0, max_iter=15, random_state=0)
    plain = GaussianHMM(2, **kw).fit(X)
    marg = GaussianHMM(2, missing="marginalize", **kw).fit(X)
    np.testing.assert_allclose(marg.log_likelihood_history_, plain.log_likelihood_history_,
                               rtol=1e-12)
    np.testing.assert_allclose(marg.means_, plain.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(marg.covariances_, plain.covariances_, rtol=1e-10)


def _simulated(seed, n=400, hole=0.2):
    """A 2-state sequence with correlated coordinates, its complete copy, and holes."""
    rng = np.random.default_rng(seed)
    truth = GaussianHMM(2, covariance_type="full", max_iter=0, startprob_init=[0.5, 0.5],
                        transmat_init=[[0.95, 0.05], [0.05, 0.95]],
                        means_init=[[0.0, 0.0, 0.0], [3.0, 3.0, -3.0]],
                        covariances_init=np.stack([[[1.0, 0.8, 0.0], [0.8, 1.0, 0.3],
                                                    [0.0, 0.3, 1.0]]] * 2))
    X, _ = truth.fit(np.zeros((2, 3))).sample(n, random_state=rng)
    holed = X.copy()
    holed[rng.random(X.shape) < hole] = np.nan
    holed[rng.choice(n, 10, replace=False)] = np.nan
    return X, holed


@pytest.mark.parametrize("cov_type", TYPES)
def test_em_with_holes_never_decreases_the_observed_log_likelihood(cov_type):
    _, X = _simulated(4, n=300)
    hmm = GaussianHMM(2, covariance_type=cov_type, missing="marginalize", tol=0, max_iter=40,
                      init_params="random", random_state=1).fit(X, [100, 200])
    hist = hmm.log_likelihood_history_
    assert hist[-1] > hist[0] + 1.0
    assert np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))
    assert hmm.score(X, [100, 200]) == pytest.approx(hist[-1], rel=1e-9)


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_em_fixed_point_is_stationary_for_the_observed_log_likelihood(cov_type):
    """At convergence no direction of the means or covariances raises ``score`` (the M-step's
    conditional moments are the observed-data likelihood's, not an approximation)."""
    _, X = _simulated(5, n=300)
    hmm = GaussianHMM(2, covariance_type=cov_type, missing="marginalize", tol=1e-12,
                      max_iter=3000, reg_covar=0.0, random_state=0).fit(X)
    assert hmm.converged_
    base = hmm.score(X)
    for name in ("means_", "covariances_"):
        value = getattr(hmm, name)
        for idx in itertools.product(*map(range, value.shape)):
            if cov_type == "full" and name == "covariances_" and idx[1] != idx[2]:
                continue  # an off-diagonal entry moves with its mirror: checked below
            h = 1e-5 * max(1.0, abs(value[idx]))
            grads = []
            for sign in (1, -1):
                moved = value.copy()
                moved[idx] += sign * h
                setattr(hmm, name, moved)
                grads.append(hmm.score(X))
            setattr(hmm, name, value)
            assert (grads[0] - grads[1]) / (2 * h) == pytest.approx(0.0, abs=2e-4), (name, idx)
    if cov_type == "full":
        value = hmm.covariances_.copy()
        h = 1e-5
        scores = []
        for sign in (1, -1):
            moved = value.copy()
            moved[:, 0, 1] += sign * h
            moved[:, 1, 0] += sign * h
            hmm.covariances_ = moved
            scores.append(hmm.score(X))
        hmm.covariances_ = value
        assert (scores[0] - scores[1]) / (2 * h) == pytest.approx(0.0, abs=2e-4)
    assert hmm.score(X) == base


def test_imputation_beats_the_column_mean():
    X, holed = _simulated(6, n=500)
    hidden = np.isnan(holed)
    hmm = GaussianHMM(2, covariance_type="full", missing="marginalize", random_state=0,
                      tol=1e-6, max_iter=200).fit(holed)
    filled = hmm.impute(holed)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[~hidden], holed[~hidden])
    col_mean = np.where(hidden, np.nanmean(holed, axis=0), holed)
    rmse_hmm = np.sqrt(np.mean((filled - X)[hidden] ** 2))
    rmse_mean = np.sqrt(np.mean((col_mean - X)[hidden] ** 2))
    assert rmse_hmm < 0.5 * rmse_mean


def test_impute_of_one_state_is_the_gaussian_regression():
    """With one state, a row's missing entry is ``mu_m + S_mo S_oo^-1 (x_o - mu_o)``."""
    rng = np.random.default_rng(7)
    S = np.array([[2.0, 0.6], [0.6, 1.0]])
    hmm = GaussianHMM(1, covariance_type="full", max_iter=0, means_init=[[1.0, -1.0]],
                      covariances_init=[S], missing="marginalize").fit(np.zeros((2, 2)))
    x0 = rng.normal()
    got = hmm.impute([[x0, np.nan], [np.nan, np.nan]])
    assert got[0, 1] == pytest.approx(-1.0 + 0.6 / 2.0 * (x0 - 1.0), rel=1e-12)
    np.testing.assert_allclose(got[1], [1.0, -1.0], rtol=1e-12)


def test_nan_without_marginalize_is_refused_and_tagged():
    X = np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 0.5]])
    with pytest.raises(ValueError, match="missing='marginalize'"):
        GaussianHMM(1).fit(X)
    assert not GaussianHMM(1).__sklearn_tags__().input_tags.allow_nan
    assert GaussianHMM(1, missing="marginalize").__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match="never observed"):
        GaussianHMM(1, missing="marginalize").fit(np.array([[0.0, np.nan], [1.0, np.nan]]))
    with pytest.raises(ValueError, match="missing"):
        GaussianHMM(1, missing="drop").fit(X)


def test_holes_with_known_states_and_frozen_parameters():
    """Missing entries combine with partly known states and with ``update=``: a known state
    on a step with nothing observed is its posterior; frozen means stay; EM stays monotone."""
    _, X = _simulated(8, n=300)
    empty = np.flatnonzero(np.isnan(X).all(axis=1))
    states = np.full(len(X), -1)
    states[empty[:3]] = [0, 1, 0]
    means = np.array([[0.0, 0.0, 0.0], [3.0, 3.0, -3.0]])
    hmm = GaussianHMM(2, covariance_type="full", missing="marginalize", means_init=means,
                      covariances_init=np.stack([np.eye(3)] * 2), tol=0, max_iter=20,
                      update=("startprob", "transmat", "covariances")).fit(X, states=states)
    assert np.array_equal(hmm.means_, means)
    hist = hmm.log_likelihood_history_
    assert np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))
    post = hmm.predict_proba(X, states=states)
    np.testing.assert_array_equal(post[empty[:3]], np.eye(2)[[0, 1, 0]])
    np.testing.assert_array_equal(hmm.predict(X, states=states)[empty[:3]], [0, 1, 0])
