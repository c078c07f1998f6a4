"""What one chunk of samples contributes, for each covariance type.

A chunk is ``xt``, shape (d, m): its ``m`` samples centred and transposed
(features in rows), float64. Three kinds of kernels:

* **expanded** -- ``-(x - mu)^T P (x - mu) / 2 = a_q^T q(x) + a_x^T x + c``
  with quadratic features ``q(x)`` that do not depend on the parameters
  (products ``x_i x_j``, squares, ``|x|^2``): one matrix product gives every
  component's log-density, and another the moments for the M-step. Its
  round-off grows like ``eps |x|^2 lambda_max(P)`` (checked in
  :mod:`._stats`). ``tied`` needs no ``q(x)``, only a ``shared`` term.
* **direct** -- ``|U_k^T x - U_k^T mu_k|^2`` for all components at once:
  one product with the stacked factors ``[U_1 ... U_K]``, no cancellation
  beyond ``eps |x| |U|``.
* **centred** -- second moments about a component's current mean, from
  ``diff = x - mu_k`` and weights ``r``: free of cancellation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kernels"]


def _sum_of_squares_by_component(y, k):
    """(K*d, m) -> (K, m): per component, the sum of squares of its d rows (in place)."""
    np.square(y, out=y)
    return y.reshape(k, -1, y.shape[1]).sum(axis=1)


class _Full:
    @staticmethod
    def n_quadratic(d):
        return d * (d + 1) // 2

    @staticmethod
    def quadratic(xt, out):
        """Products ``x_i x_j``, ``i <= j``, row by row (the order of ``triu_indices``)."""
        d = xt.shape[0]
        row = 0
        for i in range(d):
            np.multiply(xt[i], xt[i:], out=out[row:row + d - i])
            row += d - i

    @staticmethod
    def coefficients(means, chol):
        d = means.shape[1]
        prec = chol @ np.swapaxes(chol, 1, 2)
        iu, ju = np.triu_indices(d)
        quad = prec[:, iu, ju] * np.where(iu == ju, -0.5, -1.0)
        nu = np.einsum("kij,ki->kj", chol, means)
        return quad.T, np.einsum("kij,kj->ik", prec, means), -0.5 * np.einsum("kj,kj->k", nu, nu)

    @staticmethod
    def shared(xt, chol):
        return None

    @staticmethod
    def second_from_quadratic(g, d, data_second):
        k = g.shape[1]
        iu, ju = np.triu_indices(d)
        m2 = np.empty((k, d, d))
        m2[:, iu, ju] = g.T
        m2[:, ju, iu] = g.T
        return m2

    @staticmethod
    def prepare(means, chol):
        k, d = means.shape
        stacked = np.swapaxes(chol, 1, 2).reshape(k * d, d)  # rows of U_k^T, component by component
        return stacked, np.einsum("kij,ki->kj", chol, means).ravel()

    @staticmethod
    def mahalanobis(xt, prep, k):
        stacked, offsets = prep
        y = stacked @ xt
        y -= offsets[:, None]
        return _sum_of_squares_by_component(y, k)

    @staticmethod
    def empty_second(k, d):
        return np.zeros((k, d, d))

    @staticmethod
    def add_centred(second, j, diff, r):
        b = diff * np.sqrt(r)
        second[j] += b @ b.T  # numpy computes B B^T with a symmetric rank-k update


class _Tied:
    @staticmethod
    def n_quadratic(d):
        return 0

    @staticmethod
    def quadratic(xt, out):
        pass

    @staticmethod
    def coefficients(means, chol):
        nu = means @ chol
        return np.zeros((0, means.shape[0])), chol @ nu.T, -0.5 * np.einsum("kj,kj->k", nu, nu)

    @staticmethod
    def shared(xt, chol):
        """``-x^T P x / 2``, the part of the exponent all components share."""
        y = chol.T @ xt
        np.square(y, out=y)
        return -0.5 * y.sum(axis=0)

    @staticmethod
    def second_from_quadratic(g, d, data_second):
        return data_second.copy()

    @staticmethod
    def prepare(means, chol):
        return chol.T.copy(), means @ chol

    @staticmethod
    def mahalanobis(xt, prep, k):
        ut, nu = prep
        y = (ut @ xt)[None, :, :] - nu[:, :, None]
        return _sum_of_squares_by_component(y.reshape(-1, xt.shape[1]), k)

    @staticmethod
    def empty_second(k, d):
        return np.zeros((d, d))

    @staticmethod
    def add_centred(second, j, diff, r):
        b = diff * np.sqrt(r)
        second += b @ b.T


class _Diag:
    @staticmethod
    def n_quadratic(d):
        return d

    @staticmethod
    def quadratic(xt, out):
        np.square(xt, out=out)

    @staticmethod
    def coefficients(means, chol):
        prec = chol**2
        return -0.5 * prec.T, (prec * means).T, -0.5 * np.sum(prec * means**2, 1)

    @staticmethod
    def shared(xt, chol):
        return None

    @staticmethod
    def second_from_quadratic(g, d, data_second):
        return g.T.copy()

    @staticmethod
    def prepare(means, chol):
        return chol, chol * means

    @staticmethod
    def mahalanobis(xt, prep, k):
        scale, offsets = prep
        y = scale[:, :, None] * xt[None, :, :]
        y -= offsets[:, :, None]
        return _sum_of_squares_by_component(y.reshape(-1, xt.shape[1]), k)

    @staticmethod
    def empty_second(k, d):
        return np.zeros((k, d))

    @staticmethod
    def add_centred(second, j, diff, r):
        second[j] += (diff * diff) @ r


class _Spherical:
    @staticmethod
    def n_quadratic(d):
        return 1

    @staticmethod
    def quadratic(xt, out):
        np.einsum("ij,ij->j", xt, xt, out=out[0])

    @staticmethod
    def coefficients(means, chol):
        prec = chol**2
        return -0.5 * prec[None, :], (prec[:, None] * means).T, -0.5 * prec * np.einsum("kj,kj->k", means, means)

    @staticmethod
    def shared(xt, chol):
        return None

    @staticmethod
    def second_from_quadratic(g, d, data_second):
        return g[0].copy()

    @staticmethod
    def prepare(means, chol):
        return chol**2, means

    @staticmethod
    def mahalanobis(xt, prep, k):
        prec, means = prep
        y = xt[None, :, :] - means[:, :, None]
        out = _sum_of_squares_by_component(y.reshape(-1, xt.shape[1]), k)
        out *= prec[:, None]
        return out

    @staticmethod
    def empty_second(k, d):
        return np.zeros(k)

    @staticmethod
    def add_centred(second, j, diff, r):
        second[j] += np.einsum("ij,ij->j", diff, diff) @ r


_KERNELS = {"full": _Full, "tied": _Tied, "diag": _Diag, "spherical": _Spherical}


def kernels(cov_type: str):
    """The chunk kernels of covariance type ``cov_type``."""
    return _KERNELS[cov_type]
