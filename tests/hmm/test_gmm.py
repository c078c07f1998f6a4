"""GMMHMM: hmmlearn's GMMHMM from the same start (its priors set to maximum likelihood: its
covariance step then differs from EM's only in centring on the previous means), GaussianHMM
when n_mix=1, brute-force enumeration of paths and components, the two-layer
E-step by hand, frozen blocks, and its errors."""

import itertools

import numpy as np
import pytest

from emcore import GMMHMM, GaussianHMM, PoissonHMM
from emcore.hmm import DegenerateStateError

N_ITER = 20
LENGTHS = np.array([150, 60, 240, 1])


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


def _data(rng, k=3, d=2):
    n = int(LENGTHS.sum())
    regimes = np.repeat(rng.integers(k, size=n // 25 + 1), 25)[:n]
    bump = rng.integers(2, size=n)  # a second component within each regime
    X = rng.normal(size=(n, d)) + 3.0 * regimes[:, None] + 1.5 * bump[:, None] * [1.0, -1.0][:d]
    return X


def _start(rng, k, m, d, cov_type):
    pi = rng.dirichlet(np.ones(k))
    A = rng.dirichlet(3 * np.ones(k), size=k)
    A[0, -1] = 0.0
    A /= A.sum(axis=1, keepdims=True)
    w = rng.dirichlet(2 * np.ones(m), size=k)
    means = 3.0 * np.arange(k)[:, None, None] + rng.normal(size=(k, m, d))
    var = rng.uniform(0.6, 1.6, size=(k, m, d))
    cov = {"diag": var, "full": np.stack([[np.diag(v) + 0.1 for v in vk] for vk in var]),
           "spherical": var[:, :, 0], "tied": np.stack([np.diag(vk[0]) + 0.1 for vk in var])}
    return pi, A, w, means, cov[cov_type]


def _hmmlearn_gmm(X, k, m, cov_type, start, n_iter):
    """hmmlearn's GMMHMM fitted from ``start``, its priors set to maximum likelihood (issue 34).

    Its set-up always runs scikit-learn's k-means (even with ``init_params=""``), whose
    threads crawl on a loaded machine: one thread.
    """
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    from threadpoolctl import threadpool_limits

    d = X.shape[1]
    priors = ({"covars_prior": -1.5, "covars_weight": 0.0} if cov_type == "diag"
              else {"covars_prior": 0.0, "covars_weight": -(d + 2.0)})
    ref = hmmlearn.GMMHMM(k, n_mix=m, covariance_type=cov_type, n_iter=n_iter, tol=-np.inf,
                          init_params="", params="stmcw", weights_prior=1.0, means_weight=0.0,
                          startprob_prior=1.0, transmat_prior=1.0, **priors)
    ref.startprob_, ref.transmat_, ref.weights_, ref.means_, ref.covars_ = start
    with threadpool_limits(1):
        return ref.fit(X, LENGTHS)


def _ours(k, m, cov_type, start, **kw):
    pi, A, w, means, cov = start
    return GMMHMM(k, n_mix=m, covariance_type=cov_type, tol=0, startprob_init=pi,
                  transmat_init=A, weights_init=w, means_init=means, covariances_init=cov,
                  reg_covar=0.0, **kw)


NAMES = ("startprob_", "transmat_", "weights_", "means_", "covariances_")


@pytest.mark.parametrize("cov_type", ["diag", "full"])
def test_gmm_hmm_iterations_equal_hmmlearns_whose_covariances_use_the_previous_means(cov_type):
    """hmmlearn's GMMHMM M-step takes the covariances as the scatter about the *current*
    means (its statistics are centred before the means move), i.e. our step with the means
    held (``update`` without ``"means"``), and the rest as EM's. Composed so, our E-step and
    M-steps equal its iterations to 1e-8 over tens of iterations from the same start."""
    rng = np.random.default_rng(3)
    k, m, d = 3, 2, 2
    X = _data(rng, k, d)
    start = _start(rng, k, m, d, cov_type)
    ref = _hmmlearn_gmm(X, k, m, cov_type, start, N_ITER)
    theta = start
    for _ in range(N_ITER):
        step = _ours(k, m, cov_type, theta, max_iter=1).fit(X, LENGTHS)
        held = _ours(k, m, cov_type, theta, max_iter=1,
                     update=("startprob", "transmat", "weights", "covariances")).fit(X, LENGTHS)
        theta = (step.startprob_, step.transmat_, step.weights_, step.means_, held.covariances_)
    theirs = (ref.startprob_, ref.transmat_, ref.weights_, ref.means_, ref.covars_)
    for name, a, b in zip(NAMES, theta, theirs):
        assert _rel(a, b) < 1e-8, name
    assert theta[1][0, -1] == 0.0


@pytest.mark.parametrize("cov_type", ["diag", "full"])
def test_gmm_hmm_scores_decodes_and_smooths_as_hmmlearn(cov_type):
    """From the same parameters the E-step (score, posteriors, Viterbi) is hmmlearn's. (At a
    fixed point the means do not move, so there its covariance step is EM's: the two
    iterations share their fixed points.)"""
    rng = np.random.default_rng(3)
    k, m, d = 3, 2, 2
    X = _data(rng, k, d)
    start = _start(rng, k, m, d, cov_type)
    ref = _hmmlearn_gmm(X, k, m, cov_type, start, 3)
    same = _ours(k, m, cov_type, (ref.startprob_, ref.transmat_, ref.weights_, ref.means_,
                                  ref.covars_), max_iter=0).fit(X, LENGTHS)
    assert same.score(X, LENGTHS) == pytest.approx(ref.score(X, LENGTHS), rel=1e-12)
    assert same.decode(X, LENGTHS)[0] == pytest.approx(ref.decode(X, LENGTHS)[0], rel=1e-12)
    np.testing.assert_allclose(same.predict_proba(X, LENGTHS), ref.predict_proba(X, LENGTHS),
                               atol=1e-10)


@pytest.mark.parametrize("cov_type", ["diag", "full", "tied", "spherical"])
def test_one_component_per_state_is_the_gaussian_hmm(cov_type):
    """With n_mix=1; GMMHMM's "tied" shares a matrix among a state's components, so with
    one component it is GaussianHMM's "full" (one matrix per state)."""
    rng = np.random.default_rng(5)
    X = _data(rng)
    pi, A, w, means, cov = _start(rng, 3, 1, 2, cov_type)
    kw = dict(tol=0, max_iter=20, startprob_init=pi, transmat_init=A, reg_covar=1e-6)
    gmm = GMMHMM(3, n_mix=1, covariance_type=cov_type, weights_init=w, means_init=means,
                 covariances_init=cov, **kw).fit(X, LENGTHS)
    plain = GaussianHMM(3, covariance_type="full" if cov_type == "tied" else cov_type,
                        means_init=means[:, 0], covariances_init=cov if cov_type == "tied"
                        else cov[:, 0], **kw).fit(X, LENGTHS)
    np.testing.assert_allclose(gmm.log_likelihood_history_, plain.log_likelihood_history_,
                               rtol=1e-12)
    np.testing.assert_allclose(gmm.transmat_, plain.transmat_, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(gmm.means_[:, 0], plain.means_, rtol=1e-9)
    np.testing.assert_allclose(np.reshape(gmm.covariances_, np.shape(plain.covariances_)),
                               plain.covariances_, rtol=1e-9)
    np.testing.assert_array_equal(gmm.weights_, 1.0)


def _brute_force(X, pi, A, w, means, cov_full):
    """``log p(X)`` by summing over every path of states and every choice of components."""
    from scipy.stats import multivariate_normal

    k, m = w.shape
    dens = np.array([[[multivariate_normal(means[j, c], cov_full[j, c]).pdf(x) for c in range(m)]
                      for j in range(k)] for x in X])  # (n, K, M)
    total = 0.0
    for path in itertools.product(range(k), repeat=len(X)):
        for comps in itertools.product(range(m), repeat=len(X)):
            p = pi[path[0]]
            for t, (z, c) in enumerate(zip(path, comps)):
                if t:
                    p *= A[path[t - 1], z]
                p *= w[z, c] * dens[t, z, c]
            total += p
    return np.log(total)


@pytest.mark.parametrize("cov_type", ["diag", "full", "tied", "spherical"])
def test_score_is_the_sum_over_all_paths_and_components(cov_type):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(5, 2)) * 2
    pi, A, w, means, cov = _start(rng, 2, 2, 2, cov_type)
    hmm = GMMHMM(2, n_mix=2, covariance_type=cov_type, max_iter=0, startprob_init=pi,
                 transmat_init=A, weights_init=w, means_init=means,
                 covariances_init=cov).fit(X)
    full = {"diag": lambda: np.stack([[np.diag(v) for v in vk] for vk in cov]),
            "full": lambda: cov, "spherical": lambda: cov[:, :, None, None] * np.eye(2),
            "tied": lambda: np.repeat(cov[:, None], 2, axis=1)}[cov_type]()
    assert hmm.score(X) == pytest.approx(_brute_force(X, pi, A, w, means, full), rel=1e-12)


def test_one_step_is_the_two_layer_e_step_then_weighted_estimates_by_hand():
    """gamma_nk from forward-backward, r_nkm = gamma_nk w_km N_km / sum_m w_km N_km,
    then weights, means and (diagonal) variances weighted by r."""
    from scipy.stats import norm

    rng = np.random.default_rng(2)
    X = _data(rng, 2, 1)[:200]
    pi, A, w, means, cov = _start(rng, 2, 3, 1, "diag")
    kw = dict(startprob_init=pi, transmat_init=A, weights_init=w, means_init=means,
              covariances_init=cov, reg_covar=0.0)
    gamma = GMMHMM(2, n_mix=3, max_iter=0, **kw).fit(X).predict_proba(X)
    dens = w[None] * norm.pdf(X[:, 0, None, None], means[None, :, :, 0],
                              np.sqrt(cov[None, :, :, 0]))
    r = gamma[:, :, None] * dens / dens.sum(axis=2, keepdims=True)
    n_km = r.sum(axis=0)
    mu = np.einsum("nkm,n->km", r, X[:, 0]) / n_km
    var = np.einsum("nkm,nkm->km", r, (X[:, 0, None, None] - mu) ** 2) / n_km
    step = GMMHMM(2, n_mix=3, max_iter=1, tol=0, **kw).fit(X)
    np.testing.assert_allclose(step.weights_, n_km / gamma.sum(axis=0)[:, None], rtol=1e-10)
    np.testing.assert_allclose(step.means_[:, :, 0], mu, rtol=1e-10)
    np.testing.assert_allclose(step.covariances_[:, :, 0], var, rtol=1e-9)


@pytest.mark.parametrize("cov_type", ["diag", "full", "tied", "spherical"])
def test_em_is_monotone_and_frozen_blocks_are_kept_bit_for_bit(cov_type):
    rng = np.random.default_rng(4)
    X = _data(rng)
    pi, A, w, means, cov = _start(rng, 3, 2, 2, cov_type)
    kw = dict(covariance_type=cov_type, tol=0, max_iter=15, startprob_init=pi,
              transmat_init=A, weights_init=w, means_init=means, covariances_init=cov)
    begin = GMMHMM(3, n_mix=2, **{**kw, "max_iter": 0}).fit(X, LENGTHS)  # the start as checked
    for update in [None, ("startprob", "transmat", "means", "covariances"),
                   ("weights", "covariances"), ("weights", "means")]:
        fit = GMMHMM(3, n_mix=2, update=update, **kw).fit(X, LENGTHS)
        hist = fit.log_likelihood_history_
        assert hist[-1] > hist[0] and np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))
        frozen = set(GMMHMM._update_names) - set(update or GMMHMM._update_names)
        for name in ("weights", "means", "covariances"):
            start = getattr(begin, name + "_")
            if name in frozen:
                assert np.array_equal(getattr(fit, name + "_"), start), (update, name)
            else:
                assert not np.allclose(getattr(fit, name + "_"), start), (update, name)


