"""What an HMM needs of its emission distribution: the contract :class:`Emissions`.

An emission object owns the flat layout of its parameters (so that the HMM's
parameters are one vector, for :func:`emcore.em_rate` and SQUAREM) and four
verbs, in the spirit of hmmlearn's ``_accumulate_sufficient_statistics`` /
``_do_mstep`` and pomegranate's ``summarize`` / ``from_summaries``:

* ``log_prob(X, params)`` -- ``log p(x_n | z_n = k)``, shape (n, K);
* ``accumulate(X, posteriors, params)`` -- the E-step's expected statistics
  under the current parameters (an emission whose M-step is itself iterative,
  such as a Gaussian mixture per state, needs them);
* ``m_step(stats, params)`` -- new parameters; it sees the current ones, so
  it can check, as the Gaussian one does, that its part of ``Q`` does not fall;
* ``initial(X, method, rng)`` and ``sample(params, states, rng)``.

A new emission is one subclass in one file, as the Gaussian (:mod:`._gaussian`),
categorical (:mod:`._categorical`), Poisson (:mod:`._poisson`) and Gaussian-mixture
(:mod:`._gmm`) ones are: the forward-backward recursions, Baum-Welch's start and transition
updates, restarts and stopping are the HMM's (:mod:`._model`, :mod:`._base`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .._checks import check_array_of_shape

__all__ = ["DegenerateStateError", "Emissions"]


class DegenerateStateError(ValueError):
    """A hidden state has zero expected occupancy, so its emission parameters are undefined.

    A ``ValueError``; the HMM estimators' ``fit`` raises it, naming the state, instead of
    producing NaN.

    See Also
    --------
    emcore.mixture.DegenerateComponentError : The same failure in a mixture's M-step.
    emcore.GaussianHMM.fit : Raises it for a state no observation is assigned to.

    Examples
    --------
    An M-step after posteriors that put every step in state 0:

    >>> import numpy as np
    >>> from emcore.hmm import DegenerateStateError, PoissonEmissions
    >>> em = PoissonEmissions(2, 1)
    >>> rates = np.array([1.0, 4.0])
    >>> stats = em.accumulate(np.array([[1.0], [2.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]), rates)
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     em.m_step(stats, rates)
    ... except DegenerateStateError as err:
    ...     print(err)
    state 1 has zero expected occupancy (no observation is assigned to it under the current
    parameters); use fewer states or another start
    """

def check_occupancy(n_k: np.ndarray) -> None:
    """An error naming the first state whose expected visits ``N_k = sum_n gamma_nk`` are zero."""
    empty = np.flatnonzero(~(n_k > 0))
    if empty.size:
        raise DegenerateStateError(
            f"state {int(empty[0])} has zero expected occupancy (no observation is assigned to it "
            "under the current parameters); use fewer states or another start"
        )

class Emissions(ABC):
    """The emission distributions of the ``k`` states of an HMM, parameters a flat vector.

    To add an emission, subclass this and give :class:`emcore.EmissionHMM` an
    instance: it then fits, scores, decodes and computes BIC like the built-in HMMs.
    What a subclass must do:

    * ``__init__`` sets ``self.k`` (the number of states) and ``self.size`` (the length
      of the parameter vector), positive integers; the HMM refuses an emission without
      them, naming the class.
    * Implement ``n_free``, ``log_prob`` (shape (n, K): one row per step, one column per
      state), ``accumulate``, ``m_step`` (a finite vector of ``size`` numbers) and
      ``initial`` (``size`` numbers too); :class:`emcore.hmm.HMMModel` checks the
      shapes of these results, and that ``m_step``'s are finite, naming the class and
      the method at fault. ``sample`` is optional: without it, only the
      estimator's ``sample`` is unavailable (a ``NotImplementedError`` saying so).
    * ``log_prob`` raises a ``ValueError`` for data outside the emission's support (as
      :class:`emcore.hmm.PoissonEmissions` does for negative or fractional counts):
      nothing else checks it, and a density evaluated outside its support is a
      meaningless likelihood.
    * ``accumulate(X, posteriors, params)`` is called once per E-step, on all the
      sequences joined (``X`` is every step of every sequence, ``posteriors`` their
      ``gamma``), and its result goes unchanged to ``m_step``.
    * Parameters laid out state by state, in ``K`` equal blocks of ``size / K``
      entries, suit the default :meth:`permuted` (used to put a start's states in the
      order known states say); any other layout overrides it. Likewise
      :meth:`free_blocks` (one free block by default) and :meth:`n_free_by_name`.
    * A multi-parameter emission whose estimator lets ``update=`` freeze some of its
      parameters (``GaussianHMM``: ``"means"``, ``"covariances"``) reads their names in
      ``self.frozen`` and keeps those at ``params`` in ``m_step``. When all of them are
      frozen ``m_step`` is not called; with :class:`emcore.EmissionHMM` they are
      frozen only all together (``"emission_params"``).

    A worked example, an exponential emission in one class fitted by
    :class:`emcore.EmissionHMM` and checked against a hand-written Baum-Welch, is
    ``tests/hmm/test_emission_api.py`` in the repository; :class:`emcore.hmm.PoissonEmissions`
    is a complete one in the library.

    Attributes
    ----------
    k : int
        The number of hidden states (set by the subclass's ``__init__``).
    size : int
        The length of the parameter vector (set by the subclass's ``__init__``).
    frozen : frozenset of str
        The names of the emission parameters that the M-step keeps (``update=``).
    d : int, optional
        The number of features (columns of ``X``) the emission models; where set,
        :class:`emcore.EmissionHMM` refuses data with another number of columns.

    See Also
    --------
    emcore.EmissionHMM : The estimator that takes an emission of your own.
    emcore.hmm.PoissonEmissions : A complete emission in a few dozen lines.
    emcore.hmm.GMMEmissions : Gaussian-mixture emissions, two latent layers.
    emcore.hmm.HMMModel : The HMM that calls these methods in its E- and M-steps.

    Examples
    --------
    Every emission provides the same few methods; here the Poisson one:

    >>> import numpy as np
    >>> from emcore.hmm import Emissions, PoissonEmissions
    >>> em = PoissonEmissions(2, 1)
    >>> isinstance(em, Emissions), em.size, em.n_free()
    (True, 2, 2)
    >>> X = np.array([[1.0], [3.0]])
    >>> stats = em.accumulate(X, np.array([[0.5, 0.5], [0.0, 1.0]]), np.array([1.0, 4.0]))
    >>> print(em.m_step(stats, np.array([1.0, 4.0])).round(4))  # the weighted mean counts
    [1.     2.3333]
    """

    k: int
    size: int
    frozen: frozenset = frozenset()

    @abstractmethod
    def n_free(self) -> int:
        """Free parameters (for BIC and AIC).

        Returns
        -------
        int
            The number of free emission parameters.
        """

    @abstractmethod
    def log_prob(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``log p(x_n | state k)`` for every step and state, shape (n, K).

        Parameters
        ----------
        X : numpy.ndarray of shape (n, n_features)
            The observations, one step per row.
        params : numpy.ndarray of shape (size,)
            The current emission parameters.

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The log-density of each step under each state.
        """

    @abstractmethod
    def accumulate(self, X: np.ndarray, posteriors: np.ndarray, params: np.ndarray):
        """The expected complete-data statistics, given the posteriors ``gamma`` (n, K).

        Parameters
        ----------
        X : numpy.ndarray of shape (n, n_features)
            The observations, one step per row.
        posteriors : numpy.ndarray of shape (n, K)
            Each step's posterior state probabilities.
        params : numpy.ndarray of shape (size,)
            The current emission parameters.

        Returns
        -------
        object
            What :meth:`m_step` takes.
        """

    @abstractmethod
    def m_step(self, stats, params: np.ndarray) -> np.ndarray:
        """New parameters from ``accumulate``'s statistics; ``params`` are the current ones.

        Parameters
        ----------
        stats : object
            The statistics from :meth:`accumulate`.
        params : numpy.ndarray of shape (size,)
            The current emission parameters.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The new emission parameters.
        """

    @abstractmethod
    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        """Starting parameters from the data.

        Parameters
        ----------
        X : numpy.ndarray of shape (n, n_features)
            The observations, one step per row.
        method : {"kmeans", "random"}
            The estimator's ``init_params``.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The starting emission parameters.
        """

    def sample(self, params: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        """One observation for each of ``states``, as rows (optional: the estimator's
        ``sample`` needs it; the default raises ``NotImplementedError``).

        Parameters
        ----------
        params : numpy.ndarray of shape (size,)
            The emission parameters.
        states : numpy.ndarray of int, shape (n,)
            The hidden state of each step.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (n, n_features)
            The observations.

        Raises
        ------
        NotImplementedError
            When the subclass does not provide it.
        """
        raise NotImplementedError(f"{type(self).__name__} has no sample method (optional in "
                                  "the emcore.hmm.Emissions contract): define "
                                  "sample(params, states, rng) to draw from the HMM")

    def n_free_by_name(self, names: tuple) -> dict:
        """``n_free`` split by the estimator's emission parameter ``names``.

        Parameters
        ----------
        names : tuple of str
            The estimator's emission parameter names, such as ``("means", "covariances")``.

        Returns
        -------
        dict
            Free parameters by name; by default all of :meth:`n_free` under the first name.
        """
        return {names[0]: self.n_free()}

    def free_blocks(self) -> list[tuple[str, tuple]]:
        """The layout of the parameter vector for standard errors: ``(kind, shape)`` blocks.

        Kinds as the free coordinates of :func:`emcore.standard_errors` read them: ``"free"``,
        ``"simplex"`` (rows of probabilities) or ``"symmetric"`` (matrices stored in
        full). The default, one free block, suits parameters that can move freely.

        Returns
        -------
        list of tuple
            ``(kind, shape)`` blocks, in the order of the parameter vector.
        """
        return [("free", (self.size,))]

    def permuted(self, params: np.ndarray, order: np.ndarray) -> np.ndarray:
        """The parameters with state ``j`` taking those of state ``order[j]``.

        Used to put a start's states in the order known states say; the
        default suits parameters laid out state by state, in ``K`` equal blocks.

        Parameters
        ----------
        params : numpy.ndarray of shape (size,)
            The emission parameters.
        order : numpy.ndarray of int, shape (K,)
            A permutation of the states.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The permuted parameters.
        """
        return np.asarray(params).reshape(self.k, -1)[order].ravel()

def check_stochastic(value, name, shape):
    """A float array of ``shape``, non-negative, each row (or the vector) summing to 1."""
    arr = check_array_of_shape(value, name, shape)
    if np.any(arr < 0) or np.any(np.abs(arr.sum(axis=-1) - 1.0) > 1e-8):
        raise ValueError(f"{name} must be non-negative with rows summing to 1")
    # a row that sums to 1 up to round-off (a fitted one) is kept bit for bit, as a frozen
    # parameter must be; the others are normalised
    sums = arr.sum(axis=-1, keepdims=True)
    return np.where(np.abs(sums - 1.0) <= 1e-12, arr, arr / sums)
