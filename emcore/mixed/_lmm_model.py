r"""The linear mixed model as an :class:`emcore.EMModel`: EM and PX-EM, ML and REML.

For groups :math:`i = 1, \dots, m` with :math:`n_i` rows,

.. math::

    y_i = X_i \beta + Z_i b_i + \varepsilon_i, \qquad
    b_i \sim \mathcal{N}(0, G), \qquad \varepsilon_i \sim \mathcal{N}(0, \sigma^2 I),

so :math:`y_i \sim \mathcal{N}(X_i\beta, V_i)` with :math:`V_i = Z_i G Z_i^\top + \sigma^2 I`.
The random effects :math:`b_i` are the missing data (Laird & Ware 1982). Every
per-group quantity is computed from the group's cross-products
(:math:`Z_i^\top Z_i`, :math:`Z_i^\top X_i`, ...) through the factor
:math:`G = L L^\top` and the small matrix :math:`K_i = \sigma^2 I + L^\top Z_i^\top Z_i L`
(Woodbury), so :math:`G` may be singular: a variance on the boundary 0 is a
point like any other.
"""

from __future__ import annotations

import numpy as np

from ..em import EMModel
from ._lmm_stats import LMMStats

__all__ = ["LMMModel"]

_LOG_2PI = float(np.log(2 * np.pi))


def _group_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts, axis=0)


