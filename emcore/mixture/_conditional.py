"""The conditional-Gaussian algebra of each covariance type, for rows with missing entries.

Mixed into the covariance-type objects of :mod:`._covariance` (one class per
type, so no other module branches on the type's name). A row's coordinates
split into its observed block ``o`` (``a`` of them) and missing block ``m``
(``b``). Under component ``k`` the observed block is Gaussian with the
marginal covariance ``S_oo``, and the missing block given the observed one is
Gaussian with

    mean ``mu_m + W (x_o - mu_o)``, ``W = S_mo S_oo^{-1}``;
    covariance ``C = S_mm - W S_om``.

For ``diag`` and ``spherical`` the blocks are independent: ``W = 0`` and
``C`` is the missing block's own variances. The interface (``S`` the
covariances in the type's shape, ``U_o = precision_cholesky(S_oo)``):

* ``observed_block(S, obs)`` -> ``S_oo`` in the type's shape;
* ``conditional(S, U_o, obs, mis)`` -> ``(W, C)``: ``W`` (K, b, a) or (b, a)
  for ``tied`` (None when zero), ``C`` in the shape of the second moments'
  missing block (``full`` (K, b, b), ``tied`` (b, b), ``diag`` (K, b),
  ``spherical`` (K,): its trace);
* ``conditional_offset(W, D, b)`` -> (K, b, n) ``W D``, with ``D`` (K, a, n)
  the observed coordinates minus each component's ``mu_o``;
* ``completed_moments(D, r, W, C, obs, mis, d)`` -> ``(first (K, d), second)``:
  the moments about each component's mean of the rows completed by their
  conditional means, ``sum_n r_kn (x^_kn - mu_k)`` and
  ``sum_n r_kn (x^_kn - mu_k)(x^_kn - mu_k)^T`` in the type's shape, plus
  ``sum_n r_kn C_k`` on the missing block (the conditional covariance the
  expected outer products carry).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DiagConditional", "FullConditional", "SphericalConditional", "TiedConditional"]


def _t(a):
    return np.swapaxes(a, -1, -2)


class FullConditional:
    """``full`` (and, through :class:`TiedConditional`, ``tied``): the block algebra of a matrix."""

    def observed_block(self, cov, obs):
        return cov[..., obs[:, None], obs]

    def conditional(self, cov, chol_o, obs, mis):
        s_mo = cov[..., mis[:, None], obs]
        w = s_mo @ (chol_o @ _t(chol_o))  # S_mo S_oo^{-1}, S_oo^{-1} = U_o U_o^T
        return w, cov[..., mis[:, None], mis] - w @ _t(s_mo)

    def conditional_offset(self, w, diff, b):
        return w @ diff

    def completed_moments(self, diff, r, w, c, obs, mis, d):
        k, a, _ = diff.shape
        rd = diff * r[:, None, :]
        f, m = rd.sum(axis=2), rd @ _t(diff)
        # x^ - mu = T (x_o - mu_o): identity rows at the observed coordinates, W at the missing ones
        t = np.zeros((k, d, a))
        t[:, obs, np.arange(a)] = 1.0
        t[:, mis] = w
        second = t @ m @ _t(t)
        second[:, mis[:, None], mis] += r.sum(axis=1)[:, None, None] * c
        return (t @ f[:, :, None])[:, :, 0], second


class TiedConditional(FullConditional):
    """``tied``: one ``W`` and ``C`` for all components; the second moments summed over them."""

    def completed_moments(self, diff, r, w, c, obs, mis, d):
        first, second = super().completed_moments(diff, r, w, c, obs, mis, d)
        return first, second.sum(axis=0)


class DiagConditional:
    """``diag``: independent coordinates, so ``W = 0`` and ``C`` the missing variances."""

    def observed_block(self, cov, obs):
        return cov[:, obs]

    def conditional(self, cov, chol_o, obs, mis):
        return None, cov[:, mis]

    def conditional_offset(self, w, diff, b):
        return np.zeros((diff.shape[0], b, diff.shape[2]))

    def _observed_moments(self, diff, r, d, obs):
        first = np.zeros((diff.shape[0], d))
        first[:, obs] = np.einsum("kan,kn->ka", diff, r)
        return first, np.einsum("kan,kan,kn->ka", diff, diff, r)

    def completed_moments(self, diff, r, w, c, obs, mis, d):
        first, sq = self._observed_moments(diff, r, d, obs)
        second = np.zeros((diff.shape[0], d))
        second[:, obs] = sq
        second[:, mis] = r.sum(axis=1)[:, None] * c
        return first, second


class SphericalConditional(DiagConditional):
    """``spherical``: as ``diag``, with the second moments' traces."""

    def observed_block(self, cov, obs):
        return cov

    def conditional(self, cov, chol_o, obs, mis):
        return None, cov * mis.size

    def completed_moments(self, diff, r, w, c, obs, mis, d):
        first, sq = self._observed_moments(diff, r, d, obs)
        return first, sq.sum(axis=1) + r.sum(axis=1) * c
