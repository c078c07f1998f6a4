"""Frozen parameters (``update=``): left-out parameters keep their ``*_init`` bit for bit,
the free ones reach the full fit's values when the frozen ones are set to them, EM stays
monotone, and BIC/AIC count only the free parameters."""

import math

import numpy as np
import pytest

from emcore import CategoricalHMM, GaussianHMM, PoissonHMM

A_TRUE = np.array([[0.9, 0.1], [0.2, 0.8]])


def _gaussian_data(cov_type="diag"):
    truth = GaussianHMM(2, covariance_type="full", max_iter=0, startprob_init=[0.6, 0.4],
                        transmat_init=A_TRUE, means_init=[[0.0, 0.0], [2.5, 1.5]],
                        covariances_init=[[[1.0, 0.3], [0.3, 1.0]], [[0.5, 0.0], [0.0, 2.0]]])
    return truth.fit(np.zeros((2, 2))).sample(600, random_state=0)[0]


def _perturbed(hmm, rng, scale=0.1):
    """The fitted parameters of ``hmm``, moved a little (a start near them)."""
    pi = hmm.startprob_ * rng.uniform(0.8, 1.2, hmm.n_components)
    a = hmm.transmat_ * rng.uniform(0.8, 1.2, hmm.transmat_.shape)
    return pi / pi.sum(), a / a.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("cov_type", ["diag", "full", "tied", "spherical"])
@pytest.mark.parametrize("frozen", ["startprob", "transmat", "means", "covariances"])
def test_gaussian_frozen_parameter_kept_and_free_ones_reach_the_full_fit(cov_type, frozen):
    X = _gaussian_data()
    full = GaussianHMM(2, covariance_type=cov_type, tol=1e-12, max_iter=5000,
                       random_state=0).fit(X, [300, 300])
    assert full.converged_
    rng = np.random.default_rng(1)
    pi, a = _perturbed(full, rng)
    inits = dict(startprob_init=pi, transmat_init=a, means_init=full.means_ + 0.2,
                 covariances_init=full.covariances_ * 1.3)
    name = {"startprob": "startprob_", "transmat": "transmat_", "means": "means_",
            "covariances": "covariances_"}[frozen]
    inits[frozen + "_init"] = getattr(full, name)  # the frozen parameter known: the full fit's
    update = [p for p in GaussianHMM._update_names if p != frozen]
    fit = GaussianHMM(2, covariance_type=cov_type, tol=1e-12, max_iter=5000, update=update,
                      **inits).fit(X, [300, 300])
    assert fit.converged_
    hist = fit.log_likelihood_history_
    assert np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))
    np.testing.assert_array_equal(getattr(fit, name), inits[frozen + "_init"])
    for other in ("startprob_", "transmat_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(fit, other), getattr(full, other), rtol=2e-5,
                                   atol=2e-6, err_msg=other)


def test_frozen_values_are_unchanged_bit_for_bit_from_a_far_start():
    X = _gaussian_data()
    means = np.array([[0.1234567891, -0.3], [2.0, 1.0]])
    cov = np.array([[0.7, 1.1], [0.9, 1.7]])
    a = np.array([[0.7, 0.3], [1 / 3, 2 / 3]])
    fit = GaussianHMM(2, transmat_init=a, means_init=means, covariances_init=cov, tol=0,
                      max_iter=25, update=("startprob", "covariances")).fit(X)
    assert np.array_equal(fit.transmat_, a) and np.array_equal(fit.means_, means)
    assert not np.allclose(fit.covariances_, cov)
    hist = fit.log_likelihood_history_
    assert hist[-1] > hist[0] and np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))


def test_categorical_and_poisson_frozen_emissions():
    rng = np.random.default_rng(2)
    B = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    truth = CategoricalHMM(2, max_iter=0, startprob_init=[0.5, 0.5], transmat_init=A_TRUE,
                           emissionprob_init=B).fit(np.zeros((2, 1), dtype=int))
    X = truth.sample(800, random_state=rng)[0]
    full = CategoricalHMM(2, tol=1e-12, max_iter=5000, startprob_init=[0.5, 0.5],
                          transmat_init=A_TRUE, emissionprob_init=B).fit(X)
    kw = dict(startprob_init=[0.5, 0.5], transmat_init=[[0.6, 0.4], [0.4, 0.6]],
              emissionprob_init=full.emissionprob_, update=("startprob", "transmat"))
    fit = CategoricalHMM(2, tol=1e-12, max_iter=5000, **kw).fit(X)
    # the start is the init as checked (rows renormalised to sum to 1): kept bit for bit
    start = CategoricalHMM(2, max_iter=0, **kw).fit(X)
    assert np.array_equal(fit.emissionprob_, start.emissionprob_)
    np.testing.assert_allclose(fit.emissionprob_, full.emissionprob_, rtol=1e-15)
    np.testing.assert_allclose(fit.transmat_, full.transmat_, rtol=1e-5)

    lam = np.array([[1.0], [6.0]])
    truth = PoissonHMM(2, max_iter=0, startprob_init=[0.5, 0.5], transmat_init=A_TRUE,
                       lambdas_init=lam).fit(np.zeros((2, 1)))
    X = truth.sample(500, random_state=rng)[0]
    fit = PoissonHMM(2, tol=0, max_iter=30, lambdas_init=lam, update=("startprob", "transmat"),
                     random_state=0).fit(X)
    assert np.array_equal(fit.lambdas_, lam)
    hist = fit.log_likelihood_history_
    assert np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))


