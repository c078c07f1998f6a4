"""PPCA: EM against the closed-form MLE of Tipping & Bishop (1999), monotonicity, input checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from emcore import run_em
from emcore.models import PPCA, PPCAParams


def data(seed=0, n=150, d=5, m=2, noise=0.5):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, m)) * 2.0
    return rng.normal(size=(n, m)) @ W.T + noise * rng.normal(size=(n, d)) + rng.normal(size=d)


def fitted(X, m, seed=0):
    model = PPCA(X, m)
    run = run_em(model, model.initial_params(seed), tol=1e-13, max_iter=20_000, stop="loglik")
    return model, run


def test_log_likelihood_is_the_multivariate_normal_density():
    X = data()
    model = PPCA(X, 2)
    theta = model.initial_params(3)
    theta = PPCAParams(mean=theta.mean + 0.1, W=theta.W, sigma2=0.7)
    expected = stats.multivariate_normal(theta.mean, model.covariance(theta)).logpdf(X).sum()
    assert model.log_likelihood(theta) == pytest.approx(expected, rel=1e-12)


def test_mle_has_the_largest_log_likelihood_among_perturbations():
    model = PPCA(data(), 2)
    best = model.mle()
    rng = np.random.default_rng(1)
    for _ in range(20):
        other = PPCAParams(best.mean + 0.01 * rng.normal(size=5),
                           best.W + 0.01 * rng.normal(size=(5, 2)),
                           best.sigma2 * np.exp(0.01 * rng.normal()))
        assert model.log_likelihood(other) < model.log_likelihood(best)


def test_mle_sigma2_is_the_mean_discarded_eigenvalue_of_sklearn_pca():
    from sklearn.decomposition import PCA

    X = data()
    pca = PCA(n_components=2).fit(X)
    # sklearn's noise_variance_ uses divisor N - 1; the MLE uses N.
    n = X.shape[0]
    assert PPCA(X, 2).mle().sigma2 == pytest.approx(pca.noise_variance_ * (n - 1) / n, rel=1e-10)


def test_em_reaches_the_closed_form_log_likelihood():
    model, run = fitted(data(), 2)
    assert run.log_likelihood == pytest.approx(model.log_likelihood(model.mle()), abs=1e-7)


def test_em_finds_the_closed_form_subspace_and_noise_variance():
    model, run = fitted(data(), 2)
    best = model.mle()
    # W is identified only up to rotation: compare W W^T.
    assert np.allclose(run.theta.W @ run.theta.W.T, best.W @ best.W.T, atol=1e-5)
    assert run.theta.sigma2 == pytest.approx(best.sigma2, rel=1e-6)
    assert np.allclose(run.theta.mean, data().mean(axis=0))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 3))
def test_log_likelihood_never_decreases_along_em(seed, m):
    X = data(seed, n=40, d=4, m=2)
    model = PPCA(X, m)
    start = model.initial_params(seed)
    start = PPCAParams(start.mean + 1.0, start.W, start.sigma2)     # off the sample mean too
    history = run_em(model, start, tol=1e-10, max_iter=200, stop="loglik").log_likelihood_history
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


def test_latent_posterior_matches_the_gaussian_conditional():
    X = data(n=10)
    model = PPCA(X, 2)
    theta = model.initial_params(2)
    means, cov = model.latent_posterior(theta)
    # Joint of (z, x) is Gaussian with Cov(z, x) = W^T, Cov(x) = C.
    c = model.covariance(theta)
    gain = theta.W.T @ np.linalg.inv(c)
    assert np.allclose(means, (X - theta.mean) @ gain.T)
    assert np.allclose(cov, np.eye(2) - gain @ theta.W)


@pytest.mark.parametrize("X", [np.ones(5), np.ones((2, 3, 4))])
def test_x_not_two_dimensional_is_a_value_error(X):
    with pytest.raises(ValueError, match="X"):
        PPCA(X, 1)


@pytest.mark.parametrize("m", [0, 5, 6])
def test_n_components_out_of_range_is_a_value_error(m):
    with pytest.raises(ValueError, match="n_components"):
        PPCA(data(), m)


def test_n_components_not_an_integer_is_a_type_error():
    with pytest.raises(TypeError, match="n_components"):
        PPCA(data(), 1.5)


def test_nan_in_x_is_a_value_error():
    X = data()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        PPCA(X, 2)


def test_data_in_a_subspace_make_mle_a_value_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 1)) @ np.ones((1, 3))
    with pytest.raises(ValueError, match="subspace"):
        PPCA(X, 1).mle()


def test_wrong_parameter_shapes_are_a_value_error():
    model = PPCA(data(), 2)
    with pytest.raises(ValueError, match="theta"):
        model.log_likelihood(PPCAParams(np.zeros(5), np.ones((5, 3)), 1.0))
    with pytest.raises(TypeError, match="theta"):
        model.log_likelihood((np.zeros(5), np.ones((5, 2)), 1.0))
