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

from .._base import ParamsMixin
from .._checks import RANDOM_STATE, check_X
from .._validation import Integer, Options, Real, as_float_array, check_params
from ..exceptions import NotFittedError
from ..montecarlo import SampledEMModel, run_mcem, run_saem
from ._glmm_slopes import (LogisticRandomEffects, newton_solution, newton_statistics,
                           pooled_logistic_fit)

__all__ = ["LogisticMixedModel", "LogisticRandomIntercept"]

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


class LogisticMixedModel(ParamsMixin):
    r"""A logistic (binomial) mixed model (random intercept, or random slopes with ``Z``) fitted
    by Monte Carlo EM or SAEM.

    :math:`y_{ij} \mid b_i \sim \operatorname{Binomial}(n_{ij}, \operatorname{logit}^{-1}
    (x_{ij}^\top\beta + b_i))`, :math:`b_i \sim \mathcal{N}(0, \tau^2)`: the E-step is an
    integral with no closed form, so :func:`emcore.run_mcem` (``method="mcem"``)
    or :func:`emcore.run_saem` (``method="saem"``) replaces it by draws of the
    :math:`b_i` (:class:`LogisticRandomIntercept`). Estimates carry a Monte
    Carlo error (``mc_se_``); the log-likelihood at them is computed by quadrature.
    With a random-effects design ``Z`` of :math:`q` columns (random slopes),
    :math:`z_{ij}^\top b_i` replaces :math:`b_i`, :math:`b_i \sim \mathcal{N}(0, \Sigma)`,
    and the draws come from :class:`LogisticRandomEffects`.

    Parameters
    ----------
    method : {"mcem", "saem"}, default "mcem"
    sample_size : int, default 100
        MCEM: the first iteration's draws; SAEM: draws per iteration (then 1 is usual).
    tol : float, default 1e-3
        MCEM's stopping tolerance on the gain in Q (:func:`emcore.run_mcem`).
    max_iter : int, default 200
        MCEM's iterations; SAEM runs exactly ``max_iter`` iterations.
    burn_in : int, default 50
        SAEM's iterations with step size 1.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the Monte Carlo draws.
    verbose : int, default 0
        1: MCEM prints a line per iteration, SAEM a progress bar.

    Attributes
    ----------
    fe_params_ : numpy.ndarray of shape (p,)
    cov_re_ : numpy.ndarray of shape (1, 1), or (q, q) with ``Z``
        :math:`\tau^2` (the random effects' covariance :math:`\Sigma` with ``Z``).
    mc_se_ : dict
        ``{"fe_params": (p,), "cov_re": (1, 1) or (q, q)}``: the Monte Carlo standard errors.
    llf_ : float
        The log-likelihood at the estimates (quadrature; includes the binomial
        coefficients, as ``glmer``'s does).
    random_effects_ : numpy.ndarray of shape (n_groups, 1), or (n_groups, q) with ``Z``
        The posterior means :math:`\mathbb{E}[b_i \mid y]`.
    groups_ : numpy.ndarray
    n_iter_ : int
    converged_ : bool

    See Also
    --------
    emcore.LinearMixedModel : A Gaussian response, by exact EM.
    emcore.mixed.LogisticRandomIntercept : The EM problem of a random intercept.
    emcore.mixed.LogisticRandomEffects : The EM problem with ``Z``.
    emcore.run_mcem : The Monte Carlo EM driver ``method="mcem"`` uses.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import LogisticMixedModel
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(30), 20)
    >>> x = rng.normal(size=600)
    >>> eta = -0.5 + x + rng.normal(size=30)[groups]
    >>> y = (rng.uniform(size=600) < 1 / (1 + np.exp(-eta))).astype(float)
    >>> X = np.column_stack([np.ones(600), x])
    >>> fit = LogisticMixedModel(random_state=0).fit(X, y, groups)
    >>> print(np.round(fit.fe_params_, 1), np.round(fit.cov_re_, 1), fit.converged_)
    [-0.5  1. ] [[1.5]] True
    >>> print(bool(np.all(fit.mc_se_["fe_params"] < 0.02)))
    True
    """

    _parameter_constraints = {
        "method": [Options(("mcem", "saem"))],
        "sample_size": [Integer(1)],
        "tol": [Real(0, low_open=True)],
        "max_iter": [Integer(1)],
        "burn_in": [Integer(0)],
        "random_state": RANDOM_STATE,
        "verbose": [Integer(0)],
    }

    def __init__(self, *, method="mcem", sample_size=100, tol=1e-3, max_iter=200, burn_in=50,
                 random_state=None, verbose=0):
        self.method = method
        self.sample_size = sample_size
        self.tol = tol
        self.max_iter = max_iter
        self.burn_in = burn_in
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, groups, Z=None, trials=None):
        """Fit by MCEM or SAEM; returns ``self``.

        Parameters
        ----------
        X : array_like of shape (n_samples, p)
            The fixed-effects design, used as given (add a column of ones for an
            intercept).
        y : array_like of shape (n_samples,)
            0/1 outcomes, or success counts out of ``trials``.
        groups : array_like of shape (n_samples,)
            The group label of each row.
        Z : array_like of shape (n_samples, q), optional
            The random-effects design; default None, a random intercept. With
            ``q > 1`` columns (random slopes) the group effects' posterior is
            drawn by :class:`emcore.mixed.LogisticRandomEffects` (an independence
            Metropolis--Hastings chain per group) and ``cov_re_`` is ``(q, q)``.
        trials : array_like of shape (n_samples,), optional
            Binomial numbers of trials; default 1 (Bernoulli outcomes).

        Returns
        -------
        LogisticMixedModel
            ``self``, fitted.

        Warns
        -----
        emcore.ConvergenceWarning
            When MCEM stops unconverged (:func:`emcore.run_mcem`).

        See Also
        --------
        emcore.LogisticMixedModel.em_problem : The sampled-E-step problem at the fit.
        emcore.run_mcem : The Monte Carlo EM driver ``method="mcem"`` uses.
        emcore.run_saem : The driver ``method="saem"`` uses.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LogisticMixedModel
        >>> rng = np.random.default_rng(0)
        >>> groups = np.repeat(np.arange(8), 5)                # eight groups of five 0/1 outcomes
        >>> y = (rng.random(40) < 0.4).astype(float)
        >>> fit = LogisticMixedModel(tol=1e-2, random_state=0).fit(np.ones((40, 1)), y, groups)
        >>> fit.converged_, fit.fe_params_.shape, fit.cov_re_.shape
        (True, (1,), (1, 1))
        """
        params = check_params(self._parameter_constraints,
                              {k: getattr(self, k) for k in self._parameter_constraints})
        X = check_X(X, "X", estimator=type(self).__name__).astype(np.float64, copy=False)
        n = X.shape[0]
        y = as_float_array(y, "y", ndim=1, nonnegative=True)
        trials = np.ones(n) if trials is None else as_float_array(trials, "trials", ndim=1,
                                                                  positive=True)
        if y.shape != (n,) or trials.shape != (n,):
            raise ValueError(f"y and trials must have one value per row of X ({n})")
        if np.any(y > trials) or np.any(y != np.round(y)) or np.any(trials != np.round(trials)):
            raise ValueError("y must hold whole numbers of successes between 0 and trials "
                             "(0/1 without trials)")
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must hold one label per row of X ({n}), got shape "
                             f"{groups.shape}")
        if np.linalg.matrix_rank(X) < X.shape[1]:
            raise ValueError("X has linearly dependent columns: the fixed effects are not "
                             "identifiable")
        labels, index = np.unique(groups, return_inverse=True)
        if Z is None:
            model = LogisticRandomIntercept(X, y, trials, index)
        else:
            Z = check_X(Z, "Z", estimator=type(self).__name__).astype(np.float64, copy=False)
            if Z.shape[0] != n:
                raise ValueError(f"Z must have one row per row of X ({n}), got {Z.shape[0]}")
            if np.linalg.matrix_rank(Z) < Z.shape[1]:
                raise ValueError("Z has linearly dependent columns: the random effects' "
                                 "covariance is not identifiable")
            model = LogisticRandomEffects(X, Z, y, trials, index)
        theta0 = model.initial_params()
        if params["method"] == "mcem":
            run = run_mcem(model, theta0, sample_size=params["sample_size"], tol=params["tol"],
                           max_iter=params["max_iter"], random_state=params["random_state"],
                           verbose=params["verbose"])
        else:
            run = run_saem(model, theta0, n_iter=params["max_iter"], burn_in=params["burn_in"],
                           sample_size=params["sample_size"],
                           random_state=params["random_state"], verbose=params["verbose"])
        theta, se = np.asarray(run.theta), np.asarray(run.mc_se)
        p = X.shape[1]
        if Z is None:
            self.fe_params_, self.cov_re_ = theta[:-1].copy(), theta[-1:].reshape(1, 1)
            self.mc_se_ = {"fe_params": se[:-1].copy(), "cov_re": se[-1:].reshape(1, 1)}
        else:
            self.fe_params_, self.cov_re_ = model._split(theta)
            self.mc_se_ = {"fe_params": se[:p].copy(), "cov_re": model._split(se)[1]}
        self.llf_ = model.log_likelihood(theta)
        self.random_effects_ = model.posterior_means(theta).reshape(len(labels), -1)
        self.groups_ = labels
        self.n_iter_, self.converged_ = run.n_iter, run.converged
        self._model, self._theta = model, theta
        return self

    def em_problem(self):
        """The sampled-E-step problem at the fit, for :func:`emcore.run_mcem` and its siblings.

        Returns
        -------
        model : emcore.mixed.LogisticRandomIntercept
            The model on the fitted data.
        theta : numpy.ndarray
            The fitted ``[beta, tau2]``.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.run_mcem : Runs Monte Carlo EM on the model.
        emcore.mixed.LogisticRandomIntercept : The model it returns (no ``Z``).

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LogisticMixedModel
        >>> rng = np.random.default_rng(0)
        >>> groups = np.repeat(np.arange(8), 5)                # eight groups of five 0/1 outcomes
        >>> y = (rng.random(40) < 0.4).astype(float)
        >>> fit = LogisticMixedModel(tol=1e-2, random_state=0).fit(np.ones((40, 1)), y, groups)
        >>> model, theta = fit.em_problem()
        >>> bool(abs(model.log_likelihood(theta) - fit.llf_) < 1e-9)
        True
        """
        if not hasattr(self, "_theta"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self._model, self._theta.copy()

