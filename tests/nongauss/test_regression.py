"""RegressionMixture: maximum likelihood checked by direct maximisation, EM's properties,
scikit-learn's conventions and the errors on bad input."""

import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, MonotonicityWarning, RegressionMixture
from emcore.exceptions import NotFittedError
from emcore.mixture import DegenerateComponentError
from emcore.nongaussian import SeparationError


def two_lines(n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 4, size=(n, 1))
    g = rng.normal(size=(n, 1))
    line = rng.uniform(size=n) < 1 / (1 + np.exp(-2 * g[:, 0]))
    y = np.where(line, 1 + 1.5 * x[:, 0], 6 - x[:, 0]) + rng.normal(0, 0.6, n)
    return x, y, g


def direct_loglik(params, x, y, g):
    """The Gaussian mixture-of-experts log-likelihood written out with scipy, for minimize."""
    from scipy.special import logsumexp
    from scipy.stats import norm

    b0, b1, log_s = params[0:2], params[2:4], params[4:6]
    gate = params[6:8] if g is not None else params[6:7]
    eta = gate[0] + (gate[1] * g[:, 0] if g is not None else 0.0)
    log_pi = np.column_stack([-np.logaddexp(0, eta), eta - np.logaddexp(0, eta)])
    dens = norm.logpdf(y[:, None], b0 + b1 * x[:, None], np.exp(log_s))
    return logsumexp(log_pi + dens, axis=1).sum()


@pytest.mark.parametrize("with_gating", [False, True], ids=["weights", "concomitant"])
def test_gaussian_fit_is_the_maximum_found_by_direct_numerical_maximisation(with_gating):
    from scipy.optimize import minimize

    x, y, g = two_lines()
    conc = g if with_gating else None
    rm = RegressionMixture(2, tol=1e-12, max_iter=5000, n_init=3, random_state=0)
    rm.fit(x, y, concomitant=conc)
    gate = (rm.gating_coef_[1] if with_gating
            else [np.log(rm.weights_[1] / rm.weights_[0])])
    em = np.concatenate([rm.intercept_, rm.coef_[:, 0], np.log(rm.sigma_), gate])
    # BFGS from a start moved away from EM's answer, on the log-likelihood written independently
    found = minimize(lambda p: -direct_loglik(p, x[:, 0], y, conc), em + 0.05, method="BFGS",
                     options={"gtol": 1e-9})
    assert -found.fun == pytest.approx(rm.log_likelihood_history_[-1], rel=1e-11)
    np.testing.assert_allclose(em, found.x, atol=2e-5)  # BFGS's gtol: parameters to ~1e-5
    assert rm.score(x, y, concomitant=conc) * len(y) == pytest.approx(-found.fun, rel=1e-11)


def test_log_likelihood_never_decreases_for_each_family():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(150, 2))
    z = rng.normal(size=(150, 1))
    families = {"gaussian": x @ [1.0, -1.0] + rng.normal(size=150),
                "poisson": rng.poisson(np.exp(0.3 * x[:, 0])),
                "binomial": (rng.uniform(size=150) < 0.5).astype(int)}
    for family, y in families.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error", MonotonicityWarning)
            rm = RegressionMixture(2, family=family, tol=0, max_iter=40, random_state=2)
            rm.fit(x, y, concomitant=z)
        assert np.all(np.diff(rm.log_likelihood_history_) >= -1e-9 * len(y)), family


def test_integer_sample_weights_equal_repeated_rows():
    x, y, g = two_lines(60, seed=3)
    w = np.random.default_rng(4).integers(0, 4, size=60)
    start = np.random.default_rng(5).dirichlet([1, 1], size=60)
    weighted = RegressionMixture(2, resp_init=start, tol=0, max_iter=50).fit(
        x, y, concomitant=g, sample_weight=w)
    rep = np.repeat(np.arange(60), w)
    repeated = RegressionMixture(2, resp_init=start[rep], tol=0, max_iter=50).fit(
        x[rep], y[rep], concomitant=g[rep])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9)
    np.testing.assert_allclose(weighted.gating_coef_, repeated.gating_coef_, rtol=1e-8,
                               atol=1e-10)
    assert weighted.log_likelihood_history_[-1] == pytest.approx(
        repeated.log_likelihood_history_[-1], rel=1e-11)


def test_one_component_poisson_is_the_poisson_glm_of_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(200, 2))
    y = rng.poisson(np.exp(0.5 + x @ [0.3, -0.2]))
    rm = RegressionMixture(1, family="poisson").fit(x, y)
    glm = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(np.r_[rm.intercept_, rm.coef_[0]], glm.params, rtol=1e-8)
    assert rm.score(x, y) * 200 == pytest.approx(glm.llf, rel=1e-12)


