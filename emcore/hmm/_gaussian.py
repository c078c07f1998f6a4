"""Normal emissions of an HMM on the Gaussian core: :class:`GaussianEmissions`.

Any covariance type of :mod:`emcore.gaussian`; log-densities by its safe fast path
(:mod:`emcore.gaussian.expanded`), statistics about the data's exact origin
(:func:`data_origin`) or, where those would cancel, about each state's mean, and the
core's M-step with its check that ``Q`` does not fall.
"""

from __future__ import annotations

import numpy as np

from .. import _tuning
from .._checks import check_array_of_shape
from ..gaussian import expanded, reference
from ..gaussian.covariance import COVARIANCE_TYPES, covariance_model
from ..gaussian.holes import observed_mean
from ..gaussian.mstep import DegenerateComponentError, m_step
from ..gaussian.stats import MixtureParams, SufficientStats, exact_origin
from ._emissions import DegenerateStateError, Emissions, check_occupancy
from ._frozen import frozen_gaussian_m_step

__all__ = ["GaussianEmissions"]

_EPS = np.finfo(np.float64).eps

#: The covariance types a :class:`GaussianEmissions` accepts: all of the Gaussian core's.
HMM_COVARIANCE_TYPES = COVARIANCE_TYPES


def data_origin(X: np.ndarray) -> np.ndarray:
    """The origin of the Gaussian emissions' sums, the mixture's: per feature the mean of
    the observed entries where subtracting it from each of them is exact, else 0
    (:func:`emcore.gaussian.stats.exact_origin`).

    A mean far from a sample near 0 would round that sample to the mean's last bit
    (clusters 1e5 apart and 1e-3 wide lose about 1e-8 of their log-densities).
    """
    # fmin and fmax skip NaN (a hole); a column never observed keeps the origin 0
    low, high = np.fmin.reduce(X, axis=0), np.fmax.reduce(X, axis=0)
    return exact_origin(observed_mean(X), low, high)


