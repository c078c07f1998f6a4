r"""The logistic mixed model with several random effects per group (random slopes).

.. math::

    y_{ij} \mid b_i \sim \operatorname{Binomial}\bigl(n_{ij}, \operatorname{logit}^{-1}
    (x_{ij}^\top \beta + z_{ij}^\top b_i)\bigr), \qquad b_i \sim \mathcal{N}(0, \Sigma),

with :math:`b_i` of length :math:`q`. A group's posterior :math:`p(b_i \mid y_i)` is
log-concave; its draws come from an independence Metropolis--Hastings chain per group
whose proposal is a multivariate *t* (4 degrees of freedom) at the posterior mode with
the inverse Hessian there as scale (the Laplace approximation, made heavier-tailed).
The chain starts at the mode, so the first draws are not exactly from the posterior;
a burn-in of ``_BURN_IN`` steps is dropped. A column of ``Z`` that is also a column of ``X``
is centred on its fixed effect (the draws are :math:`b_i + \beta_Z`), as the
random-intercept model centres its intercept. The observed-data log-likelihood is
computed by adaptive Gauss--Hermite quadrature (a tensor grid about each mode).
"""

from __future__ import annotations

import math

import numpy as np

from ..montecarlo import SampledEMModel

__all__ = ["LogisticRandomEffects"]

_T_DF, _BURN_IN, _GH_NODES, _BLOCK = 4.0, 20, 12, 256


