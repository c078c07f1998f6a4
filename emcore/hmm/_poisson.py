"""Poisson emissions: counts, independent given the state, one rate per state and feature.

The whole emission in one class, on the contract of :class:`._emissions.Emissions`:
``log p(x | k) = sum_j (x_j log lambda_kj - lambda_kj - log x_j!)``, the
expected statistics are the posterior-weighted counts and visits, and the
M-step is their ratio (each rate the posterior-weighted mean count).
"""

from __future__ import annotations

import numpy as np

from .._checks import check_array_of_shape
from ._emissions import Emissions, check_occupancy

__all__ = ["PoissonEmissions"]


class PoissonEmissions(Emissions):
    """Rates ``lambdas`` (K, d), non-negative, flattened row by row.

    Parameters
    ----------
    k : int
        The number of hidden states.
    d : int
        The number of count features.

    See Also
    --------
    emcore.PoissonHMM : The estimator whose states emit these counts.
    emcore.hmm.Emissions : The contract this class implements.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.hmm import PoissonEmissions
    >>> em = PoissonEmissions(2, 1)
    >>> rates = np.array([1.0, 4.0])                     # one rate per state
    >>> print(np.exp(em.log_prob(np.array([[0.0], [3.0]]), rates)).round(4))
    [[0.3679 0.0183]
     [0.0613 0.1954]]
    """

    def __init__(self, k: int, d: int):
        self.k, self.d = k, d
        self.size = k * d
        self._log_factorials = (None, None)  # (X, sum_j log x_j!) of the last log_prob

    def n_free(self) -> int:
        """One rate per state and feature.

        Returns
        -------
        int
            ``K d``.
        """
        return self.k * self.d

    def unpack(self, vec: np.ndarray) -> np.ndarray:
        """The rates (K, d) of a parameter vector.

        Parameters
        ----------
        vec : numpy.ndarray of shape (K * d,)
            A parameter vector.

        Returns
        -------
        numpy.ndarray of shape (K, d)
            A view of ``vec``.
        """
        return vec.reshape(self.k, self.d)

    def log_prob(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``sum_j (x_j log lambda_kj - lambda_kj - log x_j!)`` for every step and state.

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            Counts, one step per row.
        params : numpy.ndarray of shape (K * d,)
            The current rates (:meth:`unpack`).

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The log-probabilities; a rate of 0 gives a count of 0 probability 1.
        """
        from scipy.special import gammaln, xlogy

        rates = self.unpack(params)
        if not np.all(rates >= 0):
            raise ValueError("Poisson rates must be non-negative")
        if np.all(rates > 0):  # sum_j x_j log(lambda_kj) for all k: one matrix product
            counts_term = np.dot(X, np.log(rates).T)
        else:  # x log(lambda) with 0 log 0 = 0: a rate of 0 gives a count of 0 probability 1
            counts_term = np.stack([xlogy(X, rate).sum(axis=1) for rate in rates], axis=1)
        cached_X, log_factorials = self._log_factorials
        if cached_X is not X:  # the same X at every iteration of a fit: computed once
            log_factorials = gammaln(X + 1.0).sum(axis=1)
            self._log_factorials = (X, log_factorials)
        return counts_term - rates.sum(axis=1) - log_factorials[:, None]

    def accumulate(self, X: np.ndarray, posteriors: np.ndarray, params: np.ndarray):
        """Posterior-weighted counts (K, d) and expected visits (K,).

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            Counts, one step per row.
        posteriors : numpy.ndarray of shape (n, K)
            Each step's posterior state probabilities.
        params : numpy.ndarray of shape (K * d,)
            The current rates (:meth:`unpack`).

        Returns
        -------
        counts : numpy.ndarray of shape (K, d)
            ``sum_n gamma_nk x_n``.
        visits : numpy.ndarray of shape (K,)
            ``sum_n gamma_nk``.
        """
        return np.dot(posteriors.T, X), posteriors.sum(axis=0)

    def m_step(self, stats, params: np.ndarray) -> np.ndarray:
        """Each rate the posterior-weighted mean count, ``counts / visits``.

        Parameters
        ----------
        stats : tuple
            ``(counts, visits)`` from :meth:`accumulate`.
        params : numpy.ndarray of shape (K * d,)
            The current rates (not used: the step is in closed form).

        Returns
        -------
        numpy.ndarray of shape (K * d,)
            The new rates; a ``DegenerateStateError`` when a state has no expected visits.
        """
        counts, visits = stats
        check_occupancy(visits)
        return (counts / visits[:, None]).ravel()

    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        """Rates between the data's mean counts and ``K`` random rows (so the states differ).

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            Counts, one step per row.
        method : str
            The estimator's ``init_params`` (not used: every start is random rows).
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (K * d,)
            The starting rates, each row halfway between a random row and the mean.
        """
        rows = X[rng.choice(X.shape[0], size=self.k, replace=X.shape[0] < self.k)]
        return (0.5 * (rows + X.mean(axis=0))).ravel()

    def check_init(self, given):
        """``lambdas_init`` checked (shape (K, d), non-negative), or None if not given.

        Parameters
        ----------
        given : array_like of shape (K, d) or None
            The user's starting rates.

        Returns
        -------
        numpy.ndarray of shape (K, d) or None
            The starting rates as floats, or None.
        """
        if given is None:
            return None
        rates = check_array_of_shape(given, "lambdas_init", (self.k, self.d))
        if np.any(rates < 0):
            raise ValueError("lambdas_init must be non-negative")
        return rates

    def sample(self, params: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        """Poisson counts for each of ``states``, as rows.

        Parameters
        ----------
        params : numpy.ndarray of shape (K * d,)
            The rates.
        states : numpy.ndarray of int, shape (n,)
            The hidden state of each step.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (n, d)
            The counts, as floats.
        """
        return rng.poisson(self.unpack(params)[states]).astype(np.float64)
