"""emcore's 14 mclust models against R's mclust: the numbers of ``reference.json``.

``reference.R`` (in this folder) fitted every model on three data sets with mclust 6 and
stored the parameters, the log-likelihood at them, ``df``, BIC and ICL; the data sets are in
``data/``. A last test re-runs the script when ``Rscript`` with mclust is installed.
"""

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.gaussian import reference
from emcore.gaussian.covariance import covariance_model
from emcore.gaussian.mclust import MCLUST_MODELS, geometric_mean, rotate
from emcore.gaussian.mclust_iterative import _CommonOrientation

HERE = Path(__file__).parent
REFERENCE = json.loads((HERE / "reference.json").read_text())
FITS = [f for f in REFERENCE["fits"] if not f["error"]]
IDS = [f"{f['data']}-{f['model']}" for f in FITS]


def load(name, folder=HERE):
    return np.loadtxt(folder / "data" / f"{name}.csv", delimiter=",")


def parameters(fit):
    """weights, means (K, d), covariances (K, d, d) of a stored fit."""
    k, d = fit["k"], fit["d"]
    return (np.array(fit["weights"]), np.array(fit["means"]).reshape(k, d),
            np.array(fit["covariances"]).reshape(k, d, d))


def started_at(fit, **kwargs):
    """An unfitted mixture of ``fit``'s model that starts at mclust's parameters."""
    weights, means, cov = parameters(fit)
    prec = np.linalg.inv(cov)
    prec = (prec + np.swapaxes(prec, 1, 2)) / 2
    return GaussianMixture(fit["k"], covariance_type=fit["model"], weights_init=weights,
                           means_init=means, precisions_init=prec, reg_covar=0, **kwargs)


def test_every_model_is_in_the_reference_on_three_data_sets():
    for name in ("faithful", "iris", "simulated"):
        assert {f["model"] for f in FITS if f["data"] == name} == set(MCLUST_MODELS)


@pytest.mark.parametrize("fit", FITS, ids=IDS)
def test_log_likelihood_bic_icl_and_df_at_mclusts_parameters(fit):
    X = load(fit["data"])
    gm = started_at(fit, max_iter=0).fit(X)  # max_iter=0 keeps the start
    n = len(X)
    assert gm.score(X) * n == pytest.approx(fit["loglik"], rel=1e-9)
    assert covariance_model(fit["model"]).n_parameters(fit["k"], fit["d"]) == fit["df"]
    # mclust's BIC and ICL are 2 log L - df log n and its ICL: higher is better
    assert gm.bic(X) == pytest.approx(-fit["bic"], rel=1e-9)
    assert gm.icl(X) == pytest.approx(-fit["icl"], rel=1e-9)
    # mclust's own icl(fit) takes its last E-step's log-likelihood: at its tight tolerance,
    # the same number to about that tolerance
    assert gm.icl(X) == pytest.approx(-fit["icl_mclust"], rel=1e-8)


@pytest.mark.parametrize("fit", [f for f in FITS if f["model"] != "VVE"],
                         ids=[i for i, f in zip(IDS, FITS) if f["model"] != "VVE"])
def test_em_from_mclusts_fit_stays_at_its_fixed_point(fit):
    # mclust stopped at a relative change of 1e-10 per iteration: EM may still creep uphill
    # by about that much, and the parameters by what so small a change allows
    X = load(fit["data"])
    ll = fit["loglik"]
    one = started_at(fit, max_iter=1, tol=0).fit(X)
    assert abs(one.score(X) * len(X) - ll) <= 1e-9 * abs(ll)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the slow creep may not meet tol in max_iter
        gm = started_at(fit, max_iter=300, tol=1e-13).fit(X)
    gain = (gm.score(X) * len(X) - ll) / abs(ll)
    assert -1e-12 <= gain <= 1e-8
    assert np.all(np.diff(gm.log_likelihood_history_) >= -1e-12 * abs(ll))
    weights, means, cov = parameters(fit)
    assert np.max(np.abs(gm.covariances_ - cov)) <= 1e-3 * np.max(np.abs(cov))
    assert np.max(np.abs(gm.means_ - means)) <= 1e-3 * np.max(np.abs(means))
    np.testing.assert_allclose(gm.weights_, weights, atol=1e-3)


