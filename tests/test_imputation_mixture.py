"""Multiple imputation by data augmentation for the Gaussian mixture with missing values:
its I-step against the mixture's own E-step, its P-step against the conjugate posterior."""

import numpy as np
import pytest

from emcore import GaussianMixture, multiple_imputation
from emcore.imputation._samplers import MixtureSampler
from emcore.mixture import MixturePrior


def two_clusters(n, missing, seed, gap=3.0):
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.4
    X = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]], size=n)
    X[labels] += gap
    X[rng.random(n) < missing, 1] = np.nan
    return X


def test_i_step_draws_labels_and_entries_from_the_mixture_posterior():
    X = two_clusters(60, 0.4, seed=1, gap=1.5)  # overlapping: responsibilities not 0 or 1
    gm = GaussianMixture(2, missing="marginalize", random_state=0).fit(X)
    sampler = MixtureSampler(X, gm)
    theta = (gm.weights_, gm.means_, gm.covariances_)
    rng = np.random.default_rng(3)
    n_draws = 2000
    labels = np.zeros((60, 2))
    total, squares = np.zeros_like(X), np.zeros_like(X)
    for _ in range(n_draws):
        draw = sampler.impute(theta, rng)
        total += draw
        squares += draw**2
        labels[np.arange(60), sampler.labels] += 1
    proba = gm.predict_proba(X)
    assert 0.2 < proba[:, 0].mean() < 0.8
    assert np.all(np.abs(labels / n_draws - proba) < 5 * np.sqrt(0.25 / n_draws))
    holes = np.isnan(X)
    expected = gm.impute(X)  # E[x_m | x_o] under the mixture, by its own E-step
    mean = total / n_draws
    se = np.sqrt(np.clip(squares / n_draws - mean**2, 0, None) / n_draws)
    assert np.all(np.abs(mean[holes] - expected[holes]) < 5 * se[holes])
    assert np.all(total[~holes] / n_draws == pytest.approx(X[~holes]))


def test_p_step_draws_have_the_conjugate_posterior_means():
    X = two_clusters(80, 0.0, seed=2)
    prior = MixturePrior(mean=[1.0, 1.0], mean_precision=0.5, degrees_of_freedom=5.0,
                         scale=2.0, weight_concentration=2.0)
    sampler = MixtureSampler(X, GaussianMixture(2, prior=prior))
    sampler.labels = (X[:, 0] + X[:, 1] > 3).astype(int)
    rng = np.random.default_rng(4)
    draws = [sampler.draw_params(X, rng) for _ in range(4000)]
    weights = np.array([d[0] for d in draws])
    means = np.array([d[1] for d in draws])
    covs = np.array([d[2] for d in draws])
    counts = np.bincount(sampler.labels)
    assert np.allclose(weights.mean(axis=0), (counts + 2) / (80 + 4), atol=0.005)
    for k in range(2):
        part = X[sampler.labels == k]
        n, xbar = len(part), part.mean(axis=0)
        # Gelman et al. (2013), sec. 3.6: the normal-inverse-Wishart update
        kappa_n, nu_n = 0.5 + n, 5.0 + n
        mean_n = (0.5 * np.ones(2) + n * xbar) / kappa_n
        psi_n = (2.0 * np.eye(2) + (n - 1) * np.cov(part.T)
                 + 0.5 * n / kappa_n * np.outer(xbar - 1, xbar - 1))
        assert np.allclose(means[:, k].mean(axis=0), mean_n, atol=0.02)
        assert np.allclose(covs[:, k].mean(axis=0), psi_n / (nu_n - 3), rtol=0.03, atol=0.01)


def test_pooled_mean_agrees_with_the_map_em_fit():
    X = two_clusters(200, 0.3, seed=5)
    result = multiple_imputation(GaussianMixture(2, random_state=0), X, m=40, n_burn=30,
                                 n_between=5, random_state=6)
    weights, means, covs = result.start
    pooled = result.pool(lambda Y: (Y.mean(axis=0), Y.var(axis=0, ddof=1) / len(Y)))
    # the prior's kappa = 0.01 moves the MAP means slightly off the data's (1e-4 here)
    assert np.all(np.abs(pooled.estimate - weights @ means)
                  < 4 * np.sqrt(pooled.between / 40) + 1e-4)
    assert pooled.fmi[0] < 0.05 < pooled.fmi[1] < 0.6
    assert result.weights.shape == (40, 2) and result.means.shape == (40, 2, 2)
    assert result.covariances.shape == (40, 2, 2, 2)
    assert np.all(result.imputations[:, ~np.isnan(X)] == X[~np.isnan(X)])
    again = multiple_imputation(GaussianMixture(2, random_state=0), X, m=40, n_burn=30,
                                n_between=5, random_state=6)
    assert np.array_equal(result.imputations, again.imputations)


def test_only_full_covariances_are_supported():
    X = two_clusters(50, 0.2, seed=7)
    with pytest.raises(ValueError, match="covariance_type='full'"):
        multiple_imputation(GaussianMixture(2, covariance_type="diag"), X, m=2)
