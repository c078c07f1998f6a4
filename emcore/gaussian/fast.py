"""The optional fast paths of the E-step: each built-in type's chunk kernels, and the bound.

A covariance type (:class:`.covariance.CovarianceType`) is the textbook
algebra: what the reference E-step (:mod:`.reference`), the M-step and
sampling need. The classes here add, as a mixin, the chunk kernels of the
mixture's fast E-step (``emcore.mixture._estep``) and of an HMM's
log-densities (:mod:`.expanded`); a type without them
(``has_expanded_path`` false, the base's default) runs on the reference,
and the tests compare every kernel with it.

``xt`` (d, m) is a chunk's samples, centred and transposed.

*Expanded path.* The exponent of a Gaussian is a quadratic in ``x``,
``-(x - mu)^T P (x - mu) / 2 = a_q^T q(x) + a_x^T x + c``, with ``q(x)`` the
products ``x_i x_j`` the covariance type needs. Stacking the features
``[q(x); 1; x]`` of many samples, the log-densities of all components are one
matrix product -- much faster than whitening ``x - mu_k`` for each component,
as the reference does. The price is round-off: the terms of the sum grow like
``|x|^2 lambda_max(P)`` while their sum may be small. Its estimate,
:func:`expansion_error`, is ``eps sqrt(F) lambda_max (R + |mu|)^2`` (``F``
features, ``R`` the samples' largest distance from the origin used); where
it exceeds ``emcore._tuning.MAX_ROUND_OFF`` the path is not taken.
The kernels: ``n_quadratic(d)`` rows of features ``q(x)`` written by
``quadratic(xt, out)``, ``coefficients(means, U)`` -> (a_q, a_x, c),
``shared_root(U)`` (the ``U`` of a term all components share,
``-|U^T x|^2 / 2``, or None: the chunk's product with the coefficients gives
``U^T x`` too), ``second_from_quadratic(g, d, data_second)`` (the second
moments from the product of features and responsibilities; a shared
covariance needs the data's own, ``needs_data_second``),
``precision_scale(U)`` (a bound of each largest eigenvalue of ``P``) and
``expanded_max_d`` (most features for which the path pays).

*Direct path*: ``prepare(means, U)``, then ``mahalanobis(xt, prep, k)`` -> (K, m)
squared distances ``|U_k^T (x - mu_k)|^2``, ``x - mu_k`` taken first; its largest
buffer has ``direct_rows(k, d)`` rows per sample (the chunk size follows it).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _tuning

__all__ = ["DiagKernels", "FastKernels", "FullKernels", "SphericalKernels", "TiedKernels",
           "coefficient_block", "expansion_error", "n_features"]

_EPS = np.finfo(np.float64).eps


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


def _sum_of_squares_by_component(y, k):
    """(K*d, m) -> (K, m): per component, the sum of squares of its d rows (in place)."""
    np.square(y, out=y)
    return y.reshape(k, -1, y.shape[1]).sum(axis=1)


class FastKernels:
    """What every type with fast kernels shares: the defaults of the hooks above."""

    has_expanded_path = True
    expanded_max_d = math.inf

    @staticmethod
    def shared_root(chol):
        """The precision root shared by every component (the expanded path), or None."""
        return None

    @staticmethod
    def direct_rows(k, d):
        """Rows of ``mahalanobis``'s largest buffer per sample (the chunk size follows it)."""
        return k * d