class GaussianEmissions(Emissions):
    """Normal emissions with any covariance type of the Gaussian core (:mod:`emcore.gaussian`).

    Parameters are the means (K, d) and the covariances in the type's compact
    shape. Coordinates are taken about ``center`` (the estimators pass
    :func:`data_origin`, where subtracting it is exact); the statistics about it,
    or about each state's mean where those would cancel (:meth:`accumulate`).
    """

    def __init__(self, cov_type: str, k: int, d: int, reg_covar: float = 0.0, center=None):
        self.cov = covariance_model(cov_type)
        self.cov_type, self.k, self.d, self.reg = cov_type, k, d, reg_covar
        self.center = np.zeros(d) if center is None else np.asarray(center, dtype=float)
        self.cov_shape = self.cov.cov_shape(k, d)
        self.size = k * d + int(np.prod(self.cov_shape))

    def n_free(self) -> int:
        return self.k * self.d + self.cov.n_cov_parameters(self.k, self.d)

    def n_free_by_name(self, names: tuple) -> dict:
        return {"means": self.k * self.d,
                "covariances": self.cov.n_cov_parameters(self.k, self.d)}

    def pack(self, means, covariances) -> np.ndarray:
        return np.concatenate([np.ravel(means), np.ravel(covariances)])

    def free_blocks(self) -> list[tuple[str, tuple]]:
        return [("free", (self.k, self.d)),
                ("symmetric" if self.cov.is_matrix else "free", self.cov_shape)]

    def unpack(self, vec: np.ndarray):
        kd = self.k * self.d
        return vec[:kd].reshape(self.k, self.d), vec[kd:].reshape(self.cov_shape)

    def _chol(self, covariances):
        try:
            return self.cov.precision_cholesky(covariances)
        except np.linalg.LinAlgError:
            raise ValueError("covariances must be positive definite") from None

    def log_prob(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``log N(x_n | mu_k, Sigma_k)`` by the core's safe fast path
        (:mod:`emcore.gaussian.expanded`)."""
        means, covariances = self.unpack(params)
        return expanded.log_densities(X, means, self._chol(covariances), self.cov, self.center)

    def accumulate(self, X: np.ndarray, posteriors: np.ndarray,
                   params: np.ndarray) -> SufficientStats:
        """``N_k``, and the first and second moments, weighted by the posteriors.

        First by one product of the quadratic features with the posteriors, the
        sums about ``center`` (:meth:`about_center`); where the covariances they
        give would lose more digits to cancellation than the round-off guard
        allows (:meth:`cancels`), again about each state's current mean
        (:meth:`about_means`), as the mixture's direct path takes them. A
        covariance type without the fast kernels takes the latter alone.
        """
        if not self.cov.has_expanded_path:  # a covariance type with the base methods alone
            return self.about_means(X, posteriors, params)
        stats = self.about_center(X, posteriors)
        if self.cancels(stats):
            return self.about_means(X, posteriors, params)
        return stats

    def about_center(self, X: np.ndarray, posteriors: np.ndarray) -> SufficientStats:
        """The sums about ``center``, chunk by chunk, the second moments from one product of
        the quadratic features ``q(x)`` with the posteriors (a shared covariance's from the
        data's own second moment, each step weighted by its posteriors' sum)."""
        n_k = posteriors.sum(axis=0)
        cov, k, d = self.cov, self.k, self.d
        n, q = X.shape[0], cov.n_quadratic(d)
        g, first = np.zeros((q, k)), np.zeros((k, d))
        data_second = np.zeros((d, d)) if cov.needs_data_second else None
        rows = _tuning.LOG_PROB_ROWS
        feats = np.empty((q, min(n, rows)))
        for a in range(0, n, rows):
            b = min(n, a + rows)
            xc = (X[a:b] - self.center).T
            first += np.dot(xc, posteriors[a:b]).T
            cov.quadratic(xc, feats[:, :b - a])
            g += np.dot(feats[:, :b - a], posteriors[a:b])
            if data_second is not None:
                data_second += np.dot(xc * posteriors[a:b].sum(axis=1), xc.T)
        second = cov.second_from_quadratic(g, d, data_second)
        return SufficientStats(n_k, first, second, np.zeros((k, d)))

    def cancels(self, stats: SufficientStats) -> bool:
        """Whether the covariances from ``stats`` lose more than the round-off guard allows.

        A covariance from second moments about an origin ``mu`` away carries
        round-off of a few ``eps`` times those moments; relative to the variance in
        its worst direction that is ``eps`` over the covariance type's
        ``relative_spread``. The guard is the log-densities' (``MAX_ROUND_OFF``);
        empty states, which no origin helps, are not judged.
        """
        n_guarded = stats.n + 10 * _EPS
        delta = stats.first / n_guarded[:, None]
        bare = self.cov.covariances(stats.second, stats.n, n_guarded, delta, 0.0)[1]
        ratio = self.cov.relative_spread(bare, stats.shift + delta)
        return not np.all(ratio[stats.n > 0] >= _EPS / _tuning.MAX_ROUND_OFF)  # NaN: cancels

    def about_means(self, X: np.ndarray, posteriors: np.ndarray,
                    params: np.ndarray) -> SufficientStats:
        """The sums about each state's mean in ``params``, by the reference statistics
        (:func:`emcore.gaussian.reference.statistics`): no cancellation however far apart
        the states are, since each step's distance to a mean is taken first."""
        means = self.unpack(params)[0] - self.center
        return reference.statistics(X - self.center, posteriors, means, self.cov)

    def m_step(self, stats: SufficientStats, params: np.ndarray) -> np.ndarray:
        """Weighted means and covariances plus ``reg_covar``, kept only if they do not lower ``Q``.

        With ``reg_covar > 0`` the step is not the exact maximiser of ``Q``;
        the core's M-step (:func:`emcore.gaussian.mstep.m_step`) then compares
        the emissions' part of ``Q`` before and after, from the statistics,
        and keeps the current parameters if it would fall -- so, since the
        start and transition updates are exact, the log-likelihood never
        decreases. Degenerate covariances raise :class:`DegenerateStateError`.
        """
        check_occupancy(stats.n)
        means, covariances = self.unpack(params)
        stats.params = MixtureParams(None, means - self.center, covariances,
                                     self._chol(covariances))
        if self.frozen:
            return frozen_gaussian_m_step(self, stats, params)
        return self.finish_m_step(stats, params)

    def finish_m_step(self, stats: SufficientStats, params: np.ndarray) -> np.ndarray:
        """The core's M-step on ``stats`` (their ``params`` set), checked as ``m_step`` says."""
        try:
            new = m_step(stats, self.cov_type, self.reg, strict=False)
        except DegenerateComponentError as err:
            raise DegenerateStateError(str(err).replace("component", "state")) from None
        if new is stats.params:  # the step would lower Q: keep the current parameters exactly
            return params
        return self.pack(new.means + self.center, new.covariances)

    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        """Means and covariances: of a k-means-started Gaussian mixture, or random samples."""
        if method == "kmeans":
            from ..mixture import GaussianMixture

            gm = GaussianMixture(self.k, covariance_type=self.cov_type, max_iter=0,
                                 reg_covar=max(self.reg, 1e-6), random_state=rng).fit(X)
            return self.pack(gm.means_, gm.covariances_)
        means = X[rng.choice(X.shape[0], size=self.k, replace=False)]
        # every state starts with the data's own spread: the M-step's covariances when each
        # state is given every step with weight 1, about the data's mean
        mean = np.broadcast_to(X.mean(axis=0), (self.k, self.d))
        spread = reference.statistics(X, np.ones((X.shape[0], self.k)), mean, self.cov)
        covariances = self.cov.covariances(spread.second, spread.n, spread.n,
                                           np.zeros((self.k, self.d)), max(self.reg, 1e-6))[0]
        return self.pack(means, covariances)

    def check_init(self, given_means, given_cov):
        """Checked explicit starting values (None where not given)."""
        out_m = out_c = None
        if given_means is not None:
            out_m = check_array_of_shape(given_means, "means_init", (self.k, self.d))
        if given_cov is not None:
            out_c = check_array_of_shape(given_cov, "covariances_init", self.cov_shape)
            if self.cov.is_matrix and np.any(np.abs(out_c - np.swapaxes(out_c, -1, -2))
                                             > 1e-10 * np.abs(out_c).max()):
                raise ValueError("covariances_init must hold symmetric matrices")
            try:
                self.cov.precision_cholesky(out_c)
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"covariances_init must be positive definite ({self.cov_type})") from None
        return out_m, out_c

    def permuted(self, params: np.ndarray, order: np.ndarray) -> np.ndarray:
        means, covariances = self.unpack(params)
        return self.pack(means[order], covariances if self.cov.is_shared else covariances[order])

    def sample(self, params: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        means, covariances = self.unpack(params)
        z = rng.standard_normal((states.size, self.d))
        return self.cov.sample(means, covariances, states, z)