class LogisticRandomEffects(SampledEMModel):
    """The sampled-E-step problem of the logistic model with ``q`` random effects per group.

    Parameters are ``[beta (p), lower triangle of Sigma row by row (q (q + 1) / 2)]``; a
    draw of the missing data has shape ``(n_groups, q)``.

    Parameters
    ----------
    X : numpy.ndarray of shape (N, p)
        The fixed effects' design, full column rank.
    Z : numpy.ndarray of shape (N, q)
        The random effects' design, full column rank.
    y : numpy.ndarray of shape (N,)
        Numbers of successes, whole, between 0 and ``trials``.
    trials : numpy.ndarray of shape (N,)
        Binomial numbers of trials (ones for 0/1 outcomes).
    group_index : numpy.ndarray of int, shape (N,)
        Each row's group, ``0, ..., m - 1`` (rows need not be sorted by group).

    See Also
    --------
    emcore.LogisticMixedModel : The estimator that builds and fits it (given ``Z``).
    emcore.mixed.LogisticRandomIntercept : One random intercept per group.
    emcore.run_mcem : Fits it by Monte Carlo EM.

    Examples
    --------
    A random intercept and slope per group:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(8), 5)                # eight groups of five 0/1 outcomes
    >>> y = (rng.random(40) < 0.4).astype(float)
    >>> from emcore.mixed import LogisticRandomEffects
    >>> X = np.column_stack([np.ones(40), np.tile(np.arange(5.0), 8)])
    >>> model = LogisticRandomEffects(X, X, y, np.ones(40), groups)
    >>> theta = model.pack([-0.5, 0.1], np.eye(2))        # beta, then Sigma's lower triangle
    >>> print(theta)
    [-0.5  0.1  1.   0.   1. ]
    >>> model.posterior_means(theta).shape                 # each group's two effects
    (8, 2)
    """

    def __init__(self, X, Z, y, trials, group_index):
        order = np.argsort(group_index, kind="stable")
        self.X, self.Z, self.y, self.trials = X[order], Z[order], y[order], trials[order]
        self.group = np.asarray(group_index)[order]
        self.starts = np.flatnonzero(np.r_[True, self.group[1:] != self.group[:-1]])
        self.m, self.p, self.q = self.starts.size, X.shape[1], Z.shape[1]
        self._tril = np.tril_indices(self.q)
        # Hierarchical centering (Gelfand, Sahu & Carlin 1995): a column of Z that is also a
        # column of X has its fixed effect moved into the missing data, c_i = b_i + beta_Z,
        # so that the M-step moves that effect and the variance together (with b_i, EM's
        # rate for the pair is near 1). ``shared[j]`` is the column of X equal to Z's j-th.
        self.shared = [next((k for k in range(self.p) if np.array_equal(X[:, k], Z[:, j])), None)
                       for j in range(self.q)]
        self.free = [k for k in range(self.p) if k not in self.shared]
        self._log_choose = float(sum(math.lgamma(n + 1) - math.lgamma(k + 1)
                                     - math.lgamma(n - k + 1)
                                     for n, k in zip(self.trials, self.y)))

    def _split(self, theta):
        theta = np.asarray(theta, dtype=float)
        size = self.p + self.q * (self.q + 1) // 2
        if theta.shape != (size,) or not np.all(np.isfinite(theta)):
            raise ValueError(f"theta must be [beta ({self.p}), lower triangle of Sigma], "
                             f"{size} finite numbers; got {theta!r}")
        cov = np.zeros((self.q, self.q))
        cov[self._tril] = theta[self.p:]
        cov = cov + np.tril(cov, -1).T
        return theta[:self.p], cov

    def pack(self, beta, cov):
        """The parameter vector of ``beta`` (p,) and ``Sigma`` (q, q).

        Parameters
        ----------
        beta : array_like of shape (p,)
            The fixed effects.
        cov : array_like of shape (q, q)
            The random effects' covariance; its lower triangle is stored.

        Returns
        -------
        numpy.ndarray of shape (p + q (q + 1) / 2,)
            The parameter vector.
        """
        return np.r_[beta, np.asarray(cov)[self._tril]]

    def _shift(self, beta):
        """The centred draws' offset from the b_i: ``beta`` of X's column shared with each
        column of Z (0 for the others), shape (q,)."""
        return np.array([0.0 if k is None else beta[k] for k in self.shared])

    def _group_sum(self, values):
        return np.add.reduceat(values, self.starts, axis=0)

    def _log_target(self, beta, precision, b):
        """Per group, log p(y_i | b_i) + log N(b_i; 0, Sigma) up to constants; ``b`` (m, q)
        or (k, m, q) for k points per group."""
        eta = self.X @ beta + np.sum(self.Z * b[..., self.group, :], axis=-1)
        data = np.add.reduceat(self.y * eta - self.trials * np.logaddexp(0.0, eta),
                               self.starts, axis=-1)
        return data - 0.5 * np.einsum("...i,ij,...j->...", b, precision, b)

    def _modes(self, beta, precision):
        """Each group's posterior mode (m, q) and the Cholesky factor of the inverse
        negative Hessian there (m, q, q), by Newton's method."""
        b = np.zeros((self.m, self.q))
        eta0 = self.X @ beta
        for _ in range(100):
            prob = 1.0 / (1.0 + np.exp(-(eta0 + np.sum(self.Z * b[self.group], axis=1))))
            grad = self._group_sum(self.Z * (self.y - self.trials * prob)[:, None]) - b @ precision
            weight = self.trials * prob * (1 - prob)
            hess = self._group_sum(np.einsum("n,ni,nj->nij", weight, self.Z, self.Z)) + precision
            step = np.linalg.solve(hess, grad[..., None])[..., 0]
            b = b + step
            if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(b))):
                break
        return b, np.linalg.cholesky(np.linalg.inv(hess))

    def sample_missing(self, theta, size, rng):
        """``size`` draws of the group effects, shape (size, m, q), by Metropolis--Hastings.

        Each group has an independence chain with a *t* proposal at the posterior mode.

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2,)
            A parameter vector (:meth:`pack`).
        size : int
            The number of draws.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (size, m, q)
            The draws; a column of ``Z`` that is also a column of ``X`` has its effects
            centred on that fixed effect.
        """
        beta, cov = self._split(theta)
        precision = np.linalg.inv(cov)
        mode, root = self._modes(beta, precision)
        # the proposals do not depend on the chain's state: made and scored in blocks of steps,
        # then accepted or rejected one step at a time
        current, log_now = mode.copy(), self._log_target(beta, precision, mode)
        draws = np.empty((size, self.m, self.q))
        for first in range(-_BURN_IN, size, _BLOCK):
            steps = min(_BLOCK, size - first)
            white = rng.standard_normal((steps, self.m, self.q)) * np.sqrt(
                _T_DF / rng.chisquare(_T_DF, size=(steps, self.m, 1)))
            proposal = mode + np.einsum("mij,tmj->tmi", root, white)
            log_new = self._log_target(beta, precision, proposal) - self._log_proposal(white)
            log_u = np.log(rng.random((steps, self.m)))
            for t in range(steps):
                accept = log_u[t] < log_new[t] - log_now
                current[accept], log_now[accept] = proposal[t, accept], log_new[t, accept]
                if first + t >= 0:
                    draws[first + t] = current
        return draws + self._shift(beta)

    def _log_proposal(self, white):
        """log density of the standard multivariate t at ``white`` (without its constant, and
        without the mode's Jacobian, the same for every point of a group)."""
        return -0.5 * (_T_DF + self.q) * np.log1p(np.sum(white**2, axis=-1) / _T_DF)

    def complete_log_likelihood(self, theta, draws) -> np.ndarray:
        """Per draw, :math:`\\log p(y, b \\mid \\theta)`, shape (size,).

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2,)
            A parameter vector (:meth:`pack`).
        draws : numpy.ndarray of shape (size, m, q)
            Draws from :meth:`sample_missing`.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The complete-data log-likelihood of each draw.
        """
        beta, cov = self._split(theta)
        precision = np.linalg.inv(cov)
        _, logdet = np.linalg.slogdet(cov)
        per_group = self._log_target(beta, precision, np.asarray(draws) - self._shift(beta))
        const = -0.5 * self.m * (self.q * math.log(2 * math.pi) + logdet)
        return per_group.sum(axis=-1) + const + self._log_choose

    statistics_move_with_theta = True

    def local_statistics(self, theta, draws) -> np.ndarray:
        """Per draw: the effects' mean over groups (q), their mean outer product (q * q),
        and the Newton statistics of the free fixed effects at ``theta``
        (``newton_statistics``).

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2,)
            A parameter vector (:meth:`pack`): where the expansion is taken.
        draws : numpy.ndarray of shape (size, m, q)
            Draws from :meth:`sample_missing`.

        Returns
        -------
        numpy.ndarray of shape (size, q + q * q + f + f * f)
            ``f`` the number of fixed effects without a random counterpart.
        """
        beta, _ = self._split(theta)
        draws = np.asarray(draws, dtype=float)
        outer = np.einsum("kmi,kmj->kij", draws, draws) / self.m
        offsets = np.sum(self.Z[:, None, :] * np.moveaxis(draws, 0, 1)[self.group], axis=2)
        return np.column_stack([draws.mean(axis=1), outer.reshape(len(draws), -1),
                                newton_statistics(self.X[:, self.free], self.y, self.trials,
                                                  beta[self.free], offsets)])

    def m_step(self, stats) -> np.ndarray:
        """``Sigma`` from the effects' moments, a centred fixed effect from its effects'
        mean, the others by a Newton step (``newton_solution``).

        Parameters
        ----------
        stats : numpy.ndarray
            Averaged :meth:`local_statistics`.

        Returns
        -------
        numpy.ndarray of shape (p + q (q + 1) / 2,)
            The new parameter vector.
        """
        stats, q = np.asarray(stats, dtype=float), self.q
        mean, outer = stats[:q], stats[q:q + q * q].reshape(q, q)
        beta = np.zeros(self.p)
        for j, k in enumerate(self.shared):   # the centred effects' mean is their fixed effect
            if k is not None:
                beta[k] = mean[j]
        shift = self._shift(beta)
        cov = outer - np.outer(shift, mean) - np.outer(mean, shift) + np.outer(shift, shift)
        beta[self.free] = newton_solution(stats[q + q * q:], len(self.free))
        return self.pack(beta, (cov + cov.T) / 2)

    def _quadrature(self, theta):
        """Each group's nodes (G, m, q), log weights (G, m) and log integrand (G, m) of
        adaptive Gauss--Hermite quadrature about its mode."""
        beta, cov = self._split(theta)
        precision = np.linalg.inv(cov)
        mode, root = self._modes(beta, precision)
        x, w = np.polynomial.hermite.hermgauss(_GH_NODES)
        grid = np.stack(np.meshgrid(*[x] * self.q, indexing="ij"), -1).reshape(-1, self.q)
        log_w = np.sum(np.log(np.stack(np.meshgrid(*[w] * self.q, indexing="ij"), -1)
                              .reshape(-1, self.q)), axis=1) + np.sum(grid**2, axis=1)
        nodes = mode + math.sqrt(2) * np.einsum("mij,gj->gmi", root, grid)
        log_jac = np.sum(np.log(np.diagonal(root, axis1=1, axis2=2)), axis=1)
        _, logdet = np.linalg.slogdet(cov)
        log_f = (self._log_target(beta, precision, nodes)
                 - 0.5 * (self.q * math.log(2 * math.pi) + logdet))
        return nodes, log_w[:, None] + log_jac + 0.5 * self.q * math.log(2), log_f

    def log_likelihood(self, theta) -> float:
        """The observed-data log-likelihood by adaptive Gauss--Hermite quadrature.

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        float
            The log-likelihood, binomial coefficients included.
        """
        _, log_w, log_f = self._quadrature(theta)
        terms = log_w + log_f
        top = terms.max(axis=0)
        return float(np.sum(top + np.log(np.sum(np.exp(terms - top), axis=0)))
                     + self._log_choose)

    def posterior_means(self, theta) -> np.ndarray:
        """:math:`\\mathbb{E}[b_i \\mid y]` by quadrature, shape (m, q).

        Parameters
        ----------
        theta : array_like of shape (p + q (q + 1) / 2,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        numpy.ndarray of shape (m, q)
            Each group's posterior mean effects, in the order of the group index.
        """
        nodes, log_w, log_f = self._quadrature(theta)
        terms = log_w + log_f
        weights = np.exp(terms - terms.max(axis=0))
        return np.einsum("gm,gmi->mi", weights, nodes) / weights.sum(axis=0)[:, None]

    def initial_params(self) -> np.ndarray:
        """Logistic regression ignoring the groups, and ``Sigma = I``.

        Returns
        -------
        numpy.ndarray of shape (p + q (q + 1) / 2,)
            The packed start.
        """
        return self.pack(pooled_logistic_fit(self.X, self.y, self.trials), np.eye(self.q))


