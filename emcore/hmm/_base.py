"""What the HMM estimators share: fitting, and the fit as an EM problem on new data.

Scoring, decoding and sampling a fit are :mod:`._scoring`'s (:class:`ScoringMixin`).
"""

from __future__ import annotations

import numpy as np

from .._base import DensityEstimatorMixin, Progress, best_run, warn_if_not_converged
from .._checks import (RANDOM_STATE, Integer, Options, Real, check_lengths, check_params,
                       check_random_state)
from .._from_params import FromParamsMixin
from ..em import LoglikChange
from ..exceptions import NotFittedError
from ._emissions import check_stochastic
from ._frozen import check_update
from ._model import HMMModel
from ._scoring import ScoringMixin

__all__ = ["BaseHMM"]

#: Iterations between progress lines at ``verbose=2`` (GaussianMixture's default
#: ``verbose_interval``).
_VERBOSE_INTERVAL = 10


class BaseHMM(ScoringMixin, FromParamsMixin, DensityEstimatorMixin):
    """Shared machinery; subclasses supply the emissions (see ``_estimator``), and
    :class:`ScoringMixin` the methods that read a fit.

    For an emission of your own, use :class:`emcore.EmissionHMM` rather than a
    subclass of this: it implements the five hooks below for any
    :class:`emcore.hmm.Emissions` instance.

    scikit-learn's protocol (``get_params``, ``set_params``, ``__sklearn_tags__``:
    a density estimator) comes from the mixture's mixin, so ``sklearn.base.clone``
    copies an HMM.
    """

    # -- what subclasses provide ------------------------------------------
    def _check_X(self, X, fitted: bool) -> np.ndarray:  # pragma: no cover - abstract
        """``X`` checked (against ``n_features_in_`` once ``fitted``), as the emission reads it."""
        raise NotImplementedError

    def _emissions(self, X):  # pragma: no cover - abstract
        """The :class:`Emissions` for ``X`` (``None``: the fitted one, for ``sample``)."""
        raise NotImplementedError

    def _emission_inits(self, em):  # pragma: no cover - abstract
        """The emission vector from the ``*_init`` arguments, or None if any is missing."""
        raise NotImplementedError

    def _set_emissions(self, em, vec):  # pragma: no cover - abstract
        """Set the fitted emission attributes (ending in ``_``) from the flat vector ``vec``."""
        raise NotImplementedError

    def _emission_vector(self, em):  # pragma: no cover - abstract
        """The fitted emission attributes as ``em``'s flat vector (``_set_emissions``' inverse)."""
        raise NotImplementedError

    # -- checks --------------------------------------------------------------
    #: What ``update=`` may name: the start and transition probabilities, then the emissions'.
    _update_names = ("startprob", "transmat")

    #: The scalar constructor arguments, declared (checked by
    #: :func:`emcore._checks.check_params`).
    _parameter_constraints = {
        "n_components": [Integer(1)],
        "tol": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "init_params": [Options(("random",))],
        "verbose": [Integer(0, 2)],
        "random_state": RANDOM_STATE,
    }

    def _check_params(self):
        constraints = type(self)._parameter_constraints
        check_params(constraints, {name: getattr(self, name) for name in constraints})
        k = self.n_components
        pi = None if self.startprob_init is None else check_stochastic(self.startprob_init,
                                                                       "startprob_init", (k,))
        a = None if self.transmat_init is None else check_stochastic(self.transmat_init,
                                                                     "transmat_init", (k, k))
        return pi, a

    # -- fitting ---------------------------------------------------------------
    def _start(self, model, X, rng, pi, a, em_init):
        k = self.n_components
        pi = np.full(k, 1.0 / k) if pi is None else pi
        a = np.full((k, k), 1.0 / k) if a is None else a
        if em_init is None:  # an estimated start: its states in the order the known states say
            em = model.emissions.initial(X, self.init_params, rng)
            em = model.emissions.permuted(em, model.order_for_states(em))
        else:
            em = em_init
        return model.pack(pi, a, em)

    def fit(self, X, lengths=None, states=None):
        """Estimate the parameters by EM (Baum-Welch) from the sequences in ``X``.

        Known ``states`` make those steps' posteriors point masses, which pins
        the states' order (no label switching). The run with the highest
        log-likelihood of ``n_init`` is kept.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).
        states : array_like of int of shape (n_samples,), optional
            The known state of each step, ``-1`` where it is unknown.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        emcore.hmm.DegenerateStateError
            When a state receives no posterior mass during a run (use fewer states or
            another start).

        Warns
        -----
        emcore.ConvergenceWarning
            When the best run stopped at ``max_iter`` before meeting ``tol``.

        See Also
        --------
        emcore.GaussianHMM.from_params : A fitted model from given parameters, no data.
        emcore.GaussianHMM.score : The log-likelihood the fit maximises.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> truth = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                                 means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X, states = truth.sample(400, random_state=0)
        >>> hmm = GaussianHMM(2, tol=1e-6, random_state=0).fit(X, lengths=[200, 200])
        >>> hmm.converged_, bool(np.allclose(np.sort(hmm.means_.ravel()), [0.0, 3.0], atol=0.3))
        (True, True)
        """
        pi, a = self._check_params()
        X = self._check_X(X, fitted=False)
        lengths = check_lengths(lengths, X.shape[0])
        model = HMMModel(X, lengths, self._emissions(X), self._check_states(states, X.shape[0]))
        model.freeze(check_update(self), type(self)._update_names[2:])
        em_init = self._emission_inits(model.emissions)
        rng = check_random_state(self.random_state)
        stop = LoglikChange(float(self.tol))  # the total log-likelihood's change, as hmmlearn's

        # progress as GaussianMixture prints it, per observation, every _VERBOSE_INTERVAL iterations
        progress = Progress(int(self.verbose), _VERBOSE_INTERVAL, float(X.shape[0]))
        starts = [lambda: self._possible(model, self._start(model, X, rng, pi, a, em_init))]
        starts *= int(self.n_init)
        best = best_run(model, starts, stop=stop, max_iter=int(self.max_iter),
                        progress=progress if self.verbose else None)
        self._set_fitted(model, best)
        warn_if_not_converged(type(self).__name__, best, self.tol, self.max_iter)
        return self

    def _set_fitted(self, model, result):
        pi, a, em = model.split(result.theta)
        self.startprob_, self.transmat_ = pi.copy(), a.copy()
        self._set_emissions(model.emissions, em.copy())
        self.converged_ = bool(result.converged)
        self.n_iter_ = int(result.n_iter)
        self.log_likelihood_history_ = np.asarray(result.log_likelihood_history, dtype=float).copy()

    def _check_states(self, states, n: int):
        """``states`` as ``n`` integers in ``-1..K-1`` (None if not given).

        A ValueError naming the argument otherwise.
        """
        if states is None:
            return None
        arr = np.asarray(states)
        if arr.shape != (n,) or arr.dtype.kind not in "iu":
            raise ValueError(f"states must be an integer array with one entry per row of X "
                             f"({n}), -1 where the state is unknown; got shape {arr.shape}, "
                             f"dtype {arr.dtype}")
        if np.any(arr < -1) or np.any(arr >= self.n_components):
            raise ValueError(f"states must hold -1 (unknown) or a state "
                             f"0..{self.n_components - 1}, got values from {arr.min()} to "
                             f"{arr.max()}")
        return arr.astype(np.intp)

    @staticmethod
    def _possible(model, theta):
        model.check_states_possible(theta)
        return theta

    # -- the fit on new data, and as an EM problem --------------------------------
    def _fitted(self, X, lengths, states=None):
        if not hasattr(self, "transmat_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        X = self._check_X(X, fitted=True)
        lengths = check_lengths(lengths, X.shape[0])
        model = HMMModel(X, lengths, self._emissions(X), self._check_states(states, X.shape[0]))
        model.freeze(check_update(self), type(self)._update_names[2:])
        theta = model.pack(self.startprob_, self.transmat_, self._emission_vector(model.emissions))
        return model, self._possible(model, theta)

    def em_problem(self, X, lengths=None):
        """The fitted HMM as an :class:`emcore.EMModel` on ``X``, and its parameters.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        model : emcore.hmm.HMMModel
            For :func:`emcore.run_em` (e.g. with ``accelerate="squarem"``),
            :func:`emcore.em_rate` and :func:`emcore.standard_errors`.
        theta : numpy.ndarray
            The flat vector of ``startprob_``, ``transmat_`` and the emission
            parameters.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.run_em : Runs EM on the model (e.g. accelerated).
        emcore.em_rate : The convergence rate of EM at ``theta``.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> model, theta = hmm.em_problem(X)
        >>> print(round(model.log_likelihood(theta), 6), round(hmm.score(X), 6))
        -9.583088 -9.583088
        """
        return self._fitted(X, lengths)

    def standard_errors(self, X, lengths=None) -> dict:
        """Standard errors of the fitted parameters, from the observed information on ``X``.

        The Hessian of the log-likelihood is taken in free coordinates (drop-one
        start and transition probabilities, the upper triangle of a covariance
        matrix) and mapped back by the delta method
        (:func:`emcore.standard_errors` with the model of :meth:`em_problem`).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        dict
            One array per fitted parameter, keyed and shaped like the attribute
            (``"startprob_"``, ``"transmat_"``, and the emissions', e.g.
            ``"means_"`` and ``"covariances_"``), NaN for a parameter on the
            boundary (a probability of 0), listed in ``"boundary"`` as
            ``(attribute, index)`` pairs, and NaN for a frozen one (``update``).

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.standard_errors : The general computation behind it.
        emcore.GaussianHMM.em_problem : The model whose information it takes.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> truth = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                                 means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X, states = truth.sample(200, random_state=0)
        >>> hmm = GaussianHMM(2, tol=1e-6, random_state=0).fit(X)
        >>> se = hmm.standard_errors(X)
        >>> se["means_"].shape, bool(np.all(se["means_"] > 0))
        ((2, 1), True)
        """
        from ..inference import standard_errors_by_attribute

        model, theta = self._fitted(X, lengths)
        return standard_errors_by_attribute(model, theta,
                                            lambda vec: self._as_attributes(model, vec))

    def _as_attributes(self, model, vec) -> dict:
        """A vector laid out as the model's theta, as arrays named and shaped like the
        fitted attributes."""
        k = self.n_components
        shell = object.__new__(type(self))
        type(self)._set_emissions(shell, model.emissions, np.asarray(vec)[k + k * k:])
        emitted = {key: value for key, value in vars(shell).items() if key != "n_features_in_"}
        return {"startprob_": vec[:k], "transmat_": vec[k:k + k * k].reshape(k, k), **emitted}
