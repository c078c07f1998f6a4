"""LinearGaussianSSM's API: bad input, scoring, forecasting, sampling, parameters."""

import numpy as np
import pytest

from emcore import LinearGaussianSSM
from emcore.exceptions import NotFittedError

from .reference import random_params, statsmodels_loglike, with_holes

NAMES = ("transition", "transition_cov", "observation", "observation_cov", "initial_mean",
         "initial_cov")


def _fixed(params, **kwargs):
    inits = {f"{n}_init": getattr(params, n) for n in NAMES}
    return LinearGaussianSSM(params.n_states, max_iter=0, diagonal=(), **inits, **kwargs)


@pytest.fixture
def Y():
    return np.random.default_rng(0).normal(size=(50, 2))


@pytest.mark.parametrize("kwargs,error,match", [
    ({"transition_cov_init": [[1.0, 0.5], [0.0, 1.0]]}, ValueError,
     "transition_cov_init must be symmetric"),
    ({"transition_cov_init": [[1.0, 1.0], [1.0, 1.0]]}, ValueError,
     "transition_cov_init must be positive"),
    ({"observation_cov_init": [[1.0, 0.0], [0.0, -1.0]]}, ValueError,
     "observation_cov_init must be positive"),
    ({"observation_cov_init": [[1.0, 0.1], [0.1, 1.0]]}, ValueError,
     "observation_cov_init is declared diag"),
    ({"initial_cov_init": [[np.nan, 0.0], [0.0, 1.0]]}, ValueError,
     "initial_cov_init contains NaN"),
    ({"transition_init": np.eye(3)}, ValueError, r"transition_init must have shape \(2, 2\)"),
    ({"observation_init": "abc"}, TypeError, "observation_init must be a numeric array"),
    ({"initial_mean_init": [0.0, np.inf]}, ValueError,
     "initial_mean_init contains NaN or infinite"),
    ({"n_states": 0}, ValueError, "n_states must be an integer >= 1"),
    ({"n_states": 1.5}, TypeError, "n_states must be an integer"),
    ({"tol": -1.0}, ValueError, "tol must be"),
    ({"update": "transition"}, TypeError, "update must be a tuple"),
    ({"update": ("transition", "A")}, ValueError, "update must hold names"),
    ({"diagonal": ("observation",)}, ValueError, "diagonal must hold names"),
    ({"random_state": -1}, ValueError, "random_state"),
])
def test_bad_arguments_raise_naming_the_argument(Y, kwargs, error, match):
    kwargs = {"n_states": 2, **kwargs}
    with pytest.raises(error, match=match):
        LinearGaussianSSM(**kwargs).fit(Y)


@pytest.mark.parametrize("data,match", [
    (np.zeros(10), "Y must be 2-D"),
    (np.zeros((0, 2)), "Found array with 0 sample"),
    (np.array([[1.0, np.inf]]), "Input Y contains infinity"),
    (np.array([[1e300, 1.0]]), "their squares overflow"),
    (np.full((5, 2), np.nan), "Y has no observed entry"),
])
def test_bad_data_raise_naming_Y(data, match):
    with pytest.raises(ValueError, match=match):
        LinearGaussianSSM(1).fit(data)


def test_bad_lengths_raise(Y):
    with pytest.raises(ValueError, match="lengths must sum to the number of rows of Y"):
        LinearGaussianSSM(1).fit(Y, lengths=[10, 10])
    with pytest.raises(ValueError, match="there is no transition"):
        LinearGaussianSSM(1).fit(Y, lengths=[1] * 50)


def test_methods_before_fit_raise_not_fitted(Y):
    for method in ("score", "filter", "smooth"):
        with pytest.raises(NotFittedError):
            getattr(LinearGaussianSSM(1), method)(Y)
    with pytest.raises(NotFittedError):
        LinearGaussianSSM(1).sample(3)
    with pytest.raises(NotFittedError):
        LinearGaussianSSM(1).forecast(3)
    with pytest.raises(NotFittedError):
        LinearGaussianSSM(1).em_problem(Y)


def test_score_of_other_width_raises(Y):
    ssm = LinearGaussianSSM(1, max_iter=3, tol=0).fit(Y)
    with pytest.raises(ValueError, match="Y has 3 features, but LinearGaussianSSM is expecting 2"):
        ssm.score(np.zeros((5, 3)))


def test_max_iter_0_keeps_the_start_and_scores_it():
    rng = np.random.default_rng(1)
    params = random_params(2, 2, rng)
    Y = with_holes(rng.normal(size=(100, 2)), rng)
    ssm = _fixed(params).fit(Y)
    for name in NAMES:
        np.testing.assert_array_equal(getattr(ssm, name + "_"), getattr(params, name))
    assert ssm.score(Y) == pytest.approx(statsmodels_loglike(Y, params), rel=1e-9)
    assert ssm.log_likelihood_history_[0] == pytest.approx(ssm.score(Y), rel=1e-14)
    assert ssm.filter(Y).log_likelihood == ssm.score(Y)


