"""The variance types: ``diag`` (d variances per component) and ``spherical`` (one each).

``_Diag`` stores scikit-learn's ``(K, d)`` variances, whose precisions' Cholesky
factors are ``1 / sqrt(variance)``; ``_Spherical`` is ``diag`` with one variance
for all features of a component, stored as ``(K,)``, so it overrides only what
changes with that (shapes, the log-determinant, traces instead of diagonals).
Besides the base's methods, each mixes in the missing entries' algebra
(:mod:`emcore.gaussian._conditional`), the fast chunk kernels
(:mod:`emcore.gaussian.fast`) and the prior's shapes (:mod:`.prior_shapes`).
"""

from __future__ import annotations

import numpy as np

from .._conditional import DiagConditional, SphericalConditional
from ..fast import DiagKernels, SphericalKernels
from .base import CovarianceType
from .prior_shapes import PriorShapes


def _positive_root(cov, what):
    if np.any(~(cov > 0)):
        raise np.linalg.LinAlgError(f"a {what} is not positive")
    return np.sqrt(cov)


class _Diag(DiagConditional, DiagKernels, PriorShapes, CovarianceType):
    name = "diag"

    cov_shape = staticmethod(lambda k, d: (k, d))
    scale_shape = staticmethod(lambda d: (d,))
    scale_from_number = staticmethod(lambda scale, d: np.broadcast_to(scale, (d,)))
    n_cov_parameters = staticmethod(lambda k, d: k * d)

    def precision_cholesky(self, cov):
        return 1.0 / _positive_root(cov, "variance")

    def from_precisions(self, prec):
        root = _positive_root(prec, "precision")
        return 1.0 / prec, root

    def precisions(self, chol):
        return chol**2

    def whiten(self, diff, chol, j):
        return diff * chol[j]

    def half_log_det(self, chol, k, d):
        return np.sum(np.log(chol), axis=1)

    def covariances(self, m2, n, n_guarded, delta, reg):
        cov = (m2 - (2 * n_guarded - n)[:, None] * delta**2) / n_guarded[:, None]
        return cov + reg, cov

    def relative_spread(self, bare, means):
        """Per feature ``S_i / (S_i + mu_i^2)``, the least over the features."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = bare / (np.maximum(bare, 0.0) + means**2)
        return np.min(np.where(bare > 0, ratio, np.where(np.isnan(bare), np.nan, 0.0)), axis=1)

    def scatter_trace(self, chol, n, first, m2, delta):
        return float(np.sum(chol**2 * (m2 - 2 * delta * first + n[:, None] * delta**2)))

    def outer(self, a, b):
        return a * b

    def add_centred(self, second, j, diff, r):
        second[j] += np.dot(diff * diff, r)

    def _nu_part(self, nu, d):
        """Inverse-gamma: ``nu + 2``."""
        return nu + 2

    def scaled_noise(self, z, covariances, j):
        return z * np.sqrt(covariances[j])


class _Spherical(SphericalConditional, SphericalKernels, _Diag):
    name = "spherical"

    cov_shape = staticmethod(lambda k, d: (k,))
    scale_shape = staticmethod(lambda d: ())
    scale_from_number = staticmethod(lambda scale, d: scale)
    n_cov_parameters = staticmethod(lambda k, d: k)

    def half_log_det(self, chol, k, d):
        return d * np.log(chol)

    def covariances(self, m2, n, n_guarded, delta, reg):
        d = delta.shape[1]
        cov = (m2 - (2 * n_guarded - n) * np.einsum("kj,kj->k", delta, delta)) / (n_guarded * d)
        return cov + reg, cov

    def relative_spread(self, bare, means):
        """``s / (s + |mu|^2 / d)``: one variance, the features' mean (and so its round-off)."""
        rms = np.sqrt(np.mean(means**2, axis=1, keepdims=True))
        return _Diag.relative_spread(self, bare[:, None], rms)

    def scatter_trace(self, chol, n, first, m2, delta):
        dd = np.einsum("kj,kj->k", delta, delta)
        return float(np.sum(chol**2 * (m2 - 2 * np.einsum("kj,kj->k", delta, first) + n * dd)))

    def outer(self, a, b):
        return np.einsum("kj,kj->k", a, b)

    def add_centred(self, second, j, diff, r):
        second[j] += np.dot(np.einsum("ij,ij->j", diff, diff), r)

    def prior_exponent(self, nu, c, k, d):
        return (0.0 if nu is None else self._nu_part(nu, d)) / d + c

    def default_scale(self, second, n, k, d):
        return float(second[0] / n / k ** (2.0 / d)) / d
