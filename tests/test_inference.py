"""em_rate and standard_errors: EM's rate and the observed information, against closed forms."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emcore import EMModel, NotAMaximumWarning, em_rate, run_em, standard_errors
from emcore.models import ExponentialMissing, GeneticLinkage, MixingProportion

METHODS = ["hessian", "sem", "louis"]


class TwoExponentials(EMModel):
    """Two independent exponential problems as one 2-parameter model (parameters a 1-D array).

    Known answers: DM = diag(m_a / n_a, m_b / n_b) and SE_i = theta_i / sqrt(n_obs_i).
    """

    def __init__(self):
        self.parts = (ExponentialMissing([5.0], n_missing=1),
                      ExponentialMissing([1.0, 2.0, 0.5], n_missing=6))

    def e_step(self, theta):
        return [part.e_step(t) for part, t in zip(self.parts, theta)]

    def m_step(self, stats):
        return np.array([part.m_step(s) for part, s in zip(self.parts, stats)])

    def log_likelihood(self, theta):
        return sum(part.log_likelihood(t) for part, t in zip(self.parts, theta))

    def complete_information(self, theta):
        return np.diag([part.complete_information(t) for part, t in zip(self.parts, theta)])

    def complete_score_outer(self, theta):
        # Independent parts: E[S S^T] = diag(E[S_i^2]) + off-diagonal products of the means.
        means = np.array([p.n_observed / t - p.observed_sum for p, t in zip(self.parts, theta)])
        outer = np.outer(means, means)
        outer[np.diag_indices(2)] = [p.complete_score_outer(t) for p, t in zip(self.parts, theta)]
        return outer

    def mle(self):
        return np.array([part.mle() for part in self.parts])


class Bowl(EMModel):
    """A 'log-likelihood' with a minimum at 0: no maximum to take standard errors at."""

    def e_step(self, theta):
        return theta

    def m_step(self, stats):
        return stats

    def log_likelihood(self, theta):
        return float(np.sum(np.asarray(theta) ** 2))


def three_component_mixture():
    rng = np.random.default_rng(20)
    x = np.concatenate([rng.normal(0, 1, 200), rng.normal(2, 1, 300), rng.normal(5, 1.5, 250)])
    model = MixingProportion(x, means=[0.0, 2.0, 5.0], sds=[1.0, 1.0, 1.5])
    theta_hat = run_em(model, np.array([0.3, 0.3]), tol=1e-13, max_iter=5000).theta
    return model, theta_hat


def test_toy_rate_is_one_half():
    # Chapter 3: M'(1/5) = 1/2 exactly.
    result = em_rate(ExponentialMissing([5.0], n_missing=1), 0.2)
    assert result.rate == pytest.approx(0.5, abs=1e-7)
    assert result.jacobian.shape == (1, 1) and result.fixed_point_residual < 1e-15


@settings(max_examples=25, deadline=None)
@given(n_obs=st.integers(1, 20), n_missing=st.integers(0, 20), seed=st.integers(0, 2**16))
def test_exponential_rate_is_the_missing_fraction(n_obs, n_missing, seed):
    y = np.random.default_rng(seed).exponential(1.5, size=n_obs)
    model = ExponentialMissing(y, n_missing=n_missing)
    rate = em_rate(model, model.mle()).rate
    assert rate == pytest.approx(n_missing / (n_obs + n_missing), abs=1e-7)


def test_genetic_linkage_rate_matches_dempster_laird_rubin():
    # DLR (1977), Table 1: the error ratio of EM on Rao's data tends to 0.1328.
    model = GeneticLinkage()
    assert em_rate(model, model.mle()).rate == pytest.approx(0.1328, abs=5e-5)


def test_rate_equals_largest_missing_information_fraction_in_a_three_weight_mixture():
    model, theta_hat = three_component_mixture()
    i_com = model.complete_information(theta_hat)
    i_obs = model.observed_information(theta_hat)
    dm_exact = np.eye(2) - np.linalg.solve(i_com, i_obs)   # I_com^{-1} I_mis
    result = em_rate(model, theta_hat)
    assert np.allclose(result.jacobian, dm_exact, atol=1e-8)
    assert result.rate == pytest.approx(max(abs(np.linalg.eigvals(dm_exact))), abs=1e-8)
    assert abs(result.eigenvalues[0]) >= abs(result.eigenvalues[1])


def test_two_parameter_rate_matrix_is_diagonal_of_missing_fractions():
    model = TwoExponentials()
    result = em_rate(model, model.mle())
    assert np.allclose(result.jacobian, np.diag([1 / 2, 6 / 9]), atol=1e-8)
    assert result.rate == pytest.approx(6 / 9, abs=1e-8)


def test_rate_reports_distance_from_a_fixed_point():
    result = em_rate(ExponentialMissing([5.0], n_missing=1), 1.0)
    assert result.fixed_point_residual == pytest.approx(1.0 - 1.0 / 3.0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("observed, n_missing", [([5.0], 1), ([1.0, 2.0, 0.5, 4.0], 7)])
def test_exponential_standard_error_is_theta_over_root_n_obs(method, observed, n_missing):
    model = ExponentialMissing(observed, n_missing=n_missing)
    theta_hat = model.mle()
    result = standard_errors(model, theta_hat, method)
    expected = theta_hat / np.sqrt(len(observed))   # I_obs = n_obs / theta^2
    assert result.se[0] == pytest.approx(expected, rel=1e-6)
    assert result.cov.shape == (1, 1) and result.method == method


@pytest.mark.parametrize("method", METHODS)
def test_three_weight_mixture_covariance_matches_closed_form(method):
    model, theta_hat = three_component_mixture()
    expected = np.linalg.inv(model.observed_information(theta_hat))
    result = standard_errors(model, theta_hat, method)
    assert np.allclose(result.cov, expected, rtol=1e-5)
    assert np.allclose(result.se, np.sqrt(np.diag(expected)), rtol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_two_parameter_standard_errors_match_closed_form(method):
    model = TwoExponentials()
    theta_hat = model.mle()
    result = standard_errors(model, theta_hat, method)
    assert np.allclose(result.se, theta_hat / np.sqrt([1, 3]), rtol=1e-6)
    assert abs(result.cov[0, 1]) < 1e-8


def test_genetic_linkage_standard_error_matches_closed_form_information():
    # I_obs = y1/(2+t)^2 + (y2+y3)/(1-t)^2 + y4/t^2 (about 377.5 at Rao's data, SE 0.0515).
    model = GeneticLinkage()
    t = model.mle()
    info = 125 / (2 + t) ** 2 + 38 / (1 - t) ** 2 + 34 / t**2
    assert standard_errors(model, t).se[0] == pytest.approx(1 / np.sqrt(info), rel=1e-6)


def test_louis_formula_holds_away_from_the_maximum():
    # With the S_obs S_obs^T term, Louis's identity is exact at every theta.
    model, _ = three_component_mixture()
    theta = np.array([0.2, 0.5])
    with pytest.warns(NotAMaximumWarning, match="gradient"):   # theta is not the maximum
        louis = standard_errors(model, theta, "louis").information
    assert np.allclose(louis, model.observed_information(theta), rtol=1e-6)


def test_not_a_maximum_warns():
    with pytest.warns(NotAMaximumWarning, match="not positive definite"):
        result = standard_errors(Bowl(), np.array([0.0, 0.0]))
    assert np.all(np.isnan(result.se))


@pytest.mark.parametrize("method", METHODS)
def test_an_unconverged_fit_warns_that_the_gradient_is_not_zero(method):
    model, theta_hat = three_component_mixture()
    early = run_em(model, np.array([0.05, 0.05]), max_iter=1).theta
    # the Newton distance, computed here from the closed-form score and information
    f = model.densities
    weights = np.r_[early, 1 - early.sum()]
    score = ((f[:, :2] - f[:, 2:]) / (f @ weights)[:, None]).sum(axis=0)
    distance = np.sqrt(score @ np.linalg.solve(model.observed_information(early), score))
    assert distance > 1                      # far from the maximum, in standard errors
    with pytest.warns(NotAMaximumWarning, match="gradient") as caught:
        standard_errors(model, early, method)
    reported = float(re.search(r"by (\S+) standard errors", str(caught[0].message)).group(1))
    if method != "sem":   # SEM's (I - DM) I_com equals I_obs only at a fixed point of EM
        assert abs(reported / distance - 1) < 0.01


@pytest.mark.parametrize("method", METHODS)
def test_a_converged_fit_does_not_warn_about_the_gradient(method):
    model, theta_hat = three_component_mixture()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = standard_errors(model, theta_hat, method)
    assert np.all(np.isfinite(result.se))


def test_an_unconverged_gaussian_mixture_warns_in_free_coordinates():
    from emcore import GaussianMixture

    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(3, 1, (150, 2))])
    early = GaussianMixture(2, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # the ConvergenceWarning of max_iter=2
        early.fit(X)
    with pytest.warns(NotAMaximumWarning, match="gradient"):
        early.standard_errors(X)
    done = GaussianMixture(2, tol=1e-10, max_iter=1000, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        done.standard_errors(X)


def test_a_maximum_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        standard_errors(ExponentialMissing([5.0], n_missing=1), 0.2)


@pytest.mark.parametrize("method, hook", [("sem", "complete_information"),
                                          ("louis", "complete_information")])
def test_missing_hook_error_names_it(method, hook):
    with pytest.raises(TypeError, match=hook):
        standard_errors(Bowl(), np.array([1.0]), method)


def test_louis_without_score_outer_names_the_hook():
    class NoOuter(ExponentialMissing):
        complete_score_outer = None

    with pytest.raises(TypeError, match="complete_score_outer"):
        standard_errors(NoOuter([5.0], n_missing=1), 0.2, "louis")


def test_unknown_method_is_a_value_error():
    with pytest.raises(ValueError, match="method"):
        standard_errors(ExponentialMissing([5.0], n_missing=1), 0.2, "bootstrap")


@pytest.mark.parametrize("theta, error", [(np.zeros((2, 2)), ValueError), ("0.2", TypeError),
                                          (np.array([]), ValueError), (np.nan, ValueError),
                                          ((0.2, "x"), TypeError)])
def test_bad_theta_hat_is_rejected_naming_it(theta, error):
    with pytest.raises(error, match="theta_hat"):
        em_rate(ExponentialMissing([5.0], n_missing=1), theta)


@pytest.mark.parametrize("step, error", [(0.0, ValueError), (2.0, ValueError),
                                         ("small", TypeError)])
def test_bad_step_is_rejected_naming_it(step, error):
    with pytest.raises(error, match="step"):
        em_rate(ExponentialMissing([5.0], n_missing=1), 0.2, step=step)


def test_object_without_em_methods_is_a_type_error():
    with pytest.raises(TypeError, match="e_step"):
        em_rate(object(), 0.2)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), separation=st.floats(1.0, 4.0))
def test_mixture_rate_is_one_minus_observed_over_complete_information(seed, separation):
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(200) < 0.4, rng.normal(0, 1, 200), rng.normal(separation, 1, 200))
    model = MixingProportion(x, means=[0.0, separation])
    pi_hat = run_em(model, np.array([0.5]), tol=1e-14, max_iter=2000, accelerate="squarem").theta
    assume(0.01 < pi_hat[0] < 0.99)
    fraction = 1 - (model.observed_information(pi_hat) / model.complete_information(pi_hat)).item()
    assert em_rate(model, pi_hat).rate == pytest.approx(fraction, abs=1e-7)
