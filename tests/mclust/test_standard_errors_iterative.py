"""Standard errors of mclust's eight curved covariance models (VEI ... EVV).

The library differentiates in log volumes, log shapes in an orthonormal sum-zero basis and
Cayley rotations; the test takes another chart of the same set (a logit weight, log shapes
with the last one minus the sum of the others, rotations by the matrix exponential),
its own numerical Hessian and the delta method. At the maximum the two must agree.
"""

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.gaussian import covariance_model

CURVED = ["VEI", "EVI", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    first = rng.multivariate_normal([0, 0, 0], [[2, .6, .2], [.6, 1, .1], [.2, .1, .5]], 200)
    second = rng.multivariate_normal([4, 2, 1], [[1, -.3, .1], [-.3, 1.5, .2], [.1, .2, .4]],
                                     150)
    return np.vstack([first, second])


def _fit(name, X):
    return GaussianMixture(2, covariance_type=name, reg_covar=0, tol=1e-10, max_iter=3000,
                           random_state=0).fit(X)


def _chart(name, gm):
    """Another chart of the model at the fit: (start, coordinates -> theta) for the problem."""
    from scipy.linalg import expm

    S = gm.covariances_
    k, d, _ = S.shape
    volume, shape, orientation = name
    if orientation == "I":
        axes = np.broadcast_to(np.eye(d), (k, d, d))
    elif orientation == "E":   # the common eigenvectors, here taken from the sum
        axes = np.broadcast_to(np.linalg.eigh(S.sum(axis=0))[1], (k, d, d))
    else:
        axes = np.linalg.eigh(S)[1]
    log_var = np.log(np.einsum("kji,kjl,kli->ki", axes, S, axes))
    log_vol = log_var.mean(axis=1)
    log_shape = (log_var - log_vol[:, None])[:, :d - 1]       # the last is minus their sum
    n_vol, n_shape, n_turn = (1 if volume == "E" else k, {"E": 1, "V": k, "I": 0}[shape],
                              {"E": 1, "V": k, "I": 0}[orientation])
    m = d * (d - 1) // 2
    start = np.concatenate([[np.log(gm.weights_[0] / gm.weights_[1])], gm.means_.ravel(),
                            log_vol[:n_vol], log_shape[:n_shape].ravel(), np.zeros(n_turn * m)])

    def theta(u):
        w0 = 1 / (1 + np.exp(-u[0]))
        means, rest = u[1:1 + k * d].reshape(k, d), u[1 + k * d:]
        vol = np.broadcast_to(rest[:n_vol], (k,))
        free = rest[n_vol:n_vol + n_shape * (d - 1)].reshape(n_shape, d - 1)
        logs = np.column_stack([free, -free.sum(axis=1)]) if n_shape else np.zeros((1, d))
        turns = rest[n_vol + n_shape * (d - 1):].reshape(n_turn, m)
        rotations = []
        for t in turns:
            skew = np.zeros((d, d))
            skew[np.triu_indices(d, 1)] = t
            rotations.append(expm(skew - skew.T))
        rot = np.broadcast_to(np.array(rotations) if n_turn else np.eye(d), (k, d, d))
        new_axes = rot @ axes
        variances = np.exp(vol[:, None] + np.broadcast_to(logs, (k, d)))
        cov = np.einsum("kij,kj,klj->kil", new_axes, variances, new_axes)
        return np.concatenate([[w0, 1 - w0], means.ravel(), cov.ravel()])

    return start, theta


@pytest.mark.parametrize("name", CURVED)
def test_curved_model_standard_errors_equal_a_hessian_in_another_chart(name, data):
    X = data
    gm = _fit(name, X)
    model, theta_hat = gm.em_problem(X)
    k, d = 2, X.shape[1]
    coords = model.free_coordinates(theta_hat)
    assert coords.n_free == covariance_model(name).n_parameters(k, d) == gm._n_parameters()
    start, theta = _chart(name, gm)
    assert start.size == coords.n_free
    np.testing.assert_allclose(theta(start), theta_hat, rtol=1e-6, atol=1e-9)

    f = lambda u: model.log_likelihood(theta(u))
    h, p = 1e-4, start.size
    steps = np.eye(p) * h
    hess = np.array([[(f(start + a + b) - f(start + a - b) - f(start - a + b)
                       + f(start - a - b)) / (4 * h * h) for b in steps] for a in steps])
    jac = np.column_stack([(theta(start + e) - theta(start - e)) / (2 * h) for e in steps])
    variances = np.diag(jac @ np.linalg.inv(-hess) @ jac.T)
    ours = model.as_attributes(np.sqrt(np.clip(variances, 0, None)))
    se = gm.standard_errors(X)
    for key in ("weights_", "means_", "covariances_"):
        fixed = np.isnan(se[key])     # entries the model fixes (off-diagonals of a diagonal)
        np.testing.assert_allclose(ours[key][fixed], 0, atol=1e-6)
        np.testing.assert_allclose(se[key][~fixed], ours[key][~fixed], rtol=2e-3)
    assert np.isnan(se["covariances_"][0, 0, 1]) == (name[2] == "I")


def test_vev_standard_errors_agree_with_the_parametric_bootstrap(data):
    from emcore import bootstrap

    X = data
    gm = _fit("VEV", X)
    se = gm.standard_errors(X)
    boot = bootstrap(gm, X, n_boot=60, kind="parametric", random_state=5)
    # 60 replicates estimate a standard deviation to about 9 %: allow 35 % per entry, and
    # the typical ratio to be within 15 % of 1
    for key in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(boot.se[key], se[key], rtol=0.35)
    ratio = boot.se["covariances_"] / se["covariances_"]
    assert abs(np.median(ratio) - 1) < 0.15
