"""LinearMixedModel on the dyestuff data (Davies 1947; Box & Tiao 1973) against lme4.

The reference numbers are lme4's ``lmer`` (tests/mixed/dyestuff_reference.R, stored in
dyestuff_reference.csv); the balanced one-way layout also has the closed-form REML
(ANOVA) estimates, an oracle independent of both programs.
"""

import csv
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emcore import LinearMixedModel
from emcore.datasets import load_cbpp, load_dyestuff

HERE = Path(__file__).parent


def reference(path=HERE / "dyestuff_reference.csv"):
    with open(path) as f:
        return {(int(r["reml"]), r["quantity"]): float(r["value"]) for r in csv.DictReader(f)}


def fit(reml, method="em"):
    data = load_dyestuff()
    return LinearMixedModel(reml=reml, method=method).fit(np.ones((30, 1)), data[:, 1],
                                                          data[:, 0])


@pytest.mark.parametrize("reml", [1, 0])
@pytest.mark.parametrize("method", ["em", "px-em"])
def test_dyestuff_fit_equals_lme4(reml, method):
    ref, est = reference(), fit(bool(reml), method)
    assert est.llf_ == pytest.approx(ref[reml, "llf"], rel=1e-9)
    assert est.fe_params_[0] == pytest.approx(ref[reml, "fe"], rel=1e-9)
    assert est.cov_re_[0, 0] == pytest.approx(ref[reml, "cov"], rel=1e-6)
    assert est.scale_ == pytest.approx(ref[reml, "scale"], rel=1e-6)


def test_dyestuff_reml_equals_the_anova_estimates():
    # balanced one-way layout: REML = ANOVA, sigma_b^2 = (MSA - MSE) / n_per_batch
    y = load_dyestuff()[:, 1].reshape(6, 5)
    mse = ((y - y.mean(axis=1, keepdims=True)) ** 2).sum() / (6 * 4)
    msa = 5 * ((y.mean(axis=1) - y.mean()) ** 2).sum() / 5
    est = fit(True)
    assert est.scale_ == pytest.approx(mse, rel=1e-7)
    assert est.cov_re_[0, 0] == pytest.approx((msa - mse) / 5, rel=1e-7)


def test_px_em_needs_fewer_iterations_than_em_on_dyestuff():
    assert fit(True, "px-em").n_iter_ < fit(True).n_iter_


def test_cbpp_loader_is_the_test_copy():
    data = load_cbpp()
    stored = np.loadtxt(HERE / "data" / "cbpp.csv", delimiter=",", skiprows=1)
    assert data.shape == (56, 4) and np.array_equal(data, stored)
    assert data[:, 1].sum() == 99 and data[:, 2].sum() == 842


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_live_dyestuff_reference_is_what_lme4_writes(tmp_path):
    root = HERE.parent.parent
    out = tmp_path / "ref.csv"
    done = subprocess.run(["Rscript", str(HERE / "dyestuff_reference.R"), str(out)], cwd=root,
                          capture_output=True, text=True)
    if done.returncode != 0 and "lme4" in done.stderr:
        pytest.skip("R package lme4 not installed")
    assert done.returncode == 0, done.stderr
    live, stored = reference(out), reference()
    assert live.keys() == stored.keys()
    assert all(live[k] == pytest.approx(stored[k], rel=1e-7) for k in stored)
