"""From the same start, emcore's HMMs equal hmmlearn's (priors off) over tens of EM iterations."""

import numpy as np
import pytest

hmmlearn = pytest.importorskip("hmmlearn.hmm")

from emcore import CategoricalHMM, GaussianHMM  # noqa: E402

N_ITER = 25
LENGTHS = np.array([150, 60, 240, 1])


def _start(rng, k):
    pi = rng.dirichlet(np.ones(k))
    A = rng.dirichlet(3 * np.ones(k), size=k)
    A[0, -1] = 0.0  # a forbidden transition, kept forbidden by both
    return pi, A / A.sum(axis=1, keepdims=True)


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


def _compact(covariance_type, ref):
    """A fitted hmmlearn model's covariances in emcore's compact shape for the type.

    ``covars_`` is (K, d, d) for every type, but after a spherical fit hmmlearn
    stores its variances as (K, d) equal columns, which ``covars_`` misreads:
    its own ``_covars_`` is used for that type.
    """
    covars = ref.covars_
    return {"full": lambda: covars, "tied": lambda: covars[0],
            "diag": lambda: np.array([np.diag(c) for c in covars]),
            "spherical": lambda: np.reshape(ref._covars_, (len(ref.means_), -1))[:, 0]
            }[covariance_type]()


@pytest.mark.parametrize("covariance_type", ["diag", "full", "tied", "spherical"])
def test_gaussian_hmm_equals_hmmlearn_parameter_by_parameter(covariance_type):
    rng = np.random.default_rng(42)
    k, d, n = 3, 2, int(LENGTHS.sum())
    regimes = np.repeat(rng.integers(k, size=n // 25 + 1), 25)[:n]
    X = rng.normal(size=(n, d)) @ np.array([[1.0, 0.3], [0.0, 0.8]]) + 2.0 * regimes[:, None]
    pi, A = _start(rng, k)
    means = rng.normal(size=(k, d)) * 2
    cov = rng.uniform(0.5, 2.0, size=(k, d))
    cov = {"diag": cov, "full": np.stack([np.diag(c) + 0.2 for c in cov]),
           "tied": np.diag(cov[0]) + 0.2, "spherical": cov[:, 0]}[covariance_type]
    ref = hmmlearn.GaussianHMM(k, covariance_type=covariance_type, n_iter=N_ITER, tol=-np.inf,
                               init_params="", params="stmc", covars_prior=0.0, covars_weight=0.0,
                               means_weight=0.0, startprob_prior=1.0, transmat_prior=1.0)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = pi, A, means, cov
    ref.fit(X, LENGTHS)
    ours = GaussianHMM(k, covariance_type=covariance_type, tol=0, max_iter=N_ITER,
                       startprob_init=pi, transmat_init=A, means_init=means, covariances_init=cov,
                       reg_covar=0.0).fit(X, LENGTHS)
    ref_cov = _compact(covariance_type, ref)
    assert ours.n_iter_ == N_ITER
    assert _rel(ours.startprob_, ref.startprob_) < 1e-8
    assert _rel(ours.transmat_, ref.transmat_) < 1e-8
    assert _rel(ours.means_, ref.means_) < 1e-8
    assert _rel(ours.covariances_, ref_cov) < 1e-8
    assert ours.transmat_[0, -1] == 0.0
    assert ours.score(X, LENGTHS) == pytest.approx(ref.score(X, LENGTHS), rel=1e-10)
    lp, states = ours.decode(X, LENGTHS)
    ref_lp, ref_states = ref.decode(X, LENGTHS)
    assert lp == pytest.approx(ref_lp, rel=1e-10)
    np.testing.assert_array_equal(states, ref_states)
    np.testing.assert_allclose(ours.predict_proba(X, LENGTHS),
                               ref.predict_proba(X, LENGTHS), atol=1e-9)


def test_categorical_hmm_equals_hmmlearn_parameter_by_parameter():
    rng = np.random.default_rng(7)
    k, s, n = 3, 5, int(LENGTHS.sum())
    X = rng.integers(s, size=(n, 1))
    X[100:140] = rng.integers(2, size=(40, 1))  # a stretch of a different regime
    pi, A = _start(rng, k)
    B = rng.dirichlet(np.ones(s), size=k)
    ref = hmmlearn.CategoricalHMM(k, n_features=s, n_iter=N_ITER, tol=-np.inf, init_params="",
                                  params="ste", startprob_prior=1.0, transmat_prior=1.0,
                                  emissionprob_prior=1.0)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    ref.fit(X, LENGTHS)
    ours = CategoricalHMM(k, tol=0, max_iter=N_ITER, startprob_init=pi, transmat_init=A,
                          emissionprob_init=B).fit(X, LENGTHS)
    assert _rel(ours.startprob_, ref.startprob_) < 1e-8
    assert _rel(ours.transmat_, ref.transmat_) < 1e-8
    assert _rel(ours.emissionprob_, ref.emissionprob_) < 1e-8
    assert ours.score(X, LENGTHS) == pytest.approx(ref.score(X, LENGTHS), rel=1e-10)
    # the best path's probability (paths may differ where two paths tie)
    assert ours.decode(X, LENGTHS)[0] == pytest.approx(ref.decode(X, LENGTHS)[0], rel=1e-10)


def test_poisson_hmm_equals_hmmlearn_parameter_by_parameter():
    from emcore import PoissonHMM

    rng = np.random.default_rng(9)
    k, d, n = 3, 2, int(LENGTHS.sum())
    rates = np.array([[1.0, 6.0], [4.0, 0.5], [9.0, 3.0]])
    regimes = np.repeat(rng.integers(k, size=n // 25 + 1), 25)[:n]
    X = rng.poisson(rates[regimes]).astype(float)
    pi, A = _start(rng, k)
    start = rng.uniform(0.5, 8.0, size=(k, d))
    ref = hmmlearn.PoissonHMM(k, n_iter=N_ITER, tol=-np.inf, init_params="", params="stl",
                              lambdas_prior=0.0, lambdas_weight=0.0, startprob_prior=1.0,
                              transmat_prior=1.0)
    ref.startprob_, ref.transmat_, ref.lambdas_ = pi, A, start
    ref.fit(X.astype(int), LENGTHS)
    ours = PoissonHMM(k, tol=0, max_iter=N_ITER, startprob_init=pi, transmat_init=A,
                      lambdas_init=start).fit(X, LENGTHS)
    assert ours.n_iter_ == N_ITER
    assert _rel(ours.startprob_, ref.startprob_) < 1e-8
    assert _rel(ours.transmat_, ref.transmat_) < 1e-8
    assert _rel(ours.lambdas_, ref.lambdas_) < 1e-8
    assert ours.transmat_[0, -1] == 0.0
    assert ours.score(X, LENGTHS) == pytest.approx(ref.score(X.astype(int), LENGTHS), rel=1e-10)
    assert ours.decode(X, LENGTHS)[0] == pytest.approx(ref.decode(X.astype(int), LENGTHS)[0],
                                                       rel=1e-10)
