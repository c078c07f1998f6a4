"""The hidden Markov model as an :class:`emcore.EMModel`: Baum-Welch on the generic driver."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from ..em import EMModel
from . import _scan

__all__ = ["HMMModel", "HMMStats"]

#: Largest negative probability accepted (and taken as 0): above em_rate's default step.
_STEP = 1e-4


@dataclasses.dataclass
class HMMStats:
    """Expected complete-data statistics of one E-step (summed over sequences)."""

    start: np.ndarray  # (K,)  sum of gamma_1
    trans: np.ndarray  # (K, K) sum_t xi_t
    posteriors: np.ndarray  # (n, K) gamma_t
    emissions: object  # the emission's own statistics (Emissions.accumulate)
    transmat: np.ndarray  # (K, K) the transition matrix they were computed under
    emission_params: np.ndarray  # the emission parameters they were computed under


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
    """

    def __init__(self, X, lengths, emissions):
        self.X, self.lengths, self.emissions = X, np.asarray(lengths, dtype=np.intp), emissions
        self.k = emissions.k

    @property
    def size(self) -> int:
        return self.k + self.k * self.k + self.emissions.size

    def pack(self, startprob, transmat, emission_vec) -> np.ndarray:
        return np.concatenate([np.ravel(startprob), np.ravel(transmat), np.ravel(emission_vec)])

    def split(self, theta):
        """``(startprob, transmat, emission vector)`` of a flat parameter vector."""
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
        return self.emissions.log_prob(self.X, self.split(theta)[2])

    def e_step_with_log_likelihood(self, theta):
        pi, a, em = self.split(theta)
        ll, post, start, trans = _scan.forward_backward(
            self.emissions.log_prob(self.X, em), self.lengths, pi, a)
        em_stats = self.emissions.accumulate(self.X, post, em)
        return HMMStats(start, trans, post, em_stats, a, em), float(ll.sum())

    def e_step(self, theta):
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        pi, a, em = self.split(theta)
        return float(_scan.log_likelihood(self.emissions.log_prob(self.X, em), self.lengths, pi,
                                          a).sum())

    def m_step(self, stats: HMMStats) -> np.ndarray:
        """Baum-Welch: normalised expected counts; the emissions' weighted estimates."""
        pi = stats.start / stats.start.sum()
        rows = stats.trans.sum(axis=1, keepdims=True)
        stuck = ~(rows[:, 0] > 0)
        if np.any(stuck):
            warnings.warn(
                f"state {int(np.flatnonzero(stuck)[0])} is never left in expectation (no "
                "transition out of it is observed): its row of the transition matrix is kept",
                RuntimeWarning, stacklevel=3)
        a = np.where(stuck[:, None], stats.transmat,
                     stats.trans / np.where(stuck[:, None], 1.0, rows))
        return self.pack(pi, a, self.emissions.m_step(stats.emissions, stats.emission_params))
