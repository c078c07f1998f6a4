"""Emissions over a finite alphabet of symbols: :class:`CategoricalEmissions`."""

from __future__ import annotations

import numpy as np

from ._emissions import Emissions, check_occupancy, check_stochastic

__all__ = ["CategoricalEmissions"]


class CategoricalEmissions(Emissions):
    """Emissions over symbols ``0..S-1``; parameters ``emissionprob`` (K, S), rows summing to 1."""

    def __init__(self, k: int, n_symbols: int):
        self.k, self.s = k, n_symbols
        self.size = k * n_symbols

    def n_free(self) -> int:
        return self.k * (self.s - 1)

    def unpack(self, vec: np.ndarray) -> np.ndarray:
        return vec.reshape(self.k, self.s)

    def free_blocks(self) -> list[tuple[str, tuple]]:
        return [("simplex", (self.k, self.s))]

    def log_prob(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        probs = self.unpack(params)
        if not np.all(probs >= 0):
            raise ValueError("emission probabilities must be non-negative")
        with np.errstate(divide="ignore"):
            return np.log(probs)[:, X[:, 0]].T

    def accumulate(self, X: np.ndarray, posteriors: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Expected counts of each symbol in each state, (K, S)."""
        return np.stack([np.bincount(X[:, 0], weights=posteriors[:, j], minlength=self.s)
                         for j in range(self.k)])

    def m_step(self, stats: np.ndarray, params: np.ndarray) -> np.ndarray:
        n_k = stats.sum(axis=1, keepdims=True)
        check_occupancy(n_k[:, 0])
        return (stats / n_k).ravel()

    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        return rng.dirichlet(np.ones(self.s), size=self.k).ravel()

    def check_init(self, given):
        if given is None:
            return None
        return check_stochastic(given, "emissionprob_init", (self.k, self.s))

    def sample(self, params: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        probs = self.unpack(params)
        cum = np.cumsum(probs, axis=1)
        u = rng.random(states.size) * cum[states, -1]
        return (u[:, None] >= cum[states]).sum(axis=1)[:, None]
