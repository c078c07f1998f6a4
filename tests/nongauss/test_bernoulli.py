"""BernoulliMixture: log-densities and the maximum checked by direct computation, recovery of
simulated prototypes, EM's monotonicity, smoothing, sampling and bad input."""

import itertools
import warnings

import numpy as np
import pytest

from emcore import BernoulliMixture, MonotonicityWarning


def simulated(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(size=(3, 20)) < 0.5
    prototypes = np.where(prototypes, 0.85, 0.1)
    weights = np.array([0.5, 0.3, 0.2])
    labels = rng.choice(3, size=n, p=weights)
    X = (rng.uniform(size=(n, 20)) < prototypes[labels]).astype(np.int8)
    return X, labels, prototypes, weights


def test_score_samples_is_the_product_formula_written_out():
    from scipy.stats import bernoulli

    X, *_ = simulated(50, seed=1)
    bm = BernoulliMixture(3, random_state=0, tol=0, max_iter=5).fit(X)
    by_hand = np.array([np.log(sum(w * np.prod(bernoulli.pmf(x, mu))
                                   for w, mu in zip(bm.weights_, bm.means_))) for x in X])
    np.testing.assert_allclose(bm.score_samples(X), by_hand, rtol=1e-12)


def direct_loglik(params, X):
    from scipy.special import expit, logsumexp

    mu = expit(params[:-1].reshape(2, -1))
    log_pi = np.array([-np.logaddexp(0, params[-1]), params[-1] - np.logaddexp(0, params[-1])])
    dens = X @ np.log(mu).T + (1 - X) @ np.log1p(-mu).T
    return logsumexp(dens + log_pi, axis=1).sum()


def test_fit_is_the_maximum_found_by_direct_numerical_maximisation():
    from scipy.optimize import minimize
    from scipy.special import logit

    rng = np.random.default_rng(2)
    mu = np.array([[0.8, 0.7, 0.2, 0.3], [0.2, 0.3, 0.9, 0.6]])
    labels = rng.integers(2, size=300)
    X = (rng.uniform(size=(300, 4)) < mu[labels]).astype(float)
    bm = BernoulliMixture(2, tol=1e-14, max_iter=20000, n_init=3, random_state=0).fit(X)
    assert np.all((bm.means_ > 0.01) & (bm.means_ < 0.99))  # an interior maximum
    em = np.concatenate([logit(bm.means_).ravel(), [np.log(bm.weights_[1] / bm.weights_[0])]])
    found = minimize(lambda p: -direct_loglik(p, X), em + 0.05, method="BFGS",
                     options={"gtol": 1e-8})
    assert -found.fun == pytest.approx(bm.log_likelihood_history_[-1], rel=1e-10)
    np.testing.assert_allclose(em, found.x, atol=1e-4)


def test_every_assignment_enumerated_gives_the_same_log_likelihood():
    # brute force over the latent labels: p(X) = prod_n sum_k ..., expanded as the sum over all
    # K^n label vectors of prod_n pi_z p(x_n | z) (n = 6 rows, 2^6 terms)
    X, *_ = simulated(6, seed=3)
    bm = BernoulliMixture(2, random_state=0, tol=0, max_iter=3).fit(X[:, :5])
    X = X[:, :5]
    total = 0.0
    for z in itertools.product(range(2), repeat=6):
        mu = bm.means_[list(z)]
        total += np.prod(bm.weights_[list(z)] * np.prod(mu**X * (1 - mu) ** (1 - X), axis=1))
    assert np.log(total) == pytest.approx(bm.score(X) * 6, rel=1e-12)


def test_recovers_simulated_prototypes_and_labels():
    from sklearn.metrics import adjusted_rand_score

    X, labels, prototypes, weights = simulated()
    bm = BernoulliMixture(3, n_init=3, random_state=0).fit(X)
    order = [int(np.argmin(np.abs(bm.means_ - p).sum(axis=1))) for p in prototypes]
    assert sorted(order) == [0, 1, 2]
    # 2000 rows: each probability has standard error <= 0.5 / sqrt(0.2 * 2000) = 0.025
    np.testing.assert_allclose(bm.means_[order], prototypes, atol=0.1)
    np.testing.assert_allclose(bm.weights_[order], weights, atol=0.05)
    assert adjusted_rand_score(labels, bm.predict(X)) > 0.95


def test_log_likelihood_never_decreases_and_smoothing_is_the_beta_posterior_mode():
    X, *_ = simulated(300, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        ml = BernoulliMixture(4, tol=0, max_iter=50, random_state=0).fit(X)
        smooth = BernoulliMixture(4, smoothing=1.0, tol=0, max_iter=50, random_state=0).fit(X)
    assert np.all(np.diff(ml.log_likelihood_history_) >= -1e-9)
    assert np.all(np.diff(smooth.log_posterior_history_) >= -1e-9)
    resp = smooth.predict_proba(X)  # at a fixed point the M-step reproduces the parameters
    counts = resp.sum(axis=0)
    np.testing.assert_allclose(smooth.means_, (resp.T @ X + 1) / (counts[:, None] + 2),
                               atol=1e-5)


def test_integer_sample_weights_equal_repeated_rows():
    X, *_ = simulated(80, seed=5)
    w = np.random.default_rng(6).integers(0, 4, size=80)
    rep = np.repeat(np.arange(80), w)
    start = np.random.default_rng(7).dirichlet([1, 1], size=80)
    a = BernoulliMixture(2, resp_init=start, tol=0, max_iter=30).fit(X, sample_weight=w)
    b = BernoulliMixture(2, resp_init=start[rep], tol=0, max_iter=30).fit(X[rep])
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)


def test_sample_draws_the_fitted_frequencies():
    X, *_ = simulated(500, seed=8)
    bm = BernoulliMixture(3, random_state=0).fit(X)
    draws, labels = bm.sample(40000, random_state=1)
    assert set(np.unique(draws)) <= {0, 1}
    for k in range(3):
        # 40000 draws: each frequency within 5 standard errors (<= 0.5 / sqrt(n_k))
        n_k = np.sum(labels == k)
        np.testing.assert_allclose(draws[labels == k].mean(axis=0), bm.means_[k],
                                   atol=5 * 0.5 / np.sqrt(n_k))
    assert bm.bic(X) == pytest.approx(-2 * bm.score(X) * 500 + (2 + 3 * 20) * np.log(500))


@pytest.mark.parametrize("X, message", [
    ([[0, 1], [2, 0]], "binary"),
    ([[0, 0.5], [1, 0]], "binary"),
    ([[0, np.nan], [1, 0]], "binary"),
    ([0, 1, 1], "2-D"),
])
def test_non_binary_input_is_a_value_error(X, message):
    with pytest.raises(ValueError, match=message):
        BernoulliMixture(1).fit(X)


def test_row_impossible_under_every_component_is_an_error_in_predict_proba():
    X = np.array([[0, 0], [0, 0], [1, 0], [1, 0]])
    bm = BernoulliMixture(1).fit(X)
    assert bm.score_samples(np.array([[0, 1]]))[0] == -np.inf
    with pytest.raises(ValueError, match="smoothing"):
        bm.predict_proba(np.array([[0, 1]]))
    smooth = BernoulliMixture(1, smoothing=1.0).fit(X)
    assert np.isfinite(smooth.score_samples(np.array([[0, 1]]))[0])
