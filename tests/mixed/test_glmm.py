"""LogisticMixedModel: MCEM and SAEM against lme4's glmer (adaptive quadrature, stored numbers)."""

import csv
import os
import shutil
import subprocess

import numpy as np
import pytest

from emcore import LogisticMixedModel
from emcore.mixed import LogisticRandomIntercept
from emcore.montecarlo import SampledEMModel, run_saem

HERE = os.path.dirname(__file__)


def read(name):
    with open(os.path.join(HERE, "data", name)) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def load(case):
    """(X, y, groups, trials) as reference_glmm.R's formulas have them."""
    if case == "logistic":
        d = read("logistic.csv")
        return np.column_stack([np.ones(d["y"].size), d["x"]]), d["y"], d["g"], None
    d = read("cbpp.csv")
    period = d["period"]
    X = np.column_stack([np.ones(period.size)] + [period == k for k in (2, 3, 4)]).astype(float)
    return X, d["incidence"], d["herd"], d["size"]


def glmer_reference(path=os.path.join(HERE, "glmer_reference.csv")):
    ref = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            ref.setdefault((r["case"], r["quantity"]), []).append(float(r["value"]))
    return {k: np.array(v) for k, v in ref.items()}


REF = glmer_reference()


def saturated_log_likelihood(y, trials):
    """glmer's log-likelihood with nAGQ > 1 is measured from the saturated binomial model
    (0 for 0/1 data): the exact one minus this."""
    from scipy.stats import binom

    return float(binom.logpmf(y, trials, y / trials).sum())


def reference_theta(case):
    return np.r_[REF[case, "fe"], REF[case, "cov"]]


@pytest.mark.parametrize("case", ["logistic", "cbpp"])
def test_quadrature_log_likelihood_equals_glmer_at_its_estimates(case):
    X, y, g, trials = load(case)
    trials = np.ones_like(y) if trials is None else trials
    model = LogisticRandomIntercept(X, y, trials, np.unique(g, return_inverse=True)[1])
    llf = model.log_likelihood(reference_theta(case))
    expected = REF[case, "llf"][0] + saturated_log_likelihood(y, trials)
    assert abs(llf - expected) < 1e-9 * abs(expected)


def test_draws_match_the_quadrature_posterior_means():
    X, y, g, _ = load("logistic")
    model = LogisticRandomIntercept(X, y, np.ones_like(y), g.astype(int))
    theta = reference_theta("logistic")
    draws = model.sample_missing(theta, 20_000, np.random.default_rng(0))
    shift = theta[0]                       # the draws are centred on the intercept
    se = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - shift - model.posterior_means(theta)) < 5 * se)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", ["logistic", "cbpp"])
def test_mcem_agrees_with_glmer_within_monte_carlo_error(case, seed):
    X, y, g, trials = load(case)
    fit = LogisticMixedModel(random_state=seed).fit(X, y, g, trials=trials)
    theta = np.r_[fit.fe_params_, fit.cov_re_.ravel()]
    se = np.r_[fit.mc_se_["fe_params"], fit.mc_se_["cov_re"].ravel()]
    assert fit.converged_
    # mc_se is the error of the last update; the distance left at stopping adds to it
    assert np.all(np.abs(theta - reference_theta(case)) < 6 * se + 1e-3)
    assert np.all(np.abs(theta - reference_theta(case)) < 0.02)
    assert fit.llf_ <= REF[case, "llf"][0] + saturated_log_likelihood(
        y, np.ones_like(y) if trials is None else trials) + 1e-9   # glmer's is the maximum


@pytest.mark.parametrize("case", ["logistic", "cbpp"])
def test_saem_agrees_with_glmer(case):
    X, y, g, trials = load(case)
    fit = LogisticMixedModel(method="saem", sample_size=1, max_iter=500, random_state=0).fit(
        X, y, g, trials=trials)
    assert np.all(np.abs(np.r_[fit.fe_params_, fit.cov_re_.ravel()] - reference_theta(case))
                  < 0.05)
    assert np.all(fit.mc_se_["fe_params"] > 0)


