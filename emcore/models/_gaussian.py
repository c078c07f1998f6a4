"""Packing a mean and a covariance into one parameter vector, and Gaussian log-densities.

The multivariate models of :mod:`emcore.models` keep their parameters as one
1-D float vector, so that :func:`emcore.em_rate` and
:func:`emcore.standard_errors` apply to them: the ``D`` entries of the mean,
then the lower triangle of the covariance row by row (``D (D + 1) / 2``
entries), then any further scalars.
"""

from __future__ import annotations

import numpy as np

_LOG_2PI = float(np.log(2 * np.pi))


def n_gaussian_params(d: int) -> int:
    """Length of the packed ``(mean, cov)`` vector in dimension ``d``."""
    return d + d * (d + 1) // 2


def pack(mean, cov, *extra) -> np.ndarray:
    """``[mean, lower triangle of cov, *extra]`` as one float vector."""
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    rows, cols = np.tril_indices(mean.size)
    return np.concatenate([mean, cov[rows, cols], np.asarray(extra, dtype=float)])


def unpack(theta, d: int, n_extra: int = 0, name: str = "theta"):
    """The mean, the covariance and its lower Cholesky factor from a packed vector.

    Raises a ValueError naming ``name`` for a wrong length, a non-finite entry
    or a covariance that is not positive definite.
    """
    vec = np.asarray(theta, dtype=float)
    size = n_gaussian_params(d) + n_extra
    if vec.shape != (size,):
        raise ValueError(f"{name} must be a 1-D array of length {size}, got shape {vec.shape}")
    if not np.all(np.isfinite(vec)):
        raise ValueError(f"{name} contains NaN or infinite values")
    rows, cols = np.tril_indices(d)
    cov = np.zeros((d, d))
    cov[rows, cols] = vec[d:d + rows.size]
    cov[cols, rows] = vec[d:d + rows.size]
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"the covariance in {name} is not positive definite") from None
    return vec[:d].copy(), cov, chol, vec[d + rows.size:].copy()


def mahalanobis(X: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distances of the rows of ``X``, by a triangular solve."""
    half = np.linalg.solve(chol, (X - mean).T)
    return np.sum(half * half, axis=0)


def log_det(chol: np.ndarray) -> float:
    """:math:`\\log\\lvert\\Sigma\\rvert` from the Cholesky factor of :math:`\\Sigma`."""
    return 2.0 * float(np.sum(np.log(np.diag(chol))))
