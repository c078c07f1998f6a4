"""The hidden Markov model as an :class:`emcore.EMModel`: Baum-Welch on the generic driver."""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np

from .._free import FreeCoordinates
from ..em import EMModel
from . import _scan
from ._contract import check_emissions, checked_log_prob, checked_m_step

__all__ = ["HMMModel", "HMMStats"]

#: Largest negative probability accepted (and taken as 0): above em_rate's default step.
_STEP = 1e-4

#: How far from 1 a probability vector's sum may be for the log-likelihood (round-off of
#: the M-step's normalisation is about 1e-16; a difference step of em_rate about 1e-5).
SIMPLEX_TOLERANCE = 1e-9


@dataclasses.dataclass
class HMMStats:
    """Expected complete-data statistics of one E-step (summed over sequences)."""

    start: np.ndarray  # (K,)  sum of gamma_1
    trans: np.ndarray  # (K, K) sum_t xi_t
    posteriors: np.ndarray  # (n, K) gamma_t
    emissions: object  # the emission's own statistics (Emissions.accumulate)
    transmat: np.ndarray  # (K, K) the transition matrix they were computed under
    emission_params: np.ndarray  # the emission parameters they were computed under
    startprob: np.ndarray | None = None  # the start probabilities they were computed under


class HMMModel(EMModel):
    """An HMM on fixed sequences, for :func:`emcore.run_em`, :func:`emcore.em_rate` and SQUAREM.

    The parameters are one flat vector: the initial distribution ``pi``
    (K), the transition matrix ``A`` (K * K, row-major), then the emission
    parameters in the emission object's layout (see ``split``).

    Parameters
    ----------
    X : numpy.ndarray
        The concatenated sequences, (n, d) floats or (n, 1) integer symbols.
    lengths : numpy.ndarray
        Positive lengths summing to ``n``.
    emissions : Emissions
        The emission distributions (:class:`emcore.hmm.Emissions`): Gaussian,
        categorical, or one of your own.
    states : numpy.ndarray, optional
        Known states, one per step, ``-1`` where unknown. A known step's
        emission density is zero for every other state, so its posterior is a
        point mass on its state, and the log-likelihood is that of the
        observations together with the known states.

    See Also
    --------
    emcore.GaussianHMM.em_problem : This model and its parameters from a fitted estimator.
    emcore.hmm.Emissions : What an emission distribution provides.
    emcore.run_em : The EM driver that fits it.

    Examples
    --------
    Two Poisson states fitted by the generic driver, with no estimator around them:

    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.hmm import HMMModel, PoissonEmissions
    >>> X = np.array([[0.0], [1.0], [0.0], [7.0], [9.0], [8.0], [1.0], [0.0]])
    >>> model = HMMModel(X, np.array([8]), PoissonEmissions(2, 1))
    >>> theta = model.pack([0.5, 0.5], [[0.8, 0.2], [0.2, 0.8]], np.array([1.0, 5.0]))
    >>> result = run_em(model, theta, tol=1e-10, max_iter=1000)
    >>> startprob, transmat, rates = model.split(result.theta)
    >>> print(np.round(rates, 2), result.converged)
    [0.4  7.97] True
    """

    #: Names of the parameters the M-step keeps at their current values (``update=``):
    #: ``"startprob"``, ``"transmat"`` and the emissions' (frozen there too, see ``_frozen``).
    frozen: frozenset = frozenset()
    _emissions_frozen = False
    _emission_names: tuple = ()

    def __init__(self, X, lengths, emissions, states=None):
        check_emissions(emissions)
        self.X, self.lengths, self.emissions = X, np.asarray(lengths, dtype=np.intp), emissions
        self.k = int(emissions.k)
        self.states = states

    def freeze(self, names, emission_names) -> None:
        """Keep ``names`` at their current values in every M-step.

        Parameters
        ----------
        names : iterable of str
            A subset of ``"startprob"``, ``"transmat"`` and ``emission_names``.
        emission_names : iterable of str
            The estimator's names of the emission parameters, in the order of their blocks.
        """
        self.frozen = frozenset(names)
        self._emission_names = tuple(emission_names)
        self.emissions.frozen = self.frozen & set(emission_names)
        self._emissions_frozen = set(emission_names) <= self.frozen

    def _conditioned(self, log_emis: np.ndarray) -> np.ndarray:
        """Log-emissions with every state but the known one ruled out at the known steps."""
        if self.states is None:
            return log_emis
        known = np.flatnonzero(self.states >= 0)
        out = np.array(log_emis, dtype=np.float64)
        kept = out[known, self.states[known]]
        out[known] = -np.inf
        out[known, self.states[known]] = kept
        return out

    def order_for_states(self, emission_params) -> np.ndarray:
        """The order of the states that best agrees with the known ones (identity if none).

        ``order[j]`` is the state of ``emission_params`` that becomes state
        ``j``: the permutation that maximises the known steps' summed
        log-emissions (all permutations up to 7 states, else greedily), so
        that a start whose states are found in another order is relabelled
        before EM, which cannot swap them.

        Parameters
        ----------
        emission_params : numpy.ndarray of shape (emissions.size,)
            The emission parameters of a start.

        Returns
        -------
        numpy.ndarray of int, shape (K,)
            The permutation, for :meth:`emcore.hmm.Emissions.permuted`.
        """
        k = self.k
        if self.states is None or not np.any(self.states >= 0):
            return np.arange(k)
        known = np.flatnonzero(self.states >= 0)
        log_emis = checked_log_prob(self.emissions, self.X[known], emission_params)
        score = np.zeros((k, k))  # score[j, s]: known steps of state j scored by start state s
        np.add.at(score, self.states[known], np.maximum(log_emis, -1e300))
        if k <= 7:
            orders = itertools.permutations(range(k))
            return np.array(max(orders, key=lambda o: score[np.arange(k), list(o)].sum()))
        order, free = np.empty(k, dtype=np.intp), set(range(k))
        for j in np.argsort(-score.max(axis=1)):
            order[j] = max(free, key=lambda s_: score[j, s_])
            free.remove(order[j])
        return order

    def check_states_possible(self, theta) -> None:
        """A ValueError naming the first known step whose state is impossible under ``theta``.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Raises
        ------
        ValueError
            When the known states have probability zero under ``theta``.
        """
        if self.states is None:
            return
        try:
            if np.isfinite(self.log_likelihood(theta)):
                return
        except FloatingPointError:  # a sequence of probability 0: find the step below
            pass
        pi, a, em = self.split(theta)
        log_emis = checked_log_prob(self.emissions, self.X, em)
        starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        for n in np.flatnonzero(self.states >= 0):
            z, prev = self.states[n], self.states[n - 1] if n > 0 else -1
            if (not np.isfinite(log_emis[n, z]) or (n in starts and pi[z] == 0)
                    or (n not in starts and prev >= 0 and a[prev, z] == 0)):
                raise ValueError(f"states[{n}] = {z} has zero probability under the model "
                                 "(its emission, start or transition probability is 0)")
        raise ValueError("the known states have zero probability together under the model")

    @property
    def size(self) -> int:
        """The length of ``theta``: start, transition and emission parameters."""
        return self.k + self.k * self.k + self.emissions.size

    def free_coordinates(self, theta) -> FreeCoordinates:
        """Coordinates of ``theta`` that can move freely, for :func:`emcore.standard_errors`.

        Drop-one start and transition probabilities, the emissions' own layout
        (:meth:`emcore.hmm.Emissions.free_blocks`); none for a frozen parameter.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        emcore._free.FreeCoordinates
            The map between ``theta`` and its free coordinates.
        """
        k = self.k
        emission_blocks = self.emissions.free_blocks()
        # a model that no estimator froze (built by hand) has no emission names: none of
        # its blocks is frozen, and every block is kept (a short zip would drop some)
        emission_names = self._emission_names or (None,) * len(emission_blocks)
        if len(emission_names) == 1:  # one name for all the blocks (EmissionHMM's)
            emission_names *= len(emission_blocks)
        names = ("startprob", "transmat", *emission_names)
        blocks = [("simplex", (1, k)), ("simplex", (k, k)), *emission_blocks]
        blocks = [("fixed", shape) if name in self.frozen else (kind, shape)
                  for name, (kind, shape) in zip(names, blocks, strict=True)]
        return FreeCoordinates(blocks, theta)

    def pack(self, startprob, transmat, emission_vec) -> np.ndarray:
        """``theta``: the start probabilities, the transition matrix and the emissions, flat.

        Parameters
        ----------
        startprob : array_like of shape (K,)
            The initial state distribution.
        transmat : array_like of shape (K, K)
            The transition matrix, rows summing to 1.
        emission_vec : array_like of shape (emissions.size,)
            The emission parameters in the emission object's layout.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The flat parameter vector ``theta``.

        Raises
        ------
        ValueError
            When a part has the wrong number of entries (the emission vector's must be
            ``emissions.size``).
        """
        parts = [np.ravel(startprob), np.ravel(transmat), np.ravel(emission_vec)]
        wants = [(self.k, f"K = {self.k}"), (self.k ** 2, f"K * K with K = {self.k}"),
                 (self.emissions.size, f"{type(self.emissions).__name__}.size")]
        for part, name, (want, why) in zip(parts, ("startprob", "transmat", "the emission vector"),
                                           wants, strict=True):
            if part.size != want:
                raise ValueError(f"{name} has {part.size} entries, but the model needs {want} "
                                 f"({why})")
        return np.concatenate(parts)

    def split(self, theta):
        """``(startprob, transmat, emission vector)`` of a flat parameter vector.

        Probabilities pushed just below 0 by a difference step (down to ``-1e-4``) are
        taken as 0.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        startprob : numpy.ndarray of shape (K,)
            The start probabilities.
        transmat : numpy.ndarray of shape (K, K)
            The transition matrix.
        emission_vec : numpy.ndarray of shape (emissions.size,)
            The emission parameters, in the emissions' layout.

        Raises
        ------
        ValueError
            When ``theta`` has the wrong shape, is not finite, or has a clearly negative
            probability.
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {theta.shape}")
        k = self.k
        pi, a = theta[:k], theta[k:k + k * k].reshape(k, k)
        if not (np.all(np.isfinite(theta)) and np.all(pi >= -_STEP) and np.all(a >= -_STEP)):
            raise ValueError("startprob and transmat must be finite and non-negative")
        # a probability that is 0 at a fixed point may be pushed just below 0 by the
        # difference step of em_rate / standard_errors: it is taken as 0 (one-sided)
        return np.maximum(pi, 0.0), np.maximum(a, 0.0), theta[k + k * k:]

    def log_emissions(self, theta) -> np.ndarray:
        """``log p(x_n | z_n = k)`` (n, K), with the known states' steps conditioned.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The log-emissions; ``-inf`` for every state but the known one at a known step.
        """
        return self._conditioned(checked_log_prob(self.emissions, self.X, self.split(theta)[2]))

    def e_step_with_log_likelihood(self, theta):
        """Forward-backward: the expected statistics and the log-likelihood in one pass.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        stats : HMMStats
            The expected counts and posteriors, summed over the sequences.
        log_likelihood : float
            ``log p(x | theta)``, summed over the sequences.
        """
        pi, a, em = self.split(theta)
        ll, post, start, trans = _scan.forward_backward(
            self._conditioned(checked_log_prob(self.emissions, self.X, em)), self.lengths, pi, a)
        em_stats = self.emissions.accumulate(self.X, post, em)
        return HMMStats(start, trans, post, em_stats, a, em, pi), float(ll.sum())

    def e_step(self, theta):
        """The expected complete-data statistics, by forward-backward.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        HMMStats
            The posterior state and transition counts and the emissions' statistics.
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        """``log p(x | theta)``, summed over the sequences.

        Parameters
        ----------
        theta : array_like of shape (size,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        float
            The total log-likelihood at ``theta``.

        Raises
        ------
        ValueError
            For start or transition probabilities whose rows do not sum to 1 (the
            likelihood is not extended off the simplex).
        """
        pi, a, em = self.split(theta)
        if np.any(np.abs(np.r_[pi.sum(), a.sum(axis=1)] - 1.0) > SIMPLEX_TOLERANCE):
            raise ValueError("startprob and the rows of transmat must sum to 1: the "
                             "log-likelihood is defined on the simplex only")
        log_emis = self._conditioned(checked_log_prob(self.emissions, self.X, em))
        return float(_scan.log_likelihood(log_emis, self.lengths, pi, a).sum())

    def m_step(self, stats: HMMStats) -> np.ndarray:
        """Baum-Welch: normalised expected counts; the emissions' weighted estimates.

        Parameters in ``frozen`` keep the values the statistics were computed under.

        Parameters
        ----------
        stats : HMMStats
            The E-step's statistics (:meth:`e_step`).

        Returns
        -------
        numpy.ndarray of shape (size,)
            The new parameter vector.
        """
        pi = stats.startprob if "startprob" in self.frozen else stats.start / stats.start.sum()
        a = stats.transmat if "transmat" in self.frozen else self._transitions(stats)
        if self._emissions_frozen:
            return self.pack(pi, a, stats.emission_params)
        new = self.emissions.m_step(stats.emissions, stats.emission_params)
        return self.pack(pi, a, checked_m_step(self.emissions, new, stats.posteriors))

    def _transitions(self, stats: HMMStats) -> np.ndarray:
        """The normalised expected transition counts; a row never left keeps its values."""
        rows = stats.trans.sum(axis=1, keepdims=True)
        stuck = ~(rows[:, 0] > 0)
        if np.any(stuck):
            if np.all(np.asarray(self.lengths) <= 1):
                why = ("no sequence is longer than one step, so no transition is observed: the "
                       "transition matrix is kept at its start")
            else:
                ks = np.flatnonzero(stuck)
                which, kept = ((f"state {ks[0]} is", "its row is") if len(ks) == 1 else
                               ("states " + ", ".join(map(str, ks)) + " are", "their rows are"))
                why = (f"{which} never left in expectation (no transition out is observed): "
                       f"{kept} kept in the transition matrix")
            warnings.warn(why, RuntimeWarning, stacklevel=4)
        return np.where(stuck[:, None], stats.transmat,
                        stats.trans / np.where(stuck[:, None], 1.0, rows))
