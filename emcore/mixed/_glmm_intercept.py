r"""A logistic random-intercept model fitted by Monte Carlo EM or SAEM.

.. math::

    y_{ij} \mid b_i \sim \operatorname{Binomial}\bigl(n_{ij}, \operatorname{logit}^{-1}
    (x_{ij}^\top \beta + b_i)\bigr), \qquad b_i \sim \mathcal{N}(0, \tau^2).

The E-step would need :math:`p(b_i \mid y_i)`, which has no closed form; each
group's posterior is one-dimensional, so it is drawn exactly (up to a
discretisation far below Monte Carlo error) by inverting its distribution
function on a grid around its mode. The same grid gives the observed-data
log-likelihood by quadrature, to compare with lme4's ``glmer``.
"""

from __future__ import annotations

import numpy as np

from ..montecarlo import SampledEMModel
from ._glmm_slopes import newton_solution, newton_statistics, pooled_logistic_fit

__all__ = ["LogisticRandomIntercept"]

#: Grid of each group's posterior: this many points, this many Laplace standard deviations wide.
_GRID_POINTS, _GRID_HALF_WIDTH = 401, 12.0


def _log1pexp(eta):
    return np.logaddexp(0.0, eta)


class LogisticRandomIntercept(SampledEMModel):
    """The sampled-E-step problem of the logistic random-intercept model.

    Parameters are ``[beta, tau2]``. The missing data are the ``m`` group
    effects; a draw is a row of shape ``(m,)``.

    Parameters
    ----------
    X : numpy.ndarray of shape (N, p)
        The fixed effects' design, full column rank.
    y : numpy.ndarray of shape (N,)
        Numbers of successes, whole, between 0 and ``trials``.
    trials : numpy.ndarray of shape (N,)
        Binomial numbers of trials (ones for 0/1 outcomes).
    group_index : numpy.ndarray of int, shape (N,)
        Each row's group, ``0, ..., m - 1`` (rows need not be sorted by group).

    See Also
    --------
    emcore.LogisticMixedModel : The estimator that builds and fits it.
    emcore.mixed.LogisticRandomEffects : Several random effects per group.
    emcore.run_mcem : Fits it by Monte Carlo EM.
    emcore.montecarlo.SampledEMModel : The contract it implements.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(8), 5)                # eight groups of five 0/1 outcomes
    >>> y = (rng.random(40) < 0.4).astype(float)
    >>> from emcore.mixed import LogisticRandomIntercept
    >>> model = LogisticRandomIntercept(np.ones((40, 1)), y, np.ones(40), groups)
    >>> theta = model.initial_params()                     # [beta, tau2]
    >>> print(np.round(theta, 4), round(model.log_likelihood(theta), 4))
    [-0.619  1.   ] -27.4452
    >>> model.sample_missing(theta, 3, rng).shape          # three draws of the eight effects
    (3, 8)
    """

    def __init__(self, X, y, trials, group_index):
        order = np.argsort(group_index, kind="stable")
        self.X, self.y, self.trials = X[order], y[order], trials[order]
        g = np.asarray(group_index)[order]
        self.group = g
        self.starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        self.m, self.p = self.starts.size, X.shape[1]
        # Hierarchical centering (Gelfand, Sahu & Carlin 1995): with a constant column the
        # missing data are c_i = beta_0 * const + b_i, whose M-step moves the intercept and
        # the variance together (with b_i, EM's rate for the pair is near 1).
        constant = [j for j in range(self.p) if np.ptp(X[:, j]) == 0 and X[0, j] != 0]
        self.centre = constant[0] if constant else None
        self.level = float(X[0, self.centre]) if constant else 0.0
        self.free = [j for j in range(self.p) if j != self.centre]
        from math import lgamma

        self._log_choose = float(sum(lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
                                     for n, k in zip(self.trials, self.y)))

    def _split(self, theta):
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.p + 1,) or not np.all(np.isfinite(theta)) or not theta[-1] > 0:
            raise ValueError(f"theta must be [beta ({self.p}), tau2 > 0], finite; got {theta!r}")
        return theta[:-1], float(theta[-1])

    def _group_sum(self, values):
        return np.add.reduceat(values, self.starts, axis=0)

    def _data_log_lik(self, eta):
        """Per group, the binomial log-likelihood (without its constant) at linear predictors
        ``eta`` of shape (N,) or (N, k)."""
        y = self.y if eta.ndim == 1 else self.y[:, None]
        n = self.trials if eta.ndim == 1 else self.trials[:, None]
        return self._group_sum(y * eta - n * _log1pexp(eta))

    def _grid(self, theta):
        """Each group's posterior on a grid: points (m, G) and log-densities (m, G), unnormalised,
        prior included."""
        beta, tau2 = self._split(theta)
        eta0 = self.X @ beta
        b = np.zeros(self.m)
        for _ in range(50):                           # Newton to the posterior mode
            prob = 1.0 / (1.0 + np.exp(-(eta0 + b[self.group])))
            grad = self._group_sum(self.y - self.trials * prob) - b / tau2
            curv = self._group_sum(self.trials * prob * (1 - prob)) + 1.0 / tau2
            step = grad / curv
            b = b + step
            if np.max(np.abs(step)) < 1e-10 * (1 + np.max(np.abs(b))):
                break
        prob = 1.0 / (1.0 + np.exp(-(eta0 + b[self.group])))
        sd = 1.0 / np.sqrt(self._group_sum(self.trials * prob * (1 - prob)) + 1.0 / tau2)
        u = np.linspace(-_GRID_HALF_WIDTH, _GRID_HALF_WIDTH, _GRID_POINTS)
        points = b[:, None] + sd[:, None] * u
        logdens = self._data_log_lik(eta0[:, None] + points[self.group]) - points**2 / (2 * tau2)
        return points, logdens

    def _shift(self, beta):
        """The centred missing data's offset from the b_i: ``beta_0 * const`` (0 without)."""
        return 0.0 if self.centre is None else beta[self.centre] * self.level

    def _eta_without_centre(self, beta):
        if self.centre is None:
            return self.X @ beta
        return self.X @ beta - self._shift(beta)

    def sample_missing(self, theta, size, rng):
        """``size`` draws of the group effects, shape (size, m), by grid inversion.

        Parameters
        ----------
        theta : array_like of shape (p + 1,)
            ``[beta, tau2]``.
        size : int
            The number of draws.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (size, m)
            The draws; when ``X`` has a constant column they are centred on the intercept
            (the group effect plus the intercept's share).
        """
        points, logdens = self._grid(theta)
        dens = np.exp(logdens - logdens.max(axis=1, keepdims=True))
        cdf = np.concatenate([np.zeros((self.m, 1)), np.cumsum(
            0.5 * (dens[:, 1:] + dens[:, :-1]) * np.diff(points, axis=1), axis=1)], axis=1)
        u = rng.uniform(size=(size, self.m)) * cdf[:, -1]
        draws = np.column_stack([np.interp(u[:, i], cdf[i], points[i]) for i in range(self.m)])
        return draws + self._shift(self._split(theta)[0])

    def log_likelihood(self, theta) -> float:
        """The observed-data log-likelihood by quadrature on each group's grid.

        Parameters
        ----------
        theta : array_like of shape (p + 1,)
            ``[beta, tau2]``.

        Returns
        -------
        float
            The log-likelihood, binomial coefficients included.
        """
        beta, tau2 = self._split(theta)
        points, logdens = self._grid(theta)
        top = logdens.max(axis=1, keepdims=True)
        integral = np.trapezoid(np.exp(logdens - top), points, axis=1)
        per_group = top[:, 0] + np.log(integral) - 0.5 * np.log(2 * np.pi * tau2)
        return float(per_group.sum() + self._log_choose)

    def posterior_means(self, theta) -> np.ndarray:
        """:math:`\\mathbb{E}[b_i \\mid y]` by quadrature, shape (m,).

        Parameters
        ----------
        theta : array_like of shape (p + 1,)
            ``[beta, tau2]``.

        Returns
        -------
        numpy.ndarray of shape (m,)
            Each group's posterior mean effect, in the order of the group index.
        """
        points, logdens = self._grid(theta)
        w = np.exp(logdens - logdens.max(axis=1, keepdims=True))
        return np.trapezoid(w * points, points, axis=1) / np.trapezoid(w, points, axis=1)

    def complete_log_likelihood(self, theta, draws) -> np.ndarray:
        """Per draw, :math:`\\log p(y, b \\mid \\theta)`, shape (size,).

        Parameters
        ----------
        theta : array_like of shape (p + 1,)
            ``[beta, tau2]``.
        draws : numpy.ndarray of shape (size, m)
            Draws from :meth:`sample_missing`.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The complete-data log-likelihood of each draw.
        """
        beta, tau2 = self._split(theta)
        draws = np.atleast_2d(draws)
        eta = self._eta_without_centre(beta)[:, None] + draws.T[self.group]
        data = self._data_log_lik(eta).sum(axis=0)
        effects = draws - self._shift(beta)
        prior = -0.5 * np.sum(effects**2, axis=1) / tau2 - 0.5 * self.m * np.log(2 * np.pi * tau2)
        return data + prior + self._log_choose

    statistics_move_with_theta = True

    def local_statistics(self, theta, draws) -> np.ndarray:
        """Per draw: the mean and mean square of the (centred) effects, and the Newton
        statistics of the other fixed effects at ``theta`` (``newton_statistics``).

        Parameters
        ----------
        theta : array_like of shape (p + 1,)
            ``[beta, tau2]``: where the expansion is taken.
        draws : numpy.ndarray of shape (size, m)
            Draws from :meth:`sample_missing`.

        Returns
        -------
        numpy.ndarray of shape (size, 2 + f + f * f)
            ``f`` the number of fixed effects other than the intercept.
        """
        beta, _ = self._split(theta)
        draws = np.atleast_2d(draws)
        return np.column_stack([draws.mean(axis=1), np.mean(draws**2, axis=1),
                                newton_statistics(self.X[:, self.free], self.y, self.trials,
                                                  beta[self.free], draws.T[self.group])])

    def m_step(self, stats) -> np.ndarray:
        """``tau2`` and the intercept from the effects' moments, the other fixed effects by
        a Newton step.

        Parameters
        ----------
        stats : numpy.ndarray
            Averaged :meth:`local_statistics`.

        Returns
        -------
        numpy.ndarray of shape (p + 1,)
            The new ``[beta, tau2]``.
        """
        stats = np.asarray(stats, dtype=float)
        beta, shift = np.zeros(self.p), 0.0
        if self.centre is not None:                     # the c_i's mean is the intercept
            beta[self.centre], shift = stats[0] / self.level, stats[0]
        tau2 = stats[1] - 2 * shift * stats[0] + shift**2
        beta[self.free] = newton_solution(stats[2:], len(self.free))
        return np.r_[beta, max(tau2, 1e-300)]

    def initial_params(self) -> np.ndarray:
        """Logistic regression ignoring the groups, and ``tau2 = 1``.

        Returns
        -------
        numpy.ndarray of shape (p + 1,)
            The start ``[beta, 1]``.
        """
        return np.r_[pooled_logistic_fit(self.X, self.y, self.trials), 1.0]
