"""``LinearMixedModel``: a scikit-learn-style estimator on :class:`LMMModel` and ``run_em``."""

from __future__ import annotations

import copy

import numpy as np

from .._base import ParamsMixin, Progress, best_run, warn_if_not_converged
from .._checks import Boolean, Integer, Options, Real, as_float_array, check_params, check_X
from ..em import run_em
from ..exceptions import NotFittedError
from ._lmm_model import LMMModel

__all__ = ["LinearMixedModel"]

#: A direction of the random effects (in the units of Z's columns) whose variance is below
#: this fraction of the residual variance, or of the largest direction's, is tried at 0.
_BOUNDARY_RTOL, _BOUNDARY_RATIO = 1e-2, 1e-3


class LimitDistance:
    r"""A stopping rule: stop when the run is estimated to be within ``tol`` of its limit.

    EM converges linearly, :math:`\theta_{t+1} - \theta^* \approx \rho(\theta_t - \theta^*)`,
    so the last step :math:`\delta_t` understates the distance left,
    :math:`\approx \delta_t \rho / (1 - \rho)`, by a factor that is large when
    :math:`\rho` is near 1 (as for variance components). The rule estimates
    :math:`\rho` as the ratio of the last two steps (largest entries) and stops when
    :math:`\delta_t / (1 - \rho) \le \mathrm{tol} \cdot \max(1, \max_i |\theta_i|)` and
    the log-likelihood's last change :math:`|\Delta\ell_t| / (1 - \rho) \le \mathrm{tol}
    \cdot \max(1, |\ell|)`; a bound below 1000 ulps is raised to that.

    Parameters
    ----------
    tol : float
        The relative distance to the limit at which to stop; 0 never stops (the run ends
        at ``max_iter``).

    See Also
    --------
    emcore.run_em : Takes it as its ``stop`` argument.
    emcore.em.LoglikChange : The stopping rule on the log-likelihood's change alone.
    emcore.LinearMixedModel : Stops by this rule.

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
    >>> print(result.converged, np.round(model.unpack(result.theta)[0], 4))
    True [0.9102 0.5057]
    """

    def __init__(self, tol: float):
        self.tol = tol
        self._last = None

    def __call__(self, t, theta_old, theta_new, ll_old, ll_new) -> bool:
        if self.tol == 0:
            return False
        theta_new = np.asarray(theta_new)
        step = float(np.max(np.abs(theta_new - np.asarray(theta_old))))
        change = abs(ll_new - ll_old)
        last, self._last = self._last, (step, change)
        if last is None or t < 3:
            return False
        rho = min(step / last[0], 1 - 1e-6) if last[0] > 0 else 0.0
        # a bound below round-off cannot be met: 1000 ulps is as close as a run gets
        allowed = max(self.tol * (1 - rho), 1000 * np.finfo(float).eps)
        scale = max(1.0, float(np.max(np.abs(theta_new))))
        return step <= allowed * scale and change <= allowed * max(1.0, abs(ll_new))


def _negligible(model, theta):
    """``(w, U, zero, D)``: the eigen-decomposition ``w, U`` of ``G`` in the units of the
    random effects' columns (``D G D``, ``D`` their root mean squares) and which directions
    are negligible: adding less than ``_BOUNDARY_RTOL`` of the residual variance per row, or
    less than ``_BOUNDARY_RATIO`` of the largest direction."""
    _, G, s2 = model.unpack(theta)
    D = np.sqrt(np.maximum(np.einsum("gjj->j", model.ZZ_g) / model.n, 1e-300))
    w, U = np.linalg.eigh(D[:, None] * G * D[None, :])
    zero = (w < _BOUNDARY_RTOL * s2) | (w < _BOUNDARY_RATIO * w[-1])
    return w, U, zero, D


class _BoundaryWatch:
    """A ``run_em`` callback that stops the run, at iterations 32, 64, 128, ..., when a
    direction of the random effects is heading to variance 0 (see :func:`_snap_to_boundary`).
    """

    def __init__(self, model):
        self.model, self.t = model, 0

    def small(self, theta) -> bool:
        return bool(_negligible(self.model, theta)[2].any())

    def __call__(self, t, theta, ll) -> bool:
        self.t += 1
        return self.t >= 32 and self.t & (self.t - 1) == 0 and self.small(theta)


