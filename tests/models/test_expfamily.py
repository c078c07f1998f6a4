"""ExponentialFamilyEM: its models keep their iterates; Var(T | x) gives em_rate's rate."""

import numpy as np
import pytest
from scipy import optimize

from emcore import em_rate, run_em
from emcore.models import ExponentialFamilyEM, ExponentialMissing, MixingProportion


def mixing_model(seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(1.5, 1, 500), rng.normal(3, 1, 200)])
    return MixingProportion(x, means=[0.0, 1.5, 3.0])


def test_both_models_are_exponential_family_models():
    assert issubclass(ExponentialMissing, ExponentialFamilyEM)
    assert issubclass(MixingProportion, ExponentialFamilyEM)


def test_exponential_iterates_equal_the_textbook_update_bit_for_bit():
    observed, m = np.array([5.0, 2.0, 3.5]), 2
    run = run_em(ExponentialMissing(observed, n_missing=m), theta0=1.0, tol=1e-14, max_iter=200)
    theta, expected = 1.0, [1.0]
    for _ in range(run.n_iter):  # Givens & Hoeting: theta <- n / (sum y_obs + m / theta)
        theta = (observed.size + m) / (float(observed.sum()) + m / theta)
        expected.append(theta)
    assert run.theta_history == expected


def test_mixing_iterates_equal_the_textbook_update_bit_for_bit():
    model = mixing_model()
    run = run_em(model, np.array([0.2, 0.5]), tol=1e-12, max_iter=300)
    pi = np.array([0.2, 0.5])
    for theta in run.theta_history[1:]:  # responsibilities, counts, counts / N
        weighted = model.densities * np.append(pi, 1.0 - pi.sum())
        counts = (weighted / weighted.sum(axis=1, keepdims=True)).sum(axis=0)
        pi = counts[:-1] / counts.sum()
        assert np.array_equal(theta, pi)


def test_m_step_inverts_the_expectation_map():
    exp_model, mix_model = ExponentialMissing([5.0, 1.0], n_missing=3), mixing_model()
    assert exp_model.params_from_mean(exp_model.statistic_mean(0.7)) == pytest.approx(0.7,
                                                                                       rel=1e-15)
    pi = np.array([0.25, 0.35])
    assert np.allclose(mix_model.params_from_mean(mix_model.statistic_mean(pi)), pi, rtol=1e-15)


def test_m_step_maximises_q_numerically():
    model = ExponentialMissing([5.0, 1.0], n_missing=3)
    best = optimize.minimize_scalar(lambda t: -model.q_function(t, 0.4), bounds=(1e-3, 10),
                                    method="bounded", options={"xatol": 1e-12})
    assert model.m_step(model.e_step(0.4)) == pytest.approx(best.x, rel=1e-7)  # bounded's xatol


def test_conditional_variance_is_the_derivative_of_the_e_step_in_the_natural_parameter():
    h = 1e-5  # central differences: error ~ h^2 + eps / h ~ 1e-10 relative
    model = ExponentialMissing([5.0, 1.0], n_missing=3)
    theta = 0.4  # natural parameter eta = -theta
    slope = -(model.expected_statistic(theta + h) - model.expected_statistic(theta - h)) / (2 * h)
    assert slope == pytest.approx(model.conditional_statistic_variance(theta), rel=1e-8)
    mix = mixing_model()
    pi = np.array([0.3, 0.45, 0.25])
    eta = np.log(pi[:-1] / pi[-1])

    def expected(eta):
        w = np.append(np.exp(eta), 1.0)
        return mix.expected_statistic((w / w.sum())[:-1])

    jac = np.column_stack([(expected(eta + h * e) - expected(eta - h * e)) / (2 * h)
                           for e in np.eye(2)])
    variance = mix.conditional_statistic_variance(pi[:-1])
    assert np.allclose(jac, variance[:, :-1], rtol=1e-7, atol=1e-6)


def test_missing_fractions_equal_em_rate_eigenvalues_at_the_maximum():
    model = ExponentialMissing([5.0, 2.0, 3.0], n_missing=2)
    assert model.missing_fractions(model.mle())[0] == pytest.approx(2 / 5, rel=1e-14)
    assert em_rate(model, model.mle()).rate == pytest.approx(2 / 5, rel=1e-8)
    mix = mixing_model()
    theta = run_em(mix, np.array([0.3, 0.3]), tol=1e-15, max_iter=100_000).theta
    fractions = mix.missing_fractions(theta)
    rate = em_rate(mix, theta)
    assert np.allclose(fractions[:2], rate.eigenvalues, rtol=1e-6)  # em_rate: ~1e-10 + residual
    assert abs(fractions[2]) < 1e-12  # the counts' fixed total
