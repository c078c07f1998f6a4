"""LinearMixedModel: EM and PX-EM against lme4 (stored numbers) and statsmodels' MixedLM."""

import copy
import csv
import os
import shutil
import subprocess
import warnings

import numpy as np
import pytest

from emcore import LinearMixedModel
from emcore.mixed import LMMModel

HERE = os.path.dirname(__file__)

#: case -> (file, response, fixed-effect columns after the intercept, random-effect columns
#: after the intercept, group column); the formulas of reference.R.
CASES = {
    "dietox_intercept": ("dietox.csv", "Weight", ["Time"], [], "Pig"),
    "dietox_slope": ("dietox.csv", "Weight", ["Time"], ["Time"], "Pig"),
    "sleepsim": ("sleepsim.csv", "y", ["days"], ["days"], "subject"),
    "unbalanced": ("unbalanced.csv", "y", ["x", "w"], ["x"], "g"),
    "boundary": ("boundary.csv", "y", ["x1", "x2"], [], "g"),
    "singular": ("singular.csv", "y", ["x", "w"], ["x"], "g"),
}


def load(case):
    file, response, fixed, random, group = CASES[case]
    with open(os.path.join(HERE, "data", file)) as f:
        rows = list(csv.DictReader(f))
    col = {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
    ones = np.ones(len(rows))
    X = np.column_stack([ones] + [col[c] for c in fixed])
    Z = np.column_stack([ones] + [col[c] for c in random])
    return X, col[response], col[group], Z


def lme4_reference(path=os.path.join(HERE, "lme4_reference.csv")):
    ref = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            ref.setdefault((r["case"], int(r["reml"]), r["quantity"]), []).append(float(r["value"]))
    return {k: np.array(v) for k, v in ref.items()}


REF = lme4_reference()
FITS = {}


def fitted(case, reml, method):
    key = (case, reml, method)
    if key not in FITS:
        X, y, g, Z = load(case)
        FITS[key] = LinearMixedModel(reml=bool(reml), method=method).fit(X, y, g, Z)
    return FITS[key]


def close(actual, expected, rtol):
    actual, expected = np.ravel(actual), np.ravel(expected)
    scale = max(np.max(np.abs(expected)), 1e-300)
    return np.max(np.abs(actual - expected)) <= rtol * scale


@pytest.mark.parametrize("method", ["em", "px-em"])
@pytest.mark.parametrize("reml", [1, 0])
@pytest.mark.parametrize("case", list(CASES))
def test_equals_lme4_to_1e6(case, reml, method):
    fit = fitted(case, reml, method)
    assert abs(fit.llf_ - REF[case, reml, "llf"][0]) <= 1e-6 * abs(fit.llf_)
    assert close(fit.fe_params_, REF[case, reml, "fe"], 1e-6)
    assert close(fit.cov_re_, REF[case, reml, "cov"], 1e-6) or case == "boundary"
    assert close(fit.scale_, REF[case, reml, "scale"], 1e-6)
    assert close(fit.random_effects_, REF[case, reml, "re"], 1e-6) or case == "boundary"
    assert fit.converged_


@pytest.mark.parametrize("reml", [True, False])
def test_boundary_variance_is_exactly_zero_and_reported(reml):
    for method in ("em", "px-em"):
        fit = fitted("boundary", int(reml), method)
        assert fit.boundary_ and fit.cov_re_[0, 0] == 0.0
        assert np.all(fit.random_effects_ == 0.0) and np.isfinite(fit.llf_)
        assert fit.n_iter_ < 2000               # not EM's creep towards 0


def test_interior_fits_are_not_on_the_boundary():
    assert not fitted("unbalanced", 1, "em").boundary_


@pytest.mark.parametrize("case", ["sleepsim", "unbalanced", "dietox_slope"])
def test_px_em_needs_fewer_iterations_for_the_same_optimum(case):
    em, px = fitted(case, 1, "em"), fitted(case, 1, "px-em")
    assert close(px.cov_re_, em.cov_re_, 1e-7) and abs(px.llf_ - em.llf_) < 1e-9 * abs(em.llf_)
    assert px.n_iter_ < em.n_iter_


@pytest.mark.parametrize("case", ["dietox_intercept", "unbalanced"])
def test_px_em_working_mean_removes_ml_ems_crawl(case):
    em, px = fitted(case, 0, "em"), fitted(case, 0, "px-em")
    assert close(px.fe_params_, em.fe_params_, 1e-7)
    assert abs(px.llf_ - em.llf_) < 1e-9 * abs(em.llf_)
    assert px.n_iter_ * 5 < em.n_iter_


@pytest.mark.parametrize("method", ["em", "px-em"])
@pytest.mark.parametrize("reml", [True, False])
def test_log_likelihood_never_decreases(reml, method):
    history = fitted("unbalanced", int(reml), method).log_likelihood_history_
    assert np.all(np.diff(history) >= -1e-10 * np.abs(history[1:]))


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("case", ["dietox_intercept", "sleepsim", "unbalanced", "dietox_slope"])
def test_equals_statsmodels_mixedlm(case, reml):
    MixedLM = pytest.importorskip("statsmodels.regression.mixed_linear_model").MixedLM
    X, y, g, Z = load(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = MixedLM(y, X, groups=g, exog_re=Z).fit(reml=reml, method=["bfgs"], gtol=1e-12,
                                                     maxiter=5000)
    fit = fitted(case, int(reml), "em")
    if case == "dietox_slope":  # statsmodels stops short here (lme4 agrees with emcore)
        assert fit.llf_ > sm.llf + 1
        return
    assert abs(fit.llf_ - sm.llf) <= 1e-6 * abs(sm.llf)
    assert close(fit.fe_params_, sm.fe_params, 1e-6)
    assert close(fit.cov_re_, sm.cov_re, 1e-6)
    assert close(fit.scale_, sm.scale, 1e-6)
    blups = np.array([sm.random_effects[k] for k in fit.groups_])
    assert close(fit.random_effects_, blups, 1e-6)


def test_live_lme4_reproduces_the_stored_reference(tmp_path):
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed")
    has = subprocess.run(["Rscript", "-e", "quit(status = !requireNamespace('lme4'))"],
                         capture_output=True)
    if has.returncode != 0:
        pytest.skip("R's lme4 is not installed")
    root = os.path.dirname(os.path.dirname(HERE))
    out = tmp_path / "ref.csv"
    subprocess.run(["Rscript", os.path.join(HERE, "reference.R"), str(out)], cwd=root,
                   check=True, capture_output=True)
    live = lme4_reference(str(out))
    assert live.keys() == REF.keys()
    for key, values in REF.items():
        assert close(live[key], values, 1e-8) or np.max(np.abs(values)) < 1e-8, key


def test_variance_score_is_the_gradient_in_G():
    X, y, g, Z = load("unbalanced")
    for reml in (True, False):
        model = LMMModel(X, y, Z, np.unique(g, return_inverse=True)[1], reml=reml)
        beta, G, s2 = np.array([1.0, 0.4, -1.9]), np.array([[0.6, -0.2], [-0.2, 0.4]]), 0.5
        D = model.variance_score(model.pack(beta, G, s2))
        for E in (np.array([[1.0, 0], [0, 0]]), np.array([[0, 1.0], [1, 0]])):
            h = 1e-5
            up = model.log_likelihood(model.pack(beta, G + h * E, s2))
            down = model.log_likelihood(model.pack(beta, G - h * E, s2))
            assert abs((up - down) / (2 * h) - np.sum(D * E)) < 1e-6 * max(1, abs(np.sum(D * E)))


def test_reml_fixed_effects_are_gls_at_the_variances():
    X, y, g, Z = load("sleepsim")
    fit = fitted("sleepsim", 1, "em")
    V_inv_X, V_inv_y = [], []
    for label in fit.groups_:
        rows = g == label
        V = Z[rows] @ fit.cov_re_ @ Z[rows].T + fit.scale_ * np.eye(rows.sum())
        V_inv_X.append(np.linalg.solve(V, X[rows]))
        V_inv_y.append(np.linalg.solve(V, y[rows]))
    A = sum(X[g == lab].T @ vx for lab, vx in zip(fit.groups_, V_inv_X))
    c = sum(X[g == lab].T @ vy for lab, vy in zip(fit.groups_, V_inv_y))
    assert np.allclose(fit.fe_params_, np.linalg.solve(A, c), rtol=1e-12)


def test_default_Z_is_a_random_intercept():
    X, y, g, _ = load("boundary")
    a = LinearMixedModel().fit(X, y, g)
    b = LinearMixedModel().fit(X, y, g, np.ones((len(y), 1)))
    assert a.llf_ == b.llf_ and a.cov_re_.shape == (1, 1)


def test_estimator_protocol():
    est = LinearMixedModel(reml=False, method="px-em")
    assert est.get_params()["method"] == "px-em"
    clone = copy.deepcopy(est).set_params(tol=1e-6)
    assert clone.tol == 1e-6 and est.tol == 1e-10
    sklearn_clone = pytest.importorskip("sklearn.base").clone
    assert sklearn_clone(est).get_params() == est.get_params()


@pytest.mark.parametrize("change, message", [
    (dict(y=np.ones(5)), "y must have one value per row"),
    (dict(groups=np.zeros(5)), "groups must hold one label per row"),
    (dict(Z=np.ones((5, 1))), "Z must have one row per row"),
    (dict(X=np.ones((124, 2))), "linearly dependent"),
    (dict(y=np.full(124, np.nan)), "y contains NaN"),
])
def test_bad_input_is_named(change, message):
    X, y, g, _ = load("boundary")
    args = dict(X=X, y=y, groups=g, Z=None)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        LinearMixedModel().fit(**args)


def test_bad_parameters_are_named():
    X, y, g, _ = load("boundary")
    with pytest.raises(ValueError, match="method"):
        LinearMixedModel(method="newton").fit(X, y, g)
    with pytest.raises(TypeError, match="reml"):
        LinearMixedModel(reml="yes").fit(X, y, g)


def test_em_problem_runs_on_run_em():
    from emcore import run_em

    model, theta = fitted("sleepsim", 1, "em").em_problem()
    again = run_em(model, theta, max_iter=3)
    assert abs(again.log_likelihood - fitted("sleepsim", 1, "em").llf_) < 1e-8


def test_verbose_prints_progress(capsys):
    X, y, g, Z = load("sleepsim")
    LinearMixedModel(verbose=2).fit(X, y, g, Z)
    out = capsys.readouterr().out
    assert "Initialization 0" in out and "Iteration 10" in out and "converged" in out


def test_too_few_iterations_warn_and_say_so():
    from emcore import ConvergenceWarning

    X, y, g, Z = load("sleepsim")
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        fit = LinearMixedModel(max_iter=5).fit(X, y, g, Z)
    assert not fit.converged_ and fit.n_iter_ == 5 and np.isfinite(fit.llf_)