def test_default_start_recovers_the_components_and_sampling_follows_the_weights():
    truth = GMMHMM(2, n_mix=2, max_iter=0, startprob_init=[1.0, 0.0],
                   transmat_init=[[0.95, 0.05], [0.05, 0.95]],
                   weights_init=[[0.3, 0.7], [0.5, 0.5]],
                   means_init=[[[-4.0], [-1.0]], [[3.0], [8.0]]],
                   covariances_init=[[[1.0], [1.0]], [[1.0], [1.0]]]).fit(np.zeros((2, 1)))
    X, states = truth.sample(4000, random_state=1)
    first = X[states == 0, 0]
    assert np.mean(first > -2.5) == pytest.approx(0.7, abs=0.03)
    fit = GMMHMM(2, n_mix=2, tol=1e-8, max_iter=500, n_init=2, random_state=0).fit(X)
    order = np.argsort(fit.means_.mean(axis=(1, 2)))
    means = np.sort(fit.means_[order][:, :, 0], axis=1)
    np.testing.assert_allclose(means, [[-4, -1], [3, 8]], atol=0.15)
    assert np.mean(order[fit.predict(X)] == states) > 0.95


@pytest.mark.parametrize("kwargs, match", [
    ({"weights_init": [[0.5, 0.6], [0.5, 0.5]], "means_init": np.zeros((2, 2, 1)),
      "covariances_init": np.ones((2, 2, 1))}, "weights_init"),
    ({"weights_init": np.full((2, 2), 0.5)}, "given together"),
    ({"weights_init": np.full((2, 2), 0.5), "means_init": np.zeros((2, 3, 1)),
      "covariances_init": np.ones((2, 2, 1))}, "means_init must have shape"),
    ({"weights_init": np.full((2, 2), 0.5), "means_init": np.zeros((2, 2, 1)),
      "covariances_init": -np.ones((2, 2, 1))}, "covariances_init"),
    ({"n_mix": 0}, "n_mix"),
    ({"update": ("weights", "transmat")}, "startprob_init must be given"),
])
def test_bad_arguments_raise_naming_them(kwargs, match):
    X = np.random.default_rng(0).normal(size=(30, 1))
    with pytest.raises(ValueError, match=match):
        GMMHMM(2, **{"n_mix": 2, **kwargs}).fit(X)


