"""``LogisticMixedModel``: a logistic mixed model fitted by Monte Carlo EM or SAEM.

The estimator checks the data and chooses the sampled-E-step problem: the random
intercept (``_glmm_intercept``) or random slopes (``_glmm_slopes``).
"""

from __future__ import annotations

import numpy as np

from .._base import ParamsMixin
from .._checks import RANDOM_STATE, Integer, Options, Real, as_float_array, check_params, check_X
from ..exceptions import NotFittedError
from ..montecarlo import run_mcem, run_saem
from ._glmm_intercept import LogisticRandomIntercept
from ._glmm_slopes import LogisticRandomEffects

__all__ = ["LogisticMixedModel"]


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

