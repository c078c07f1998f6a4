"""The conditional-Gaussian algebra of each covariance type, for rows with missing entries.

Mixed into the covariance-type objects of :mod:`.covariance` (one class per
type, so no other module branches on the type's name). A row's coordinates
split into its observed block ``o`` and its missing block ``m`` (``b`` of
them). In the precision ``P = U U^T`` of a component, the missing block given
the observed one is Gaussian with covariance ``C = P_mm^{-1}`` and mean
``x^_m = mu_m - C P_mo (x_o - mu_o)``, and since ``x^_m`` is that
conditional's mode,

    ``log N(x_o | mu_o, S_oo) =
    -|U^T (x^ - mu)|^2 / 2 + log|P|^(1/2) - log|P_mm|^(1/2) - (d - b) log(2 pi) / 2``

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

Those serve the direct path, about each component's mean. On the expanded
path (:mod:`emcore.mixture._estep`: the data near enough to the centre for its round-off
bound) a holed row ``x0``, taken about the centre with 0 at its holes, is
scored by the expanded features of the complete rows: its marginal's
precision on the observed block, the Schur complement ``P_oo - P_om C P_mo``,
placed in the full coordinates, is 0 in the rows and columns of the holes,
as ``x0`` is, so each pattern has its own coefficients (or, for ``diag`` and
``spherical``, the complete ones plus a constant) and costs one product.
Since that marginal precision is at most ``P``, the path's round-off bound
holds for it too. The completion is affine in ``x0`` (``x^ = T x0 + u`` per
pattern and component), so the statistics follow from each pattern's
feature moments ``sum r [q(x0); 1; x0]``:

* ``hole_maps(U, means, base, mis, C, log|P_mm|^(1/2))`` -> a dict of the
  patterns' coefficients, ``T``, ``u`` and conditional covariances;
  ``hole_floats(K, d)`` -> about how many floats they and their moments
  take per pattern (which bounds how many patterns take this path);
* ``hole_log_joint(maps, xt, feats, pid, segments)`` ->
  ``(log_joint (K, m), shared or None)`` of a slice (``xt`` (d, m) its rows
  ``x0``, ``feats`` their features) whose rows ``a:z`` have pattern ``p`` for
  each ``(a, z, p)`` of ``segments``: everything it needs is in ``maps``
  (``diag`` and ``spherical`` keep the complete rows' coefficients there and
  add a constant per pattern);
* ``hole_moments(maps, g, q, extra)`` -> ``(N, first, second)`` about the
  centre from the moments ``g`` (P, F, K) (``extra``: for ``tied``, each
  pattern's ``sum w x0 x0^T``, which its features lack).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _tuning

__all__ = ["DiagConditional", "FullConditional", "SphericalConditional", "TiedConditional"]


#: Largest absolute round-off accepted in a log-density's quadratic form: here in
#: ``d_o^T P_oo d_o - t^T C t`` (about ``eps d`` times its first term), beyond which the squares of
#: ``U^T (x^ - mu)`` are used; in :mod:`._estep`, the expanded path's bound.
_EPS = np.finfo(np.float64).eps
_LOG_2PI = float(np.log(2 * np.pi))


@functools.lru_cache(maxsize=16)
def _triu(d):
    """``triu_indices(d)`` (the expanded features' order), made once per ``d``."""
    return np.triu_indices(d)


def _t(a):
    return np.swapaxes(a, -1, -2)


def _weighted_sums(xhat, r):
    """(K, d) ``sum_n r_kn xhat_kn``: one batched product (a sum over the middle
    axis is a slow strided pass)."""
    return (r[:, None, :] @ xhat)[:, 0]  # keeps the GIL: batched, rare patterns only


class FullConditional:
    """``full`` (and, through :class:`TiedConditional`, ``tied``): the block algebra of a matrix."""

    def _stacked_precisions(self, chol):
        return chol @ _t(chol)

    def missing_precision(self, chol, mis):
        p_mm = self._stacked_precisions(chol)[:, mis[:, :, None], mis[:, None, :]]
        half_log_det = np.sum(np.log(np.diagonal(np.linalg.cholesky(p_mm), axis1=-2, axis2=-1)),
                              axis=-1)
        return np.linalg.inv(p_mm), half_log_det

    def complete_rows(self, diff, chol, c, mis, pid):
        cols = mis[pid]
        # P (x - mu) with the missing entries 0: (P_oo d_o, P_mo d_o)
        y = diff @ self._stacked_precisions(chol)
        t = np.take_along_axis(y, cols[None], axis=2)  # P_mo d_o
        quad = np.einsum("knd,knd->kn", diff, y)  # d_o^T P_oo d_o
        fill = np.zeros(np.broadcast_shapes(t.shape, c.shape[:1] + t.shape[1:]))
        b = cols.shape[1]
        for i in range(b):  # C t, entry by entry: b is small, and the rows are many
            for j in range(b):
                fill[:, :, i] += c[:, :, i, j][:, pid] * t[:, :, j]
        far = quad > _tuning.MAX_ROUND_OFF / (_EPS * diff.shape[-1])
        quad -= np.einsum("knb,knb->kn", t, fill)  # minus t^T C t: d_o^T (S_oo)^-1 d_o
        diff[:, np.arange(diff.shape[1])[:, None], cols] = -fill
        kk, nn = np.nonzero(far)
        if 4 * kk.size > far.size:  # mostly far: the squares of U^T (x^ - mu) for all
            quad = self.whitened_sq(diff, chol)
        elif kk.size:  # the few entries whose difference could lose more than MAX_ROUND_OFF
            quad[kk, nn] = self._whitened_entries(diff[kk, nn], chol, kk)
        return diff, quad

    def hole_maps(self, chol, means, base, mis, c, half_mm):
        """What the expanded path needs of a group's patterns (the ``P`` rows of
        ``mis``), as a dict.

        A row ``x0`` (about the centre, 0 at its holes ``m``) has the marginal
        precision ``L = P - A C A^T`` on its observed block (``A = P[:, m]``,
        ``L``'s rows and columns ``m`` are 0), so its log-joints are the
        expanded features times that marginal's coefficients (``"coef"``
        (P, K, F), offsets included: ``base`` (K,) is ``log w + log|P|^(1/2) -
        d log(2 pi)/2``, ``half_mm`` (K', P) ``log|P_mm|^(1/2)``). Its
        completion is affine, ``x^ = T x0 + u`` (``T = I - E C A^T`` with
        ``E`` the columns ``m`` of the identity, ``u = E C (P mu)_m``), and
        ``"cov"`` is ``E C E^T``, the conditional covariance in place.
        """
        prec = self._stacked_precisions(chol)  # (K', d, d)
        kp, d = prec.shape[0], prec.shape[-1]
        k = means.shape[0]
        npat, b = mis.shape
        cp = np.swapaxes(c, 0, 1)  # (P, K', b, b)
        a = np.transpose(prec[:, :, mis], (2, 0, 1, 3))  # (P, K', d, b): A = P[:, m]
        minus_ac = -(a @ cp)  # (P, K', d, b)
        lam = prec[None] + minus_ac @ _t(a)  # (P, K', d, d)
        at_p, at_k = np.arange(npat)[:, None, None], np.arange(kp)[None, :, None]
        t = np.broadcast_to(np.eye(d), (npat, kp, d, d)).copy()
        t[at_p, at_k, mis[:, None, :], :] += _t(minus_ac)
        # (K, P, b): (P mu)_m
        h = np.einsum("kij,kj->ki", np.broadcast_to(prec, (k, d, d)), means)[:, mis]
        u = np.zeros((npat, k, d))
        u[at_p, np.arange(k)[None, :, None], mis[:, None, :]] = np.einsum(
            "pkij,kpj->pki", np.broadcast_to(cp, (npat, k, b, b)), h)
        cov = np.zeros((npat, kp, d, d))
        cov[at_p[..., None], at_k[..., None], mis[:, None, :, None], mis[:, None, None, :]] = cp
        lin = np.einsum("pkij,kj->pki", np.broadcast_to(lam, (npat, k, d, d)), means)  # (P, K, d)
        const = (base[None, :] + 0.5 * b * _LOG_2PI - np.broadcast_to(half_mm, (k, npat)).T
                 - 0.5 * np.einsum("pki,ki->pk", lin, means))
        return {"coef": self._hole_coefficients(lam, lin, const), "t": t, "u": u, "cov": cov,
                "lam": lam}

    def hole_floats(self, k, d):
        """Floats per pattern of ``hole_maps`` and its moments (``coef``, ``t``,
        ``cov``, ``lam``, ``u``, ``g``)."""
        f = d * (d + 1) // 2 + 1 + d
        return k * (3 * d * d + 2 * f + d)

    def _hole_coefficients(self, lam, lin, const):
        """(P, K, F) rows ``[quadratic; 1; x]`` of the expanded features (:mod:`._estep`)."""
        iu, ju = _triu(lam.shape[-1])
        quad = np.broadcast_to(lam[:, :, iu, ju] * np.where(iu == ju, -0.5, -1.0),
                               lin.shape[:2] + iu.shape)
        return np.concatenate([quad, const[:, :, None], lin], axis=2)

    def hole_log_joint(self, maps, xt, feats, pid, segments):
        """(K, m) log-joints of a slice's rows (patterns ``pid``, in ``segments``
        ``(a, z, p)``), and the shared term."""
        log_joint = np.empty((maps["coef"].shape[1], feats.shape[1]))
        for a, z, p in segments:
            log_joint[:, a:z] = maps["coef"][p] @ feats[:, a:z]
        return log_joint, None

    def hole_moments(self, maps, g, q, extra):
        """``(N, first, second)`` about the centre from per-pattern feature moments ``g`` (P, F, K).

        With ``M0, M1, M2`` the sums of ``r``, ``r x0``, ``r x0 x0^T`` of a
        pattern and component: ``N = M0``, ``first = T M1 + M0 u``, ``second =
        T M2 T^T + T M1 u^T + u (T M1)^T + M0 (u u^T + E C E^T)``, summed over the patterns.
        """
        d = maps["u"].shape[-1]
        m0 = g[:, q, :]  # (P, K)
        m1 = _t(g[:, q + 1:, :])  # (P, K, d)
        iu, ju = _triu(d)
        m2 = np.empty(m1.shape + (d,))
        quad = _t(g[:, :q, :])
        m2[:, :, iu, ju] = quad
        m2[:, :, ju, iu] = quad
        t, u = maps["t"], maps["u"]
        tm1 = (t @ m1[..., None])[..., 0]
        first = tm1 + m0[..., None] * u
        cross = np.einsum("pki,pkj->kij", tm1, u)
        second = (np.einsum("pkia,pkja->kij", t @ m2, t, optimize=True) + cross + _t(cross)
                  + np.einsum("pk,pki,pkj->kij", m0, u, u, optimize=True)
                  + np.einsum("pk,pkij->kij", m0, maps["cov"]))
        return m0.sum(axis=0), first.sum(axis=0), second

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
        second = _t(rx) @ xhat  # keeps the GIL: batched, rare patterns only
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

    def hole_floats(self, k, d):
        return 4 * d * d + k * (3 * d + 2)  # one T, C, L and sum x0 x0^T; per component coef, u, g

    def _hole_coefficients(self, lam, lin, const):
        return np.concatenate([const[:, :, None], lin], axis=2)  # no quadratic features

    def hole_log_joint(self, maps, xt, feats, pid, segments):
        """As for ``full``, the quadratic part ``-x0^T L x0 / 2`` (one ``L`` per
        pattern) as the shared term."""
        log_joint = np.empty((maps["coef"].shape[1], feats.shape[1]))
        shared = np.empty(feats.shape[1])
        for a, z, p in segments:
            log_joint[:, a:z] = maps["coef"][p] @ feats[:, a:z]
            x = xt[:, a:z]
            shared[a:z] = np.einsum("ij,ij->j", maps["lam"][p, 0] @ x, x)
        shared *= -0.5
        return log_joint, shared

    def hole_moments(self, maps, g, q, extra):
        """As for ``full``, summed over the components, with ``extra`` (P, d, d)
        the patterns' ``sum w x0 x0^T``."""
        m0, m1 = g[:, q, :], _t(g[:, q + 1:, :])  # (P, K), (P, K, d)
        t, u = maps["t"][:, 0], maps["u"]  # (P, d, d), (P, K, d)
        tm1 = (t[:, None] @ m1[..., None])[..., 0]  # (P, K, d)
        first = tm1 + m0[..., None] * u
        cross = np.einsum("pki,pkj->pij", tm1, u)
        second = (t @ extra @ _t(t) + cross + _t(cross) + np.einsum("pk,pki,pkj->pij", m0, u, u)
                  + m0.sum(axis=1)[:, None, None] * maps["cov"][:, 0])
        return m0.sum(axis=0), first.sum(axis=0), second.sum(axis=0)

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

    def hole_maps(self, chol, means, base, mis, c, half_mm):
        """As for a matrix: here the marginal only drops coordinates, so the
        complete coefficients serve.

        ``"complete"`` (F, K) are the complete rows' coefficients (offsets
        ``base`` included) and ``"const"`` (K, P) what the marginal's log-joint
        adds to theirs at ``x0`` (``p_m mu_m^2 / 2 + b log(2 pi)/2 -
        log|P_mm|^(1/2)``); the completion is ``x^ = x0 + u`` with ``u = mu_m``
        at the holes, and ``"var"`` (P, K, d) the conditional variances there.
        """
        k, d = means.shape
        a_q, a_x, offsets = self.coefficients(means, chol)
        complete = np.concatenate([a_q, (base + offsets)[None, :], a_x])
        npat, b = mis.shape
        prec = np.broadcast_to((chol**2).reshape(k, -1), (k, d))
        mu_m = means[:, mis]  # (K, P, b)
        const = 0.5 * np.sum(prec[:, mis] * mu_m**2, axis=2) + 0.5 * b * _LOG_2PI - half_mm
        u, var = np.zeros((npat, k, d)), np.zeros((npat, k, d))
        at = (np.arange(npat)[:, None, None], np.arange(k)[None, :, None], mis[:, None, :])
        u[at] = np.swapaxes(mu_m, 0, 1)
        var[at] = np.swapaxes(np.broadcast_to(c, (k, npat, b)), 0, 1)
        return {"complete": complete, "const": const, "u": u, "var": var}

    def hole_floats(self, k, d):
        return k * (4 * d + 2)  # const, u, var and the moments g

    def hole_log_joint(self, maps, xt, feats, pid, segments):
        """The complete rows' log-joints (one product for the slice), plus each
        pattern's constant."""
        log_joint = maps["complete"].T @ feats
        log_joint += maps["const"][:, pid]
        return log_joint, None

    def hole_moments(self, maps, g, q, extra):
        """``second = M2 + 2 M1 u + M0 (u^2 + var)`` per coordinate (``M1`` is 0
        where ``u`` is not)."""
        m0, m1 = g[:, q, :], _t(g[:, q + 1:, :])  # (P, K), (P, K, d)
        u = maps["u"]
        first = m1 + m0[..., None] * u
        second = self._hole_second(_t(g[:, :q, :]), m0, m1, u, maps["var"])
        return m0.sum(axis=0), first.sum(axis=0), second.sum(axis=0)

    def _hole_second(self, m2, m0, m1, u, var):
        return m2 + 2 * m1 * u + m0[..., None] * (u * u + var)

    def complete_rows(self, diff, chol, c, mis, pid):
        return diff, self.whitened_sq(diff, chol)

    def whitened_sq(self, xhat, chol):
        z = xhat * chol[:, None, :]
        return np.einsum("knd,knd->kn", z, z)

    def completed_moments(self, xhat, r, c, r_pattern, mis):
        rx = xhat * r[:, :, None]
        second = np.einsum("knd,knd->kd", rx, xhat)
        np.add.at(second, (np.arange(xhat.shape[0])[:, None, None], mis[None]),
                  r_pattern[:, :, None] * c)
        return _weighted_sums(xhat, r), second


class SphericalConditional(DiagConditional):
    """``spherical``: as ``diag``, with one variance per component and the
    second moments' traces."""

    def _precisions_at(self, chol, mis):
        return np.broadcast_to((chol**2)[:, None, None], (chol.size,) + mis.shape)

    def _hole_second(self, m2, m0, m1, u, var):
        return m2[..., 0] + np.sum(2 * m1 * u + m0[..., None] * (u * u + var), axis=-1)

    def whitened_sq(self, xhat, chol):
        return np.einsum("knd,knd->kn", xhat, xhat) * (chol**2)[:, None]

    def completed_moments(self, xhat, r, c, r_pattern, mis):
        rx = xhat * r[:, :, None]
        return _weighted_sums(xhat, r), (np.einsum("knd,knd->k", rx, xhat)
                                         + np.einsum("kp,kpb->k", r_pattern, c))