def test_forecast_equals_the_filter_run_over_missing_steps():
    rng = np.random.default_rng(2)
    params = random_params(2, 3, rng)
    Y = rng.normal(size=(60, 3))
    ssm = _fixed(params).fit(Y)
    means, covs = ssm.forecast(5)
    ahead = ssm.filter(np.vstack([Y, np.full((5, 3), np.nan)]))  # the future as missing steps
    C, R = params.observation, params.observation_cov
    np.testing.assert_allclose(means, ahead.predicted_means[60:] @ C.T, rtol=1e-12)
    np.testing.assert_allclose(covs, C @ ahead.predicted_covariances[60:] @ C.T + R, rtol=1e-12)
    np.testing.assert_allclose(
        ssm.forecast(5, Y[:30])[0],
        ssm.filter(np.vstack([Y[:30], np.full((5, 3), np.nan)])).predicted_means[30:] @ C.T,
        rtol=1e-12)


def test_sample_has_the_stationary_moments():
    rng = np.random.default_rng(3)
    params = random_params(2, 2, rng, radius=0.5)
    Y, X = _fixed(params).fit(np.zeros((2, 2))).sample(100_000, random_state=4)
    A, Q, C, R = (params.transition, params.transition_cov, params.observation,
                  params.observation_cov)
    from scipy.linalg import solve_discrete_lyapunov

    P = solve_discrete_lyapunov(A, Q)  # the stationary state covariance
    np.testing.assert_allclose(np.cov(X[1000:].T), P, rtol=0.05, atol=0.05 * np.max(np.abs(P)))
    np.testing.assert_allclose(np.cov(Y[1000:].T), C @ P @ C.T + R, rtol=0.05,
                               atol=0.05 * np.max(np.abs(C @ P @ C.T + R)))
    np.testing.assert_allclose(np.cov((X[1:] - X[:-1] @ A.T).T), Q, rtol=0.05,
                               atol=0.05 * np.max(np.abs(Q)))
    assert X.shape == (100_000, 2) and Y.shape == (100_000, 2)


def test_fit_returns_self_and_sets_fitted_attributes():
    rng = np.random.default_rng(5)
    params = random_params(2, 3, rng, diagonal_r=True)
    Y = with_holes(_fixed(params).fit(np.zeros((2, 3))).sample(200, random_state=5)[0], rng)
    ssm = LinearGaussianSSM(2, n_init=2, tol=1e-2, max_iter=500, random_state=0)
    assert ssm.fit(Y) is ssm
    assert ssm.transition_.shape == (2, 2) and ssm.observation_.shape == (3, 2)
    assert ssm.n_features_in_ == 3 and ssm.converged_
    assert ssm.log_likelihood_history_[-1] == pytest.approx(ssm.score(Y), rel=1e-12)


def test_random_state_makes_fits_repeatable():
    Y = np.random.default_rng(6).normal(size=(100, 1)).cumsum(axis=0)
    a = LinearGaussianSSM(3, n_init=2, max_iter=5, tol=0, random_state=7).fit(Y)
    b = LinearGaussianSSM(3, n_init=2, max_iter=5, tol=0,
                          random_state=np.random.default_rng(7)).fit(Y)
    np.testing.assert_array_equal(a.transition_, b.transition_)


def test_get_params_and_clone():
    from sklearn.base import clone

    ssm = LinearGaussianSSM(3, tol=1e-5, diagonal=())
    copy = clone(ssm)
    assert copy.get_params() == ssm.get_params() and copy is not ssm
    assert ssm.set_params(n_states=2).n_states == 2
    with pytest.raises(ValueError, match="invalid parameter"):
        ssm.set_params(n_components=2)


def test_verbose_prints_each_start_and_every_tenth_iteration(capsys):
    Y = np.random.default_rng(8).normal(size=(60, 1)).cumsum(axis=0)
    LinearGaussianSSM(1, n_init=2, max_iter=20, tol=0, verbose=2, random_state=0).fit(Y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0].split(".")[0] for line in lines] == [
        "Initialization 0", "  Iteration 10", "  Iteration 20", "Initialization did not converge",
        "Initialization 1", "  Iteration 10", "  Iteration 20", "Initialization did not converge"]


def test_n_init_keeps_the_best_start():
    rng = np.random.default_rng(9)
    Y = with_holes(rng.normal(size=(150, 2)).cumsum(axis=0), rng)
    single = [LinearGaussianSSM(2, max_iter=15, tol=0, random_state=0).fit(Y).score(Y)]
    best = LinearGaussianSSM(2, n_init=3, max_iter=15, tol=0, random_state=0).fit(Y)
    assert best.score(Y) >= single[0] - 1e-9 * abs(single[0])  # the first start is among the three
