"""``GaussianMixture``: the scikit-learn-style estimator on emcore's EM driver."""

from __future__ import annotations

import warnings

import numpy as np

from .._base import (
    DensityEstimatorMixin,
    Progress,
    best_run,
    density_estimator_tags,
    warn_if_not_converged,
)
from .._checks import RANDOM_STATE, Boolean, InstanceOf, Integer, Options, Real, check_random_state
from .._from_params import FromParamsMixin
from ..em import LoglikChange
from ..exceptions import ConvergenceWarning, NotFittedError
from ..gaussian.covariance import COVARIANCE_TYPES, CovarianceType, covariance_model
from ..gaussian.mclust import MCLUST_MODELS
from ..gaussian.mstep import DegenerateComponentError
from ._config import FitConfig, precisions_of_covariances
from ._init import INIT_METHODS
from ._model import fit_problem
from ._online import OnlineMixin
from ._pool import N_JOBS
from ._prior import MixturePrior
from ._scoring import ScoringMixin

__all__ = ["GaussianMixture", "NotFittedError"]

#: Attributes that only ``fit`` sets, and only ``partial_fit``: each removes the other's.
_FIT_ONLY = ("converged_", "n_iter_", "lower_bound_", "log_likelihood_history_",
             "log_posterior_history_", "_collapse")
_ONLINE_ONLY = ("n_batches_", "n_samples_seen_", "_online")


