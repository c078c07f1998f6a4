"""The four covariance structures of a Gaussian mixture, one small class each.

Conventions shared by all four (``K`` components, ``d`` features):

* ``covariances`` and ``precisions_cholesky`` have the shapes of
  scikit-learn's attributes: ``full`` (K, d, d), ``tied`` (d, d), ``diag``
  (K, d), ``spherical`` (K,).
* ``precisions_cholesky`` is a factor ``U`` with precision ``P = U U^T``;
  computed from a covariance ``S = L L^T`` it is the upper-triangular
  ``U = L^{-T}``, so the Mahalanobis distance is ``|U^T (x - mu)|^2`` and
  ``log det P^{1/2} = sum(log diag U)``.
* Second moments ``M2`` are sums of ``r (x - s)(x - s)^T`` about a shift
  ``s``: (K, d, d) for ``full``, their sum over components (d, d) for
  ``tied``, diagonals (K, d) for ``diag`` and traces (K,) for ``spherical``.

Here is what concerns the parameters: factors, log-determinants, the M-step
covariances and the ``Q`` function's trace term. What a chunk of samples
contributes is in :mod:`._kernels`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COVARIANCE_TYPES", "covariance_model"]


def _cholesky(matrix: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of symmetric matrices, or LinAlgError."""
    return np.linalg.cholesky(matrix)


def _upper_inverse_factor(cov: np.ndarray) -> np.ndarray:
    """``L^{-T}`` for ``cov = L L^T`` (batched); LinAlgError if not positive definite."""
    lower = _cholesky(cov)
    eye = np.broadcast_to(np.eye(cov.shape[-1]), cov.shape)
    return np.swapaxes(np.linalg.solve(lower, eye), -1, -2)


class _Full:
    name = "full"

    @staticmethod
    def cov_shape(k, d):
        return (k, d, d)

    @staticmethod
    def n_cov_parameters(k, d):
        return k * d * (d + 1) // 2

    @staticmethod
    def precision_cholesky(cov):
        return _upper_inverse_factor(cov)

    @staticmethod
    def from_precisions(prec):
        """(covariances, precisions_cholesky) from precision matrices."""
        chol = _cholesky(prec)
        inv = np.linalg.solve(chol, np.broadcast_to(np.eye(prec.shape[-1]), prec.shape))
        return np.swapaxes(inv, -1, -2) @ inv, chol

    @staticmethod
    def precisions(chol):
        return chol @ np.swapaxes(chol, -1, -2)

    @staticmethod
    def half_log_det(chol, k, d):
        return np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)

    @staticmethod
    def precision_scale(chol):
        """Per component, an upper bound of the largest eigenvalue of P (its trace)."""
        return np.einsum("kij,kij->k", chol, chol)

    @staticmethod
    def covariances(m2, n, n_guarded, delta, reg):
        scatter = m2 - (2 * n_guarded - n)[:, None, None] * delta[:, :, None] * delta[:, None, :]
        cov = scatter / n_guarded[:, None, None]
        spread = np.trace(cov, axis1=1, axis2=2) / cov.shape[1]
        cov[:, np.arange(cov.shape[1]), np.arange(cov.shape[1])] += reg
        return cov, spread

    @staticmethod
    def scatter_trace(chol, n, first, m2, delta):
        """``sum_k tr(P_k S_k)``, ``S_k`` the scatter about ``shift + delta`` from the statistics."""
        prec = _Full.precisions(chol)
        pd = np.einsum("kij,kj->ki", prec, delta)
        return float(np.einsum("kij,kij->", prec, m2) - 2 * np.einsum("ki,ki->", pd, first)
                     + np.einsum("k,ki,ki->", n, pd, delta))


class _Tied:
    name = "tied"

    @staticmethod
    def cov_shape(k, d):
        return (d, d)

    @staticmethod
    def n_cov_parameters(k, d):
        return d * (d + 1) // 2

    @staticmethod
    def precision_cholesky(cov):
        return _upper_inverse_factor(cov)

    @staticmethod
    def from_precisions(prec):
        return _Full.from_precisions(prec)

    @staticmethod
    def precisions(chol):
        return chol @ chol.T

    @staticmethod
    def half_log_det(chol, k, d):
        return np.full(k, np.sum(np.log(np.diag(chol))))

    @staticmethod
    def precision_scale(chol):
        return np.array([np.sum(chol * chol)])

    @staticmethod
    def covariances(m2, n, n_guarded, delta, reg):
        scatter = m2 - np.einsum("k,ki,kj->ij", 2 * n_guarded - n, delta, delta)
        cov = scatter / n_guarded.sum()
        spread = np.full(n.shape, np.trace(cov) / cov.shape[0])
        cov[np.diag_indices_from(cov)] += reg
        return cov, spread

    @staticmethod
    def scatter_trace(chol, n, first, m2, delta):
        prec = chol @ chol.T
        pd = delta @ prec
        return float(np.sum(prec * m2) - 2 * np.sum(pd * first) + np.einsum("k,ki,ki->", n, pd, delta))


class _Diag:
    name = "diag"

    @staticmethod
    def cov_shape(k, d):
        return (k, d)

    @staticmethod
    def n_cov_parameters(k, d):
        return k * d

    @staticmethod
    def precision_cholesky(cov):
        if np.any(~(cov > 0)):
            raise np.linalg.LinAlgError("a variance is not positive")
        return 1.0 / np.sqrt(cov)

    @staticmethod
    def from_precisions(prec):
        if np.any(~(prec > 0)):
            raise np.linalg.LinAlgError("a precision is not positive")
        return 1.0 / prec, np.sqrt(prec)

    @staticmethod
    def precisions(chol):
        return chol**2

    @staticmethod
    def half_log_det(chol, k, d):
        return np.sum(np.log(chol), axis=1)

    @staticmethod
    def precision_scale(chol):
        return np.max(chol**2, axis=1)

    @staticmethod
    def covariances(m2, n, n_guarded, delta, reg):
        cov = (m2 - (2 * n_guarded - n)[:, None] * delta**2) / n_guarded[:, None]
        spread = cov.mean(axis=1)
        return cov + reg, spread

    @staticmethod
    def scatter_trace(chol, n, first, m2, delta):
        return float(np.sum(chol**2 * (m2 - 2 * delta * first + n[:, None] * delta**2)))


class _Spherical:
    name = "spherical"

    @staticmethod
    def cov_shape(k, d):
        return (k,)

    @staticmethod
    def n_cov_parameters(k, d):
        return k

    precision_cholesky = _Diag.precision_cholesky
    from_precisions = _Diag.from_precisions
    precisions = _Diag.precisions

    @staticmethod
    def half_log_det(chol, k, d):
        return d * np.log(chol)

    @staticmethod
    def precision_scale(chol):
        return chol**2

    @staticmethod
    def covariances(m2, n, n_guarded, delta, reg):
        d = delta.shape[1]
        cov = (m2 - (2 * n_guarded - n) * np.einsum("kj,kj->k", delta, delta)) / (n_guarded * d)
        return cov + reg, cov.copy()

    @staticmethod
    def scatter_trace(chol, n, first, m2, delta):
        dd = np.einsum("kj,kj->k", delta, delta)
        return float(np.sum(chol**2 * (m2 - 2 * np.einsum("kj,kj->k", delta, first) + n * dd)))


COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_MODELS = {m.name: m for m in (_Full, _Tied, _Diag, _Spherical)}


def covariance_model(name: str):
    """The class that implements covariance type ``name``."""
    return _MODELS[name]

