"""MVNMissing: observed-data likelihood pattern by pattern, optimality, monotonicity, input
checks."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from emcore import em_rate, run_em, standard_errors
from emcore.models import MVNMissing

COV = np.array([[1.0, 0.6, 0.2], [0.6, 2.0, -0.4], [0.2, -0.4, 1.5]])


def holed(seed=0, n=200, frac=0.3):
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal([0.0, 1.0, 2.0], COV, size=n)
    X[rng.random(X.shape) < frac] = np.nan
    return X


def fitted(X):
    model = MVNMissing(X)
    return model, run_em(model, model.initial_params(), tol=1e-12, max_iter=5000)


def reference_loglik(X, mean, cov):
    total = 0.0
    for row in X:
        seen = ~np.isnan(row)
        if seen.any():
            total += stats.multivariate_normal(mean[seen],
                                               cov[np.ix_(seen, seen)]).logpdf(row[seen])
    return total


def test_log_likelihood_equals_scipy_row_by_row():
    X = holed()
    model = MVNMissing(X)
    mean, cov = np.array([0.3, 0.5, 1.0]), np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2],
                                                     [0.1, 0.2, 3.0]])
    assert model.log_likelihood(model.pack(mean, cov)) == pytest.approx(
        reference_loglik(X, mean, cov), rel=1e-12)


def test_em_log_likelihood_equals_scipy_at_the_answer():
    X = holed(1)
    model, run = fitted(X)
    assert run.converged
    assert run.log_likelihood == pytest.approx(reference_loglik(X, *model.unpack(run.theta)),
                                               rel=1e-12)


def test_direct_optimiser_started_at_em_cannot_improve():
    X = holed(2, n=120)
    model, run = fitted(X)
    mean, cov = model.unpack(run.theta)
    rows, cols = np.tril_indices(3)

    def negative(v):  # mean and a Cholesky factor with log-diagonal: unconstrained
        low = np.zeros((3, 3))
        low[rows, cols] = v[3:]
        low[np.diag_indices(3)] = np.exp(np.diag(low))
        return -model.log_likelihood(model.pack(v[:3], low @ low.T))  # equals scipy: test above

    low = np.linalg.cholesky(cov)
    low[np.diag_indices(3)] = np.log(np.diag(low))
    best = optimize.minimize(negative, np.concatenate([mean, low[rows, cols]]), method="BFGS")
    assert -best.fun <= run.log_likelihood + 1e-6


def test_nothing_missing_gives_the_sample_mean_and_covariance_in_one_step():
    X = holed(3, frac=0.0)
    model, run = fitted(X)
    mean, cov = model.unpack(run.theta)
    assert np.allclose(mean, X.mean(axis=0)) and np.allclose(cov, np.cov(X.T, bias=True))
    assert run.n_iter <= 2


def test_conditional_mean_is_the_gaussian_regression():
    # one missing entry in column 2: its conditional mean is mu_m + S_mo S_oo^{-1} (x_o - mu_o)
    X = np.array([[1.0, 2.0, np.nan], [0.0, 1.0, 1.0], [2.0, 0.5, 3.0], [1.5, 1.5, 2.5]])
    model = MVNMissing(X)
    mean, cov = np.array([1.0, 1.0, 2.0]), COV
    expected = mean[2] + cov[2, :2] @ np.linalg.solve(cov[:2, :2], X[0, :2] - mean[:2])
    assert model.impute(model.pack(mean, cov))[0, 2] == pytest.approx(expected, rel=1e-13)


def test_e_step_adds_the_conditional_covariance():
    X = np.array([[np.nan, np.nan, 0.5], [0.0, 1.0, 1.0]])
    model = MVNMissing(X)
    mean = np.zeros(3)
    t1, t2 = model.e_step(model.pack(mean, COV))
    gain = COV[:2, 2:] / COV[2, 2]
    cond = COV[:2, :2] - gain @ COV[2:, :2]
    filled = np.array([*(gain[:, 0] * 0.5), 0.5])
    # the statistics are about the origin: column 2's observed mean (0.5 and 1 are within a
    # factor 2 of it), column 1's only entry, and 0 for column 0
    origin = np.array([0.0, 1.0, 0.75])
    np.testing.assert_array_equal(model.origin, origin)
    a, b = filled - origin, X[1] - origin
    expected = np.outer(a, a) + np.outer(b, b)
    expected[:2, :2] += cond
    assert np.allclose(t2, expected, rtol=1e-13) and np.allclose(t1, a + b)
    # the M-step's mean and covariance are the raw moments' (T1 / N, T2 / N - mu mu^T)
    raw1, raw2 = filled + X[1], np.outer(filled, filled) + np.outer(X[1], X[1])
    raw2[:2, :2] += cond
    got_mean, got_cov = model.unpack(model.m_step((t1, t2)))
    np.testing.assert_allclose(got_mean, raw1 / 2, rtol=1e-15)
    np.testing.assert_allclose(got_cov, raw2 / 2 - np.outer(raw1, raw1) / 4, rtol=1e-13, atol=1e-15)


def test_rows_with_nothing_observed_change_nothing():
    X = holed(4, n=60)
    with_empty = np.vstack([X, np.full((5, 3), np.nan)])
    a, b = fitted(X)[1], fitted(with_empty)[1]
    assert MVNMissing(with_empty).n_dropped == 5
    assert np.allclose(a.theta, b.theta) and a.log_likelihood == pytest.approx(b.log_likelihood)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), frac=st.floats(0.0, 0.5))
def test_log_likelihood_never_decreases_along_em(seed, frac):
    X = holed(seed, n=30, frac=frac)
    X[0] = [0.0, 1.0, 2.0]  # every column observed
    model = MVNMissing(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = run_em(model, model.initial_params(), tol=1e-10,
                         max_iter=100).log_likelihood_history
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


def test_rate_grows_with_the_fraction_missing():
    rates = []
    for frac in (0.1, 0.3, 0.5):
        model, run = fitted(holed(5, n=400, frac=frac))
        rates.append(em_rate(model, run.theta).rate)
    assert 0 < rates[0] < rates[1] < rates[2] < 1


def test_standard_error_of_the_mean_without_missing_values_is_sigma_over_root_n():
    X = holed(6, frac=0.0)
    model, run = fitted(X)
    se = standard_errors(model, run.theta).se
    assert np.allclose(se[:3], np.sqrt(np.diag(model.unpack(run.theta)[1]) / X.shape[0]), rtol=1e-5)


def test_complete_case_uses_only_full_rows():
    X = holed(7)
    full = X[~np.isnan(X).any(axis=1)]
    mean, cov = MVNMissing(X).unpack(MVNMissing(X).complete_case_params())
    assert np.allclose(mean, full.mean(axis=0)) and np.allclose(cov, np.cov(full.T, bias=True))


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.full((4, 2), np.nan), ValueError, "X has every entry missing"),
        ([[1.0, np.nan], [2.0, np.nan]], ValueError,
         r"X has columns that are never observed \(all NaN\): \[1\]"),
        ([[1.0, np.inf], [2.0, 3.0]], ValueError, "X contains infinite values"),
        ([1.0, 2.0], ValueError, "X must be a non-empty 2-dimensional"),
        (np.zeros((0, 3)), ValueError, "X must be a non-empty 2-dimensional"),
        ([["a", "b"]], TypeError, "X must be numeric"),
    ],
)
def test_bad_input_raises_naming_the_argument(X, error, match):
    with pytest.raises(error, match=match):
        MVNMissing(X)


def test_bad_parameters_are_a_value_error():
    model = MVNMissing(holed())
    with pytest.raises(ValueError, match="length 9"):
        model.log_likelihood(np.zeros(4))
    with pytest.raises(ValueError, match="not positive definite"):
        model.log_likelihood(model.pack(np.zeros(3), -np.eye(3)))
    with pytest.raises(ValueError, match="NaN"):
        model.e_step(np.full(9, np.nan))


def test_too_few_complete_rows_for_complete_case_is_a_value_error():
    with pytest.raises(ValueError, match="fewer than two complete rows"):
        MVNMissing([[1.0, np.nan], [np.nan, 2.0], [1.0, 2.0]]).complete_case_params()


@pytest.mark.parametrize("loc", [0.0, 3.0, 1e5])
def test_a_narrow_spread_far_from_zero_keeps_its_digits(loc):
    """One EM step on rows 1e-3 wide at ``loc``, 10% missing, equals the mixture's (K = 1)
    and the complete-data covariance to the last digits; about 0 the raw second moments
    would cancel them (at 1e5 the covariance would not even be positive definite)."""
    from emcore import GaussianMixture

    rng = np.random.default_rng(0)
    cov = 1e-6 * COV
    X = rng.multivariate_normal(np.full(3, loc), cov, size=200)
    X[rng.random(X.shape) < 0.1] = np.nan
    model, start = MVNMissing(X), np.full(3, loc) + 1e-4
    mean, got = model.unpack(model.m_step(model.e_step(model.pack(start, cov))))
    gm = GaussianMixture(1, missing="marginalize", max_iter=1, tol=0, reg_covar=0,
                         means_init=[start], precisions_init=[np.linalg.inv(cov)]).fit(X)
    np.testing.assert_allclose(mean, gm.means_[0], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(got, gm.covariances_[0], rtol=1e-12, atol=1e-12 * np.abs(got).max())