def test_an_empty_component_is_named_with_its_state():
    X = np.r_[np.zeros(10), np.ones(10)][:, None] + 1e-3 * np.arange(20)[:, None]
    hmm = GMMHMM(1, n_mix=2, max_iter=5, reg_covar=0.0, weights_init=[[1.0, 0.0]],
                 means_init=[[[0.5], [1e6]]], covariances_init=[[[1.0], [1.0]]])
    with pytest.raises(DegenerateStateError, match="state 0's mixture component 1"):
        hmm.fit(X)



@pytest.mark.parametrize("make", [lambda: PoissonHMM(2, random_state=0),
                                  lambda: GMMHMM(2, n_mix=2, random_state=0)])
@pytest.mark.parametrize("change, kwargs, match", [
    (None, {"states": np.array([0, 2] + [-1] * 10)}, "a state 0..1"),
    (None, {"lengths": [5, 5]}, "lengths"),
    ("nan", {}, "NaN"),
])
def test_new_emissions_refuse_bad_input_naming_it(make, change, kwargs, match):
    X = np.random.default_rng(0).poisson(4.0, size=(12, 2)).astype(float)
    if change == "nan":
        X[3, 1] = np.nan
    with pytest.raises(ValueError, match=match):
        make().fit(X, **kwargs)