class KeepsEveryDraw(SampledEMModel):
    """SAEM as it was: no statistics, so run_saem keeps every draw with its weight and
    maximises the weighted average of Q exactly (Newton's method to convergence)."""

    def __init__(self, model):
        self.model = model

    def sample_missing(self, theta, size, rng):
        return self.model.sample_missing(theta, size, rng)

    def complete_log_likelihood(self, theta, draws):
        return self.model.complete_log_likelihood(theta, draws)

    def mc_m_step(self, theta, draws, weights=None):
        return self.model.mc_m_step(theta, draws, weights)


def test_saem_running_statistics_agree_with_keeping_every_draw():
    # the two differ from the first iteration (one Newton step on the running quadratic vs
    # Newton to convergence on all draws), so the draws differ: they agree within MC error
    X, y, g, trials = load("cbpp")
    model = LogisticRandomIntercept(X, y, trials, np.unique(g, return_inverse=True)[1])
    kwargs = dict(n_iter=250, burn_in=50, random_state=0)
    running = run_saem(model, model.initial_params(), **kwargs)
    kept = run_saem(KeepsEveryDraw(model), model.initial_params(), **kwargs)
    assert np.all(np.abs(running.theta - kept.theta) < running.mc_se)
    assert not np.array_equal(running.theta, kept.theta)


def test_saem_state_does_not_grow_with_max_iter(monkeypatch):
    seen = []
    original = LogisticRandomIntercept.local_statistics

    def spy(self, theta, draws):
        seen.append(np.shape(draws)[0])
        return original(self, theta, draws)

    def refuse(self, theta, draws, weights=None):
        raise AssertionError("SAEM must not maximise over kept draws")

    monkeypatch.setattr(LogisticRandomIntercept, "local_statistics", spy)
    monkeypatch.setattr(LogisticRandomIntercept, "mc_m_step", refuse)
    X, y, g, trials = load("cbpp")
    largest = {}
    for max_iter in (60, 240):
        seen.clear()
        LogisticMixedModel(method="saem", max_iter=max_iter, burn_in=20, sample_size=1,
                           random_state=0).fit(X, y, g, trials=trials)
        loop = seen[:max_iter]            # then the final error's fresh draws, in chunks
        assert loop == [1] * max_iter
        largest[max_iter] = max(seen)
    assert largest[60] == largest[240]


def test_fits_are_reproducible_from_the_seed():
    X, y, g, trials = load("cbpp")
    a = LogisticMixedModel(random_state=3).fit(X, y, g, trials=trials)
    b = LogisticMixedModel(random_state=3).fit(X, y, g, trials=trials)
    c = LogisticMixedModel(random_state=4).fit(X, y, g, trials=trials)
    assert np.array_equal(a.fe_params_, b.fe_params_) and a.llf_ == b.llf_
    assert not np.array_equal(a.fe_params_, c.fe_params_)


def test_bad_input_is_named():
    X, y, g, trials = load("cbpp")
    with pytest.raises(ValueError, match="Z must have one row per row of X"):
        LogisticMixedModel().fit(X, y, g, Z=X[:5], trials=trials)  # random slopes: Z (n, q)
    with pytest.raises(ValueError, match="between 0 and trials"):
        LogisticMixedModel().fit(X, y + 100, g, trials=trials)
    with pytest.raises(ValueError, match="groups"):
        LogisticMixedModel().fit(X, y, g[:-1], trials=trials)
    with pytest.raises(ValueError, match="method"):
        LogisticMixedModel(method="laplace").fit(X, y, g, trials=trials)


def test_live_glmer_reproduces_the_stored_reference(tmp_path):
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed")
    if subprocess.run(["Rscript", "-e", "quit(status = !requireNamespace('lme4'))"],
                      capture_output=True).returncode != 0:
        pytest.skip("R's lme4 is not installed")
    out = tmp_path / "glmer.csv"
    subprocess.run(["Rscript", os.path.join(HERE, "reference_glmm.R"), str(out)],
                   cwd=os.path.dirname(os.path.dirname(HERE)), check=True, capture_output=True)
    live = glmer_reference(str(out))
    assert live.keys() == REF.keys()
    for key, values in REF.items():
        assert np.allclose(live[key], values, rtol=1e-6), key


def test_verbose_saem_shows_its_progress(capsys):
    X, y, groups, trials = load("logistic")
    LogisticMixedModel(method="saem", max_iter=20, burn_in=5, random_state=0,
                       verbose=1).fit(X, y, groups)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("  [####################] 20/20\t time ")
