"""Monte Carlo EM, SAEM and stochastic EM on the censored normal, whose exact E-step is known."""

import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, em_rate, run_em, run_mcem, run_saem, run_stochastic_em
from emcore.datasets import load_gehan
from emcore.models import CensoredNormal
from emcore.montecarlo import SampledEMModel
from emcore.montecarlo._errors import _autocorrelation_time


def censored_sample(n=60, seed=5):
    rng = np.random.default_rng(seed)
    y = rng.normal(2.0, 1.0, n)
    censored = y > 2.5
    y[censored] = 2.5
    return CensoredNormal(y, censored)


MODEL = censored_sample()
EXACT = run_em(MODEL, MODEL.initial_params(), tol=1e-13).theta


def test_draws_have_the_exact_tail_moments():
    theta = MODEL.initial_params()
    draws = MODEL.sample_missing(theta, 200_000, np.random.default_rng(0))
    first, second = MODEL.tail_moments(theta)
    se1 = draws.std(axis=0) / np.sqrt(draws.shape[0])
    se2 = (draws**2).std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(draws > 2.5)
    assert np.all(np.abs(draws.mean(axis=0) - first) < 5 * se1)
    assert np.all(np.abs((draws**2).mean(axis=0) - second) < 5 * se2)


def test_left_censored_draws_lie_below_their_bounds():
    left = CensoredNormal(-MODEL.y, MODEL.censored, side="left")
    theta = np.array([-EXACT[0], EXACT[1]])
    draws = left.sample_missing(theta, 50_000, np.random.default_rng(1))
    assert np.all(draws < -2.5)
    right = MODEL.sample_missing(EXACT, 50_000, np.random.default_rng(1))
    assert np.allclose(draws, -right)           # the mirror image, draw for draw


def test_mc_gain_estimates_the_exact_q_difference():
    theta, new = MODEL.initial_params(), EXACT
    draws = MODEL.sample_missing(theta, 100_000, np.random.default_rng(2))
    gains = MODEL.complete_log_likelihood(new, draws) - MODEL.complete_log_likelihood(theta, draws)
    t1, t2 = MODEL.e_step(theta)                # Q(.|theta) from the exact statistics

    def q(p):
        return (-0.5 * (t2 - 2 * p[0] * t1 + MODEL.n * p[0] ** 2) / p[1] ** 2
                - MODEL.n * np.log(p[1]))

    assert abs(gains.mean() - (q(new) - q(theta))) < 5 * gains.std() / np.sqrt(gains.size)


@pytest.mark.parametrize("seed", range(6))
def test_mcem_converges_to_the_exact_answer_within_mc_error(seed):
    run = run_mcem(MODEL, MODEL.initial_params(), tol=1e-3, random_state=seed)
    assert run.converged and run.message == "converged"
    assert np.all(np.abs(run.theta - EXACT) < 4 * run.mc_se)
    assert np.all(run.mc_se < 2e-3)
    assert np.all(np.diff(run.sample_sizes) >= 0)   # the ascent rule only grows the sample


def test_mcem_error_shrinks_with_a_tighter_tolerance():
    loose = [run_mcem(MODEL, MODEL.initial_params(), tol=1e-1, random_state=s) for s in range(6)]
    tight = [run_mcem(MODEL, MODEL.initial_params(), tol=1e-3, random_state=s) for s in range(6)]
    err = [np.mean([np.abs(r.theta - EXACT).max() for r in runs]) for runs in (loose, tight)]
    assert err[1] < err[0] / 3
    assert np.mean([r.n_draws for r in tight]) > 5 * np.mean([r.n_draws for r in loose])


def test_runs_are_reproducible_from_the_seed():
    for runner in (run_mcem, run_saem, run_stochastic_em):
        a = runner(MODEL, MODEL.initial_params(), random_state=3)
        b = runner(MODEL, MODEL.initial_params(), random_state=np.random.default_rng(3))
        c = runner(MODEL, MODEL.initial_params(), random_state=4)
        assert np.array_equal(a.theta, b.theta) and len(a.theta_history) == len(b.theta_history)
        assert not np.array_equal(a.theta, c.theta)


def test_saem_converges_to_the_exact_answer():
    errors = []
    for n_iter in (200, 5000):
        runs = [run_saem(MODEL, MODEL.initial_params(), n_iter=n_iter, burn_in=50,
                         random_state=s) for s in range(5)]
        errors.append(np.mean([np.abs(r.theta - EXACT).max() for r in runs]))
    assert errors[1] < errors[0] / 3 and errors[1] < 0.01


def gehan_model():
    data = load_gehan()
    six_mp = data[data[:, 0] == 1]
    return CensoredNormal(np.log(six_mp[:, 1]), six_mp[:, 2] == 0)


