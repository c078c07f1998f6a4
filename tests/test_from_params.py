"""``from_params``: a model of given parameters, without data, equals a ``max_iter=0`` fit."""

import itertools

import numpy as np
import pytest

from emcore import CategoricalHMM, GaussianHMM, GaussianMixture, PoissonHMM

RNG = np.random.default_rng(7)
X2 = RNG.normal(size=(40, 2)) * [1.0, 2.0] + [0.5, -1.0]
WEIGHTS = np.array([0.3, 0.7])
MEANS = np.array([[0.0, -1.0], [1.0, 1.0]])
FULL = np.array([[[1.0, 0.3], [0.3, 2.0]], [[0.5, -0.1], [-0.1, 1.5]]])
COVARIANCES = {"full": FULL, "tied": FULL[0], "diag": np.array([[1.0, 2.0], [0.5, 1.5]]),
               "spherical": np.array([1.0, 0.5]), "VVV": FULL,
               "EII": np.stack([0.8 * np.eye(2)] * 2)}


def _precisions(cov_type, cov):
    return np.linalg.inv(cov) if np.ndim(cov) >= 2 and cov_type != "diag" else 1.0 / cov


@pytest.mark.parametrize("cov_type", sorted(COVARIANCES))
def test_mixture_equals_a_max_iter_0_fit(cov_type):
    cov = COVARIANCES[cov_type]
    est = GaussianMixture.from_params(weights=WEIGHTS, means=MEANS, covariances=cov,
                                      covariance_type=cov_type, random_state=0)
    ref = GaussianMixture(2, covariance_type=cov_type, max_iter=0, weights_init=WEIGHTS,
                          means_init=MEANS, precisions_init=_precisions(cov_type, cov)).fit(X2)
    np.testing.assert_allclose(est.score_samples(X2), ref.score_samples(X2), rtol=1e-12)
    np.testing.assert_allclose(est.predict_proba(X2), ref.predict_proba(X2), atol=1e-12)
    assert np.array_equal(est.predict(X2), ref.predict(X2))
    np.testing.assert_allclose(est.covariances_, cov, rtol=1e-12)
    assert est.n_features_in_ == 2 and est.max_iter == 100
    assert not hasattr(est, "converged_") and not hasattr(est, "lower_bound_")
    samples, labels = est.sample(5)
    assert samples.shape == (5, 2) and labels.shape == (5,)


def test_mixture_density_is_the_weighted_normal_densities():
    """The oracle: scipy's normal densities, weighted (full covariances)."""
    from scipy.stats import multivariate_normal

    est = GaussianMixture.from_params(weights=WEIGHTS, means=MEANS, covariances=FULL)
    dens = sum(w * multivariate_normal(m, c).pdf(X2) for w, m, c in zip(WEIGHTS, MEANS, FULL))
    np.testing.assert_allclose(est.score_samples(X2), np.log(dens), rtol=1e-12)
    np.testing.assert_allclose(est.score(X2), np.log(dens).mean(), rtol=1e-12)


def test_mixture_precisions_may_be_given_instead():
    est = GaussianMixture.from_params(weights=WEIGHTS, means=MEANS,
                                      precisions=np.linalg.inv(FULL))
    np.testing.assert_allclose(est.covariances_, FULL, rtol=1e-12)


HMM_CASES = {
    "gaussian": (GaussianHMM, dict(startprob=[0.6, 0.4], transmat=[[0.9, 0.1], [0.2, 0.8]],
                                   means=[[0.0], [3.0]], covariances=[[1.0], [2.0]]),
                 RNG.normal(size=(30, 1)) * 2),
    "gaussian_full": (GaussianHMM, dict(startprob=[0.6, 0.4],
                                        transmat=[[0.9, 0.1], [0.2, 0.8]], means=MEANS,
                                        covariances=FULL, covariance_type="full"), X2),
    "categorical": (CategoricalHMM, dict(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.3, 0.7]],
                                         emissionprob=[[0.6, 0.4, 0.0], [0.1, 0.3, 0.6]]),
                    RNG.integers(0, 3, size=(30, 1))),
    "poisson": (PoissonHMM, dict(startprob=[1.0, 0.0], transmat=[[0.95, 0.05], [0.1, 0.9]],
                                 lambdas=[[2.0], [12.0]]), RNG.poisson(5.0, size=(30, 1))),
}