def _snap_to_boundary(model, run, tol, max_iter):
    r"""The run from ``run.theta`` with the random effects' negligible directions set to 0,
    if that is a boundary maximum no lower than ``run``; else None.

    At a maximum on the boundary EM's rate is 1 (all the information about the
    variance is missing), so plain EM only creeps towards 0. From the snapped
    point PX-EM (whose :math:`G` keeps its rank, while its range may turn)
    fits the rest; the point is kept when the score says no zeroed variance would grow
    (:meth:`LMMModel.variance_score`: :math:`N^\top D N \preceq 0`) and the
    log-likelihood is no lower.
    """
    beta, _, s2 = model.unpack(run.theta)
    w, U, zero, D = _negligible(model, run.theta)
    if not zero.any() or max_iter <= 0:
        return None
    back = U / D[:, None]                   # G = back diag(w) back'
    px = copy.copy(model)
    px.expanded = True                      # keeps G's rank, and turns its range freely
    again = run_em(px, model.pack(beta, (back * np.where(zero, 0.0, w)) @ back.T, s2),
                   stop=LimitDistance(tol), max_iter=max_iter)
    beta, G, s2 = model.unpack(again.theta)
    w, U = np.linalg.eigh(G)
    rank = w.size - int(zero.sum())
    w[:w.size - rank] = 0.0                 # exactly singular (PX-EM's round-off removed)
    theta = model.pack(beta, (U * w) @ U.T, s2)
    null = U[:, :w.size - rank]
    score = null.T @ model.variance_score(theta) @ null
    tie = 1e-12 * max(1.0, abs(run.log_likelihood))
    if np.linalg.eigvalsh(score).max() <= 0 and again.log_likelihood >= run.log_likelihood - tie:
        again.theta = theta
        return again
    return None


