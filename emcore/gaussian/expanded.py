"""The expanded path: Gaussian log-densities as one product of coefficients with features.

The exponent of a Gaussian is a quadratic in ``x``,
``-(x - mu)^T P (x - mu) / 2 = a_q^T q(x) + a_x^T x + c``, with ``q(x)`` the
products ``x_i x_j`` the covariance type needs. Stacking the features
``[q(x); 1; x]`` of many samples, the log-densities of all components are one
matrix product -- much faster than whitening ``x - mu_k`` for each component,
as the reference does (:mod:`.reference`). The price is round-off: the terms
of the sum grow like ``|x|^2 lambda_max(P)`` while their sum may be small. Its
estimate, :func:`expansion_error`, is ``eps sqrt(F) lambda_max (R + |mu|)^2``
(``F`` features, ``R`` the samples' largest distance from the origin used);
where it exceeds ``emcore._tuning.MAX_ROUND_OFF`` the reference path is
taken instead. :func:`log_densities` is the function an HMM's emissions use;
the mixture's fused E-step (``emcore.mixture._estep``) shares the bound.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _tuning
from . import reference

__all__ = ["coefficient_block", "expansion_error", "log_densities", "n_features"]

_EPS = np.finfo(np.float64).eps
_LOG_2PI = math.log(2 * math.pi)


def n_features(cov, d: int) -> int:
    """Rows of the feature block: the quadratic features, a row of ones, then ``x``."""
    return cov.n_quadratic(d) + 1 + d


def expansion_error(cov, means, precisions_cholesky, radius2: float) -> float:
    """Estimated absolute round-off of an expanded log-density for samples
    within ``sqrt(radius2)``."""
    scale = float(np.max(cov.precision_scale(precisions_cholesky)))
    mu = math.sqrt(float(np.max(np.einsum("kj,kj->k", means, means))))
    f = n_features(cov, means.shape[1])
    return _EPS * math.sqrt(f) * scale * (math.sqrt(radius2) + mu) ** 2


def coefficient_block(cov, means, precisions_cholesky, offset) -> np.ndarray:
    """The coefficients (F, K) of the features ``[q(x); 1; x]``, ``offset`` (K,) in the row of ones.

    Where all components share a term ``-|U^T x|^2 / 2`` (``cov.shared_root``:
    ``tied``), its ``U`` follows as extra columns, so the same product gives
    ``U^T x`` too; the caller subtracts half its squared norm.
    """
    a_q, a_x, const = cov.coefficients(means, precisions_cholesky)
    coef = np.concatenate([a_q, (offset + const)[None, :], a_x])
    root = cov.shared_root(precisions_cholesky)
    if root is None:
        return coef
    extra = np.zeros((coef.shape[0], root.shape[1]))
    extra[a_q.shape[0] + 1:] = root
    return np.concatenate([coef, extra], axis=1)


def log_densities(X, means, precisions_cholesky, cov, center) -> np.ndarray:
    """``log N(x_n | mu_k, Sigma_k)``, shape (n, K), chunk by chunk on the faster safe path.

    A chunk is taken about ``center`` (near the data, so the features stay
    small) on the expanded path where :func:`expansion_error` allows it, and
    by the reference (no centre: ``x - mu_k`` first) elsewhere.
    """
    k, d = means.shape
    if not cov.has_expanded_path or d > cov.expanded_max_d:
        return reference.log_densities(X, means, precisions_cholesky, cov)
    n = X.shape[0]
    out = np.empty((k, n))  # state-major, so each chunk's product writes contiguous rows
    rel = means - center
    offset = cov.half_log_det(precisions_cholesky, k, d) - 0.5 * d * _LOG_2PI
    coef_t = np.ascontiguousarray(coefficient_block(cov, rel, precisions_cholesky, offset).T)
    shared = coef_t.shape[0] > k  # tied: -|U^T x|^2 / 2 from the extra rows of the product
    q = cov.n_quadratic(d)
    rows = _tuning.LOG_PROB_ROWS
    feats = np.empty((q + 1 + d, min(n, rows)))
    feats[q] = 1.0
    for a in range(0, n, rows):
        b = min(n, a + rows)
        f = feats[:, :b - a]
        xt = f[q + 1:]
        np.subtract(X[a:b].T, center[:, None], out=xt)
        radius2 = float(np.max(np.einsum("ij,ij->j", xt, xt)))
        if expansion_error(cov, rel, precisions_cholesky, radius2) <= _tuning.MAX_ROUND_OFF:
            cov.quadratic(xt, f[:q])
            if shared:
                product = coef_t @ f
                y = product[k:]
                out[:, a:b] = product[:k] - 0.5 * np.einsum("ij,ij->j", y, y)
            else:
                np.matmul(coef_t, f, out=out[:, a:b])
        else:
            out[:, a:b] = reference.log_densities(X[a:b], means, precisions_cholesky, cov).T
    return out.T
