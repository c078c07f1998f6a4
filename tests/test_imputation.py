"""Multiple imputation by data augmentation (emcore.multiple_imputation) for the
multivariate normal: its two steps, a closed-form case, EM's standard errors, coverage."""

import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, multiple_imputation, run_em, standard_errors
from emcore.imputation._samplers import draw_normal_inverse_wishart
from emcore.models import MVNMissing

COV = np.array([[1.0, 0.6], [0.6, 2.0]])


def bivariate(n, missing, seed, mar=False):
    """Rows of N(0, COV); the second column missing in a fraction ``missing`` of rows
    (completely at random, or, with ``mar``, more often where the first column is large)."""
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal([0.0, 0.0], COV, size=n)
    p = missing * 2 / (1 + np.exp(-X[:, 0])) if mar else np.full(n, missing)
    X[rng.random(n) < p, 1] = np.nan
    return X


def column_mean(j):
    return lambda Y: (Y[:, j].mean(), Y[:, j].var(ddof=1) / len(Y))


def test_i_step_draws_have_the_conditional_mean_and_variance():
    X = bivariate(40, 0.4, seed=1)
    model = MVNMissing(X)
    theta = model.pack(np.array([0.3, -0.2]), COV)
    rng = np.random.default_rng(2)
    draws = np.array([model.draw_missing(theta, rng) for _ in range(4000)])
    holes = np.isnan(X)
    assert np.array_equal(draws[:, ~holes], np.broadcast_to(X[~holes], (4000, (~holes).sum())))
    # by hand: x2 | x1 ~ N(mu2 + s12/s11 (x1 - mu1), s22 - s12^2 / s11)
    rows = holes[:, 1]
    mean = -0.2 + 0.6 * (X[rows, 0] - 0.3)
    var = 2.0 - 0.36
    assert np.allclose(model.impute(theta)[rows, 1], mean)
    got = draws[:, rows, 1]
    assert np.all(np.abs(got.mean(axis=0) - mean) < 5 * np.sqrt(var / 4000))
    assert np.all(np.abs(got.var(axis=0) / var - 1) < 5 * np.sqrt(2 / 4000))


def test_p_step_draws_have_the_inverse_wishart_moments():
    rng = np.random.default_rng(4)
    scatter, df, kappa = np.array([[30.0, 6.0], [6.0, 20.0]]), 29, 30
    centre = np.array([1.0, -1.0])
    draws = [draw_normal_inverse_wishart(rng, centre, kappa, scatter, df) for _ in range(20000)]
    means = np.array([d[0] for d in draws])
    covs = np.array([d[1] for d in draws])
    # E[Sigma] = scatter / (df - d - 1); E[mu] = centre, Var[mu] = E[Sigma] / kappa
    expected = scatter / (df - 3)
    assert np.allclose(covs.mean(axis=0), expected, rtol=0.02, atol=0.005)
    assert np.allclose(means.mean(axis=0), centre, atol=0.01)
    assert np.allclose(np.cov(means.T), expected / kappa, rtol=0.05, atol=0.001)
    from scipy import stats

    reference = stats.invwishart(df=df, scale=scatter).rvs(20000, random_state=5)
    assert np.allclose(covs.var(axis=0), reference.var(axis=0), rtol=0.1)


def test_univariate_mean_matches_the_closed_form():
    # one normal column, MCAR: the MI estimate of the mean is the observed mean, its
    # variance the complete-case s^2 / n, and the fraction of missing information
    # the fraction of rows missing (Little & Rubin 2019, ch. 10)
    rng = np.random.default_rng(11)
    X = rng.normal(5.0, 2.0, size=(400, 1))
    X[:120] = np.nan
    seen = X[120:, 0]
    with pytest.raises(ValueError, match="every entry missing"):
        multiple_imputation(MVNMissing, X, m=2)
    X = np.column_stack([X, rng.normal(size=400)])  # an unrelated, complete second column
    result = multiple_imputation(MVNMissing, X, m=200, n_burn=20, n_between=3, random_state=0)
    pooled = result.pool(column_mean(0))
    assert abs(pooled.estimate - seen.mean()) < 4 * np.sqrt(pooled.between / 200)
    assert pooled.total == pytest.approx(seen.var(ddof=1) / seen.size, rel=0.1)
    assert pooled.fmi == pytest.approx(120 / 400, abs=0.07)


def test_standard_errors_agree_with_em_observed_information():
    X = bivariate(300, 0.4, seed=3, mar=True)
    model = MVNMissing(X)
    fit = run_em(model, model.initial_params(), tol=1e-12)
    em_se = standard_errors(model, fit.theta).se
    result = multiple_imputation(MVNMissing, X, m=200, n_burn=50, n_between=5, random_state=7)
    assert np.allclose(result.start[0], fit.theta[:2])
    means = result.pool(lambda Y: (Y.mean(axis=0), Y.var(axis=0, ddof=1) / len(Y)))
    assert np.allclose(means.std_error, em_se[:2], rtol=0.06)  # fixed theta: 0.91
    gap = np.abs(means.estimate - fit.theta[:2])
    assert np.all(gap <= 4 * np.sqrt(means.between / 200) + 1e-12)  # column 0 is complete
    # the variance of the second column: ML estimate with complete-data variance 2 v^2 / N
    var2 = result.pool(lambda Y: (Y[:, 1].var(), 2 * Y[:, 1].var() ** 2 / len(Y)))
    assert var2.std_error == pytest.approx(em_se[4], rel=0.15)
    assert 0.1 < means.fmi[1] < 0.6 and means.fmi[0] < 0.05


