"""emcore.hierarchical_partitions against R's mclust ``hclass(hc(X), ks)`` on faithful.

``hierarchical.R`` (in this folder) stored mclust 6's partitions into 2, ..., 9 groups for
the data transformations "SVD" (mclust's default for ``Mclust``) and "VARS"
(``hierarchical.json``). A last test re-runs the script when ``Rscript`` with mclust is
installed.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emcore import GaussianMixture, hierarchical_partitions
from emcore.mixture._hierarchical import _criterion, _first_appearance

HERE = Path(__file__).parent
REFERENCE = json.loads((HERE / "hierarchical.json").read_text())
X = np.loadtxt(HERE / "data" / "faithful.csv", delimiter=",")
KS = list(range(2, 10))


def test_svd_partitions_are_mclusts():
    parts = hierarchical_partitions(X, KS)  # transform="SVD", mclust's default
    for k in KS:
        np.testing.assert_array_equal(parts[k], REFERENCE["partitions"]["SVD"][str(k)])


def test_vars_partitions_are_mclusts_up_to_four_groups():
    # mclust's 208th merge (a group of two identical rows into a 63-row group) is costed
    # -4.17 by its Fortran, +0.38 by the criterion: from 64 groups down the trees differ
    # (hierarchical_partitions' Notes)
    parts = hierarchical_partitions(X, KS, transform="VARS")
    for k in KS:
        mismatches = np.sum(parts[k] != np.array(REFERENCE["partitions"]["VARS"][str(k)]))
        assert mismatches == 0 if k <= 4 else mismatches <= 11


def test_partitions_are_nested_and_numbered_by_first_appearance():
    parts = hierarchical_partitions(X, [1, 2, 3, 272])
    assert np.all(parts[1] == 1)
    np.testing.assert_array_equal(parts[272], np.arange(1, 273))
    for k in (2, 3):
        labels = parts[k]
        assert set(labels) == set(range(1, k + 1))
        assert labels[0] == 1 and np.all(np.diff(np.unique(labels, return_index=True)[1]) > 0)
    # every group of 3 lies inside one group of 2
    assert all(len(set(parts[2][parts[3] == g])) == 1 for g in (1, 2, 3))


def test_criterion_is_the_regularised_classification_likelihood():
    # m log(|W/m| + (tr W + alpha)/m) for m > p, m log((tr W + alpha)/m) otherwise
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(6, 2))
    W = (pts - pts.mean(0)).T @ (pts - pts.mean(0))
    alpha = 0.3
    expected = 6 * np.log(np.linalg.det(W / 6) + (np.trace(W) + alpha) / 6)
    assert _criterion(6, W, alpha, 2) == pytest.approx(expected, rel=1e-12)
    assert _criterion(2, W, alpha, 2) == pytest.approx(
        2 * np.log((np.trace(W) + alpha) / 2), rel=1e-12)


def test_em_from_the_hierarchical_start():
    labels = hierarchical_partitions(X, 2)[2]
    gm = GaussianMixture(2, covariance_type="VVV", resp_init=np.eye(2)[labels - 1],
                         tol=1e-10, max_iter=1000).fit(X)
    # mclust's VVV fit with 2 components, from the same start (bootstrap_lrt.json)
    lrt = json.loads((HERE / "bootstrap_lrt.json").read_text())
    loglik = next(t["loglik"][1] for t in lrt["tests"] if t["model"] == "VVV")
    assert gm.score(X) * len(X) == pytest.approx(loglik, rel=1e-8)


@pytest.mark.parametrize("kwargs, match", [
    ({"ks": [0]}, "ks"), ({"ks": [273]}, "ks"), ({"ks": [2.5]}, "ks"),
    ({"ks": [2], "transform": "PCA"}, "transform"),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hierarchical_partitions(X, **kwargs)


def _have_mclust():
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(mclust)"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _have_mclust(), reason="needs Rscript with the mclust package")
def test_live_mclust_hierarchical_reproduces_the_stored_reference(tmp_path):
    (tmp_path / "data").mkdir()
    shutil.copy(HERE / "data" / "faithful.csv", tmp_path / "data")
    subprocess.run(["Rscript", str(HERE / "hierarchical.R"), str(tmp_path)], check=True,
                   capture_output=True, timeout=600)
    live = json.loads((tmp_path / "hierarchical.json").read_text())
    assert live["partitions"] == REFERENCE["partitions"]


def test_init_params_hc_is_the_hierarchical_partition():
    labels = hierarchical_partitions(X, 3)[3]
    by_name = GaussianMixture(3, covariance_type="VVV", init_params="hc", max_iter=0).fit(X)
    by_resp = GaussianMixture(3, covariance_type="VVV", resp_init=np.eye(3)[labels - 1],
                              max_iter=0).fit(X)
    np.testing.assert_allclose(by_name.means_, by_resp.means_, rtol=1e-12)
    np.testing.assert_allclose(by_name.covariances_, by_resp.covariances_, rtol=1e-12)
    # and EM from it reaches mclust's VVV fit with 2 components (mclust starts there too)
    gm = GaussianMixture(2, covariance_type="VVV", init_params="hc", tol=1e-10,
                         max_iter=1000).fit(X)
    lrt = json.loads((HERE / "bootstrap_lrt.json").read_text())
    loglik = next(t["loglik"][1] for t in lrt["tests"] if t["model"] == "VVV")
    assert gm.score(X) * len(X) == pytest.approx(loglik, rel=1e-8)


@pytest.mark.skipif(not _have_mclust(), reason="needs Rscript with the mclust package")
def test_live_vars_trees_part_where_mclust_misprices_one_merge(tmp_path):
    # replay mclust's own merges with the criterion evaluated on their rows: the first 207
    # costs are hcvvv's; the 208th (the identical rows 138 and 243 joining a 63-row group) is
    # not, and there emcore's tree (the cheapest merge by the criterion) departs from mclust's
    (tmp_path / "data").mkdir()
    shutil.copy(HERE / "data" / "faithful.csv", tmp_path / "data")
    subprocess.run(["Rscript", str(HERE / "hierarchical_costs.R"), str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    costs = np.loadtxt(tmp_path / "costs.csv")
    theirs = np.loadtxt(tmp_path / "partitions.csv", delimiter=",", dtype=int)
    n, p = X.shape
    alpha = float(((X - X.mean(axis=0)) ** 2).sum()) / (n * p)

    def value(rows):
        centred = X[rows] - X[rows].mean(axis=0)
        return float(_criterion(len(rows), centred.T @ centred, alpha, p))

    def partition(k):
        return np.arange(n) if k == n else theirs[:, k - 2]

    for step in range(1, 209):
        before, after = partition(n - step + 1), partition(n - step)
        merged = next(after == label for label in np.unique(after)
                      if len(np.unique(before[after == label])) == 2)
        first = merged & (before == before[merged][0])
        cost = value(np.flatnonzero(merged)) - value(np.flatnonzero(first)) - value(
            np.flatnonzero(merged & ~first))
        if step < 208:
            assert cost == pytest.approx(costs[step - 1], rel=1e-8, abs=1e-10), step
        else:
            assert sorted(np.flatnonzero(merged & (before == before[137])) + 1) == [138, 243]
            assert costs[step - 1] < -4 and cost > 0.3
    ours = hierarchical_partitions(X, [64, 65], transform="VARS")
    assert np.array_equal(_first_appearance(theirs[:, 63]), ours[65])
    assert not np.array_equal(_first_appearance(theirs[:, 62]), ours[64])
