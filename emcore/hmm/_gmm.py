"""Gaussian-mixture emissions: each state emits from its own mixture of ``M`` Gaussians.

The whole emission in one class, on the contract of :class:`._emissions.Emissions`.
The E-step has two latent layers: the state ``z_n`` (the HMM's forward-backward
gives ``gamma_nk``) and, given the state, the component ``c_n``, whose posterior
is the mixture's responsibility within the state::

    r_nkm = gamma_nk * w_km N(x_n | mu_km, Sigma_km) / sum_m' w_km' N(x_n | mu_km', Sigma_km')

The M-step is the Gaussian mixture's with ``r_nkm`` as weights: ``w_km`` the
normalised ``sum_n r_nkm`` within the state, the means and covariances those of
the Gaussian core (:class:`._gaussian.GaussianEmissions`, which also carries
``reg_covar``'s check and the frozen blocks). The ``K * M`` components form one
group of Gaussian components, except for ``"tied"``, where each state's ``M``
components share the state's covariance (as hmmlearn's GMMHMM): ``K`` groups.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_array_of_shape
from ..gaussian.covariance import covariance_model
from ._emissions import DegenerateStateError, Emissions, check_occupancy, check_stochastic
from ._gaussian import GaussianEmissions

__all__ = ["GMMEmissions"]


class GMMEmissions(Emissions):
    """Weights (K, M), means (K, M, d) and covariances (K, then the core's compact shape).

    The covariances of each state are in the Gaussian core's compact shape for ``M``
    components; the three arrays are flattened in that order.

    Parameters
    ----------
    cov_type : str
        The covariance type of the components (``"tied"``: each state's ``M`` components
        share one covariance).
    k : int
        The number of hidden states.
    n_mix : int
        The number of mixture components per state, ``M``.
    d : int
        The number of features.
    reg_covar : float, default 0.0
        Added to the diagonal of each covariance in the M-step.
    center : array_like of shape (d,), optional
        The origin of the sums; default 0. An origin near the data keeps their digits:
        :class:`emcore.GMMHMM` passes the data's mean where subtracting it is exact.

    See Also
    --------
    emcore.GMMHMM : The estimator whose states emit from these mixtures.
    emcore.hmm.Emissions : The contract this class implements.

    Examples
    --------
    One state emitting from an equal mixture of N(-1, 1) and N(1, 1):

    >>> import numpy as np
    >>> from emcore.hmm import GMMEmissions
    >>> em = GMMEmissions("diag", k=1, n_mix=2, d=1)
    >>> params = em.pack([[0.5, 0.5]], [[[-1.0], [1.0]]], [[[1.0], [1.0]]])
    >>> print(np.exp(em.log_prob(np.array([[0.0]]), params)).round(6))
    [[0.241971]]
    """

    def __init__(self, cov_type: str, k: int, n_mix: int, d: int, reg_covar: float = 0.0,
                 center=None):
        self.cov_type, self.k, self.m, self.d = cov_type, k, n_mix, d
        shared = covariance_model(cov_type).is_shared
        # the Gaussian components, in groups whose members the core fits together
        self.n_groups = k if shared else 1
        per_group = n_mix if shared else k * n_mix
        self.gaussian = GaussianEmissions(cov_type, per_group, d, reg_covar, center)
        self.center = self.gaussian.center
        self.state_cov_shape = self.gaussian.cov.cov_shape(n_mix, d)
        n_cov = int(np.prod(self.gaussian.cov_shape)) * self.n_groups
        self.size = k * n_mix + k * n_mix * d + n_cov
        self._cache = (None, None, None)  # (X, params, component log-densities) of log_prob

    # -- layout ------------------------------------------------------------------
    def unpack(self, vec: np.ndarray):
        """``(weights (K, M), means (K, M, d), covariances (K, *compact shape))``.

        Parameters
        ----------
        vec : numpy.ndarray of shape (size,)
            A parameter vector.

        Returns
        -------
        weights : numpy.ndarray of shape (K, M)
            Each state's mixing weights.
        means : numpy.ndarray of shape (K, M, d)
            Each state's component means.
        covariances : numpy.ndarray of shape (K, *compact shape)
            Each state's component covariances, in the core's compact shape.
        """
        k, m, d = self.k, self.m, self.d
        weights = vec[:k * m].reshape(k, m)
        means = vec[k * m:k * m * (1 + d)].reshape(k, m, d)
        return weights, means, vec[k * m * (1 + d):].reshape((k,) + self.state_cov_shape)

    def pack(self, weights, means, covariances) -> np.ndarray:
        """The flat parameter vector of ``unpack``'s three arrays.

        Parameters
        ----------
        weights : array_like of shape (K, M)
            Each state's mixture weights.
        means : array_like of shape (K, M, d)
            The components' means.
        covariances : array_like of shape (K, *compact shape)
            The components' covariances.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The weights, means and covariances, flattened in that order.
        """
        return np.concatenate([np.ravel(weights), np.ravel(means), np.ravel(covariances)])

    def _groups(self, params):
        """The Gaussian core's parameter vector of each group of components."""
        _, means, covariances = self.unpack(params)
        means = means.reshape(self.n_groups, -1, self.d)
        covariances = covariances.reshape((self.n_groups,) + self.gaussian.cov_shape)
        return [self.gaussian.pack(means[g], covariances[g]) for g in range(self.n_groups)]

    def n_free(self) -> int:
        """Free parameters (for BIC and AIC): weights, means and covariances.

        Returns
        -------
        int
            The number of free emission parameters.
        """
        return sum(self.n_free_by_name(()).values())

    def n_free_by_name(self, names: tuple) -> dict:
        """Free parameters by name.

        Parameters
        ----------
        names : tuple of str
            The estimator's names (not used: the three names are fixed).

        Returns
        -------
        dict
            Counts under ``"weights"``, ``"means"`` and ``"covariances"``.
        """
        n_cov = self.n_groups * self.gaussian.cov.n_cov_parameters(self.gaussian.k, self.d)
        return {"weights": self.k * (self.m - 1), "means": self.k * self.m * self.d,
                "covariances": n_cov}

    def free_blocks(self) -> list[tuple[str, tuple]]:
        """The layout for standard errors: simplex weights, free means, the covariances.

        Returns
        -------
        list of tuple
            ``(kind, shape)`` blocks, in the order of the parameter vector.
        """
        kind = "symmetric" if self.gaussian.cov.is_matrix else "free"
        return [("simplex", (self.k, self.m)), ("free", (self.k * self.m, self.d)),
                (kind, (self.k,) + self.state_cov_shape)]

    def permuted(self, params: np.ndarray, order: np.ndarray) -> np.ndarray:
        """The parameters with state ``j`` taking those of state ``order[j]``.

        Parameters
        ----------
        params : numpy.ndarray of shape (size,)
            The parameters.
        order : numpy.ndarray of int, shape (K,)
            A permutation of the states.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The reordered parameter vector.
        """
        return self.pack(*(part[order] for part in self.unpack(params)))

    # -- the E-step's two layers ----------------------------------------------------
    def _component_log_prob(self, X, params) -> np.ndarray:
        """``log w_km + log N(x_n | mu_km, Sigma_km)``, shape (n, K, M); the last one kept,
        since ``accumulate`` follows ``log_prob`` with the same parameters."""
        cached_X, cached_params, cached = self._cache
        if cached_X is X and cached_params is not None and np.array_equal(cached_params, params):
            return cached
        weights = self.unpack(params)[0]
        if not np.all(weights >= 0):
            raise ValueError("mixture weights must be non-negative")
        dens = np.concatenate([self.gaussian.log_prob(X, group) for group in self._groups(params)],
                              axis=1).reshape(X.shape[0], self.k, self.m)
        with np.errstate(divide="ignore"):
            dens += np.log(weights)
        self._cache = (X, np.array(params, copy=True), dens)
        return dens

    def log_prob(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``log sum_m w_km N(x_n | mu_km, Sigma_km)``, shape (n, K).

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            The observations, one step per row.
        params : numpy.ndarray of shape (size,)
            The current parameters (:meth:`unpack`).

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The log-density of each step under each state's mixture.
        """
        dens = self._component_log_prob(X, params)
        top = dens.max(axis=2)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            return np.log(np.exp(dens - safe[:, :, None]).sum(axis=2)) + safe

    def accumulate(self, X: np.ndarray, posteriors: np.ndarray, params: np.ndarray):
        """The second layer: ``r_nkm``, then each group's Gaussian statistics weighted by it.

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            The observations, one step per row.
        posteriors : numpy.ndarray of shape (n, K)
            Each step's posterior state probabilities.
        params : numpy.ndarray of shape (size,)
            The current parameters (:meth:`unpack`).

        Returns
        -------
        n_state : numpy.ndarray of shape (K,)
            The state occupancies ``N_k``.
        n_comp : numpy.ndarray of shape (K, M)
            The component occupancies ``N_km``.
        stats : list of SufficientStats
            The Gaussian core's statistics of each group of components.
        """
        dens = self._component_log_prob(X, params)
        log_state = self.log_prob(X, params)
        with np.errstate(invalid="ignore"):
            within = np.exp(dens - log_state[:, :, None])  # p(c_n = m | x_n, z_n = k)
        resp = np.where(posteriors[:, :, None] > 0, posteriors[:, :, None] * within, 0.0)
        resp = np.nan_to_num(resp, nan=0.0).reshape(X.shape[0], self.n_groups, -1)
        groups = self._groups(params)
        # each group's sums about the centre, or about its components' means where those
        # would cancel (GaussianEmissions.accumulate)
        stats = [self.gaussian.accumulate(X, np.ascontiguousarray(resp[:, g]), groups[g])
                 for g in range(self.n_groups)]
        return posteriors.sum(axis=0), resp.sum(axis=0).reshape(self.k, self.m), stats

    def m_step(self, stats, params: np.ndarray) -> np.ndarray:
        """Weights ``N_km / N_k``; means and covariances by the Gaussian core, group by group.

        Parameters
        ----------
        stats : tuple
            What :meth:`accumulate` returns.
        params : numpy.ndarray of shape (size,)
            The current parameters (:meth:`unpack`).

        Returns
        -------
        numpy.ndarray of shape (size,)
            The new parameters; frozen blocks keep their values.
        """
        n_state, n_comp, group_stats = stats
        check_occupancy(n_state)
        weights, means, covariances = self.unpack(params)
        if "weights" not in self.frozen:
            weights = n_comp / n_comp.sum(axis=1, keepdims=True)  # N_km / N_k
        self.gaussian.frozen = self.frozen & {"means", "covariances"}
        new = []
        for g, (group_stats_g, group) in enumerate(zip(group_stats, self._groups(params))):
            try:
                new.append(self.gaussian.unpack(self.gaussian.m_step(group_stats_g, group)))
            except DegenerateStateError as err:
                empty = np.flatnonzero(~(group_stats_g.n > 0))
                if not empty.size:
                    raise
                j = int(empty[0]) + g * self.gaussian.k
                raise DegenerateStateError(
                    f"state {j // self.m}'s mixture component {j % self.m} has zero expected "
                    "occupancy; use fewer components (n_mix) or another start") from err
        means = np.concatenate([mu for mu, _ in new])
        covariances = np.concatenate([c[None] if self.n_groups > 1 else c for _, c in new])
        return self.pack(weights, means, covariances)

    # -- start, checks and sampling ----------------------------------------------------
    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        """Each state's mixture started on its share of the data.

        With ``"kmeans"`` a state's share is the steps that a k-means-started Gaussian
        mixture with ``K`` components gives it; with ``"random"`` (or when the share is
        too small) it is all of them. The weights start equal.

        Parameters
        ----------
        X : numpy.ndarray of shape (n, d)
            The observations, one step per row.
        method : {"kmeans", "random"}
            The estimator's ``init_params``.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (size,)
            The starting parameters.
        """
        labels = np.zeros(X.shape[0], dtype=np.intp)
        if method == "kmeans":
            from ..mixture import GaussianMixture

            gm = GaussianMixture(self.k, covariance_type="diag", max_iter=0, reg_covar=1e-6,
                                 random_state=rng).fit(X)
            labels = gm.predict(X)
        one_state = GaussianEmissions(self.cov_type, self.m, self.d, self.gaussian.reg,
                                      self.center)
        parts = []
        for j in range(self.k):
            mine = X[labels == j] if method == "kmeans" else X
            if mine.shape[0] < max(self.m, 2):
                mine, how = X, "random"
            else:
                how = method
            parts.append(one_state.unpack(one_state.initial(mine, how, rng)))
        means = np.stack([mu for mu, _ in parts])
        covariances = np.stack([c for _, c in parts])
        return self.pack(np.full((self.k, self.m), 1.0 / self.m), means, covariances)

    def check_init(self, weights, means, covariances):
        """Checked explicit starting values (None where not given).

        Parameters
        ----------
        weights : array_like of shape (K, M) or None
            ``weights_init``, rows summing to 1.
        means : array_like of shape (K, M, d) or None
            ``means_init``.
        covariances : array_like of shape (K, *compact shape) or None
            ``covariances_init``, symmetric positive definite.

        Returns
        -------
        tuple
            The three checked arrays, None where not given.
        """
        k, m, d = self.k, self.m, self.d
        out_w = None if weights is None else check_stochastic(weights, "weights_init", (k, m))
        out_m = None if means is None else check_array_of_shape(means, "means_init", (k, m, d))
        out_c = None
        if covariances is not None:
            out_c = check_array_of_shape(covariances, "covariances_init",
                                         (k,) + self.state_cov_shape)
            flat = out_c.reshape((self.n_groups,) + self.gaussian.cov_shape)
            for group in flat:
                self.gaussian.check_init(None, group)
        return out_w, out_m, out_c

    def sample(self, params: np.ndarray, states: np.ndarray, rng) -> np.ndarray:
        """A component by the state's weights, then a draw from that Gaussian.

        Parameters
        ----------
        params : numpy.ndarray of shape (size,)
            The parameters.
        states : numpy.ndarray of int, shape (n,)
            The hidden state of each step.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (n, d)
            One observation per step.
        """
        weights = self.unpack(params)[0]
        cum = np.cumsum(weights, axis=1)[states]
        u = rng.random(states.size) * cum[:, -1]
        comp = np.minimum((u[:, None] >= cum).sum(axis=1), self.m - 1)
        flat = states * self.m + comp
        size = self.gaussian.k
        out = np.empty((states.size, self.d))
        for g, group in enumerate(self._groups(params)):
            rows = np.flatnonzero(flat // size == g)
            out[rows] = self.gaussian.sample(group, flat[rows] % size, rng)
        return out
