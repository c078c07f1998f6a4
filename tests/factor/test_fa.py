"""FactorAnalysis: its maximum against scikit-learn's, densities against scipy, Heywood cases."""

import warnings

import numpy as np
import pytest
from scipy import stats

from emcore import (
    ConvergenceWarning,
    FactorAnalysis,
    HeywoodWarning,
    MonotonicityWarning,
    em_rate,
    run_em,
)
from emcore.factor import FactorModel, varimax


def data(seed, n=400, d=8, q=2, scales=True):
    """Seeded factor data: loadings N(0, 1), uniquenesses and column scales that vary."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, q))
    X = rng.normal(size=(n, q)) @ W.T + rng.normal(size=(n, d)) * rng.uniform(0.3, 1.2, d)
    return X * (rng.uniform(0.1, 10.0, d) if scales else 1.0) + rng.normal(size=d) * 5


def heywood_data():
    """Data whose sample correlations are exactly r12 = r13 = 0.8, r23 = 0.5.

    One factor needs loading^2 = r12 r13 / r23 = 1.28 > 1 on variable 0: the maximum has
    psi_0 = 0, a Heywood case (the classic construction, e.g. Bartholomew et al. 2011, §3.12).
    """
    return with_correlation(np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]]), 200)


def with_correlation(R, n, seed=0):
    """``n`` rows whose sample correlation (and covariance, divisor n) is exactly ``R``."""
    Z = np.random.default_rng(seed).normal(size=(n, R.shape[0]))
    Z -= Z.mean(axis=0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z.T, bias=True))).T
    return Z @ np.linalg.cholesky(R).T


#: Harman's (1976, Table 2.3) eight physical variables of 305 girls, R's ``datasets::Harman23.cor``.
HARMAN23 = np.array([
    [1.000, 0.846, 0.805, 0.859, 0.473, 0.398, 0.301, 0.382],
    [0.846, 1.000, 0.881, 0.826, 0.376, 0.326, 0.277, 0.415],
    [0.805, 0.881, 1.000, 0.801, 0.380, 0.319, 0.237, 0.345],
    [0.859, 0.826, 0.801, 1.000, 0.436, 0.329, 0.327, 0.365],
    [0.473, 0.376, 0.380, 0.436, 1.000, 0.762, 0.730, 0.629],
    [0.398, 0.326, 0.319, 0.329, 0.762, 1.000, 0.583, 0.577],
    [0.301, 0.277, 0.237, 0.327, 0.730, 0.583, 1.000, 0.539],
    [0.382, 0.415, 0.345, 0.365, 0.629, 0.577, 0.539, 1.000]])


def fit(X, q, **kw):
    return FactorAnalysis(q, tol=1e-11, max_iter=20_000, **kw).fit(X)


@pytest.mark.parametrize("seed, n, d, q", [(0, 400, 8, 2), (1, 300, 6, 1), (20, 1000, 12, 3),
                                           (3, 150, 10, 4), (4, 60, 20, 2)])
def test_maximum_equals_scikit_learn_factor_analysis(seed, n, d, q):
    from sklearn.decomposition import FactorAnalysis as SkFA

    X = data(seed, n, d, q)
    ours = fit(X, q)
    theirs = SkFA(q, tol=1e-8, max_iter=100_000, svd_method="lapack").fit(X)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-6)


def test_harman_eight_physical_variables_match_r_factanal():
    # R 4.2.2: factanal(factors = 2, covmat = Harman23.cor, control = list(nstart = 1,
    #   lower = 1e-6, opt = list(factr = 1, pgtol = 0))); its L-BFGS-B moved the 6th digit
    #   between runs with other settings, so the comparison is to 2e-5.
    r_uniquenesses = [0.1697674932, 0.1070676924, 0.1661679178, 0.1994176222,
                      0.0891182411, 0.3637054318, 0.4163465923, 0.5367339979]
    r_objective = 0.253161693577  # log|C| + tr(C^-1 R) - log|R| - d at factanal's fit
    fa = FactorAnalysis(2, tol=1e-13, max_iter=100_000).fit(with_correlation(HARMAN23, 305))
    assert fa.noise_variance_ == pytest.approx(r_uniquenesses, abs=2e-5)
    C = fa.get_covariance()
    objective = (np.linalg.slogdet(C)[1] + np.trace(np.linalg.solve(C, HARMAN23))
                 - np.linalg.slogdet(HARMAN23)[1] - 8)
    assert objective == pytest.approx(r_objective, rel=1e-8)


#: Lawley & Maxwell (1971): correlations of 220 boys' marks in Gaelic, English, History,
#: Arithmetic, Algebra and Geometry (reprinted in Johnson & Wichern 2007, Example 9.8).
LAWLEY_MAXWELL = np.array([
    [1.000, 0.439, 0.410, 0.288, 0.329, 0.248],
    [0.439, 1.000, 0.351, 0.354, 0.320, 0.329],
    [0.410, 0.351, 1.000, 0.164, 0.190, 0.181],
    [0.288, 0.354, 0.164, 1.000, 0.595, 0.470],
    [0.329, 0.320, 0.190, 0.595, 1.000, 0.464],
    [0.248, 0.329, 0.181, 0.470, 0.464, 1.000]])


def test_lawley_maxwell_examination_loadings_match_the_published_table():
    # Their maximum-likelihood loadings (3 decimals), in the orientation where W^T Psi^-1 W is
    # diagonal and decreasing, first column positive
    published = np.array([[0.553, 0.429], [0.568, 0.288], [0.392, 0.450],
                          [0.740, -0.273], [0.724, -0.211], [0.595, -0.132]])
    fa = FactorAnalysis(2, tol=1e-10).fit(with_correlation(LAWLEY_MAXWELL, 220))
    W, psi = fa.components_.T, fa.noise_variance_
    _, V = np.linalg.eigh(W.T @ (W / psi[:, None]))
    W = W @ V[:, ::-1]
    W *= np.sign(W.sum(axis=0))
    assert np.max(np.abs(W - published)) < 5.01e-4  # half a unit of the published last digit
    assert 1 - psi == pytest.approx([0.490, 0.406, 0.356, 0.623, 0.569, 0.372], abs=5.01e-4)


def test_em_history_never_decreases():
    X = data(5)
    fa = FactorAnalysis(3, tol=0.0, max_iter=300).fit(X)
    history = fa.log_likelihood_history_
    assert history.size == 301
    assert np.all(np.diff(history) >= -1e-10 * np.abs(history[1:]))
    assert history[-1] > history[0]


def test_log_likelihood_is_the_dense_gaussian_density_with_few_or_many_rows():
    for n in (300, 15):  # the square root of S from its eigenvectors, and the centred rows
        X = data(6, n=n, d=20)
        model = FactorModel(X, 2)
        theta = model.initial_params(1, method="random")
        W, psi = model.unpack(theta)
        dense = stats.multivariate_normal(X.mean(axis=0), W @ W.T + np.diag(psi)).logpdf(X).sum()
        assert model.log_likelihood(theta) == pytest.approx(dense, rel=1e-11)


def test_em_step_equals_the_dense_rubin_thayer_update():
    X = data(7)
    model = FactorModel(X, 2)
    theta = model.initial_params(2, method="random")
    W, psi = model.unpack(theta)
    S = np.cov(X.T, bias=True)
    beta = W.T @ np.linalg.inv(W @ W.T + np.diag(psi))
    a, b = S @ beta.T, np.eye(2) - beta @ W + beta @ S @ beta.T
    W_new = a @ np.linalg.inv(b)
    W_ours, psi_ours = model.unpack(model.m_step(model.e_step(theta)))
    assert np.allclose(W_ours, W_new, rtol=1e-10)
    assert np.allclose(psi_ours, np.diag(S - W_new @ a.T), rtol=1e-10)


def test_score_samples_transform_and_precision_match_dense_formulas():
    X = data(8)
    fa = fit(X, 2)
    cov = fa.get_covariance()
    dense = stats.multivariate_normal(fa.mean_, cov).logpdf(X)
    assert np.allclose(fa.score_samples(X), dense, rtol=1e-12)
    assert np.allclose(fa.get_precision(), np.linalg.inv(cov), rtol=1e-9, atol=1e-12)
    posterior_mean = (X - fa.mean_) @ np.linalg.solve(cov, fa.components_.T)
    assert np.allclose(fa.transform(X), posterior_mean, rtol=1e-9, atol=1e-12)


def test_transform_equals_scikit_learn_up_to_the_sign_of_each_factor():
    from sklearn.decomposition import FactorAnalysis as SkFA

    X = data(9, q=1)
    ours, theirs = fit(X, 1), SkFA(1, tol=1e-8, max_iter=100_000, svd_method="lapack").fit(X)
    sign = np.sign(ours.components_[0, 0] * theirs.components_[0, 0])
    assert np.allclose(ours.transform(X), sign * theirs.transform(X), atol=1e-4)


def test_heywood_case_is_detected_named_and_listed():
    X = heywood_data()
    with pytest.warns(HeywoodWarning, match=r"variable\(s\) 0 fell"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fa = FactorAnalysis(1, tol=1e-12, max_iter=3000).fit(X)
    assert fa.heywood_.tolist() == [0]
    # the numerical side: on the boundary psi_0 = 0 the factor is variable 0 itself (loading 1), so
    # the other loadings are its correlations, 0.8, and their uniquenesses 1 - 0.8^2 = 0.36
    assert np.abs(fa.components_[0]) == pytest.approx([1.0, 0.8, 0.8], abs=1e-3)
    assert fa.noise_variance_[1:] == pytest.approx([0.36, 0.36], abs=1e-3)


def test_heywood_case_is_reported_at_the_default_tolerance():
    # EM creeps to psi_0 = 0 like 1/t: at tol=1e-6 it stops near psi_0 ~ 1e-3 of the variance,
    # on either side of heywood_tol; the likelihood still rising toward psi_0 = 0 decides
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for tol in (1e-3, 1e-4, 1e-6):
            with pytest.warns(HeywoodWarning, match=r"variable\(s\) 0 fell"):
                fa = FactorAnalysis(1, tol=tol).fit(heywood_data())
            assert fa.heywood_.tolist() == [0] and fa.noise_variance_[0] > 1e-3


def test_zero_uniqueness_gain_equals_the_dense_log_likelihood_difference():
    regular = data(21, n=300, d=7)
    fitted = FactorAnalysis(2, tol=1e-4).fit(regular)
    near_boundary = (np.array([[1.0], [0.8], [0.8]]), np.array([0.01, 0.36, 0.36]))
    for X, (W, psi) in ((regular, (fitted.components_.T, fitted.noise_variance_)),
                        (heywood_data(), near_boundary)):
        model = FactorModel(X, W.shape[1])

        def dense(p):
            return stats.multivariate_normal(X.mean(axis=0), W @ W.T + np.diag(p)).logpdf(X).sum()

        expected = np.array([dense(np.where(np.arange(psi.size) == j, 0.0, psi)) - dense(psi)
                             for j in range(psi.size)])
        gain = model.zero_uniqueness_gain(model.pack(W, psi))
        assert np.allclose(gain, expected, rtol=1e-7, atol=1e-7)
    assert np.all(expected[1:] < 0) and expected[0] > 0  # only psi_0 lies toward a boundary


def test_regular_data_report_no_heywood_case():
    with warnings.catch_warnings():
        warnings.simplefilter("error", HeywoodWarning)
        fa = fit(data(10), 2)
        assert fa.heywood_.size == 0
        for seed in range(5):  # at the default tolerance too
            assert FactorAnalysis(2).fit(data(30 + seed, n=200)).heywood_.size == 0


def test_varimax_leaves_the_likelihood_and_covariance_unchanged():
    X = data(11, q=3)
    plain, rotated = fit(X, 3), fit(X, 3, rotation="varimax")
    assert rotated.score(X) == pytest.approx(plain.score(X), rel=1e-13)
    assert np.allclose(rotated.get_covariance(), plain.get_covariance(), rtol=1e-12)
    R = rotated.rotation_matrix_
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.allclose(rotated.components_, R.T @ plain.components_, atol=1e-12)


def test_varimax_criterion_beats_random_rotations():
    W = np.random.default_rng(12).normal(size=(10, 3))
    rotated, _ = varimax(W)

    def criterion(L):
        return float(np.sum(np.var(L**2, axis=0)))

    rng = np.random.default_rng(13)
    for _ in range(50):
        Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        assert criterion(rotated @ Q) <= criterion(rotated) + 1e-12


def test_zero_factors_is_the_independent_normal_model():
    X = data(14)
    fa = fit(X, 0)
    assert np.allclose(fa.noise_variance_, X.var(axis=0), rtol=1e-12)
    independent = stats.norm(X.mean(axis=0), X.std(axis=0)).logpdf(X).sum(axis=1)
    assert np.allclose(fa.score_samples(X), independent, rtol=1e-12)


def test_em_problem_runs_on_run_em_and_em_rate_predicts_the_contraction():
    X = data(15, q=1)
    fa = fit(X, 1)
    model, theta = fa.em_problem(X)
    assert model.log_likelihood(theta) == pytest.approx(fa.score(X) * X.shape[0], rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        run = run_em(model, theta, tol=1e-13, stop="params", max_iter=20_000)
    assert run.converged and run.log_likelihood >= fa.log_likelihood_ - 1e-9
    rate = em_rate(model, run.theta)
    assert rate.fixed_point_residual < 1e-10
    assert 0 < rate.rate < 1  # one factor: no rotation, a strict maximum
    # numerically: far from round-off, successive steps shrink by the rate
    steps = [np.max(np.abs(b - a)) for a, b in zip(run.theta_history, run.theta_history[1:])]
    late = [i for i, s in enumerate(steps) if 1e-9 < s < 1e-7]
    assert late and steps[late[-1]] / steps[late[-1] - 1] == pytest.approx(rate.rate, abs=1e-2)


def test_n_init_keeps_the_best_start_and_random_state_takes_a_generator():
    X = data(16, q=2)
    one = FactorAnalysis(2, init_params="random", max_iter=20, tol=0.0, random_state=0).fit(X)
    gen = FactorAnalysis(2, init_params="random", max_iter=20, tol=0.0,
                         random_state=np.random.default_rng(0)).fit(X)
    assert one.log_likelihood_ == pytest.approx(gen.log_likelihood_, rel=1e-14)
    many = FactorAnalysis(2, init_params="random", max_iter=20, tol=0.0, n_init=4,
                          random_state=0).fit(X)
    assert many.log_likelihood_ >= one.log_likelihood_


def test_scikit_learn_conventions():
    from sklearn.base import clone

    fa = FactorAnalysis(2, tol=1e-3, rotation="varimax")
    assert fa.get_params()["rotation"] == "varimax" and not hasattr(fa, "components_")
    copy = clone(fa)
    assert copy.get_params() == fa.get_params()
    X = data(17)
    assert fa.fit(X) is fa
    assert fa.components_.shape == (2, 8) and fa.noise_variance_.shape == (8,)
    from emcore.mixture import NotFittedError
    with pytest.raises(NotFittedError):
        copy.transform(X)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_factors": 6}, ValueError, "n_factors=6 .*Ledermann.* at most 4"),
    ({"n_factors": -1}, ValueError, "n_factors must be an integer >= 0"),
    ({"n_factors": 1.5}, TypeError, "n_factors must be an integer"),
    ({"tol": "small"}, TypeError, "tol"),
    ({"rotation": "promax"}, ValueError, "rotation"),
    ({"random_state": "seed"}, TypeError, "random_state"),
])
def test_bad_arguments_raise_errors_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        FactorAnalysis(**{"n_factors": 1, **kwargs}).fit(data(18, d=8))


@pytest.mark.parametrize("X, error, match", [
    ([[1.0, np.nan, 2.0], [0.0, 1.0, 2.0], [1.0, 1.0, 0.0]], ValueError, "X contains NaN"),
    ("abc", TypeError, "X must be"),
    ([1.0, 2.0, 3.0], ValueError, "X must be 2-D"),
    ([[1.0, 2.0]], ValueError, "n_samples=1"),
    ([[1.0, 2.0, 3.0], [1.0, 4.0, 5.0], [1.0, 0.0, 2.0]], ValueError, r"constant columns \[0\]"),
])
def test_bad_data_raise_errors_naming_x(X, error, match):
    with pytest.raises(error, match=match):
        FactorAnalysis(1).fit(X)


def test_new_data_with_other_columns_is_refused():
    fa = fit(data(19), 1)
    with pytest.raises(ValueError, match="X has 5 features, but FactorAnalysis is expecting 8"):
        fa.score(np.zeros((3, 5)))


def test_data_checks_are_emcore_s_shared_ones():
    # check_data is emcore._checks.check_X plus a row count: its overflow guard and its
    # float32 handling reach the factor estimators too
    from emcore import MixtureOfFactorAnalyzers

    huge = data(22) * 1e160
    for estimator in (FactorAnalysis(1), MixtureOfFactorAnalyzers(1, 1)):
        with pytest.raises(ValueError, match="Rescale X"):
            estimator.fit(huge)
    X = data(23)
    single = FactorAnalysis(2, tol=1e-10).fit(X.astype(np.float32))
    double = FactorAnalysis(2, tol=1e-10).fit(X.astype(np.float32).astype(np.float64))
    assert single.components_.dtype == np.float64
    assert single.score(X) == pytest.approx(double.score(X), rel=1e-12)