def test_binomial_zero_one_response_equals_one_trial_counts():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(120, 1))
    y = (rng.uniform(size=120) < 1 / (1 + np.exp(-x[:, 0]))).astype(int)
    start = rng.dirichlet([1, 1], size=120)
    a = RegressionMixture(2, family="binomial", resp_init=start, max_iter=30, tol=0).fit(x, y)
    b = RegressionMixture(2, family="binomial", resp_init=start, max_iter=30, tol=0).fit(
        x, np.column_stack([y, 1 - y]))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)


def test_predict_is_the_weighted_mean_of_the_component_means():
    x, y, g = two_lines(100, seed=8)
    rm = RegressionMixture(2, n_init=2, random_state=0).fit(x, y, concomitant=g)
    mean, means, prior = rm.predict(x[:5], concomitant=g[:5], return_components=True)
    np.testing.assert_allclose(means, rm.intercept_ + x[:5] * rm.coef_[:, 0], rtol=1e-12)
    np.testing.assert_allclose(mean, np.sum(prior * means, axis=1), rtol=1e-12)
    np.testing.assert_allclose(prior.sum(axis=1), 1.0)
    resp = rm.predict_proba(x, y, concomitant=g)
    assert resp.shape == (100, 2) and np.allclose(resp.sum(axis=1), 1.0)
    n_params = 2 * 2 + 2 + 2  # coefficients, sigmas, gating (intercept and slope)
    assert rm.bic(x, y, concomitant=g) == pytest.approx(
        -2 * rm.score(x, y, concomitant=g) * 100 + n_params * np.log(100))


def test_parameters_are_stored_unchanged_and_cloned():
    from sklearn.base import clone

    rm = RegressionMixture(3, family="poisson", n_init=2, tol=1e-4)
    assert clone(rm).get_params() == rm.get_params()
    assert "family='poisson'" in repr(rm)


@pytest.mark.parametrize("family, y, message", [
    ("binomial", [0, 1, 2, 1] * 10, "only 0 and 1"),
    ("poisson", [0, 1, -1, 3] * 10, "non-negative"),
    ("poisson", [0, 1.5, 1, 3] * 10, "whole numbers"),
    ("gaussian", [[0.0, 1.0]] * 40, "1-D"),
])
def test_bad_response_for_the_family_is_a_value_error_naming_y(family, y, message):
    x = np.random.default_rng(0).normal(size=(40, 1))
    with pytest.raises(ValueError, match=message) as err:
        RegressionMixture(2, family=family).fit(x, y)
    assert "y" in str(err.value)


def test_collinear_design_is_a_value_error():
    x = np.random.default_rng(0).normal(size=(40, 1))
    with pytest.raises(ValueError, match="collinear"):
        RegressionMixture(2).fit(np.hstack([x, 2 * x]), x[:, 0])
    with pytest.raises(ValueError, match="concomitant.*collinear"):
        RegressionMixture(2).fit(x, x[:, 0], concomitant=np.ones((40, 1)))


def test_separated_logistic_component_is_a_separation_error():
    x = np.linspace(-2, 2, 40)[:, None]
    y = (x[:, 0] > 0).astype(int)  # perfectly separated by x
    with pytest.raises(SeparationError, match="separated"):
        RegressionMixture(1, family="binomial").fit(x, y)


def test_component_on_too_few_rows_is_a_degenerate_component_error():
    x = np.linspace(0, 1, 20)[:, None]
    y = np.sin(5 * x[:, 0])
    resp = np.zeros((20, 2))
    resp[:, 0], resp[0, 1], resp[0, 0] = 1, 1, 0  # component 1 owns a single row
    with pytest.raises(DegenerateComponentError, match="rank"):
        RegressionMixture(2, resp_init=resp).fit(x, y)


def test_methods_need_a_fit_and_the_right_concomitant():
    x, y, g = two_lines(50)
    with pytest.raises(NotFittedError):
        RegressionMixture(2).predict(x)
    rm = RegressionMixture(2, random_state=0).fit(x, y, concomitant=g)
    with pytest.raises(ValueError, match="concomitant is needed"):
        rm.predict(x)
    with pytest.raises(ValueError, match="features"):
        rm.predict(np.hstack([x, x]), concomitant=g)
    plain = RegressionMixture(2, random_state=0).fit(x, y)
    with pytest.raises(ValueError, match="without concomitant"):
        plain.score(x, y, concomitant=g)


