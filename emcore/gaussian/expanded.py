"""An HMM's Gaussian log-densities, chunk by chunk, on the expanded path where it is safe.

The expanded path (log-densities of all components as one product of
coefficients with the features ``[q(x); 1; x]``) and its round-off bound
:func:`expansion_error` are those of the mixture's fused E-step
(``emcore.gaussian.fast``); :func:`log_densities` is the function an HMM's emissions use.
Chunks whose bound exceeds ``emcore._tuning.MAX_ROUND_OFF`` are scored by the
reference (:mod:`.reference`).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _tuning
from . import reference
from .fast import coefficient_block, expansion_error, n_features

__all__ = ["expansion_error", "log_densities"]

_LOG_2PI = math.log(2 * math.pi)


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
