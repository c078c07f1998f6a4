"""The matrix types: ``full`` (a d x d covariance per component) and ``tied`` (one shared).

``_Full`` stores scikit-learn's ``(K, d, d)`` covariances and their precisions'
Cholesky factors; ``_Tied`` is ``full`` with one matrix for all components, so it
overrides only what changes with the sharing (shapes, sums over components, the
prior's exponent). R mclust's 14 models (:mod:`emcore.gaussian.mclust`) subclass
``_Full``. Besides the base's methods, each mixes in the missing entries' algebra
(:mod:`emcore.gaussian._conditional`), the fast chunk kernels
(:mod:`emcore.gaussian.fast`) and the prior's shapes (:mod:`.prior_shapes`).
"""

from __future__ import annotations

import numpy as np

from .._conditional import FullConditional, TiedConditional
from ..fast import FullKernels, TiedKernels
from .base import CovarianceType
from .prior_shapes import PriorShapes


def _least_eigenvalue_ratio(bare, mu2):
    """Smallest eigenvalue of ``D^{-1} S D^{-1}``, ``D^2 = diag(S) + mu^2``, per matrix (k,);
    0 where some ``D_i`` is 0 (no spread and no offset), NaN where ``S`` is not finite."""
    out = np.full(bare.shape[0], np.nan)
    finite = np.all(np.isfinite(bare), axis=(1, 2))
    if not finite.any():
        return out
    s = bare[finite]
    d2 = np.maximum(np.diagonal(s, axis1=1, axis2=2), 0.0) + mu2[finite]
    with np.errstate(divide="ignore"):
        inv = np.where(d2 > 0, 1.0 / np.sqrt(d2), 0.0)
    out[finite] = np.linalg.eigvalsh(inv[:, :, None] * s * inv[:, None, :])[:, 0]
    return out


class _Full(FullConditional, FullKernels, PriorShapes, CovarianceType):
    name = "full"

    cov_shape = staticmethod(lambda k, d: (k, d, d))
    scale_shape = staticmethod(lambda d: (d, d))
    scale_from_number = staticmethod(lambda scale, d: np.eye(d) * scale)
    n_cov_parameters = staticmethod(lambda k, d: k * d * (d + 1) // 2)

    def precision_cholesky(self, cov):
        """``L^{-T}`` for ``cov = L L^T`` (batched); LinAlgError if not positive definite."""
        eye = np.broadcast_to(np.eye(cov.shape[-1]), cov.shape)
        return np.swapaxes(np.linalg.solve(np.linalg.cholesky(cov), eye), -1, -2)

    def from_precisions(self, prec):
        chol = np.linalg.cholesky(prec)
        inv = np.linalg.solve(chol, np.broadcast_to(np.eye(prec.shape[-1]), prec.shape))
        return np.swapaxes(inv, -1, -2) @ inv, chol

    def precisions(self, chol):
        return chol @ np.swapaxes(chol, -1, -2)

    def whiten(self, diff, chol, j):
        return diff @ chol[j]

    def half_log_det(self, chol, k, d):
        return np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)

    def covariances(self, m2, n, n_guarded, delta, reg):
        scatter = m2 - (2 * n_guarded - n)[:, None, None] * delta[:, :, None] * delta[:, None, :]
        bare = scatter / n_guarded[:, None, None]
        cov = bare.copy()
        cov[:, np.arange(cov.shape[1]), np.arange(cov.shape[1])] += reg
        return cov, bare

    def relative_spread(self, bare, means):
        bare = np.reshape(bare, (-1,) + bare.shape[-2:])
        mu2 = means**2
        if self.is_shared:  # pooled moments: the round-off of the farthest component's
            mu2 = mu2.max(axis=0, keepdims=True)
        return np.broadcast_to(_least_eigenvalue_ratio(bare, mu2), means.shape[:1]).copy()

    def scatter_trace(self, chol, n, first, m2, delta):
        prec = self.precisions(chol)
        pd = np.einsum("kij,kj->ki", prec, delta)
        return float(np.einsum("kij,kij->", prec, m2) - 2 * np.einsum("ki,ki->", pd, first)
                     + np.einsum("k,ki,ki->", n, pd, delta))

    def outer(self, a, b):
        return a[:, :, None] * b[:, None, :]

    def add_centred(self, second, j, diff, r):
        b = diff * np.sqrt(r)
        second[j] += np.dot(b, b.T)  # numpy computes B B^T with a symmetric rank-k update

    def _nu_part(self, nu, d):
        """Inverse-Wishart: ``nu + d + 1``, defined for ``nu > d - 1``."""
        if nu <= d - 1:
            raise ValueError(f"prior.degrees_of_freedom must be > n_features - 1 = {d - 1} for "
                             f"an inverse-Wishart prior, got {nu}")
        return nu + d + 1

    def scaled_noise(self, z, covariances, j):
        return z @ np.linalg.cholesky(covariances[j]).T


class _Tied(TiedConditional, TiedKernels, _Full):
    name = "tied"

    cov_shape = staticmethod(lambda k, d: (d, d))
    n_cov_parameters = staticmethod(lambda k, d: d * (d + 1) // 2)

    def half_log_det(self, chol, k, d):
        return np.full(k, np.sum(np.log(np.diag(chol))))

    def whiten(self, diff, chol, j):
        return diff @ chol

    def covariances(self, m2, n, n_guarded, delta, reg):
        scatter = m2 - np.einsum("k,ki,kj->ij", 2 * n_guarded - n, delta, delta)
        bare = scatter / n_guarded.sum()
        cov = bare.copy()
        cov[np.diag_indices_from(cov)] += reg
        return cov, bare

    def scatter_trace(self, chol, n, first, m2, delta):
        prec = chol @ chol.T
        pd = delta @ prec
        return float(np.sum(prec * m2) - 2 * np.sum(pd * first)
                     + np.einsum("k,ki,ki->", n, pd, delta))

    def outer(self, a, b):
        return a.T @ b

    def add_centred(self, second, j, diff, r):
        b = diff * np.sqrt(r)
        second += np.dot(b, b.T)

    def per_component(self, psi, k):
        return psi

    def prior_exponent(self, nu, c, k, d):
        return ((0.0 if nu is None else self._nu_part(nu, d)) + c * k) / k

    def default_scale(self, second, n, k, d):
        return second / n / k ** (2.0 / d)

    def scaled_noise(self, z, covariances, j):
        return z @ np.linalg.cholesky(covariances).T