def test_intervals_cover_the_true_mean():
    covered = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short chains by design
        for rep in range(150):
            X = bivariate(50, 0.3, seed=100 + rep, mar=True)
            result = multiple_imputation(MVNMissing, X, m=5, n_burn=10, n_between=4,
                                         random_state=rep)
            lower, upper = result.pool(column_mean(1)).interval(0.95)
            covered.append(lower < 0.0 < upper)
    assert 0.90 <= np.mean(covered) <= 0.99


def test_seeded_runs_repeat_and_keep_the_observed_entries():
    X = bivariate(60, 0.3, seed=8)
    first = multiple_imputation(MVNMissing, X, m=3, n_burn=5, n_between=2, random_state=42)
    again = multiple_imputation(MVNMissing(X), X, m=3, n_burn=5, n_between=2,
                                random_state=np.random.default_rng(42))
    other = multiple_imputation(MVNMissing, X, m=3, n_burn=5, n_between=2, random_state=43)
    assert np.array_equal(first.imputations, again.imputations)
    assert not np.array_equal(first.imputations, other.imputations)
    holes = np.isnan(X)
    assert np.array_equal(first.missing, holes)
    assert np.all(first.imputations[:, ~holes] == X[~holes])
    assert np.all(np.isfinite(first.imputations))
    assert first.means.shape == (3, 2) and first.covariances.shape == (3, 2, 2)
    assert first.weights is None and first.trace.shape == (5 + 3 * 2, 5)
    assert first.n_imputations == 3
    assert first.trace_names == ["mean[0]", "mean[1]", "cov[0, 0]", "cov[1, 0]", "cov[1, 1]"]
    # imputation 1, at iteration 5 + 2, was drawn from the parameters that iteration 6
    # drew (trace row 5)
    assert np.allclose(first.means[0], first.trace[5, :2])


def test_verbose_prints_a_line_per_imputation(capsys):
    X = bivariate(30, 0.3, seed=8)
    multiple_imputation(MVNMissing, X, m=2, n_burn=3, n_between=2, random_state=0, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4  # iterations 2, 4, 6 and the last, 7
    assert lines[0].startswith("  [#####...............] 2/7\t time ")
    assert lines[-1].startswith("  [####################] 7/7\t time ")
    assert lines[-1].endswith("\t 2/2 imputations")


def test_a_slowly_mixing_chain_warns_and_a_mixing_one_does_not():
    X = bivariate(100, 0.9, seed=9)  # 90% of one column missing: DA moves slowly
    slow = r"(mean\[1\]|cov\[1, 1\]) has autocorrelation .* n_between"
    with pytest.warns(ConvergenceWarning, match=slow):
        multiple_imputation(MVNMissing, X, m=200, n_burn=0, n_between=1, random_state=0)
    X = bivariate(100, 0.2, seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = multiple_imputation(MVNMissing, X, m=20, n_between=10, random_state=0)
    assert np.max(result.autocorrelation) < 0.3


def test_data_without_holes_work_and_say_so():
    X = bivariate(30, 0.0, seed=2)
    with pytest.warns(UserWarning, match="no missing entries"):
        result = multiple_imputation(MVNMissing, X, m=2, n_burn=1, n_between=1, random_state=0)
    assert np.array_equal(result.imputations[0], X)


@pytest.mark.parametrize("X, kwargs, error, message", [
    (np.zeros(5), {}, ValueError, "2-dimensional"),
    ([[1.0, np.nan], [np.nan, np.nan], [2.0, 3.0]], {}, ValueError, r"every entry missing: \[1\]"),
    ([[1.0, np.nan], [2.0, 3.0]], {}, ValueError, "at least D \\+ 1"),
    ([[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]], {"m": 1}, ValueError, "m"),
    ([[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]], {"n_between": 0}, ValueError, "n_between"),
    ([[1.0, np.nan], [2.0, np.inf], [3.0, 1.0]], {}, ValueError, "infinite"),
])
def test_bad_input_is_named(X, kwargs, error, message):
    with pytest.raises(error, match=message):
        multiple_imputation(MVNMissing, X, **{"m": 2, **kwargs})


def test_an_unknown_model_is_a_type_error():
    with pytest.raises(TypeError, match="model_or_estimator"):
        multiple_imputation("normal", [[1.0, np.nan], [2.0, 3.0], [3.0, 1.0]], m=2)


def test_the_reported_autocorrelation_is_the_traces_at_lag_n_between():
    acf = pytest.importorskip("statsmodels.tsa.stattools").acf
    X = bivariate(60, 0.5, seed=4)
    result = multiple_imputation(MVNMissing, X, m=30, n_burn=10, n_between=3, random_state=2)
    chain = result.trace[10:]
    expected = [acf(column, nlags=3, fft=False)[3] for column in chain.T]
    assert np.allclose(result.autocorrelation, expected, rtol=0, atol=1e-12)
    assert np.max(np.abs(result.autocorrelation)) > 0.05   # the check compares something