class LinearMixedModel(ParamsMixin):
    r"""A linear mixed model fitted by EM or PX-EM, by REML or maximum likelihood.

    .. math::

        y_i = X_i \beta + Z_i b_i + \varepsilon_i, \qquad
        b_i \sim \mathcal{N}(0, G), \qquad \varepsilon_i \sim \mathcal{N}(0, \sigma^2 I)

    for each group :math:`i`, the random effects :math:`b_i` independent
    across groups. EM treats the :math:`b_i` as missing data (Laird & Ware
    1982; Laird, Lange & Stram 1987); REML also treats :math:`\beta` as
    missing, with a flat prior (the REML-EM of Laird, Lange & Stram 1987);
    PX-EM (Liu, Rubin & Wu 1998) adds a working parameter that speeds it up.
    :class:`emcore.mixed.LMMModel` holds the E- and M-steps. The likelihoods
    are those of statsmodels' ``MixedLM`` and lme4's ``lmer``.

    EM's rate for variance components is slow when the groups carry little
    information about :math:`G` (many iterations near the limit), so the run
    stops on an estimate of its distance to the limit (:class:`LimitDistance`),
    not on the last step. A variance that heads to 0 is tried at exactly 0 at
    the end (EM never leaves such a point) and kept there when the likelihood
    is no lower; ``boundary_`` then says so.

    Parameters
    ----------
    reml : bool, default True
        Restricted (residual) maximum likelihood; False for maximum likelihood.
    method : {"em", "px-em"}, default "em"
        Plain EM, or parameter-expanded EM (same estimates, fewer iterations).
    tol : float, default 1e-10
        Stop when both the parameters and the log-likelihood are estimated to
        be within ``tol`` (relative) of their limits. 0 runs ``max_iter`` iterations.
    max_iter : int, default 100000
        Largest number of EM iterations.
    verbose : int, default 0
        1: a line at the start and the end; 2: also the log-likelihood per row
        every 10 iterations.

    Attributes
    ----------
    fe_params_ : numpy.ndarray of shape (p,)
        The fixed effects :math:`\hat\beta` (under REML, the GLS estimate at the
        REML variances).
    cov_re_ : numpy.ndarray of shape (q, q)
        The random-effects covariance :math:`G`.
    scale_ : float
        The residual variance :math:`\sigma^2`.
    llf_ : float
        The REML (``reml=True``) or ML log-likelihood at the fit.
    random_effects_ : numpy.ndarray of shape (n_groups, q)
        The posterior means :math:`\mathbb{E}[b_i \mid y]` (the BLUPs), one row
        per group in the order of ``groups_``.
    groups_ : numpy.ndarray
        The sorted distinct group labels.
    boundary_ : bool
        Whether ``cov_re_`` is singular (a variance, or a direction of the
        random effects, at 0).
    n_iter_ : int
    converged_ : bool
    log_likelihood_history_ : numpy.ndarray
        The log-likelihood at the start and after each iteration.

    See Also
    --------
    emcore.LogisticMixedModel : Binary or binomial responses, by Monte Carlo EM.
    emcore.mixed.LMMModel : The EM problem ``fit`` solves.
    emcore.mixed.LimitDistance : The stopping rule behind ``tol``.

    Examples
    --------
    Twenty groups of six, a random intercept and a random slope:

    >>> import numpy as np
    >>> from emcore import LinearMixedModel
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(20), 6)
    >>> x = np.tile(np.arange(6.0), 20)
    >>> b = rng.normal(size=(20, 2)) * [2.0, 0.5]
    >>> y = 1 + 0.3 * x + b[groups, 0] + b[groups, 1] * x + rng.normal(size=120)
    >>> X = np.column_stack([np.ones(120), x])
    >>> fit = LinearMixedModel().fit(X, y, groups, Z=X)
    >>> print(np.round(fit.fe_params_, 3), round(fit.scale_, 3))
    [0.72  0.288] 0.968
    >>> print(np.round(fit.cov_re_, 3))
    [[3.218 0.156]
     [0.156 0.113]]
    >>> print(f"{fit.llf_:.4f}", fit.converged_)
    -211.2276 True

    PX-EM reaches the same optimum in fewer iterations:

    >>> fast = LinearMixedModel(method="px-em").fit(X, y, groups, Z=X)
    >>> print(abs(fast.llf_ - fit.llf_) < 1e-8, fast.n_iter_ < fit.n_iter_)
    True True
    """

    _parameter_constraints = {
        "reml": [Boolean()],
        "method": [Options(("em", "px-em"))],
        "tol": [Real(0)],
        "max_iter": [Integer(0)],
        "verbose": [Integer(0)],
    }

    def __init__(self, *, reml=True, method="em", tol=1e-10, max_iter=100000, verbose=0):
        self.reml = reml
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    def _checked_data(self, X, y, groups, Z):
        name = type(self).__name__
        X = check_X(X, "X", estimator=name).astype(np.float64, copy=False)
        n = X.shape[0]
        y = as_float_array(y, "y", ndim=1)
        if y.shape != (n,):
            raise ValueError(f"y must have one value per row of X ({n}), got shape {y.shape}")
        Z = np.ones((n, 1)) if Z is None else check_X(Z, "Z", estimator=name).astype(np.float64)
        if Z.shape[0] != n:
            raise ValueError(f"Z must have one row per row of X ({n}), got {Z.shape[0]} rows")
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must hold one label per row of X ({n}), got shape "
                             f"{groups.shape}")
        labels, index = np.unique(groups, return_inverse=True)
        if np.linalg.matrix_rank(X) < X.shape[1]:
            raise ValueError("X has linearly dependent columns: the fixed effects are not "
                             "identifiable; drop the redundant columns")
        if n <= X.shape[1]:
            raise ValueError(f"X has {n} rows and {X.shape[1]} columns: the residual variance "
                             "needs more rows than fixed effects")
        return X, y, Z, labels, index

    def fit(self, X, y, groups, Z=None):
        """Fit by EM or PX-EM; returns ``self``.

        Parameters
        ----------
        X : array_like of shape (n_samples, p)
            The fixed-effects design, used as given (add a column of ones for
            an intercept).
        y : array_like of shape (n_samples,)
            The response.
        groups : array_like of shape (n_samples,)
            The group label of each row (any sortable labels).
        Z : array_like of shape (n_samples, q), optional
            The random-effects design; default a column of ones (a random intercept).

        Returns
        -------
        LinearMixedModel
            ``self``, fitted.

        Warns
        -----
        emcore.ConvergenceWarning
            When the run stopped at ``max_iter`` before meeting ``tol``.

        See Also
        --------
        emcore.LinearMixedModel.em_problem : The EM problem at the fit.
        emcore.mixed.LMMModel : The model EM runs on.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearMixedModel
        >>> rng = np.random.default_rng(0)
        >>> groups = np.repeat(np.arange(6), 4)                # six groups of four
        >>> x = np.tile(np.arange(4.0), 6)
        >>> y = 1 + 0.5 * x + rng.normal(size=6)[groups] + rng.normal(size=24)
        >>> X = np.column_stack([np.ones(24), x])
        >>> fit = LinearMixedModel().fit(X, y, groups)         # a random intercept, REML
        >>> print(np.round(fit.fe_params_, 4), np.round(fit.cov_re_, 4), round(fit.scale_, 4))
        [0.9102 0.5057] [[0.1429]] 0.7001
        """
        params = check_params(self._parameter_constraints,
                              {k: getattr(self, k) for k in self._parameter_constraints})
        X, y, Z, labels, index = self._checked_data(X, y, groups, Z)
        model = LMMModel(X, y, Z, index, reml=params["reml"],
                         expanded=params["method"] == "px-em")
        theta, used, history = model.initial_params(), 0, None
        watch = _BoundaryWatch(model)
        while True:
            run = self._run(model, theta, params, params["max_iter"] - used, watch)
            used += run.n_iter
            lls = list(run.log_likelihood_history)
            history = lls if history is None else history + lls[1:]
            theta = run.theta
            snapped = None
            if run.message == "stopped by callback" or watch.small(theta):
                snapped = _snap_to_boundary(model, run, params["tol"], params["max_iter"] - used)
            if snapped is not None:
                used += snapped.n_iter
                history += list(snapped.log_likelihood_history)[1:]
                theta, run = snapped.theta, snapped
            if snapped is not None or run.message != "stopped by callback":
                break
        warn_if_not_converged(type(self).__name__, run, params["tol"], params["max_iter"])
        self._set_fitted(model, theta, labels, index)
        self.n_iter_, self.converged_ = int(used), bool(run.converged)
        self.log_likelihood_history_ = np.asarray(history)
        return self

    def _run(self, model, theta0, params, max_iter, callback=None):
        progress = Progress(params["verbose"], 10, float(model.n)) if params["verbose"] else None
        return best_run(model, [lambda: theta0], stop=LimitDistance(params["tol"]),
                        progress=progress, callback=callback, max_iter=max_iter)

    def _set_fitted(self, model, theta, labels, index):
        post = model._posterior(theta)
        beta, G, s2 = model.unpack(theta)
        self.fe_params_ = post["beta"].copy()
        self.cov_re_ = G
        self.scale_ = s2
        self.llf_ = model._log_likelihood(post)
        self.random_effects_ = model.e_step(theta).means
        self.groups_ = labels
        w = np.linalg.eigvalsh(G)
        self.boundary_ = bool(w[0] <= 0.0)
        self.n_features_in_ = model.p
        self._model, self._theta = model, theta

    def em_problem(self):
        """The EM problem at the fit, for :func:`emcore.run_em` and :func:`emcore.em_rate`.

        Returns
        -------
        model : emcore.mixed.LMMModel
            The model on the fitted data (its ``reml`` and PX-EM settings).
        theta : numpy.ndarray
            The fitted parameters, packed as ``model.pack`` does.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.run_em : Runs EM on the model (e.g. accelerated).
        emcore.em_rate : The convergence rate of EM at the fit.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearMixedModel
        >>> rng = np.random.default_rng(0)
        >>> groups = np.repeat(np.arange(6), 4)                # six groups of four
        >>> x = np.tile(np.arange(4.0), 6)
        >>> y = 1 + 0.5 * x + rng.normal(size=6)[groups] + rng.normal(size=24)
        >>> X = np.column_stack([np.ones(24), x])
        >>> fit = LinearMixedModel().fit(X, y, groups)
        >>> model, theta = fit.em_problem()
        >>> bool(abs(model.log_likelihood(theta) - fit.llf_) < 1e-9)
        True
        """
        if not hasattr(self, "_theta"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self._model, self._theta.copy()