@pytest.mark.parametrize("fit", FITS, ids=IDS)
def test_from_mclusts_hierarchical_start_em_reaches_mclusts_fit(fit):
    # mclust's fit is me() from the partition of its hierarchical clustering (reference.R
    # checks that); emcore from the same partition, an M-step first too, reaches the same
    # log-likelihood (mclust stopped at a relative change of 1e-10), and so the same BIC.
    # VVE: the maximiser of Q climbs above mclust's step (see the VVE test below).
    X = load(fit["data"])
    resp = np.eye(fit["k"])[np.array(fit["start"]) - 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(fit["k"], covariance_type=fit["model"], resp_init=resp, reg_covar=0,
                             tol=1e-12, max_iter=5000).fit(X)
    ll = gm.score(X) * len(X)
    if fit["model"] == "VVE":
        assert ll > fit["loglik"] + 1e-5 * abs(fit["loglik"])
        return
    assert ll == pytest.approx(fit["loglik"], rel=1e-9)
    assert gm.bic(X) == pytest.approx(-fit["bic"], rel=1e-9)


def _mm_orientation(scatter, orientation, inverse_diagonals, largest):
    """mclust's step for a common orientation ``D``: the MM step of Browne & McNicholas (2014).

    ``f(D) = sum_k tr(W_k D B_k D^T)``, ``B_k = diag(inverse_diagonals[k])``; with ``w_k``
    the largest eigenvalue of ``W_k``, ``sum_k tr((W_k - w_k I) D B_k D^T)`` is concave in
    ``D``, so its tangent majorises it; the tangent's minimiser over orthogonal matrices is
    ``U V^T`` from the SVD ``U S V^T`` of ``F = sum_k (w_k I - W_k) D B_k``.
    """
    d = orientation.shape[0]
    shifted = largest[:, None, None] * np.eye(d) - scatter
    u, _, vt = np.linalg.svd(np.einsum("kij,jl,kl->il", shifted, orientation, inverse_diagonals))
    return u @ vt


def _mclust_vve_orientation(scatter, n, start, rounds=20000):
    """mclust 6's VVE M-step (``msvve``): the MM step for ``D`` weighted by ``A_k^{-1}``."""
    orientation = np.linalg.eigh(start[0])[1]
    largest = np.linalg.eigvalsh(scatter)[:, -1]
    for _ in range(rounds):
        shape = _CommonOrientation._rotated(scatter, orientation) / n[:, None]
        shape /= geometric_mean(shape)[:, None]
        new = _mm_orientation(scatter, orientation, 1.0 / shape, largest)
        moved = np.max(np.abs(new - orientation))
        orientation = new
        if moved < 1e-13:
            break
    return rotate(orientation, _CommonOrientation._rotated(scatter, orientation) / n[:, None])


@pytest.mark.parametrize("name", ["faithful", "iris", "simulated"])
def test_mclusts_vve_is_not_a_fixed_point_of_em_but_of_its_own_m_step(name):
    # mclust's VVE step updates the common orientation with the weights A_k^{-1} where the
    # maximiser of Q needs (lambda_k A_k)^{-1}: its fits are fixed points of that step, and
    # EM (whose M-step maximises Q) climbs on from them.
    fit = next(f for f in FITS if f["data"] == name and f["model"] == "VVE")
    X = load(name)
    weights, means, cov = parameters(fit)
    vvv = covariance_model("VVV")
    resp, _ = reference.responsibilities(X, weights, means, vvv.precision_cholesky(cov), vvv)
    n = resp.sum(axis=0)
    centred = [X - resp[:, j] @ X / n[j] for j in range(fit["k"])]
    scatter = np.stack([(resp[:, j, None] * c).T @ c for j, c in enumerate(centred)])
    scale = np.max(np.abs(cov))
    assert np.max(np.abs(_mclust_vve_orientation(scatter, n, cov) - cov)) <= 1e-6 * scale
    ours = covariance_model("VVE").fit_scatter(scatter, n, start=cov)
    assert np.max(np.abs(ours - cov)) > 1e-4 * scale

    def q(s):
        return -0.5 * np.sum(n * np.linalg.slogdet(s)[1]
                             + np.trace(np.linalg.solve(s, scatter), axis1=1, axis2=2))

    assert q(ours) > q(cov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = started_at(fit, max_iter=30, tol=0).fit(X)
    assert gm.score(X) * len(X) > fit["loglik"] + 1e-6 * abs(fit["loglik"])
    assert np.all(np.diff(gm.log_likelihood_history_) >= -1e-12 * abs(fit["loglik"]))


def _have_mclust():
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(mclust)"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _have_mclust(), reason="needs Rscript with the mclust package")
def test_live_mclust_reproduces_the_stored_reference(tmp_path):
    subprocess.run(["Rscript", str(HERE / "reference.R"), str(tmp_path)], check=True,
                   capture_output=True, timeout=600)
    live = json.loads((tmp_path / "reference.json").read_text())
    for name in ("faithful", "iris", "simulated"):
        np.testing.assert_array_equal(load(name, tmp_path), load(name))
    for new, old in zip(live["fits"], REFERENCE["fits"]):
        assert (new["data"], new["model"], new["error"]) == (old["data"], old["model"],
                                                             old["error"])
        if new["error"]:
            continue
        assert new["df"] == old["df"]
        assert new["loglik"] == pytest.approx(old["loglik"], rel=1e-8)
        # and emcore scores the live parameters as mclust does
        X = load(new["data"], tmp_path)
        gm = started_at(new, max_iter=0).fit(X)
        assert gm.score(X) * len(X) == pytest.approx(new["loglik"], rel=1e-9)


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_in_one_dimension_every_model_is_mclusts_e_or_v(name):
    # one feature has no shape or orientation: the models with Equal volume are mclust's "E",
    # the others its "V" (faithful's waiting times, two components)
    X = load("faithful")[:, [1]]
    one_d = REFERENCE["waiting_one_dimensional"][name[0]]
    gm = GaussianMixture(2, covariance_type=name, tol=1e-12, max_iter=2000, random_state=0,
                         reg_covar=0).fit(X)
    assert gm.score(X) * len(X) == pytest.approx(one_d["loglik"], rel=1e-9)
    assert covariance_model(name).n_parameters(2, 1) == one_d["df"]