@pytest.mark.parametrize("case", ["slow", "fast"])
def test_saem_mc_se_matches_the_spread_across_seeds(case):
    # slow: Gehan's 6-MP times, 12 of 21 censored, EM's rate 0.71 > 1/2, so with eta = 1/t the
    # error falls like t^-(1 - rate), slower than the 1/sqrt(t) of the statistics' own noise
    # (the former mc_se reported 8x too little there); fast: 30 % censored, rate 0.35
    model = gehan_model() if case == "slow" else MODEL
    exact = run_em(model, model.initial_params(), tol=1e-13, max_iter=10_000).theta
    rate = em_rate(model, exact).rate
    assert (rate > 0.6) if case == "slow" else (rate < 0.4)
    runs = [run_saem(model, model.initial_params(), n_iter=200, burn_in=20, random_state=s)
            for s in range(100)]
    spread = np.std([r.theta for r in runs], axis=0, ddof=1)
    reported = np.mean([r.mc_se for r in runs], axis=0)
    # 100 seeds estimate a standard deviation to 7 % (1/sqrt(2*99)): 25 % is 3.5 of those
    assert np.all(np.abs(reported / spread - 1) < 0.25), (reported, spread)


def test_autocorrelation_time_of_an_ar1_series():
    # AR(1) with coefficient phi: tau = (1 + phi) / (1 - phi)
    rng = np.random.default_rng(0)
    for phi in (0.0, 0.5, 0.8):
        noise = rng.normal(size=(40_000, 2))
        x = np.empty_like(noise)
        x[0] = noise[0]
        for t in range(1, len(x)):
            x[t] = phi * x[t - 1] + noise[t]
        tau = _autocorrelation_time(x)
        assert np.all(np.abs(tau / ((1 + phi) / (1 - phi)) - 1) < 0.15), (phi, tau)


def test_stochastic_em_average_is_near_the_mle():
    run = run_stochastic_em(MODEL, MODEL.initial_params(), n_iter=4000, random_state=0)
    assert np.all(np.abs(run.theta - EXACT) < 0.02)
    chain = np.array(run.theta_history[201:])
    assert np.all(chain.std(axis=0) > 10 * run.mc_se)   # a chain with spread, not a point


def test_sample_size_limit_stops_with_a_warning():
    with pytest.warns(ConvergenceWarning, match="max_sample_size"):
        run = run_mcem(MODEL, MODEL.initial_params(), tol=1e-6, max_sample_size=200,
                       random_state=0)
    assert not run.converged and "sample size limit" in run.message


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="alpha"):
        run_mcem(MODEL, MODEL.initial_params(), alpha=0.7)
    with pytest.raises(ValueError, match="kappa"):
        run_saem(MODEL, MODEL.initial_params(), kappa=0.5)
    with pytest.raises(ValueError, match="n_batches"):
        run_stochastic_em(MODEL, MODEL.initial_params(), n_iter=100, burn_in=90)
    with pytest.raises(TypeError, match="sample_missing"):
        run_mcem(object(), 0.0)


def test_a_model_that_leaves_the_parameter_space_is_stopped():
    class Broken(SampledEMModel):
        def sample_missing(self, theta, size, rng):
            return rng.normal(size=(size, 1))

        def complete_log_likelihood(self, theta, draws):
            return np.zeros(len(draws))

        def complete_statistics(self, draws):
            return np.asarray(draws)

        def m_step(self, stats):
            return np.array([np.nan])

    with pytest.raises(FloatingPointError, match="iteration 1"):
        run_mcem(Broken(), np.array([0.0]), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError):
            run_saem(Broken(), np.array([0.0]), random_state=0)


def test_verbose_mcem_prints_one_line_per_iteration(capsys):
    run = run_mcem(MODEL, MODEL.initial_params(), tol=1e-1, random_state=0, verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if "MCEM iteration" in line]
    assert len(lines) == run.n_iter and "draws" in lines[-1] and "bounds" in lines[-1]


def test_fixed_length_runs_show_a_progress_bar_when_verbose(capsys):
    run_saem(MODEL, MODEL.initial_params(), n_iter=40, burn_in=5, random_state=0, verbose=1)
    saem = capsys.readouterr().out.splitlines()
    run_stochastic_em(MODEL, MODEL.initial_params(), n_iter=40, burn_in=5, random_state=0,
                      verbose=1)
    sem = capsys.readouterr().out.splitlines()
    for lines in (saem, sem):
        assert len(lines) == 10  # every tenth of the run
        assert lines[0].startswith("  [##..................] 4/40\t time ")
        assert lines[-1].startswith("  [####################] 40/40\t time ")
    quiet = run_saem(MODEL, MODEL.initial_params(), n_iter=40, burn_in=5, random_state=0)
    assert capsys.readouterr().out == ""
    loud = run_saem(MODEL, MODEL.initial_params(), n_iter=40, burn_in=5, random_state=0,
                    verbose=1)
    assert np.array_equal(quiet.theta, loud.theta)  # printing draws nothing
