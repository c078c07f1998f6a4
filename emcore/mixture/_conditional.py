"""The conditional-Gaussian algebra of each covariance type, for rows with missing entries.

Mixed into the covariance-type objects of :mod:`._covariance` (one class per
type, so no other module branches on the type's name). A row's coordinates
split into its observed block ``o`` and its missing block ``m`` (``b`` of
them). In the precision ``P = U U^T`` of a component, the missing block given
the observed one is Gaussian with covariance ``C = P_mm^{-1}`` and mean
``x^_m = mu_m - C P_mo (x_o - mu_o)``, and since ``x^_m`` is that
conditional's mode,

    ``log N(x_o | mu_o, S_oo) = -|U^T (x^ - mu)|^2 / 2 + log|P|^(1/2) - log|P_mm|^(1/2) - (d - b) log(2 pi) / 2``

with ``x^`` the row completed by ``x^_m``: only the ``b x b`` block
``P_mm`` of each pattern is factorised, and the rest is row-wise work with
the fitted ``U``, vectorised over all rows with the same number of missing
entries. For ``diag`` and ``spherical`` ``x^_m = mu_m`` and ``C`` is the
missing block's variances. The interface (``mis`` (P, b) the missing
columns of ``P`` patterns, ``pid`` (n,) each row's pattern, ``diff`` (K, n,
d) each row minus each component's mean with 0 at its missing coordinates):

* ``missing_precision(U, mis)`` -> ``(C, log|P_mm|^(1/2))``, ``C`` (K, P, b, b)
  (``tied``: (1, P, b, b); ``diag``, ``spherical``: (K, P, b), its diagonal),
  the log-determinants (K, P) (``tied``: (1, P));
* ``complete_rows(diff, U, C, mis, pid)`` -> ``(x^ - mu, |U^T (x^ - mu)|^2)``, (K, n, d)
  (in place of ``diff``) and (K, n): for a matrix the quadratic form is
  ``d_o^T P_oo d_o - t^T C t`` with ``t = P_mo d_o`` (the Schur complement
  ``S_oo^{-1} = P_oo - P_om C P_mo``), from the product ``P d`` that the
  completion needs anyway; for the entries where that difference could lose
  more than ``1e-9`` to round-off (a row very far from a component), the
  squares of ``U^T (x^ - mu)`` instead;
* ``whitened_sq(xhat, U)`` -> (K, n) ``|U^T (x^ - mu)|^2``;
* ``completed_moments(xhat, r, C, r_pattern, mis)`` -> ``(first (K, d), second)``:
  ``sum_n r_kn (x^_kn - mu_k)``, and ``sum_n r_kn (x^_kn - mu_k)(x^_kn - mu_k)^T``
  in the type's shape plus ``sum_p r_pattern[k, p] C_kp`` on each pattern's
  missing block (the conditional covariance the expected outer products carry).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DiagConditional", "FullConditional", "SphericalConditional", "TiedConditional"]


#: Largest absolute round-off accepted in a log-density's quadratic form: here in
#: ``d_o^T P_oo d_o - t^T C t`` (about ``eps d`` times its first term), beyond which the squares of
#: ``U^T (x^ - mu)`` are used; in :mod:`._estep`, the expanded path's bound.
MAX_ROUND_OFF = 1e-9
_EPS = np.finfo(np.float64).eps


def _t(a):
    return np.swapaxes(a, -1, -2)


def _weighted_sums(xhat, r):
    """(K, d) ``sum_n r_kn xhat_kn``: one batched product (a sum over the middle axis is a slow strided pass)."""
    return (r[:, None, :] @ xhat)[:, 0]


class FullConditional:
    """``full`` (and, through :class:`TiedConditional`, ``tied``): the block algebra of a matrix."""

    def _stacked_precisions(self, chol):
        return chol @ _t(chol)

    def missing_precision(self, chol, mis):
        p_mm = self._stacked_precisions(chol)[:, mis[:, :, None], mis[:, None, :]]
        half_log_det = np.sum(np.log(np.diagonal(np.linalg.cholesky(p_mm), axis1=-2, axis2=-1)), axis=-1)
        return np.linalg.inv(p_mm), half_log_det

    def complete_rows(self, diff, chol, c, mis, pid):
        cols = mis[pid]
        y = diff @ self._stacked_precisions(chol)  # P (x - mu) with the missing entries 0: (P_oo d_o, P_mo d_o)
        t = np.take_along_axis(y, cols[None], axis=2)  # P_mo d_o
        quad = np.einsum("knd,knd->kn", diff, y)  # d_o^T P_oo d_o
        fill = np.zeros(np.broadcast_shapes(t.shape, c.shape[:1] + t.shape[1:]))
        b = cols.shape[1]
        for i in range(b):  # C t, entry by entry: b is small, and the rows are many
            for j in range(b):
                fill[:, :, i] += c[:, :, i, j][:, pid] * t[:, :, j]
        far = quad > MAX_ROUND_OFF / (_EPS * diff.shape[-1])
        quad -= np.einsum("knb,knb->kn", t, fill)  # minus t^T C t: d_o^T (S_oo)^-1 d_o
        diff[:, np.arange(diff.shape[1])[:, None], cols] = -fill
        kk, nn = np.nonzero(far)
        if 4 * kk.size > far.size:  # mostly far: the squares of U^T (x^ - mu) for all
            quad = self.whitened_sq(diff, chol)
        elif kk.size:  # the few entries whose difference could lose more than MAX_ROUND_OFF
            quad[kk, nn] = self._whitened_entries(diff[kk, nn], chol, kk)
        return diff, quad

    def _whitened_entries(self, rows, chol, kk):
        """``|U_k^T r|^2`` for rows ``rows`` (f, d) of components ``kk`` (f,)."""
        z = np.einsum("fd,fde->fe", rows, chol[kk])
        return np.einsum("fe,fe->f", z, z)

    def whitened_sq(self, xhat, chol):
        z = xhat @ chol
        np.square(z, out=z)
        return z @ np.ones(z.shape[-1])

    def completed_moments(self, xhat, r, c, r_pattern, mis):
        k = xhat.shape[0]
        rx = xhat * r[:, :, None]
        second = _t(rx) @ xhat
        idx = (np.arange(k)[:, None, None, None], mis[None, :, :, None], mis[None, :, None, :])
        np.add.at(second, idx, r_pattern[:, :, None, None] * c)
        return _weighted_sums(xhat, r), second


class TiedConditional(FullConditional):
    """``tied``: one ``P`` for all components; the second moments summed over them."""

    def _stacked_precisions(self, chol):
        return (chol @ chol.T)[None]

    def _whitened_entries(self, rows, chol, kk):
        z = rows @ chol
        return np.einsum("fe,fe->f", z, z)

    def completed_moments(self, xhat, r, c, r_pattern, mis):
        first, second = super().completed_moments(xhat, r, c, r_pattern, mis)
        return first, second.sum(axis=0)


class DiagConditional:
    """``diag``: independent coordinates, so ``x^_m = mu_m`` and ``C`` the missing variances."""

    def _precisions_at(self, chol, mis):
        return (chol**2)[:, mis]

    def missing_precision(self, chol, mis):
        p_mm = self._precisions_at(chol, mis)
        return 1.0 / p_mm, 0.5 * np.sum(np.log(p_mm), axis=-1)

    def complete_rows(self, diff, chol, c, mis, pid):
        return diff, self.whitened_sq(diff, chol)

    def whitened_sq(self, xhat, chol):
        z = xhat * chol[:, None, :]
        return np.einsum("knd,knd->kn", z, z)

    def completed_moments(self, xhat, r, c, r_pattern, mis):
        rx = xhat * r[:, :, None]
        second = np.einsum("knd,knd->kd", rx, xhat)
        np.add.at(second, (np.arange(xhat.shape[0])[:, None, None], mis[None]), r_pattern[:, :, None] * c)
        return _weighted_sums(xhat, r), second


class SphericalConditional(DiagConditional):
    """``spherical``: as ``diag``, with one variance per component and the second moments' traces."""

    def _precisions_at(self, chol, mis):
        return np.broadcast_to((chol**2)[:, None, None], (chol.size,) + mis.shape)

    def whitened_sq(self, xhat, chol):
        return np.einsum("knd,knd->kn", xhat, xhat) * (chol**2)[:, None]

    def completed_moments(self, xhat, r, c, r_pattern, mis):
        rx = xhat * r[:, :, None]
        return _weighted_sums(xhat, r), np.einsum("knd,knd->k", rx, xhat) + np.einsum("kp,kpb->k", r_pattern, c)
