"""Using a fitted HMM: scoring, decoding, information criteria and sampling.

:class:`ScoringMixin` gives the HMM estimators' base class the methods that read a fit
(``score``, ``predict_proba``, ``decode``, ``predict``, ``bic``, ``aic``, ``sample``); the
fitting itself, and ``_fitted`` (the fit as an :class:`emcore.hmm.HMMModel` on new data),
are ``_base``'s.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import Integer, check_params, check_random_state
from ..exceptions import NotFittedError
from . import _scan
from ._frozen import n_free_parameters

__all__ = ["ScoringMixin"]


class ScoringMixin:
    """``score``, ``predict_proba``, ``decode``, ``predict``, ``bic``, ``aic`` and ``sample``
    of a fitted HMM; the estimator provides ``_fitted``, ``_emissions`` and
    ``_emission_vector``."""

    def score(self, X, lengths=None) -> float:
        """Total log-likelihood ``log p(X)`` of the sequences (summed, as in hmmlearn).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        float
            The total, not the mean per step (``GaussianMixture.score`` is the mean).

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.bic : The score penalised by the number of parameters.
        emcore.GaussianHMM.decode : The log-probability of the best state path instead.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> print(round(hmm.score(X), 6))                  # a total, as hmmlearn's
        -9.583088
        """
        model, theta = self._fitted(X, lengths)
        return model.log_likelihood(theta)

    def predict_proba(self, X, lengths=None, states=None) -> np.ndarray:
        """Posterior state probabilities ``p(z_n = k | X)`` by forward-backward.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).
        states : array_like of int of shape (n_samples,), optional
            The known state of each step, ``-1`` where it is unknown; the posteriors
            are conditioned on them.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_components)
            Rows sum to 1.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.predict : The most probable state of each step.
        emcore.GaussianHMM.decode : The most probable path as a whole.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> print(hmm.predict_proba(X).round(3))
        [[0.996 0.004]
         [0.997 0.003]
         [0.026 0.974]
         [0.008 0.992]
         [0.926 0.074]]
        """
        model, theta = self._fitted(X, lengths, states)
        return model.e_step(theta).posteriors

    def decode(self, X, lengths=None, states=None):
        """The most probable path of states (Viterbi) and its joint log-probability.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).
        states : array_like of int of shape (n_samples,), optional
            The known state of each step, ``-1`` where it is unknown; the path goes
            through them.

        Returns
        -------
        log_prob : float
            ``log p(X, path)``, summed over the sequences.
        states : numpy.ndarray of shape (n_samples,)
            The path.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.predict : The most probable state of each step on its own.
        emcore.GaussianHMM.score : The log-likelihood summed over all paths.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> log_prob, states = hmm.decode(X)
        >>> print(round(log_prob, 6), states)
        -9.698367 [0 0 1 1 0]
        """
        model, theta = self._fitted(X, lengths, states)
        pi, a, _ = model.split(theta)
        return _scan.viterbi(model.log_emissions(theta), model.lengths, pi, a)

    def predict(self, X, lengths=None, states=None) -> np.ndarray:
        """The most probable path of states (Viterbi).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).
        states : array_like of int of shape (n_samples,), optional
            The known state of each step, ``-1`` where it is unknown; the path goes
            through them.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The state of each step.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.predict_proba : The posterior probabilities behind it.
        emcore.GaussianHMM.decode : The most probable path as a whole.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> print(hmm.predict(X))
        [0 0 1 1 0]
        """
        return self.decode(X, lengths=lengths, states=states)[1]

    def _n_parameters(self, em) -> int:
        return n_free_parameters(self, em)

    def bic(self, X, lengths=None) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        float
            With ``p`` the free parameters (those ``update`` leaves out are not
            counted) and ``n`` the number of steps.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.aic : Akaike's criterion.
        emcore.GaussianHMM.score : The log-likelihood it penalises.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> print(round(hmm.bic(X), 4), round(hmm.aic(X), 4))
        30.4322 33.1662
        """
        model, theta = self._fitted(X, lengths)
        return (-2.0 * model.log_likelihood(theta)
                + self._n_parameters(model.emissions) * math.log(model.X.shape[0]))

    def aic(self, X, lengths=None) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        float
            With ``p`` the free parameters (those ``update`` leaves out are not counted).

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.bic : The Bayesian information criterion.
        emcore.GaussianHMM.score : The log-likelihood it penalises.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> print(round(hmm.aic(X), 4))
        33.1662
        """
        model, theta = self._fitted(X, lengths)
        return -2.0 * model.log_likelihood(theta) + 2.0 * self._n_parameters(model.emissions)

    def sample(self, n_samples=1, random_state=None):
        """Draw one sequence of ``n_samples`` steps from the fitted model.

        Parameters
        ----------
        n_samples : int, default 1
            The length of the sequence.
        random_state : int or numpy.random.Generator, optional
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : numpy.ndarray of shape (n_samples, n_features)
            The observations.
        states : numpy.ndarray of shape (n_samples,)
            The hidden states that emitted them.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.GaussianHMM.from_params : A model to sample from, without data.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               means=[[0.0], [3.0]], covariances=[[1.0], [1.0]])
        >>> X = np.array([[0.1], [-0.4], [2.8], [3.3], [0.2]])
        >>> Y, states = hmm.sample(5, random_state=0)
        >>> Y.shape, states.shape
        ((5, 1), (5,))
        """
        if not hasattr(self, "transmat_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        check_params({"n_samples": [Integer(1)]}, {"n_samples": n_samples})
        rng = check_random_state(self.random_state if random_state is None else random_state)
        cum_a = np.cumsum(self.transmat_, axis=1)
        u = rng.random(n_samples)
        states = np.empty(n_samples, dtype=np.intp)
        states[0] = min(int(np.searchsorted(np.cumsum(self.startprob_),
                                            u[0] * self.startprob_.sum(), side="right")),
                        self.n_components - 1)
        for t in range(1, n_samples):
            row = cum_a[states[t - 1]]
            states[t] = min(int(np.searchsorted(row, u[t] * row[-1], side="right")),
                            self.n_components - 1)
        em = self._emissions(None)
        return em.sample(self._emission_vector(em), states, rng), states
