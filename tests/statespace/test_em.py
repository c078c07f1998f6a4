"""EM for the state-space model: monotone, at a maximum no direct optimiser beats, frozen
parameters."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import LinearGaussianSSM, MonotonicityWarning, em_rate, run_em, standard_errors

from .reference import random_params, statsmodels_ssm, with_holes


def _simulate(params, n, seed):
    names = ("transition", "transition_cov", "observation", "observation_cov", "initial_mean",
             "initial_cov")
    truth = LinearGaussianSSM(params.n_states, max_iter=0, diagonal=(),
                              **{f"{name}_init": getattr(params, name) for name in names})
    return truth.fit(np.zeros((2, params.n_outputs))).sample(n, random_state=seed)[0]


def _local_level(seed, n=300):
    rng = np.random.default_rng(seed)
    level = np.cumsum(rng.normal(scale=0.7, size=n))
    Y = (level + rng.normal(scale=1.5, size=n))[:, None]
    return with_holes(Y, rng, fraction=0.1, whole=((100, 130),))


def _direct_maximum(Y, unpack, x0):
    """scipy's maximum of statsmodels' log-likelihood (an independent filter) over the same
    parameters."""
    from scipy.optimize import minimize

    def negloglik(x):
        return -statsmodels_ssm(Y, unpack(x)).loglike()

    best = min((minimize(negloglik, start, method="Nelder-Mead",
                         options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
                for start in x0),
               key=lambda r: r.fun)
    return -best.fun


def test_local_level_em_is_not_beaten_by_direct_maximisation():
    Y = _local_level(0)
    ssm = LinearGaussianSSM(1, update=("transition_cov", "observation_cov"),
                            transition_init=[[1.0]], observation_init=[[1.0]],
                            initial_mean_init=[0.0], initial_cov_init=[[10.0]], tol=1e-10,
                            max_iter=5000).fit(Y)
    fitted = ssm._params()

    def unpack(x):
        from emcore.statespace import SSMParams
        return SSMParams(np.eye(1), np.exp(x[:1])[None], np.eye(1), np.exp(x[1:])[None],
                         np.zeros(1), np.array([[10.0]]))

    direct = _direct_maximum(Y, unpack, [np.zeros(2), np.array([-2.0, 2.0])])
    # Nelder-Mead compares function values: its maximum is ~1e-8 relative at best
    assert ssm.score(Y) >= direct - 1e-7 * abs(direct)
    assert ssm.score(Y) == pytest.approx(direct, rel=1e-7)
    assert fitted.transition[0, 0] == 1.0


def test_ar1_plus_noise_em_is_not_beaten_by_direct_maximisation():
    rng = np.random.default_rng(1)
    from emcore.statespace import SSMParams
    truth = SSMParams(np.array([[0.8]]), np.array([[1.0]]), np.array([[1.0], [0.5]]),
                      np.diag([0.5, 0.3]), np.zeros(1), np.array([[2.0]]))
    Y = with_holes(_simulate(truth, 400, 1), rng, fraction=0.1)
    ssm = LinearGaussianSSM(1, update=("transition", "transition_cov", "observation_cov"),
                            observation_init=truth.observation, initial_mean_init=[0.0],
                            initial_cov_init=[[2.0]], tol=1e-11, max_iter=5000).fit(Y)

    def unpack(x):
        return SSMParams(np.array([[x[0]]]), np.exp(x[1:2])[None], truth.observation,
                         np.diag(np.exp(x[2:])), np.zeros(1), np.array([[2.0]]))

    direct = _direct_maximum(Y, unpack, [np.array([0.5, 0.0, 0.0, 0.0])])
    assert ssm.score(Y) >= direct - 1e-7 * abs(direct)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), full_r=st.booleans())
def test_em_never_decreases_the_log_likelihood(seed, full_r):
    rng = np.random.default_rng(seed)
    Y = with_holes(_simulate(random_params(2, 3, rng), 80, seed), rng, fraction=0.15,
                   whole=((10, 14),))
    diagonal = () if full_r else ("observation_cov",)
    ssm = LinearGaussianSSM(2, max_iter=0, diagonal=diagonal, random_state=seed).fit(Y)
    model, theta = ssm.em_problem(Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        result = run_em(model, theta, max_iter=30, tol=1e-14)
    lls = result.log_likelihood_history
    assert np.all(np.diff(lls) >= -1e-10 * np.abs(lls[1:]))
    assert lls[-1] > lls[0]


def test_frozen_parameters_stay_at_their_start():
    Y = _local_level(2)
    start = dict(transition_init=[[0.9]], observation_init=[[1.2]], initial_mean_init=[0.5],
                 initial_cov_init=[[3.0]], transition_cov_init=[[0.2]])
    ssm = LinearGaussianSSM(1, update=("observation_cov",), max_iter=50, tol=0, **start).fit(Y)
    for name, value in start.items():
        np.testing.assert_array_equal(getattr(ssm, name.replace("_init", "_")), value)
    # the free one moved, and the likelihood rose
    assert ssm.log_likelihood_history_[-1] > ssm.log_likelihood_history_[0] + 1.0


def test_diagonal_covariances_stay_diagonal_and_full_ones_do_not():
    rng = np.random.default_rng(3)
    Y = _simulate(random_params(2, 3, rng), 300, 3)
    diag = LinearGaussianSSM(2, diagonal=("transition_cov", "observation_cov"), max_iter=20, tol=0,
                             random_state=0).fit(Y)
    full = LinearGaussianSSM(2, diagonal=(), max_iter=20, tol=0, random_state=0).fit(Y)
    for M in (diag.transition_cov_, diag.observation_cov_):
        assert np.count_nonzero(M - np.diag(np.diag(M))) == 0
    assert np.count_nonzero(full.observation_cov_ - np.diag(np.diag(full.observation_cov_))) > 0
    assert full.log_likelihood_history_[-1] >= diag.log_likelihood_history_[-1]


def test_squarem_reaches_the_same_maximum_with_fewer_m_steps():
    Y = _local_level(4)
    ssm = LinearGaussianSSM(1, update=("transition_cov", "observation_cov"),
                            transition_init=[[1.0]], observation_init=[[1.0]],
                            initial_mean_init=[0.0], initial_cov_init=[[10.0]], max_iter=0).fit(Y)
    model, theta0 = ssm.em_problem(Y)
    plain = run_em(model, theta0, tol=1e-10, max_iter=20000, stop="loglik")
    fast = run_em(model, theta0, tol=1e-10, max_iter=20000, stop="loglik", accelerate="squarem")
    assert fast.log_likelihood >= plain.log_likelihood - 1e-6
    assert fast.n_m_steps < plain.n_m_steps / 3
    np.testing.assert_allclose(fast.theta, plain.theta, rtol=1e-3)


def test_rate_and_standard_errors_of_the_local_level_variances():
    Y = _local_level(5, n=400)
    ssm = LinearGaussianSSM(1, update=("transition_cov", "observation_cov"),
                            transition_init=[[1.0]], observation_init=[[1.0]],
                            initial_mean_init=[0.0], initial_cov_init=[[10.0]], max_iter=0).fit(Y)
    model, theta0 = ssm.em_problem(Y)
    theta = run_em(model, theta0, tol=1e-13, max_iter=50000, stop="loglik",
                   accelerate="squarem").theta
    rate = em_rate(model, theta)
    assert 0 < rate.rate < 1
    se = standard_errors(model, theta, method="hessian").se
    # the inverse Hessian of statsmodels' log-likelihood (an independent filter), by central
    # differences
    from emcore.statespace import SSMParams

    def loglik(x):
        return statsmodels_ssm(Y, SSMParams(np.eye(1), x[:1, None], np.eye(1), x[1:, None],
                                            np.zeros(1), np.array([[10.0]]))).loglike()

    h = 1e-4 * theta
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h[i], np.eye(2)[j] * h[j]
            H[i, j] = (loglik(theta + ei + ej) - loglik(theta + ei - ej) - loglik(theta - ei + ej)
                       + loglik(theta - ei - ej)) / (4 * h[i] * h[j])
    np.testing.assert_allclose(se, np.sqrt(np.diag(np.linalg.inv(-H))), rtol=1e-3)


def test_two_outputs_one_factor_em_is_not_beaten_by_direct_maximisation():
    from emcore.statespace import SSMParams

    truth = SSMParams(np.array([[0.7]]), np.array([[1.0]]), np.array([[1.0], [-0.6]]),
                      np.diag([0.4, 0.8]), np.zeros(1), np.array([[1.0]]))
    Y = with_holes(_simulate(truth, 200, 6), np.random.default_rng(6), fraction=0.1,
                   whole=((40, 45),))
    start = LinearGaussianSSM(1, update=("transition", "observation", "observation_cov"),
                              transition_cov_init=[[1.0]], initial_mean_init=[0.0],
                              initial_cov_init=[[1.0]], max_iter=0, random_state=0).fit(Y)
    model, theta0 = start.em_problem(Y)  # EM by SQUAREM, to the same maximum in fewer E-steps
    em = run_em(model, theta0, tol=1e-12, max_iter=5000, stop="loglik", accelerate="squarem")

    def unpack(x):  # Q = 1 fixes the scale of the state; C's sign stays free
        return SSMParams(np.array([[x[0]]]), np.eye(1), x[1:3, None], np.diag(np.exp(x[3:])),
                         np.zeros(1), np.eye(1))

    direct = _direct_maximum(Y, unpack, [np.array([0.5, 0.5, -0.5, 0.0, 0.0])])
    assert em.converged and em.log_likelihood >= direct - 1e-7 * abs(direct)


def test_nile_local_level_reproduces_the_published_maximum_likelihood_variances():
    # Durbin & Koopman (2012), Time Series Analysis by State Space Methods, 2nd ed., section 2.10.3:
    # the Nile's annual flow (1871-1970), local level, diffuse start: sigma2_eps = 15099,
    # sigma2_eta = 1469.1.
    # A known start with variance 1e7 approximates the diffuse one to about sigma2 / 1e7 relative.
    from emcore.datasets import load_nile

    y = load_nile()[:, 1:]
    ssm = LinearGaussianSSM(1, update=("transition_cov", "observation_cov"),
                            transition_init=[[1.0]], observation_init=[[1.0]],
                            initial_mean_init=y[0], initial_cov_init=[[1e7]], max_iter=0).fit(y)
    model, theta0 = ssm.em_problem(y)
    result = run_em(model, theta0, tol=1e-12, max_iter=10000, stop="loglik", accelerate="squarem")
    eta, eps = (model.params(result.theta).transition_cov[0, 0],
                model.params(result.theta).observation_cov[0, 0])
    assert abs(eta - 1469.1) < 0.1 and abs(eps - 15099) < 1.0
