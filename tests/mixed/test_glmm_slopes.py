"""LogisticMixedModel with random slopes (a multi-column Z) against lme4's glmer (stored numbers
from reference_glmm_slopes.R) and against the random-intercept model's own quadrature."""

import os
import shutil
import subprocess

import numpy as np
import pytest

from emcore import LogisticMixedModel
from emcore.mixed import LogisticRandomEffects, LogisticRandomIntercept
from emcore.montecarlo._errors import _autocorrelation_time, _final_se, _m_step_jacobian

from .test_glmm import glmer_reference, read

HERE = os.path.dirname(__file__)
REF_FILE = os.path.join(HERE, "glmer_slopes_reference.csv")
REF = glmer_reference(REF_FILE)


def slopes_data():
    d = read("slopes.csv")
    X = np.column_stack([np.ones(d["x"].size), d["x"]])
    return X, d["y"], d["g"], d["n"]


def problem():
    X, y, g, n = slopes_data()
    return LogisticRandomEffects(X, X.copy(), y, n, np.unique(g, return_inverse=True)[1])


def glmer_theta(model):
    return model.pack(REF[("slopes", "fe")], REF[("slopes", "cov")].reshape(2, 2))


def test_quadrature_agrees_with_the_random_intercept_models_grid():
    X, y, g, n = slopes_data()
    index = np.unique(g, return_inverse=True)[1]
    one = LogisticRandomEffects(X, np.ones((len(y), 1)), y, n, index)
    grid = LogisticRandomIntercept(X, y, n, index)
    theta = np.array([-0.2, 0.7, 0.6])
    assert one.log_likelihood(theta) == pytest.approx(grid.log_likelihood(theta), abs=1e-6)
    assert np.allclose(one.posterior_means(theta)[:, 0], grid.posterior_means(theta), atol=1e-6)


def test_draws_have_the_quadrature_posterior_means():
    model = problem()
    theta = glmer_theta(model)
    draws = model.sample_missing(theta, 4000, np.random.default_rng(0))
    shift = theta[:2]  # both columns of Z are columns of X: the draws are b_i + beta
    means = model.posterior_means(theta) + shift
    # the chains' draws are correlated (rejections repeat a value): a generous error bound
    se = draws.std(axis=0) / np.sqrt(4000 / 4)
    assert np.all(np.abs(draws.mean(axis=0) - means) < 5 * se)


def test_m_step_error_allows_for_the_chains_autocorrelation():
    # the draws are an independence Metropolis-Hastings chain per group: rejections repeat a
    # value, so a mean of n draws varies more than one of n independent draws would
    model = problem()
    theta = glmer_theta(model)
    draws = model.sample_missing(theta, 4000, np.random.default_rng(0))
    stats = model.local_statistics(theta, draws)
    projected = stats @ _m_step_jacobian(model, stats.mean(axis=0)).T
    assert np.all(_autocorrelation_time(projected) > 1.2)
    estimates, reported = [], []
    for seed in range(60):
        draws = model.sample_missing(theta, 500, np.random.default_rng(seed))
        estimates.append(model.mc_m_step(theta, draws))
        reported.append(_final_se(model, estimates[-1], draws))
    ratio = np.mean(reported, axis=0) / np.std(estimates, axis=0, ddof=1)
    # 60 seeds estimate a standard deviation to 9 %; ignoring tau would give about 0.85
    assert np.all(np.abs(ratio - 1) < 0.3) and abs(np.mean(ratio) - 1) < 0.12, ratio


def test_mcem_fit_agrees_with_glmer():
    X, y, g, n = slopes_data()
    fit = LogisticMixedModel(random_state=0).fit(X, y, g, Z=X, trials=n)
    assert fit.cov_re_.shape == (2, 2) and fit.random_effects_.shape == (40, 2)
    assert fit.mc_se_["cov_re"].shape == (2, 2) and np.all(fit.mc_se_["fe_params"] < 0.005)
    # glmer's Laplace approximation differs from the likelihood by less than 1e-3 in the
    # estimates here; the Monte Carlo errors (about 5e-4) understate the spread of
    # Metropolis-Hastings draws, so the bound is 0.01
    assert np.allclose(fit.fe_params_, REF[("slopes", "fe")], atol=0.01)
    assert np.allclose(fit.cov_re_, REF[("slopes", "cov")].reshape(2, 2), atol=0.01)
    model = problem()
    assert fit.llf_ >= model.log_likelihood(glmer_theta(model)) - 0.01


def test_bad_z_is_named():
    X, y, g, n = slopes_data()
    with pytest.raises(ValueError, match="Z must have one row per row of X"):
        LogisticMixedModel().fit(X, y, g, Z=X[:-1], trials=n)
    with pytest.raises(ValueError, match="Z has linearly dependent columns"):
        LogisticMixedModel().fit(X, y, g, Z=np.column_stack([X, 2 * X[:, 1]]), trials=n)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_live_glmer_slopes_reproduce_the_stored_reference(tmp_path):
    out = tmp_path / "slopes.csv"
    root = os.path.dirname(os.path.dirname(HERE))
    done = subprocess.run(["Rscript", os.path.join(HERE, "reference_glmm_slopes.R"), str(out)],
                          cwd=root, capture_output=True, text=True)
    if done.returncode != 0 and "lme4" in done.stderr:
        pytest.skip("R package lme4 is not installed")
    assert done.returncode == 0, done.stderr
    live = glmer_reference(str(out))
    assert live.keys() == REF.keys()
    for key, values in REF.items():
        assert np.allclose(live[key], values, rtol=1e-6), key
