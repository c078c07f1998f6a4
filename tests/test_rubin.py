"""Rubin's rules (emcore.rubin_combine) against a hand computation and statsmodels' MICE."""

import numpy as np
import pytest

from emcore import rubin_combine

ESTIMATES = [1.0, 1.2, 0.8, 1.1, 0.9]


def test_scalar_case_matches_a_hand_computation():
    pooled = rubin_combine(ESTIMATES, [0.04] * 5)
    # by hand: mean 1, squared deviations 0, .04, .04, .01, .01 over m - 1 = 4
    between = 0.10 / 4
    total = 0.04 + 1.2 * between
    r = 1.2 * between / 0.04
    df = 4 * (1 + 1 / r) ** 2
    assert pooled.n_imputations == 5
    assert pooled.estimate == pytest.approx(1.0)
    assert pooled.within == pytest.approx(0.04)
    assert pooled.between == pytest.approx(between)
    assert pooled.total == pytest.approx(total)
    assert pooled.relative_increase == pytest.approx(r)
    assert pooled.df == pytest.approx(df)
    assert pooled.fmi == pytest.approx((r + 2 / (df + 3)) / (r + 1))
    assert pooled.std_error == pytest.approx(np.sqrt(total))
    lower, upper = pooled.interval(0.9)
    from scipy import stats

    half = stats.t.ppf(0.95, df) * np.sqrt(total)
    assert (lower, upper) == pytest.approx((1.0 - half, 1.0 + half))


def test_barnard_rubin_df_is_below_both_and_tends_to_rubins():
    plain = rubin_combine(ESTIMATES, [0.04] * 5)
    small = rubin_combine(ESTIMATES, [0.04] * 5, df_complete=20)
    lam = 1.2 * 0.025 / 0.07
    df_obs = 21 / 23 * 20 * (1 - lam)
    assert small.df == pytest.approx(1 / (1 / plain.df + 1 / df_obs))
    assert small.df < min(plain.df, 20)
    huge = rubin_combine(ESTIMATES, [0.04] * 5, df_complete=1e12)
    assert huge.df == pytest.approx(plain.df, rel=1e-9)


def test_vector_and_full_matrix_cases_agree_with_the_scalar_one():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(8, 3))
    u = rng.uniform(0.5, 1.0, size=(8, 3))
    vector = rubin_combine(q, u)
    for j in range(3):
        scalar = rubin_combine(q[:, j], u[:, j])
        assert vector.estimate[j] == pytest.approx(scalar.estimate)
        assert vector.df[j] == pytest.approx(scalar.df)
        assert vector.fmi[j] == pytest.approx(scalar.fmi)
    full = rubin_combine(q, np.stack([np.diag(row) for row in u]))
    assert np.allclose(full.between, np.cov(q.T))
    assert np.allclose(np.diagonal(full.total), vector.total)
    assert np.allclose(full.std_error, vector.std_error)
    assert np.allclose(full.interval()[0], vector.interval()[0])


def test_no_between_variance_gives_infinite_df_and_a_normal_interval():
    pooled = rubin_combine([2.0, 2.0, 2.0], [1.0, 1.0, 1.0])
    assert pooled.between == 0 and np.isinf(pooled.df)
    assert pooled.interval(0.95)[1] == pytest.approx(2.0 + 1.959964, abs=1e-6)


def test_agrees_with_statsmodels_mice_combine():
    sm = pytest.importorskip("statsmodels.api")
    import pandas as pd
    from statsmodels.imputation.mice import MICE, MICEData

    rng = np.random.default_rng(7)
    fits = []
    for _ in range(6):
        x = rng.normal(size=40)
        y = 1.0 + 0.5 * x + rng.normal(size=40)
        fits.append(sm.OLS(y, sm.add_constant(x)).fit())
    frame = pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0], "x": [0.0, 1.0, 2.0, 3.0]})
    mice = MICE("y ~ x", sm.OLS, MICEData(frame))
    mice.results_list = fits
    mice.exog_names, mice.endog_names = ["const", "x"], "y"  # set by MICE.fit, not run here
    reference = mice.combine()
    ours = rubin_combine([f.params for f in fits], [f.cov_params() for f in fits])
    assert np.allclose(ours.estimate, reference.params)
    assert np.allclose(ours.total, reference.cov_params())
    # statsmodels' "fmi" is (1 + 1/m) B / T, that is r / (1 + r)
    r = ours.relative_increase
    assert np.allclose(r / (1 + r), reference.frac_miss_info)


@pytest.mark.parametrize("estimates, variances, kwargs, message", [
    ([1.0], [1.0], {}, "m >= 2"),
    ([1.0, 2.0], [1.0], {}, "variances must have shape"),
    ([1.0, 2.0], [1.0, -1.0], {}, "non-negative"),
    ([1.0, np.nan], [1.0, 1.0], {}, "NaN"),
    ([[[1.0]], [[2.0]]], [1.0, 1.0], {}, "estimates must have shape"),
    ([1.0, 2.0], [1.0, 1.0], {"df_complete": 0}, "df_complete"),
])
def test_bad_input_is_named(estimates, variances, kwargs, message):
    with pytest.raises(ValueError, match=message):
        rubin_combine(estimates, variances, **kwargs)


def test_bad_level_and_types():
    pooled = rubin_combine(ESTIMATES, [0.04] * 5)
    with pytest.raises(ValueError, match="level"):
        pooled.interval(1.5)
    with pytest.raises(TypeError, match="estimates"):
        rubin_combine(["a", "b"], [1.0, 1.0])