def newton_statistics(X, y, trials, beta, offsets) -> np.ndarray:
    """Per draw (column of ``offsets``, shape (N, size)), the binomial log-likelihood's
    gradient ``g`` and negative Hessian ``H`` in ``beta`` at ``beta``, with linear predictor
    ``X @ beta + offset``, as ``(g + H beta, H)`` of shape (size, p + p * p): averaged over
    draws, ``newton_solution`` of them is a Newton step on the averaged log-likelihood."""
    prob = 1.0 / (1.0 + np.exp(-((X @ beta)[:, None] + offsets)))
    grad = (y[:, None] - trials[:, None] * prob).T @ X
    hess = np.einsum("ns,ni,nj->sij", trials[:, None] * prob * (1 - prob), X, X)
    return np.column_stack([grad + hess @ beta, hess.reshape(hess.shape[0], -1)])


def newton_solution(stats, p) -> np.ndarray:
    """``H^{-1} (g + H beta)`` from averaged ``newton_statistics`` of ``p`` coefficients."""
    if p == 0:
        return np.zeros(0)
    stats = np.asarray(stats, dtype=float)
    return np.linalg.solve(stats[p:].reshape(p, p), stats[:p])


def pooled_logistic_fit(X, y, trials) -> np.ndarray:
    """Coefficients of the binomial logistic regression of ``y`` successes in ``trials`` on
    ``X``, ignoring the groups (Newton's method): a GLMM's start."""
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        prob = 1.0 / (1.0 + np.exp(-(X @ beta)))
        hess = X.T @ (X * (trials * prob * (1 - prob))[:, None])
        step = np.linalg.solve(hess, X.T @ (y - trials * prob))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(beta))):
            break
    return beta