class LMMModel(EMModel):
    r"""The EM (or PX-EM) problem of a linear mixed model, ML or REML.

    Parameters are a 1-D array ``[beta, vech(G), sigma2]`` (:meth:`pack`,
    :meth:`unpack`; ``vech`` the lower triangle row by row), so that
    ``run_em(..., accelerate="squarem")`` can extrapolate them.

    * **ML** (Laird, Lange & Stram 1987): the missing data are the :math:`b_i`.
      E-step: :math:`\hat b_i = L K_i^{-1} L^\top Z_i^\top (y_i - X_i\beta)`,
      :math:`\operatorname{Var}(b_i \mid y) = \sigma^2 L K_i^{-1} L^\top`.
      M-step: :math:`\beta` by least squares of :math:`y - Z\hat b` on
      :math:`X`, :math:`G = \frac1m \sum_i \mathbb{E}[b_i b_i^\top]`,
      :math:`\sigma^2 = \frac1N \sum_i \mathbb{E}\lVert y_i - X_i\beta - Z_i b_i\rVert^2`.
    * **REML** (the REML-EM of Laird, Lange & Stram 1987, Searle, Casella &
      McCulloch 1992 section 8.3): :math:`\beta` is missing data too, with a
      flat prior; the REML likelihood is the likelihood of :math:`y` with
      :math:`\beta` integrated out. The E-step takes moments under the joint
      posterior of :math:`(\beta, b)`: :math:`\beta \mid y \sim \mathcal{N}(\hat\beta_{GLS},
      (X^\top V^{-1}X)^{-1})`, which adds :math:`H_i (X^\top V^{-1} X)^{-1} H_i^\top`
      to each :math:`\operatorname{Var}(b_i \mid y)`. The parameters' ``beta`` then
      holds the previous E-step's :math:`\hat\beta_{GLS}` (it is not a parameter).
    * **PX-EM** (Liu, Rubin & Wu 1998, section 4.3): the model is expanded to
      :math:`y_i = X_i\beta + Z_i \alpha c_i + \varepsilon_i`,
      :math:`c_i \sim \mathcal{N}(0, G_*)`, with a working ``(q, q)`` matrix :math:`\alpha`
      that leaves the likelihood unchanged (:math:`G = \alpha G_* \alpha^\top`). The
      E-step is EM's (at :math:`\alpha = I`); the M-step also fits :math:`\alpha`
      by the expected least squares of :math:`y - X\beta` on :math:`Z_i \alpha b_i`,
      jointly with :math:`\beta` (ML), then maps back. Same fixed points, fewer
      iterations. Under ML, when the columns of :math:`Z` lie in the span of
      those of :math:`X` (:math:`Z = XA`, as for a random intercept and slope
      beside their fixed counterparts), the :math:`c_i` also get a working mean
      :math:`\mu`, absorbed at the end into :math:`\beta + A\alpha\mu`: without it
      ML-EM crawls, :math:`\beta` and the mean of the :math:`b_i` trading places.

    Parameters
    ----------
    X : numpy.ndarray of shape (N, p)
        The fixed effects' design.
    y : numpy.ndarray of shape (N,)
        The response.
    Z : numpy.ndarray of shape (N, q)
        The random effects' design.
    group_index : numpy.ndarray of int, shape (N,)
        The group of each row, ``0 .. m-1``, every group non-empty.
    reml : bool, default True
        Maximise the REML likelihood (else the ML one).
    expanded : bool, default False
        PX-EM instead of EM.

    See Also
    --------
    emcore.LinearMixedModel : The estimator that builds and fits it.
    emcore.mixed.LMMStats : What its E-step returns.
    emcore.run_em : The EM driver that fits it.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.mixed import LimitDistance, LMMModel
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(6), 4)                # six groups of four
    >>> x = np.tile(np.arange(4.0), 6)
    >>> y = 1 + 0.5 * x + rng.normal(size=6)[groups] + rng.normal(size=24)
    >>> X, Z = np.column_stack([np.ones(24), x]), np.ones((24, 1))
    >>> model = LMMModel(X, y, Z, groups)                  # a random intercept, REML
    >>> result = run_em(model, model.initial_params(), stop=LimitDistance(1e-10),
    ...                 max_iter=5000)
    >>> beta, cov_re, scale = model.unpack(result.theta)
    >>> print(np.round(beta, 4), np.round(cov_re, 4), round(scale, 4))
    [0.9102 0.5057] [[0.1429]] 0.7001
    """

    def __init__(self, X, y, Z, group_index, *, reml: bool = True, expanded: bool = False):
        order = np.argsort(group_index, kind="stable")
        X, y, Z, g = X[order], y[order], Z[order], np.asarray(group_index)[order]
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.m = starts.size
        self.reml, self.expanded = bool(reml), bool(expanded)
        self.sizes = np.diff(np.r_[starts, self.n])
        self.XX = X.T @ X
        self.Xy = X.T @ y
        self.yy_g = _group_sums(y * y, starts)
        self.Xy_g = _group_sums(X * y[:, None], starts)
        self.XX_g = _group_sums(X[:, :, None] * X[:, None, :], starts)
        self.ZZ_g = _group_sums(Z[:, :, None] * Z[:, None, :], starts)
        self.ZX_g = _group_sums(Z[:, :, None] * X[:, None, :], starts)
        self.Zy_g = _group_sums(Z * y[:, None], starts)
        self._tril = np.tril_indices(self.q)
        # When Z's columns lie in X's span (Z = X A), PX-EM under ML also gives the random
        # effects a working mean, which the fixed effects absorb (beta + A alpha mu).
        A = np.linalg.lstsq(X, Z, rcond=None)[0]
        fits = np.linalg.norm(X @ A - Z) <= 1e-10 * max(np.linalg.norm(Z), 1e-300)
        self._absorb = A if fits else None

    # -- parameters ------------------------------------------------------------------
    def pack(self, beta, cov_re, scale) -> np.ndarray:
        """``[beta, vech(cov_re), scale]`` as one vector.

        Parameters
        ----------
        beta : array_like of shape (p,)
            The fixed effects.
        cov_re : array_like of shape (q, q)
            The random effects' covariance :math:`G`; its lower triangle is stored.
        scale : float
            The residual variance.

        Returns
        -------
        ndarray of shape (p + q (q + 1) / 2 + 1,)
            The parameter vector.
        """
        return np.concatenate([np.asarray(beta, float), np.asarray(cov_re, float)[self._tril],
                               [float(scale)]])

    def unpack(self, theta) -> tuple[np.ndarray, np.ndarray, float]:
        """``(beta, cov_re, scale)`` of a parameter vector.

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2 + 1,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        beta : ndarray of shape (p,)
            The fixed effects.
        cov_re : ndarray of shape (q, q)
            The random effects' covariance, symmetric.
        scale : float
            The residual variance.

        Raises
        ------
        ValueError
            When ``theta`` has the wrong length or is not finite, or ``scale`` is not
            positive (the point left the parameter space).
        """
        theta = np.asarray(theta, dtype=float)
        p, k = self.p, self._tril[0].size
        if theta.shape != (p + k + 1,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"theta must be a finite vector of length {p + k + 1}")
        G = np.zeros((self.q, self.q))
        G[self._tril] = theta[p:p + k]
        G = G + np.tril(G, -1).T
        if not theta[-1] > 0:
            raise ValueError(f"the residual variance must be positive, got {theta[-1]!r}")
        return theta[:p], G, float(theta[-1])

    def _factor(self, G) -> np.ndarray:
        """``L`` with ``L L' = G``, for ``G`` positive semi-definite (eigenvalues
        down to round-off below 0 are taken as 0)."""
        w, U = np.linalg.eigh(G)
        if w.size and w[0] < -1e-10 * max(1.0, w[-1]):
            raise ValueError("the random-effects covariance is not positive semi-definite")
        return U * np.sqrt(np.clip(w, 0.0, None))

    def initial_params(self) -> np.ndarray:
        """A start: least-squares ``beta``, the residual variance split between noise and effects.

        Half the residual variance goes to the noise, the rest is spread over the random
        effects' columns (a diagonal ``cov_re``).

        Returns
        -------
        ndarray of shape (p + q (q + 1) / 2 + 1,)
            The packed start.
        """
        beta = np.linalg.lstsq(self.XX, self.Xy, rcond=None)[0]
        rss = self.yy_g.sum() - 2 * beta @ self.Xy + beta @ self.XX @ beta
        s2 = max(rss / max(self.n - self.p, 1), 1e-8 * self.yy_g.sum() / self.n, 1e-300)
        zz_mean = np.einsum("gjj->j", self.ZZ_g) / self.n
        G = np.diag(0.5 * s2 / np.where(zz_mean > 0, zz_mean, 1.0))
        return self.pack(beta, G, 0.5 * s2)

    # -- the E-step ------------------------------------------------------------------
    def _posterior(self, theta):
        """Per-group pieces shared by the E-step and the log-likelihood."""
        beta, G, s2 = self.unpack(theta)
        L = self._factor(G)
        LtZZL = np.einsum("ja,gjk,kb->gab", L, self.ZZ_g, L)
        K = s2 * np.eye(self.q) + LtZZL
        chol = np.linalg.cholesky(K)
        logdet_v = (self.sizes - self.q) * np.log(s2) + 2 * np.log(
            np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        W = np.einsum("ja,gjp->gap", L, self.ZX_g)                 # L' Z_i' X_i
        KinvW = np.linalg.solve(K, W)
        if self.reml:
            A = (self.XX - np.einsum("gap,gar->pr", W, KinvW)) / s2   # X' V^-1 X
            Lzy = self.Zy_g @ L                                     # L' Z_i' y_i
            c = (self.Xy - np.einsum("gap,ga->p", KinvW, Lzy)) / s2
            beta = np.linalg.solve(A, c)
        else:
            A = None
        zr = self.Zy_g - np.einsum("gjp,p->gj", self.ZX_g, beta)    # Z_i' r_i
        u = zr @ L                                                  # L' Z_i' r_i
        Kinv_u = np.linalg.solve(K, u[:, :, None])[:, :, 0]
        rr = self.yy_g - 2 * self.Xy_g @ beta + np.einsum("p,gpr,r->g", beta, self.XX_g, beta)
        quad = (rr - np.einsum("ga,ga->g", u, Kinv_u)) / s2          # r_i' V_i^-1 r_i
        return dict(beta=beta, L=L, K=K, s2=s2, A=A, KinvW=KinvW, Kinv_u=Kinv_u,
                    logdet_v=logdet_v, quad=quad)

    def _log_likelihood(self, post) -> float:
        value = self.n * _LOG_2PI + post["logdet_v"].sum() + post["quad"].sum()
        if self.reml:
            value += np.linalg.slogdet(post["A"])[1] - self.p * _LOG_2PI
        return float(-0.5 * value)

    def _stats(self, post) -> LMMStats:
        L, s2 = post["L"], post["s2"]
        means = post["Kinv_u"] @ L.T
        var = s2 * np.einsum("ja,gab,kb->gjk", L, np.linalg.inv(post["K"]), L)
        if not self.reml:
            return LMMStats(means, var + means[:, :, None] * means[:, None, :], post["beta"])
        A_inv = np.linalg.inv(post["A"])
        H = np.einsum("ja,gap->gjp", L, post["KinvW"])               # G Z_i' V_i^-1 X_i
        var = var + np.einsum("gjp,pr,gkr->gjk", H, A_inv, H)
        second = var + means[:, :, None] * means[:, None, :]
        return LMMStats(means, second, post["beta"], A_inv, H)

    def e_step(self, theta) -> LMMStats:
        """Posterior moments of the random effects (and of ``beta`` under REML).

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2 + 1,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        LMMStats
            The posterior moments that :meth:`m_step` takes.
        """
        return self._stats(self._posterior(theta))

    def e_step_with_log_likelihood(self, theta) -> tuple[LMMStats, float]:
        """The E-step and the log-likelihood from one factorisation per group.

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2 + 1,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        stats : LMMStats
            What :meth:`e_step` returns.
        log_likelihood : float
            What :meth:`log_likelihood` returns.
        """
        post = self._posterior(theta)
        return self._stats(post), self._log_likelihood(post)

    def log_likelihood(self, theta) -> float:
        """The ML log-likelihood, or with ``reml`` the REML one (as statsmodels and lme4).

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2 + 1,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        float
            The log-likelihood at ``theta``, constants included.
        """
        return self._log_likelihood(self._posterior(theta))

    def variance_score(self, theta) -> np.ndarray:
        r"""The gradient of the (REML or ML) log-likelihood in :math:`G`, a symmetric ``(q, q)``
        matrix :math:`D` with :math:`\frac{d}{dt}\ell(G + t\Delta) = \operatorname{tr}(D\Delta)`.

        :math:`D = \frac12 \sum_i Z_i^\top (V_i^{-1} r_i r_i^\top V_i^{-1} - P_{ii}) Z_i` with
        :math:`P_{ii} = V_i^{-1}` (ML) or :math:`V_i^{-1} - V_i^{-1} X_i (X^\top V^{-1} X)^{-1}
        X_i^\top V_i^{-1}` (REML). At a point where :math:`G` is singular, with null space
        spanned by :math:`N`, :math:`N^\top D N \preceq 0` says that no variance can grow
        from 0: the point is a boundary maximum (given the others are at theirs).

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2 + 1,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        ndarray of shape (q, q)
            The symmetric gradient :math:`D`.
        """
        post = self._posterior(theta)
        L, s2 = post["L"], post["s2"]
        ZZL = self.ZZ_g @ L
        zr = self.Zy_g - np.einsum("gjp,p->gj", self.ZX_g, post["beta"])
        zvr = (zr - np.einsum("gja,ga->gj", ZZL, post["Kinv_u"])) / s2         # Z_i' V_i^-1 r_i
        zvz = (self.ZZ_g - ZZL @ np.linalg.solve(post["K"], ZZL.transpose(0, 2, 1))) / s2
        outer = np.einsum("gj,gk->jk", zvr, zvr) - zvz.sum(axis=0)
        if self.reml:
            zvx = (self.ZX_g - ZZL @ post["KinvW"]) / s2                          # Z_i' V_i^-1 X_i
            outer += np.einsum("gjp,pr,gkr->jk", zvx, np.linalg.inv(post["A"]), zvx)
        return 0.25 * (outer + outer.T)          # half the symmetrised sum

    # -- the M-step ------------------------------------------------------------------
    def _residual_moments(self, stats: LMMStats, beta):
        r""":math:`\sum_i \mathbb{E}\lVert y_i - X_i\beta\rVert^2` and
        :math:`\sum_i \mathbb{E}[Z_i^\top (y_i - X_i\beta) b_i^\top]` (``beta`` given
        under ML, integrated out under REML)."""
        rr = self.yy_g.sum() - 2 * beta @ self.Xy + beta @ self.XX @ beta
        zr = self.Zy_g - np.einsum("gjp,p->gj", self.ZX_g, beta)
        cross = np.einsum("gj,gk->jk", zr, stats.means)
        if self.reml:
            rr += np.einsum("pr,rp->", self.XX, stats.fe_inverse)
            cross += np.einsum("gjp,pr,gkr->jk", self.ZX_g, stats.fe_inverse, stats.cross)
        return rr, cross

    def m_step(self, stats: LMMStats) -> np.ndarray:
        """New ``[beta, vech(G), sigma2]`` (see the class docstring).

        Parameters
        ----------
        stats : LMMStats
            The E-step's posterior moments (:meth:`e_step`).

        Returns
        -------
        ndarray of shape (p + q (q + 1) / 2 + 1,)
            The packed parameters.
        """
        q = self.q
        kron = np.einsum("gij,gkl->ikjl", stats.second, self.ZZ_g).reshape(q * q, q * q)
        alpha = np.eye(q)
        if self.reml:
            beta = stats.fe_mean
            if self.expanded:
                cross = self._residual_moments(stats, beta)[1]
                alpha = _solve(kron, cross.T.ravel()).reshape(q, q).T
        elif self.expanded:
            zx_b = np.einsum("gi,gkp->ikp", stats.means, self.ZX_g).reshape(q * q, self.p)
            zy_b = np.einsum("gi,gk->ik", stats.means, self.Zy_g).ravel()
            gram = np.block([[self.XX, zx_b.T], [zx_b, kron]])
            coef = _solve(gram, np.r_[self.Xy, zy_b])
            beta, alpha = coef[:self.p], coef[self.p:].reshape(q, q).T
        else:
            xzb = np.einsum("gjp,gj->p", self.ZX_g, stats.means)
            beta = np.linalg.solve(self.XX, self.Xy - xzb)
        rr, cross = self._residual_moments(stats, beta)
        a = alpha.T.ravel()
        rss = rr - 2 * np.sum(alpha * cross) + a @ kron @ a
        second = stats.second.mean(axis=0)
        if self.expanded and not self.reml and self._absorb is not None:
            mu = stats.means.mean(axis=0)                # the working mean of the b_i
            second = second - np.outer(mu, mu)
            beta = beta + self._absorb @ alpha @ mu
        G = alpha @ second @ alpha.T
        return self.pack(beta, 0.5 * (G + G.T), rss / self.n)


def _solve(gram, rhs):
    """Least squares on normal equations, minimum-norm where ``gram`` is singular
    (a random effect whose variance is 0 leaves PX-EM's working parameter free)."""
    return np.linalg.lstsq(gram, rhs, rcond=1e-12)[0]
