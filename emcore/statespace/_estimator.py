"""``LinearGaussianSSM``: a linear-Gaussian state-space model fitted by EM (Kalman smoother).

The estimator, its checks and ``fit``; what the fitted model says about data is in
``_fitted``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._base import ParamsMixin, Progress, best_run, density_estimator_tags, warn_if_not_converged
from .._checks import Integer, Real, check_lengths, check_params, check_random_state
from ..em import LoglikChange
from ._checks import check_inits, check_names, check_Y, default_params
from ._fitted import FittedSSMMixin
from ._kalman import SSMData
from ._model import SSMModel
from ._params import COVARIANCES, NAMES, SSMLayout, SSMParams

__all__ = ["LinearGaussianSSM"]

#: The parameters EM updates by default: all but ``initial_cov`` (which one sequence cannot
#: estimate: EM would shrink it towards 0 without end).
DEFAULT_UPDATE = ("transition", "transition_cov", "observation", "observation_cov", "initial_mean")
#: Iterations between progress lines at ``verbose=2`` (GaussianMixture's ``verbose_interval``).
_VERBOSE_INTERVAL = 10


class LinearGaussianSSM(FittedSSMMixin, ParamsMixin):
    """Linear-Gaussian state-space model (linear dynamical system), fitted by EM.

    For each sequence, ``x_1 ~ N(initial_mean, initial_cov)``,
    ``x_t = A x_{t-1} + w_t`` with ``w_t ~ N(0, Q)`` and ``y_t = C x_t + v_t``
    with ``v_t ~ N(0, R)``, where ``A`` is ``transition``, ``Q``
    ``transition_cov``, ``C`` ``observation`` and ``R`` ``observation_cov``.
    The E-step is the Kalman filter and the Rauch-Tung-Striebel smoother, the
    M-step the regressions on the smoothed moments (Shumway & Stoffer 1982;
    Ghahramani & Hinton 1996). A NaN in ``Y`` is a missing entry: the filter
    restricts the observation equation to the entries seen (a step with none
    seen is a pure prediction), in ``fit``, ``score``, ``filter`` and ``smooth``.

    Parameters
    ----------
    n_states : int, default 1
        Dimension ``k`` of the state ``x_t``.
    update : tuple of str, default all but "initial_cov"
        The parameters EM estimates, from ``"transition"``, ``"transition_cov"``,
        ``"observation"``, ``"observation_cov"``, ``"initial_mean"``,
        ``"initial_cov"``; the others stay at their start (a local-level model:
        ``n_states=1``, ``transition_init=[[1.0]]``, ``observation_init=[[1.0]]``,
        ``update=("transition_cov", "observation_cov")``). ``"initial_cov"``
        needs several sequences: from one, EM shrinks it towards 0.
    transition_init : array-like of shape (k, k), optional
        The transition matrix :math:`A` at the start (fixed if not updated).
    transition_cov_init : array-like of shape (k, k), optional
        The state noise covariance :math:`Q` at the start (fixed if not updated),
        symmetric positive definite.
    observation_init : array-like of shape (p, k), optional
        The observation matrix :math:`C` at the start (fixed if not updated).
    observation_cov_init : array-like of shape (p, p), optional
        The observation noise covariance :math:`R` at the start (fixed if not
        updated), symmetric positive definite.
    initial_mean_init : array-like of shape (k,), optional
        Mean of the state at the **first step** of each sequence.
    initial_cov_init : array-like of shape (k, k), optional
        Covariance of the state at the first step (with ``initial_mean_init``,
        statsmodels' ``initialize_known(a1, P1)``).
    diagonal : tuple of str, default ("observation_cov",)
        Covariances (of ``"transition_cov"``, ``"observation_cov"``,
        ``"initial_cov"``) held diagonal by the M-step.
    tol : float, default 1e-3
        EM stops when the total log-likelihood changes by less than ``tol``
        in one iteration; ``tol=0`` runs exactly ``max_iter`` iterations.
    max_iter : int, default 500
        Largest number of EM iterations per initialisation; 0 keeps the start
        (so a model given by its ``*_init`` arguments can be scored and smoothed).
    n_init : int, default 1
        Number of starts; the best log-likelihood is kept. A parameter not
        given by its ``*_init`` starts from the data: ``C`` from the leading
        principal directions of ``Y`` (randomly perturbed after the first
        start), ``A`` and ``Q`` from their scores, ``R`` the residual
        variances, ``initial_cov`` the identity.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the perturbed starts (``n_init`` > 1).
    verbose : int, default 0
        Progress on standard output as ``GaussianMixture`` prints it: 0 none,
        1 each start's beginning and end, 2 also every 10 iterations the time
        and the change of the log-likelihood per step.

    Attributes
    ----------
    transition_, transition_cov_, observation_, observation_cov_ : numpy.ndarray
        ``A``, ``Q``, ``C``, ``R``.
    initial_mean_, initial_cov_ : numpy.ndarray
    log_likelihood_history_ : numpy.ndarray
        Total log-likelihood at the start and after each iteration of the best run.
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int
        Number of outputs ``p``.

    See Also
    --------
    emcore.GaussianHMM : A discrete hidden state instead of a continuous one.
    emcore.FactorAnalysis : The same observation equation with no dynamics.
    emcore.statespace.SSMModel : The EM problem ``fit`` solves.

    Notes
    -----
    Covariances are updated in the Joseph form and symmetrised at every step.
    The covariance recursions depend only on which entries are seen, so they are
    computed first and jump over a stretch whose covariances have stopped changing
    (to round-off), or, when the entries seen change every few steps, run in
    parallel over chunks of time (each chunk from a guess, swept again from its
    predecessor's end until the ends agree to round-off); the means are then
    linear recursions, run by a blocked scan. Memory: the filter keeps a gain
    (k, p) and a whitening matrix (p, p) per distinct step, so when the entries
    seen change at every step it holds about ``n (k p + p^2)`` floats.

    Examples
    --------
    A local-level model (a random walk seen with noise) with its two variances free:

    >>> import numpy as np
    >>> from emcore import LinearGaussianSSM
    >>> truth = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]], observation_init=[[1.0]],
    ...                           transition_cov_init=[[0.5]], observation_cov_init=[[2.0]],
    ...                           initial_mean_init=[0.0], initial_cov_init=[[1.0]])
    >>> Y, X = truth.fit(np.zeros((2, 1))).sample(2000, random_state=0)
    >>> Y[100:120] = np.nan                                  # twenty steps missing
    >>> ssm = LinearGaussianSSM(1, update=("transition_cov", "observation_cov"),
    ...                         transition_init=[[1.0]], observation_init=[[1.0]],
    ...                         tol=1e-8, max_iter=2000).fit(Y)
    >>> print(np.round([ssm.transition_cov_[0, 0], ssm.observation_cov_[0, 0]], 1))
    [0.5 1.9]
    >>> means = ssm.smooth(Y).means                          # the states, missing stretch included
    >>> bool(np.sqrt(np.mean((means - X) ** 2)) < 1.0)
    True
    """

    _parameter_constraints = {
        "n_states": [Integer(1)],
        "tol": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "verbose": [Integer(0)],
    }

    def __init__(self, n_states=1, *, update=DEFAULT_UPDATE, transition_init=None,
                 transition_cov_init=None, observation_init=None, observation_cov_init=None,
                 initial_mean_init=None, initial_cov_init=None, diagonal=("observation_cov",),
                 tol=1e-3, max_iter=500, n_init=1, random_state=None, verbose=0):
        self.n_states = n_states
        self.update = update
        self.transition_init = transition_init
        self.transition_cov_init = transition_cov_init
        self.observation_init = observation_init
        self.observation_cov_init = observation_cov_init
        self.initial_mean_init = initial_mean_init
        self.initial_cov_init = initial_cov_init
        self.diagonal = diagonal
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        """scikit-learn's tags: a density estimator whose data may hold NaN (imports sklearn)."""
        return density_estimator_tags(allow_nan=True)

    # -- fitting ---------------------------------------------------------------
    def _check_params(self):
        declared = self._parameter_constraints
        check_params(declared, {n: getattr(self, n) for n in declared})
        update = check_names(self.update, "update", NAMES)
        diagonal = check_names(self.diagonal, "diagonal", COVARIANCES)
        return update, diagonal

    def _inits(self, k, p, diagonal):
        given = {name: getattr(self, f"{name}_init") for name in NAMES}
        return check_inits(given, k, p, diagonal)

    def _start(self, Y, lengths, inits, diagonal, rng, jitter) -> SSMParams:
        start = default_params(Y, lengths, int(self.n_states), rng, jitter)
        for name in diagonal:
            if name not in inits:
                inits = {**inits, name: np.diag(np.diag(getattr(start, name)))}
        return dataclasses.replace(start, **inits)

    def fit(self, Y, lengths=None):
        """Estimate the parameters by EM (the Kalman smoother as the E-step).

        Parameters
        ----------
        Y : array_like of shape (n_steps, n_outputs)
            The observations of the sequences, concatenated; NaN marks a missing entry.
        lengths : array_like of int, optional
            The lengths of the sequences in ``Y`` (default: one sequence).

        Returns
        -------
        self
            The fitted estimator.

        Warns
        -----
        emcore.ConvergenceWarning
            When the best run stopped at ``max_iter`` before meeting ``tol`` (not for
            ``tol=0``).

        See Also
        --------
        emcore.LinearGaussianSSM.smooth : The states given the fitted parameters.
        emcore.LinearGaussianSSM.score : The log-likelihood the fit maximises.

        Examples
        --------
        Twenty EM iterations on a simulated AR(1) state seen with noise; the
        log-likelihood never decreases:

        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> truth = LinearGaussianSSM(1, max_iter=0, transition_init=[[0.8]],
        ...                           observation_init=[[1.0]], transition_cov_init=[[1.0]],
        ...                           observation_cov_init=[[0.5]], initial_mean_init=[0.0],
        ...                           initial_cov_init=[[1.0]]).fit(np.zeros((2, 1)))
        >>> Y, X = truth.sample(100, random_state=0)
        >>> ssm = LinearGaussianSSM(1, tol=0, max_iter=20).fit(Y)
        >>> ssm.n_iter_, bool(np.all(np.diff(ssm.log_likelihood_history_) >= 0))
        (20, True)
        """
        update, diagonal = self._check_params()
        Y = check_Y(Y)
        lengths = check_lengths(lengths, Y.shape[0], "Y")
        if np.all(lengths == 1) and {"transition", "transition_cov"} & set(update):
            raise ValueError("every sequence has length 1 (1 sample): there is no transition "
                             "to estimate transition or transition_cov from (leave them out of "
                             "update)")
        k, p = int(self.n_states), Y.shape[1]
        inits = self._inits(k, p, diagonal)
        data = SSMData(Y, lengths)
        rng = check_random_state(self.random_state)
        # one model for every start: the parameters EM does not update are the first start's
        first = self._start(Y, lengths, inits, diagonal, rng, 0.0)
        layout = SSMLayout(first, update, diagonal)
        model = SSMModel(data, layout)

        def start(i):
            def make():
                params = first if i == 0 else self._start(Y, lengths, inits, diagonal, rng, 0.5)
                return layout.pack(params)
            return make

        # progress as GaussianMixture prints it, per step, every _VERBOSE_INTERVAL iterations
        progress = Progress(int(self.verbose), _VERBOSE_INTERVAL, float(Y.shape[0]))
        result = best_run(model, [start(i) for i in range(int(self.n_init))],
                          stop=LoglikChange(float(self.tol)), max_iter=int(self.max_iter),
                          progress=progress if self.verbose else None)
        params = layout.unpack(result.theta)
        self._set_fitted(params, result, p)
        self._origin = self._last_state(data, params)
        warn_if_not_converged("LinearGaussianSSM", result, self.tol, self.max_iter)
        return self

    def _set_fitted(self, params: SSMParams, result, p):
        for name in NAMES:
            setattr(self, f"{name}_", getattr(params, name).copy())
        self.converged_ = bool(result.converged)
        self.n_iter_ = int(result.n_iter)
        self.log_likelihood_history_ = np.asarray(result.log_likelihood_history, dtype=float).copy()
        self.n_features_in_ = p
