"""RegressionMixture against R's flexmix: the same data and start, the same fixed point.

The reference numbers in ``flexmix/`` were written by ``reference.R`` (kept beside them, with
the versions used); the live test re-runs it when Rscript with flexmix is installed.
flexmix's Gaussian family divides sigma by n - p (not maximum likelihood), so only the
binomial and Poisson families are compared with it; ``test_regression.py`` checks the
Gaussian family against a direct numerical maximisation.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emcore import RegressionMixture

HERE = Path(__file__).parent
STORED = HERE / "flexmix"
#: The data sets, and EM iterations that bring emcore's fit to the fixed point to round-off
#: (flexmix's stored fits made 4000; the change of the log-likelihood is 0 well before these).
DATA_SETS = {"poisson": 600, "poisson_concomitant": 600, "binomial": 600,
             "binomial_concomitant": 400, "poisson_three": 2000}


def read_fit(folder, name):
    lines = (folder / f"{name}_fit.csv").read_text().split()
    return {key: float(value) for key, value in (line.split(",") for line in lines)}


def fit_like_flexmix(folder, name):
    """emcore's fit of data set ``name`` from flexmix's start, and flexmix's fit."""
    data = np.genfromtxt(folder / f"{name}.csv", delimiter=",", names=True)
    ref = read_fit(folder, name)
    k = sum(key.startswith("coef_") and key.endswith("_0") for key in ref)
    start = np.column_stack([data[f"start{j + 1}"] for j in range(k)])
    family = "binomial" if name.startswith("binomial") else "poisson"
    y = (np.column_stack([data["y"], data["trials"] - data["y"]]) if family == "binomial"
         else data["y"])
    concomitant = data["z"][:, None] if "gating_0_0" in ref else None
    # tol=0: exactly max_iter iterations, as flexmix makes with tolerance 0
    rm = RegressionMixture(k, family=family, resp_init=start, tol=0, max_iter=DATA_SETS[name])
    rm.fit(data["x"][:, None], y, concomitant=concomitant)
    return rm, ref, k


def check_same_fit(rm, ref, k):
    loglik = rm.log_likelihood_history_[-1]
    assert loglik == pytest.approx(ref["loglik"], rel=1e-12)
    coef = np.array([[ref[f"coef_{c}_0"], ref[f"coef_{c}_1"]] for c in range(k)])
    np.testing.assert_allclose(rm.intercept_, coef[:, 0], rtol=1e-6)
    np.testing.assert_allclose(rm.coef_[:, 0], coef[:, 1], rtol=1e-6)
    if "gating_0_0" in ref:
        gating = np.array([[ref[f"gating_{c}_0"], ref[f"gating_{c}_1"]] for c in range(k)])
        # nnet's BFGS (even at reltol 1e-15) leaves flexmix's gating ~1e-7 from the maximiser:
        # 1e-6 relative to the largest coefficient (an intercept near 0 has no relative digits)
        np.testing.assert_allclose(rm.gating_coef_, gating, rtol=0,
                                   atol=1e-6 * np.abs(gating).max())


@pytest.mark.parametrize("name", DATA_SETS)
def test_fit_from_flexmix_start_matches_stored_flexmix_fit(name):
    check_same_fit(*fit_like_flexmix(STORED, name))


def _flexmix_available():
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(flexmix)"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _flexmix_available(), reason="needs Rscript with flexmix")
def test_fit_matches_flexmix_run_live(tmp_path):
    names = ["poisson", "binomial_concomitant"]
    subprocess.run(["Rscript", str(HERE / "reference.R"), str(tmp_path), *names], check=True,
                   capture_output=True, timeout=900)
    for name in names:
        check_same_fit(*fit_like_flexmix(tmp_path, name))


def check_patent_fit(folder):
    """emcore's best of random starts on the patent data against flexmix's (Wang et al. 1998)."""
    from emcore.datasets import load_patents

    ref = read_fit(folder, "patent")
    data = load_patents()
    rm = RegressionMixture(3, family="poisson", n_init=10, random_state=0, tol=1e-11,
                           max_iter=5000).fit(data[:, 2:3], data[:, 0], concomitant=data[:, 1:2])
    assert rm.log_likelihood_history_[-1] == pytest.approx(ref["loglik"], rel=1e-9)
    coef = np.array([[ref[f"coef_{k}_0"], ref[f"coef_{k}_1"]] for k in range(3)])
    gating = np.array([[ref[f"gating_{k}_0"], ref[f"gating_{k}_1"]] for k in range(3)])
    # the labels are arbitrary in both programs: match components by their intercepts, and
    # compare the gate relative to the same component (each program fixes its first at zero)
    ours, theirs = np.argsort(rm.intercept_), np.argsort(coef[:, 0])
    np.testing.assert_allclose(rm.intercept_[ours], coef[theirs, 0], rtol=1e-4)
    np.testing.assert_allclose(rm.coef_[ours, 0], coef[theirs, 1], rtol=1e-4)
    ours_gate = rm.gating_coef_[ours] - rm.gating_coef_[ours[0]]
    theirs_gate = gating[theirs] - gating[theirs[0]]
    np.testing.assert_allclose(ours_gate, theirs_gate, rtol=0,
                               atol=1e-3 * np.abs(theirs_gate).max())


def test_patent_model_of_wang_et_al_matches_flexmix_maximum():
    check_patent_fit(STORED)


@pytest.mark.skipif(not _flexmix_available(), reason="needs Rscript with flexmix")
def test_patent_model_matches_flexmix_run_live(tmp_path):
    subprocess.run(["Rscript", str(HERE / "reference.R"), str(tmp_path), "patent"], check=True,
                   capture_output=True, timeout=900)
    check_patent_fit(tmp_path)