def test_concomitant_given_to_the_constructor_is_used_by_fit_and_methods():
    x, y, g = two_lines(60, seed=9)
    a = RegressionMixture(2, concomitant=g, random_state=0).fit(x, y)
    b = RegressionMixture(2, random_state=0).fit(x, y, concomitant=g)
    np.testing.assert_allclose(a.gating_coef_, b.gating_coef_)
    assert a.score(x, y) == pytest.approx(b.score(x, y, concomitant=g))


def test_unconverged_fit_warns():
    x, y, _ = two_lines(60)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        RegressionMixture(2, max_iter=2, tol=1e-12, random_state=0).fit(x, y)


def test_concomitant_that_separates_the_start_labels_is_a_separation_error():
    x, y, _ = two_lines(60, seed=10)
    g = np.linspace(-1, 1, 60)[:, None]
    resp = np.column_stack([g[:, 0] < 0, g[:, 0] >= 0]).astype(float)  # split by g exactly
    with pytest.raises(SeparationError, match="concomitant"):
        RegressionMixture(2, resp_init=resp, max_iter=0).fit(x, y, concomitant=g)


def test_without_intercept_the_lines_pass_through_the_origin():
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 4, size=(200, 1))
    y = np.where(rng.uniform(size=200) < 0.5, 2 * x[:, 0], -x[:, 0]) + rng.normal(0, 0.3, 200)
    rm = RegressionMixture(2, fit_intercept=False, n_init=3, random_state=0).fit(x, y)
    assert np.all(rm.intercept_ == 0)
    np.testing.assert_allclose(np.sort(rm.coef_[:, 0]), [-1, 2], atol=0.1)
    # the same fit as an explicit design without intercept: the ML slope of each component
    resp = rm.predict_proba(x, y)
    slopes = (resp.T @ (x[:, 0] * y)) / (resp.T @ x[:, 0] ** 2)
    np.testing.assert_allclose(rm.coef_[:, 0], slopes, rtol=1e-4)



def test_poisson_newton_step_that_overflows_is_halved_not_a_warning():
    from emcore.nongaussian._glm import FAMILIES, fit_glm

    rng = np.random.default_rng(13)
    X = np.column_stack([np.ones(50), rng.normal(size=50)])
    y = rng.poisson(np.exp(0.2 + 0.5 * X[:, 1])).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # a start far away: its first Newton step overshoots to exp(huge)
        beta, _ = fit_glm(FAMILIES["poisson"], X, y, np.ones(50), np.array([-30.0, 0.0]))
    import statsmodels.api as sm

    glm = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(beta, glm.params, rtol=1e-8)


def test_standard_errors_of_one_component_are_statsmodels_glm_standard_errors():
    sm = pytest.importorskip("statsmodels.api")
    from emcore import standard_errors

    rng = np.random.default_rng(14)
    x = rng.normal(size=(300, 2))
    y = rng.poisson(np.exp(0.5 + x @ [0.3, -0.2]))
    rm = RegressionMixture(1, family="poisson").fit(x, y)
    model, theta = rm.em_problem(x, y)
    se = standard_errors(model, theta).se
    glm = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(se, glm.bse, rtol=1e-5)  # central differences: ~1e-6


def test_packed_parameters_run_the_same_em_as_the_estimator():
    from emcore import run_em

    x, y, g = two_lines(60, seed=15)
    rm = RegressionMixture(2, tol=0, max_iter=20, random_state=0).fit(x, y, concomitant=g)
    model, theta = rm.em_problem(x, y, concomitant=g)
    np.testing.assert_allclose(model.pack(model.unpack(theta)), theta)
    run = run_em(model, theta, tol=0, max_iter=5)
    assert isinstance(run.theta, np.ndarray) and run.theta.shape == theta.shape
    assert run.log_likelihood >= rm.log_likelihood_history_[-1] - 1e-9


def test_predict_component_is_the_posterior_or_the_gate_argmax():
    x, y, g = two_lines(100, seed=16)
    rm = RegressionMixture(2, n_init=2, random_state=0).fit(x, y, concomitant=g)
    np.testing.assert_array_equal(rm.predict_component(x, y, concomitant=g),
                                  rm.predict_proba(x, y, concomitant=g).argmax(axis=1))
    prior = rm.predict(x, concomitant=g, return_components=True)[2]
    np.testing.assert_array_equal(rm.predict_component(x, concomitant=g), prior.argmax(axis=1))
    # the gate follows g: the component it favours for large g is the one of slope 1.5
    steep = int(np.argmax(rm.coef_[:, 0]))
    assert rm.predict_component(np.array([[1.0]]), concomitant=np.array([[3.0]]))[0] == steep