def test_bic_and_aic_count_only_the_free_parameters():
    X = _gaussian_data()
    inits = dict(startprob_init=[0.5, 0.5], transmat_init=A_TRUE, means_init=[[0, 0], [2, 1]],
                 covariances_init=[[1.0, 1.0], [1.0, 2.0]], max_iter=0)
    everything = GaussianHMM(2, **inits).fit(X)
    only_start = GaussianHMM(2, update=("startprob",), **inits).fit(X)
    nothing = GaussianHMM(2, update=(), **inits).fit(X)
    assert only_start.score(X) == everything.score(X)
    # K = 2, d = 2, diag: transition 2, means 4, variances 4 frozen; the start's 1 is free
    assert everything.bic(X) - only_start.bic(X) == pytest.approx(10 * math.log(len(X)))
    assert everything.aic(X) - nothing.aic(X) == pytest.approx(2 * 11)
    assert nothing.aic(X) == pytest.approx(-2 * nothing.score(X))


def test_update_errors_name_the_argument():
    X = _gaussian_data()
    with pytest.raises(ValueError, match="transmat_init must be given"):
        GaussianHMM(2, update=("startprob", "means", "covariances")).fit(X)
    with pytest.raises(ValueError, match="update may hold only"):
        GaussianHMM(2, update=("startprob", "emissionprob")).fit(X)
    with pytest.raises(ValueError, match="update must be a collection"):
        GaussianHMM(2, update="stmc").fit(X)
    with pytest.raises(ValueError, match="lambdas_init must be given"):
        PoissonHMM(2, update=("startprob", "transmat")).fit(np.ones((5, 1)))


@pytest.mark.parametrize("cov_type", ["diag", "full"])
def test_one_step_with_one_block_frozen_is_the_conditional_maximiser(cov_type):
    """Means frozen: the covariances are the posterior-weighted scatter about those means;
    covariances frozen: the means are the posterior-weighted means (computed by hand)."""
    X = _gaussian_data()
    cov = np.array([[1.0, 1.5], [0.8, 0.6]])
    if cov_type == "full":
        cov = np.stack([np.diag(c) for c in cov])
    inits = dict(covariance_type=cov_type, startprob_init=[0.5, 0.5], transmat_init=A_TRUE,
                 means_init=np.array([[0.3, -0.2], [2.0, 2.0]]), covariances_init=cov,
                 reg_covar=0.0)
    gamma = GaussianHMM(2, max_iter=0, **inits).fit(X).predict_proba(X)
    n_k = gamma.sum(axis=0)
    step = GaussianHMM(2, max_iter=1, tol=0, update=("covariances",), **inits).fit(X)
    means = inits["means_init"]
    scatter = np.stack([(gamma[:, k, None] * (X - means[k])).T @ (X - means[k]) / n_k[k]
                        for k in range(2)])
    expected = scatter if cov_type == "full" else np.diagonal(scatter, axis1=1, axis2=2)
    np.testing.assert_allclose(step.covariances_, expected, rtol=1e-10)
    step = GaussianHMM(2, max_iter=1, tol=0, update=("means",), **inits).fit(X)
    np.testing.assert_allclose(step.means_, gamma.T @ X / n_k[:, None], rtol=1e-10)
    assert np.array_equal(step.covariances_, inits["covariances_init"])


def test_standard_errors_hold_frozen_parameters_fixed():
    """A frozen parameter has no standard error (NaN); the free ones' come from the
    information of the free block alone, ``inv(H_ff) <= inv(H)_ff``: no larger than
    with everything estimated, and smaller where the frozen block is correlated."""
    X = _gaussian_data()
    full = GaussianHMM(2, covariance_type="full", tol=1e-12, max_iter=5000,
                       random_state=0).fit(X)
    inits = dict(startprob_init=full.startprob_, transmat_init=full.transmat_,
                 means_init=full.means_, covariances_init=full.covariances_)
    frozen = GaussianHMM(2, covariance_type="full", max_iter=0,
                         update=("startprob", "transmat", "means"), **inits).fit(X)
    se_full, se_frozen = full.standard_errors(X), frozen.standard_errors(X)
    assert np.all(np.isnan(se_frozen["covariances_"]))
    assert np.all(np.isfinite(se_frozen["means_"]))
    assert np.all(se_frozen["means_"] <= se_full["means_"] * (1 + 1e-4))
    assert np.any(se_frozen["means_"] < se_full["means_"] * 0.999)
    np.testing.assert_allclose(se_frozen["transmat_"], se_full["transmat_"], rtol=0.5)