class GaussianMixture(ScoringMixin, OnlineMixin, FromParamsMixin, DensityEstimatorMixin):
    """Gaussian mixture fitted by EM, with scikit-learn's interface.

    Parameters
    ----------
    n_components : int, default 1
        Number of components ``K``.
    covariance_type : {"full", "tied", "diag", "spherical"}, an mclust model name, \
or CovarianceType, default "full"
        A full covariance per component, one shared full covariance, a
        diagonal one per component, or one variance per component. Or one of
        R mclust's 14 models ``"EII" "VII" "EEI" "VEI" "EVI" "VVI" "EEE" "VEE"
        "EVE" "VVE" "EEV" "VEV" "EVV" "VVV"``, ``Sigma_k = lambda_k D_k A_k D_k^T``
        with volume, shape and orientation Equal, Variable or Identity
        (:mod:`emcore.gaussian.mclust`): their covariances and precisions are
        ``(K, d, d)`` arrays whatever the model, ``reg_covar`` is added to each
        component's scatter before the constrained M-step (``n_parameters`` is
        mclust's ``df``), and ``prior`` is not available for them. A
        :class:`~emcore.gaussian.CovarianceType` of one's own is
        fitted by the reference E-step (without ``missing="marginalize"`` or
        ``prior``, which need more of a type than its abstract methods).
    tol : float, default 1e-3
        EM stops when the mean log-likelihood per sample (weighted) changes
        by less than ``tol`` in one iteration; ``tol=0`` runs exactly
        ``max_iter`` iterations (and does not warn).
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance after each M-step.
    max_iter : int, default 100
        Largest number of EM iterations per initialisation. ``max_iter=0``
        keeps the starting parameters (:meth:`from_params` gives a model of
        given parameters without data).
    n_init : int, default 1
        Number of initialisations; the fit with the highest log-likelihood
        is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data", "hc"}, default "kmeans"
        How the starting responsibilities are chosen: hard labels of weighted
        k-means (seeded by greedy k-means++), of the nearest k-means++ seed,
        of the nearest of ``K`` random samples, or uniformly random
        responsibilities; ``"hc"``: mclust's start, the partition of its
        model-based hierarchical clustering (:func:`emcore.hierarchical_partitions`,
        which ignores sample weights and needs memory for ``n_samples**2`` floats).
        One M-step turns them into parameters.
    weights_init : array-like of shape (n_components,), optional
        Starting weights, summing to 1 (given values replace estimated ones).
    means_init : array-like of shape (n_components, n_features), optional
        Starting means; given alone, the rest comes from the nearest-mean labels.
    precisions_init : array-like, optional
        Starting precisions, shaped as ``precisions_`` for the ``covariance_type``.
    resp_init : array-like of shape (n_samples, n_components), optional
        Explicit starting responsibilities (rows are normalised); they
        replace ``init_params``.
    random_state : None, int or numpy.random.Generator
        Seed of the initialisation (and the default of :meth:`sample`).
    warm_start : bool, default False
        Start ``fit`` from the current fitted parameters (one initialisation).
    callback : callable, optional
        ``callback(iteration, params, log_likelihood)`` after every EM
        iteration, with ``params`` a :class:`MixtureParams` and the total
        log-likelihood (the log-posterior with a ``prior``); returning
        ``True`` stops that run.
    prior : None, "default" or MixturePrior, default None
        None fits by maximum likelihood. A :class:`~emcore.mixture.MixturePrior`
        (conjugate: Dirichlet on the weights, normal-inverse-Wishart or
        normal-inverse-gamma on the means and covariances) makes the fit
        MAP-EM: each M-step returns the posterior mode. ``"default"`` takes
        data-dependent values as mclust's ``defaultPrior`` (see
        :class:`~emcore.mixture.MixturePrior`).
    learning_decay : float, default 0.6
        The exponent :math:`\\kappa` of :meth:`partial_fit`'s step sizes
        :math:`\\eta_t = (t + t_0)^{-\\kappa}`. With :math:`\\tfrac12 < \\kappa \\le 1`
        the steps meet the usual sufficient conditions of stochastic
        approximation, :math:`\\sum_t \\eta_t = \\infty` and
        :math:`\\sum_t \\eta_t^2 < \\infty` (Robbins-Monro). 0.6, near the lower
        end, forgets poor early estimates fastest (Cappé & Moulines 2009 use 0.6 to 1).
    learning_offset : float, default 2.0
        The offset :math:`t_0 \\ge 0`: with 2 the second batch gets the step
        :math:`4^{-0.6} = 0.44`, a little less than the first, not
        :math:`2^{-0.6} = 0.66` as with 0.
    verbose : int, default 0
        Progress on standard output as scikit-learn prints it: 0 none, 1 each
        initialisation's start and end, 2 also every ``verbose_interval``
        iterations (and each :meth:`partial_fit` batch) the time and the
        change of the objective; on dask too.
    verbose_interval : int, default 10
        Iterations between two progress lines at ``verbose=2``.
    n_jobs : int or None, default None
        Threads over chunks of rows in the E-step and in ``predict``-like
        methods: -1 all cores available to the process, 1 serial; None the
        same as -1 unless the process's threads are limited, as joblib limits
        a worker of ``GridSearchCV(n_jobs=...)`` (``OMP_NUM_THREADS``) or
        threadpoolctl's ``threadpool_limits`` does: then that limit.
        The results do not depend on it (fixed chunks, added in a fixed order).
    missing : {"raise", "marginalize"}, default "raise"
        What a NaN in ``X`` means. ``"raise"``: an error. ``"marginalize"``:
        a missing entry (missing at random), integrated out -- responsibilities
        and the monitored log-likelihood are the observed data's, the M-step
        uses the conditional expectations of the missing entries; every
        method then accepts NaN, and :meth:`impute` fills them. Rows with
        nothing observed add nothing (log-density 0). The initialisation runs
        on ``X`` with each hole filled by its column's observed mean.
        :meth:`partial_fit` accepts NaN too: a
        later batch's summaries are taken about the first batch's centre, so a
        batch may leave a column unobserved. :func:`emcore.select_n_components`
        passes ``missing`` on.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_
        Fitted parameters; ``precisions_cholesky_`` is a triangular ``U``
        with ``precisions_ = U U^T``.
    converged_ : bool
        Whether the best run met ``tol``.
    n_iter_ : int
        EM iterations of the best run.
    lower_bound_ : float
        Mean (weighted) log-likelihood per sample at the fitted parameters.
    log_likelihood_history_ : numpy.ndarray
        Total (weighted) log-likelihood at the start (entry 0) and after each
        iteration of the best run; without a prior it never decreases.
    log_posterior_history_ : numpy.ndarray
        The objective EM monitored, at the same points: the log-likelihood
        plus ``log p(theta)`` with a prior (normalising constants of the prior
        dropped), equal to ``log_likelihood_history_`` without one. It never
        decreases; ``n_init`` keeps the run where it is highest.
    n_features_in_ : int
    n_batches_, n_samples_seen_
        Set by :meth:`partial_fit` only: the number of batches ``t`` and their
        total weight.

    See Also
    --------
    emcore.select_n_components : Fits one per number of components and covariance type.
    emcore.mixture.MixturePrior : A conjugate prior for MAP-EM.
    emcore.StudentTMixture : Heavier tails, robust to outliers.
    emcore.bootstrap : Bootstrap standard errors of the fitted parameters.

    Notes
    -----
    *Numerics.* float64 whatever the dtype of ``X``, converted chunk by chunk from one
    transposed copy (memory below twice the size of ``X``). The E-step works in log space
    on Cholesky factors of the precisions and returns the sufficient statistics, never an
    (n, K) responsibility matrix; responsibilities below ``2^-53`` of their row's largest
    are dropped.

    *Degenerate components.* A collapse gives a :class:`~emcore.ConvergenceWarning` and the
    best parameters reached with ``reg_covar > 0``, an error with ``reg_covar=0`` (the rule
    is documented with :class:`DegenerateComponentError`).

    *Monotonicity.* With ``reg_covar`` the M-step is inexact, and scikit-learn's iterations
    can then lower the log-likelihood slightly. Here a step is accepted only when ``Q`` does
    not decrease, so ``log_likelihood_history_`` never decreases (EM's inequality); a
    rejected step ends the run as converged. Away from the fixed point the steps are
    scikit-learn's.

    *MAP estimation.* With a ``prior`` the M-step maximises ``Q + log p(theta)`` in closed
    form (the prior acts as pseudo-statistics), so EM climbs the log-posterior
    (``log_posterior_history_``). A covariance prior keeps every variance away from zero.
    ``lower_bound_``, :meth:`score`, :meth:`bic` and :meth:`aic` still use the
    log-likelihood.

    *Relation to scikit-learn.* From the same start the iterates agree with scikit-learn's
    to round-off. ``lower_bound_`` is taken at the fitted parameters (scikit-learn's lags
    one iteration), so ``n_iter_`` may differ by one at the same ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianMixture
    >>> from emcore.datasets import load_faithful
    >>> waiting = load_faithful()[:, [1]]
    >>> gm = GaussianMixture(2, tol=1e-10, max_iter=1000, random_state=0).fit(waiting)
    >>> print(np.sort(gm.means_.ravel()).round(2), round(gm.log_likelihood_history_[-1], 4))
    [54.61 80.09] -1034.0017

    In scikit-learn's tools (``score``, the mean log-likelihood, is the default scoring):

    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> pipe = make_pipeline(StandardScaler(), GaussianMixture(random_state=0))
    >>> search = GridSearchCV(pipe, {"gaussianmixture__n_components": [1, 2, 3]}).fit(
    ...     load_faithful())
    >>> search.best_params_
    {'gaussianmixture__n_components': 2}
    """

    _parameter_constraints = {
        "n_components": [Integer(1)],
        "covariance_type": [Options(COVARIANCE_TYPES + MCLUST_MODELS),
                            InstanceOf(CovarianceType, "a CovarianceType")],
        "tol": [Real(0)],
        "reg_covar": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "init_params": [Options(INIT_METHODS)],
        "random_state": RANDOM_STATE,
        "warm_start": [Boolean()],
        "callback": [None, callable],
        "prior": [None, Options(("default",)),
                  InstanceOf(MixturePrior, "an emcore.mixture.MixturePrior")],
        # 1/2 < kappa <= 1: the usual sufficient conditions on the step sizes (Robbins-Monro)
        "learning_decay": [Real(0.5, 1, low_open=True)],
        "learning_offset": [Real(0)],
        "verbose": [Integer(0, 2)],
        "verbose_interval": [Integer(1)],
        "n_jobs": N_JOBS,
        "missing": [Options(("raise", "marginalize"))],
    }  # the *_init arrays are checked against the data by _config.check_inits

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, resp_init=None, random_state=None, warm_start=False,
                 callback=None, prior=None, learning_decay=0.6, learning_offset=2.0,
                 verbose=0, verbose_interval=10, n_jobs=None, missing="raise"):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.resp_init = resp_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.callback = callback
        self.prior = prior
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_jobs = n_jobs
        self.missing = missing

    def __sklearn_tags__(self):
        """scikit-learn's tags; NaN is allowed in ``X`` exactly when ``missing="marginalize"``."""
        return density_estimator_tags(allow_nan=self.missing == "marginalize")

    # from_params(weights=, means=, covariances= or precisions=, covariance_type=, ...)
    _from_params_aliases = {"covariances": ("precisions", precisions_of_covariances)}

    @classmethod
    def _from_params_rows(cls, k, d, settings):
        cov = covariance_model(settings.get("covariance_type", "full"))
        fewest = getattr(cov, "min_samples", None)  # mclust's models: one per free parameter
        return max(2, k, fewest(k, d) if callable(fewest) else 0)

    def fit(self, X, y=None, *, sample_weight=None):
        """Fit the mixture to ``X`` (n_samples, n_features) by EM; returns ``self``.

        ``sample_weight`` (n_samples,), non-negative: a row of integer weight
        ``m`` counts as ``m`` repeated rows, a row of weight 0 as absent.
        ``y`` is ignored.

        ``X`` may be a ``dask.array.Array`` (install ``emcore[dask]``), chunked
        in any way along the rows. Each iteration then maps the in-memory E-step
        over the blocks of rows, where they live, and sums their sufficient
        statistics in a fixed order; the M-step runs here. The array is
        persisted once; a ``dask.distributed`` ``Client`` created before ``fit``
        runs it on its cluster. From the same start the result equals the
        in-memory fit to round-off. ``sample_weight`` may be a dask array;
        ``resp_init`` is not supported. :meth:`predict`, :meth:`predict_proba`
        and :meth:`score_samples` of a dask array are lazy dask arrays. Without all
        three ``*_init`` the start is found here on at most 20 000 random rows. Only this
        estimator's step stays out of core: in a ``Pipeline``, a scikit-learn
        step before it (a ``StandardScaler``) turns the dask array into numpy.

        Parameters
        ----------
        X : array_like or dask.array.Array of shape (n_samples, n_features)
            The samples (NaN entries allowed with ``missing="marginalize"``).
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        emcore.mixture.DegenerateComponentError
            When every initialisation fails on a degenerate component (with
            ``reg_covar=0`` a collapse always does).

        Warns
        -----
        emcore.ConvergenceWarning
            When the best run reached ``max_iter`` unconverged, or was stopped at a
            collapsing component (``reg_covar > 0``; the parameters before the collapse stay).
        """
        config = FitConfig.of(self)
        data, model, start = fit_problem(config, X, sample_weight)
        d, prior = data.d, model.prior
        warm = config.warm_start and hasattr(self, "converged_")
        if warm and self.n_features_in_ != d:
            raise ValueError(f"X has {d} features, but GaussianMixture is expecting "
                             f"{self.n_features_in_} features as input: the warm start was fitted "
                             "to that many")
        rng = check_random_state(config.random_state)
        # the mean log-likelihood changes by less than tol: the total by less than tol * weight
        stop = LoglikChange(config.tol * data.total_weight)

        user = config.callback
        callback = None if user is None else (
            lambda t, theta, ll: user(t, theta.moved(data.center), ll))
        fitted = self._params().moved(-data.center) if warm else None
        starts = [lambda: fitted] if warm else [lambda: start(rng)] * config.n_init
        progress = Progress(config.verbose, config.verbose_interval, data.total_weight)
        best = best_run(model, starts, max_iter=config.max_iter, callback=callback, stop=stop,
                        progress=progress if config.verbose else None,
                        skip=DegenerateComponentError)
        collapse = best.ended_by
        self._set_fitted(best.theta.moved(data.center), data.d,
                         run=(best, data.total_weight, prior, collapse))
        if collapse is not None:
            warnings.warn(f"GaussianMixture stopped its best run at iteration {best.n_iter + 1}, "
                          f"keeping the parameters of iteration {best.n_iter}: {collapse}",
                          ConvergenceWarning, stacklevel=2)
        else:
            warn_if_not_converged("GaussianMixture", best, config.tol, config.max_iter,
                                  objective="the mean log-likelihood",
                                  advice="increase max_iter or tol, or try another initialisation")
        return self

    def fit_predict(self, X, y=None, *, sample_weight=None):
        """Fit, then return the most responsible component of each sample of ``X``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The samples.
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of largest responsibility.
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _set_fitted(self, theta, n_features, *, run=None, online=None):
        """The one writer of fitted attributes: ``theta`` (absolute coordinates), and either ``run``

        ``= (EMResult, total weight, resolved prior or None, collapse or None)`` of ``fit`` or
        ``online``, the :class:`._online.OnlineState` of ``partial_fit``; each removes what only
        the other sets.
        """
        self.weights_ = theta.weights
        self.means_ = theta.means
        self.covariances_ = theta.covariances
        self.precisions_cholesky_ = theta.precisions_cholesky
        self.precisions_ = covariance_model(self.covariance_type).precisions(
            theta.precisions_cholesky)
        self.n_features_in_ = n_features
        for name in _ONLINE_ONLY if online is None else _FIT_ONLY:
            self.__dict__.pop(name, None)
        if online is not None:
            self._online, self.n_batches_, self.n_samples_seen_ = (online, online.n_batches,
                                                                   online.n_samples_seen)
            return
        result, total_weight, prior, collapse = run
        self._collapse = None if collapse is None else str(collapse)  # read by select_n_components
        self.converged_ = bool(result.converged)
        self.n_iter_ = int(result.n_iter)
        history = np.asarray(result.log_likelihood_history, dtype=np.float64).copy()
        self.log_posterior_history_ = history.copy()
        if prior is not None:
            history -= np.array([prior.log_density(th) for th in result.theta_history])
        self.log_likelihood_history_ = history
        self.lower_bound_ = (float(result.log_likelihood if prior is None else history[-1])
                             / total_weight)