@pytest.mark.parametrize("case", sorted(HMM_CASES))
def test_hmm_equals_a_max_iter_0_fit(case):
    cls, params, X = HMM_CASES[case]
    est = cls.from_params(**params, random_state=0)
    inits = {(k if k == "covariance_type" else k + "_init"): v for k, v in params.items()}
    ref = cls(2, max_iter=0, **inits).fit(X)
    lengths = [10, 20] if len(X) == 30 else [15, 25]
    np.testing.assert_allclose(est.score(X, lengths), ref.score(X, lengths), rtol=1e-12)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    assert np.array_equal(est.decode(X)[1], ref.decode(X)[1])
    assert np.array_equal(est.predict(X), ref.predict(X))
    assert est.n_features_in_ == X.shape[1] and est.max_iter == 100
    assert not hasattr(est, "converged_") and not hasattr(est, "log_likelihood_history_")
    samples, states = est.sample(6)
    assert samples.shape == (6, X.shape[1]) and states.shape == (6,)


def test_categorical_hmm_score_is_the_sum_over_state_paths():
    """The oracle: log p(x) summed over all 2**4 state paths by brute force."""
    pi, a = np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.3, 0.7]])
    b = np.array([[0.6, 0.4, 0.0], [0.1, 0.3, 0.6]])
    x = np.array([0, 2, 1, 1])
    total = sum(pi[s[0]] * b[s[0], x[0]]
                * np.prod([a[s[t - 1], s[t]] * b[s[t], x[t]] for t in range(1, 4)])
                for s in itertools.product(range(2), repeat=4))
    est = CategoricalHMM.from_params(startprob=pi, transmat=a, emissionprob=b)
    assert est.n_symbols_ == 3
    np.testing.assert_allclose(est.score(x[:, None]), np.log(total), rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.2], [0.2, 0.8]],
                                     means=[[0.0], [1.0]], covariances=[[1.0], [1.0]]),
     r"^transmat\b"),
    (lambda: PoissonHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
                                    lambdas=[[-1.0], [1.0]]), r"^lambdas\b"),
    (lambda: CategoricalHMM.from_params(startprob=[0.5, 0.6], transmat=np.eye(2),
                                        emissionprob=[[0.5, 0.5], [0.5, 0.5]]), r"^startprob\b"),
    (lambda: GaussianMixture.from_params(weights=[0.5, 0.6], means=MEANS, covariances=FULL),
     r"^weights\b"),
    (lambda: GaussianMixture.from_params(weights=WEIGHTS, means=MEANS[:, :1], covariances=FULL),
     r"^covariances\b"),
    (lambda: GaussianMixture.from_params(weights=WEIGHTS, means=MEANS,
                                         covariances=[[[1.0, 2.0], [2.0, 1.0]]] * 2),
     r"^covariances must be positive definite"),
    (lambda: GaussianMixture.from_params(weights=WEIGHTS, means=MEANS, covariances=[1.0, -1.0],
                                         covariance_type="spherical"), r"^covariances\b"),
    (lambda: GaussianMixture.from_params(weights=WEIGHTS, means=MEANS,
                                         covariances=[[[1.0, 0.5], [0.0, 1.0]]] * 2),
     r"^covariances must hold symmetric"),
])
def test_bad_parameters_are_named_as_given(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_missing_or_init_named_parameters_are_a_type_error():
    with pytest.raises(TypeError, match="missing: covariances"):
        GaussianHMM.from_params(startprob=[1.0], transmat=[[1.0]], means=[[0.0]])
    with pytest.raises(TypeError, match="not means_init"):
        GaussianMixture.from_params(weights=[1.0], means_init=[[0.0]], covariances=[[[1.0]]])
    with pytest.raises(TypeError, match="once"):
        GaussianMixture.from_params(weights=[1.0], means=[[0.0]], covariances=[[[1.0]]],
                                    precisions=[[[1.0]]])