class FullKernels(FastKernels):
    """``full``: ``d (d + 1) / 2`` quadratic features; the direct path one component at a time."""

    expanded_max_d = _tuning.EXPANDED_MAX_D

    n_quadratic = staticmethod(lambda d: d * (d + 1) // 2)
    direct_rows = staticmethod(lambda k, d: 2 * d)

    def precision_scale(self, chol):
        return np.einsum("kij,kij->k", chol, chol)

    def quadratic(self, xt, out):
        """Products ``x_i x_j``, ``i <= j``, row by row (the order of ``triu_indices``)."""
        d = xt.shape[0]
        row = 0
        for i in range(d):
            np.multiply(xt[i], xt[i:], out=out[row:row + d - i])
            row += d - i

    def coefficients(self, means, chol):
        d = means.shape[1]
        prec = chol @ np.swapaxes(chol, 1, 2)
        iu, ju = np.triu_indices(d)
        quad = prec[:, iu, ju] * np.where(iu == ju, -0.5, -1.0)
        nu = np.einsum("kij,ki->kj", chol, means)
        return quad.T, np.einsum("kij,kj->ik", prec, means), -0.5 * np.einsum("kj,kj->k", nu, nu)

    def second_from_quadratic(self, g, d, data_second):
        k = g.shape[1]
        iu, ju = np.triu_indices(d)
        m2 = np.empty((k, d, d))
        m2[:, iu, ju] = g.T
        m2[:, ju, iu] = g.T
        return m2

    def prepare(self, means, chol):
        return np.swapaxes(chol, 1, 2).copy(), means

    def mahalanobis(self, xt, prep, k):
        # x - mu_k first, then U_k^T: no cancellation between U^T x and U^T mu far from mu.
        # Component by component, so the buffers are two (d, m) blocks (direct_rows).
        ut, means = prep
        out, diff, y = np.empty((k, xt.shape[1])), np.empty(xt.shape), np.empty(xt.shape)
        for j in range(k):
            np.subtract(xt, means[j][:, None], out=diff)
            np.dot(ut[j], diff, out=y)
            np.einsum("ij,ij->j", y, y, out=out[j])
        return out


class TiedKernels(FullKernels):
    """``tied``: no quadratic features, the shared ``-|U^T x|^2 / 2`` from the same product."""

    needs_data_second = True
    expanded_max_d = math.inf

    n_quadratic = staticmethod(lambda d: 0)
    direct_rows = staticmethod(lambda k, d: 2 * k * d)
    # -x^T P x / 2 = -|U^T x|^2 / 2 is shared by all components
    shared_root = staticmethod(lambda chol: chol)
    quadratic = staticmethod(lambda xt, out: None)  # no quadratic features

    def precision_scale(self, chol):
        return np.array([np.sum(chol * chol)])

    def coefficients(self, means, chol):
        nu = means @ chol
        return np.zeros((0, means.shape[0])), chol @ nu.T, -0.5 * np.einsum("kj,kj->k", nu, nu)

    def second_from_quadratic(self, g, d, data_second):
        return data_second.copy()

    def prepare(self, means, chol):
        return chol.T.copy(), means

    def mahalanobis(self, xt, prep, k):
        ut, means = prep
        y = np.matmul(ut, xt[None, :, :] - means[:, :, None])  # U^T (x - mu_k), all k at once
        return _sum_of_squares_by_component(y.reshape(-1, xt.shape[1]), k)


class DiagKernels(FastKernels):
    """``diag``: the ``d`` squares as quadratic features."""

    n_quadratic = staticmethod(lambda d: d)

    def precision_scale(self, chol):
        return np.max(chol**2, axis=1)

    def quadratic(self, xt, out):
        np.square(xt, out=out)

    def coefficients(self, means, chol):
        prec = chol**2
        return -0.5 * prec.T, (prec * means).T, -0.5 * np.sum(prec * means**2, 1)

    def second_from_quadratic(self, g, d, data_second):
        return g.T.copy()

    def prepare(self, means, chol):
        return chol, means

    def mahalanobis(self, xt, prep, k):
        scale, means = prep
        y = xt[None, :, :] - means[:, :, None]
        y *= scale[:, :, None]
        return _sum_of_squares_by_component(y.reshape(-1, xt.shape[1]), k)


class SphericalKernels(DiagKernels):
    """``spherical``: one quadratic feature, ``|x|^2``."""

    n_quadratic = staticmethod(lambda d: 1)

    def precision_scale(self, chol):
        return chol**2

    def quadratic(self, xt, out):
        np.einsum("ij,ij->j", xt, xt, out=out[0])

    def coefficients(self, means, chol):
        prec = chol**2
        return (-0.5 * prec[None, :], (prec[:, None] * means).T,
                -0.5 * prec * np.einsum("kj,kj->k", means, means))

    def second_from_quadratic(self, g, d, data_second):
        return g[0].copy()

    def prepare(self, means, chol):
        return chol**2, means

    def mahalanobis(self, xt, prep, k):
        prec, means = prep
        y = xt[None, :, :] - means[:, :, None]
        out = _sum_of_squares_by_component(y.reshape(-1, xt.shape[1]), k)
        out *= prec[:, None]
        return out
