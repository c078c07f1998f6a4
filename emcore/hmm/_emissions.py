"""Emission distributions of an HMM: Gaussian (on the mixture's covariance types) and categorical.

An emission object knows its parameters' flat layout (so that the HMM's
parameters are one vector, for :func:`emcore.em_rate` and SQUAREM), their
log-densities, the M-step from the posteriors, the starting values and
sampling. This is the only module of :mod:`emcore.hmm` that uses the
mixture's covariance-type objects.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_array_of_shape
from ..gaussian.covariance import covariance_model
from ..mixture._estep import EXPANDED_MAX_ERROR

_LOG_2PI = math.log(2 * math.pi)
_EPS = np.finfo(np.float64).eps
#: Samples per chunk of the log-densities (the feature block then holds at most ~4 MB for d <= 16).
_CHUNK = 1 << 14

__all__ = ["CategoricalEmissions", "DegenerateStateError", "GaussianEmissions"]

HMM_COVARIANCE_TYPES = ("diag", "full")


class DegenerateStateError(ValueError):
    """A hidden state has zero expected occupancy, so its emission parameters are undefined."""


def _occupancy(post: np.ndarray) -> np.ndarray:
    n_k = post.sum(axis=0)
    empty = np.flatnonzero(~(n_k > 0))
    if empty.size:
        raise DegenerateStateError(
            f"state {int(empty[0])} has zero expected occupancy (no observation is assigned to it "
            "under the current parameters); use fewer states or another start"
        )
    return n_k


class GaussianEmissions:
    """Normal emissions, ``covariance_type`` "diag" ((K, d) variances) or "full" ((K, d, d))."""

    def __init__(self, cov_type: str, k: int, d: int, reg_covar: float = 0.0, center=None):
        self.cov = covariance_model(cov_type)
        self.cov_type, self.k, self.d, self.reg = cov_type, k, d, reg_covar
        self.center = np.zeros(d) if center is None else np.asarray(center, dtype=float)
        self.cov_shape = self.cov.cov_shape(k, d)
        self.size = k * d + int(np.prod(self.cov_shape))

    def n_free(self) -> int:
        return self.k * self.d + self.cov.n_cov_parameters(self.k, self.d)

    def pack(self, means, covariances) -> np.ndarray:
        return np.concatenate([np.ravel(means), np.ravel(covariances)])

    def unpack(self, vec: np.ndarray):
        kd = self.k * self.d
        return vec[:kd].reshape(self.k, self.d), vec[kd:].reshape(self.cov_shape)

    def _chol(self, covariances):
        try:
            return self.cov.precision_cholesky(covariances)
        except np.linalg.LinAlgError:
            raise ValueError("covariances must be positive definite") from None

    def log_prob(self, X: np.ndarray, vec: np.ndarray) -> np.ndarray:
        """``log N(x_t | mu_k, Sigma_k)``, shape (n, K) (a view of a state-major (K, n) array).

        About the data's centre, as the mixture does, so the distances keep
        their digits. Chunk by chunk, by the mixture's expanded path -- one
        product of the coefficients with the features ``[q(x); 1; x]`` -- where
        its estimated round-off (that of :mod:`emcore.mixture._estep`) is at
        most ``EXPANDED_MAX_ERROR``, else by the direct path.
        """
        means, covariances = self.unpack(vec)
        chol = self._chol(covariances)
        mc = means - self.center
        k, d, cov = self.k, self.d, self.cov
        n = X.shape[0]
        out = np.empty((k, n))
        expanded = d <= cov.expanded_max_d
        if expanded:
            a_q, a_x, const = cov.coefficients(mc, chol)
            offset = cov.half_log_det(chol, k, d) - 0.5 * d * _LOG_2PI + const
            coef_t = np.ascontiguousarray(np.concatenate([a_q, offset[None, :], a_x]).T)
            q = cov.n_quadratic(d)
            # the round-off estimate is eps sqrt(features) lambda (R + |mu|)^2; R per chunk below
            scale = _EPS * math.sqrt(q + 1 + d) * float(np.max(cov.precision_scale(chol)))
            mu = math.sqrt(float(np.max(np.einsum("kj,kj->k", mc, mc))))
            feats = np.empty((q + 1 + d, min(n, _CHUNK)))
            feats[q] = 1.0
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            if expanded:
                f = feats[:, :b - a]
                xt = f[q + 1:]
                np.subtract(X[a:b].T, self.center[:, None], out=xt)
                radius = math.sqrt(float(np.max(np.einsum("ij,ij->j", xt, xt))))
                if scale * (radius + mu) ** 2 <= EXPANDED_MAX_ERROR:
                    cov.quadratic(xt, f[:q])
                    np.matmul(coef_t, f, out=out[:, a:b])
                    continue
            out[:, a:b] = cov.log_gaussian(X[a:b] - self.center, mc, chol).T
        return out.T

    def m_step(self, X: np.ndarray, post: np.ndarray) -> np.ndarray:
        """Weighted means and covariances (about the data's centre, for accuracy).

        The second moments about the centre are, chunk by chunk, one product
        of the quadratic features ``q(x)`` with the posteriors, as on the
        mixture's expanded path (the HMM's covariance types need no data
        second moment there).
        """
        n_k = _occupancy(post)
        cov, k, d = self.cov, self.k, self.d
        xc = X - self.center
        delta = (post.T @ xc) / n_k[:, None]
        n, q = X.shape[0], cov.n_quadratic(d)
        g = np.zeros((q, k))
        feats = np.empty((q, min(n, _CHUNK)))
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            cov.quadratic(xc[a:b].T, feats[:, :b - a])
            g += feats[:, :b - a] @ post[a:b]
        m2 = cov.second_from_quadratic(g, d, None)
        covariances = cov.covariances(m2, n_k, n_k, delta, self.reg)[0]
        return self.pack(delta + self.center, covariances)

    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        """Means and covariances: of a k-means-started Gaussian mixture, or random samples."""
        if method == "kmeans":
            from ..mixture import GaussianMixture

            gm = GaussianMixture(self.k, covariance_type=self.cov_type, max_iter=0,
                                 reg_covar=max(self.reg, 1e-6), random_state=rng).fit(X)
            return self.pack(gm.means_, gm.covariances_)
        means = X[rng.choice(X.shape[0], size=self.k, replace=False)]
        var = X.var(axis=0) + max(self.reg, 1e-6)
        if not self.cov.is_matrix:
            return self.pack(means, np.tile(var, (self.k, 1)))
        cov = np.atleast_2d(np.cov(X.T)) if X.shape[0] > 1 else np.diag(var)
        cov = cov + max(self.reg, 1e-6) * np.eye(self.d)
        return self.pack(means, np.tile(cov, (self.k, 1, 1)))

    def check_init(self, means, covariances, given_means, given_cov):
        """Checked explicit starting values (None where not given)."""
        out_m = out_c = None
        if given_means is not None:
            out_m = check_array_of_shape(given_means, "means_init", (self.k, self.d))
        if given_cov is not None:
            out_c = check_array_of_shape(given_cov, "covariances_init", self.cov_shape)
            if self.cov.is_matrix and np.any(np.abs(out_c - np.swapaxes(out_c, 1, 2))
                                                  > 1e-10 * np.abs(out_c).max()):
                raise ValueError("covariances_init must hold symmetric matrices")
            try:
                self.cov.precision_cholesky(out_c)
            except np.linalg.LinAlgError:
                raise ValueError(f"covariances_init must be positive definite ({self.cov_type})") from None
        return out_m, out_c

    def sample(self, vec: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        means, covariances = self.unpack(vec)
        return self.cov.sample(means, covariances, states, rng.standard_normal((states.size, self.d)))


class CategoricalEmissions:
    """Emissions over symbols ``0..S-1``; parameters ``emissionprob`` (K, S), rows summing to 1."""

    def __init__(self, k: int, n_symbols: int):
        self.k, self.s = k, n_symbols
        self.size = k * n_symbols

    def n_free(self) -> int:
        return self.k * (self.s - 1)

    def unpack(self, vec: np.ndarray) -> np.ndarray:
        return vec.reshape(self.k, self.s)

    def log_prob(self, X: np.ndarray, vec: np.ndarray) -> np.ndarray:
        probs = self.unpack(vec)
        if not np.all(probs >= 0):
            raise ValueError("emission probabilities must be non-negative")
        with np.errstate(divide="ignore"):
            return np.log(probs)[:, X[:, 0]].T

    def m_step(self, X: np.ndarray, post: np.ndarray) -> np.ndarray:
        n_k = _occupancy(post)
        counts = np.stack([np.bincount(X[:, 0], weights=post[:, j], minlength=self.s)
                           for j in range(self.k)])
        return (counts / n_k[:, None]).ravel()

    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        return rng.dirichlet(np.ones(self.s), size=self.k).ravel()

    def check_init(self, given):
        if given is None:
            return None
        return check_stochastic(given, "emissionprob_init", (self.k, self.s))

    def sample(self, vec: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        probs = self.unpack(vec)
        cum = np.cumsum(probs, axis=1)
        u = rng.random(states.size) * cum[states, -1]
        return (u[:, None] >= cum[states]).sum(axis=1)[:, None]


def check_stochastic(value, name, shape):
    """A float array of ``shape``, non-negative, each row (or the vector) summing to 1."""
    arr = check_array_of_shape(value, name, shape)
    if np.any(arr < 0) or np.any(np.abs(arr.sum(axis=-1) - 1.0) > 1e-8):
        raise ValueError(f"{name} must be non-negative with rows summing to 1")
    return arr / arr.sum(axis=-1, keepdims=True)
