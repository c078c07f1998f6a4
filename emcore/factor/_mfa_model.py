"""The mixture of factor analysers as an :class:`emcore.EMModel`: Ghahramani & Hinton's EM."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import Boolean, Integer, Real, check_params
from ..em import EMModel
from ._fa_model import check_data, check_n_factors
from ._lowrank import LowRankPlusDiagonal

__all__ = ["MFAModel", "MFAParams", "MFAStats", "log_joint", "log_sum_rows"]

#: Rows per block of the E-step: the temporaries are (CHUNK_ROWS, d) per component.
CHUNK_ROWS = 1024


@dataclasses.dataclass(frozen=True)
class MFAParams:
    r"""Parameters of a mixture of factor analysers.

    Component ``k`` is :math:`\mathcal{N}(\mu_k, W_k W_k^\top + \Psi_k)`, chosen with probability
    :math:`\pi_k`.

    Attributes
    ----------
    weights : numpy.ndarray of shape (K,)
    means : numpy.ndarray of shape (K, d)
    loadings : numpy.ndarray of shape (K, d, q)
    noise : numpy.ndarray of shape (K, d)
        The diagonals :math:`\psi_k` (equal rows with ``common_noise``).

    See Also
    --------
    emcore.factor.MFAModel : The model they parametrise.
    emcore.MixtureOfFactorAnalyzers : Its fitted ``weights_``, ``means_``, ``components_``
        and ``noise_variance_`` are these.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.factor import MFAModel
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> theta = MFAModel(X, n_components=2, n_factors=1).initial_params(0)
    >>> print(theta.weights.shape, theta.means.shape, theta.loadings.shape, theta.noise.shape)
    (2,) (2, 3) (2, 3, 1) (2, 3)
    """

    weights: np.ndarray
    means: np.ndarray
    loadings: np.ndarray
    noise: np.ndarray


@dataclasses.dataclass
class MFAStats:
    """Expected sufficient statistics per component (data centred at the model's ``offset``).

    Weighted by the responsibilities ``h_nk``: ``counts`` (K,), the sums of ``h_nk``;
    ``sum_x`` and ``sum_xx`` (K, d), of the rows and their squares; ``sum_xz`` (K, d, q), of
    ``x_n E[z | x_n, k]^T``; ``sum_z`` (K, q) and ``sum_zz`` (K, q, q), of the factors'
    posterior first and second moments.

    See Also
    --------
    emcore.factor.MFAModel.e_step : Computes them.
    emcore.factor.MFAModel.m_step : Turns them into new parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.factor import MFAModel
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> model = MFAModel(X, n_components=2, n_factors=1)
    >>> stats = model.e_step(model.initial_params(0))
    >>> print(stats.sum_xz.shape, stats.sum_zz.shape, round(float(stats.counts.sum()), 6))
    (2, 3, 1) (2, 1, 1) 50.0
    """

    counts: np.ndarray        # (K,)   sum_n h_nk
    sum_x: np.ndarray         # (K, d) sum_n h_nk x_n
    sum_xx: np.ndarray        # (K, d) sum_n h_nk x_n**2
    sum_xz: np.ndarray        # (K, d, q) sum_n h_nk x_n E[z | x_n, k]^T
    sum_z: np.ndarray         # (K, q)
    sum_zz: np.ndarray        # (K, q, q) sum_n h_nk E[z z^T | x_n, k]


def _components(theta: MFAParams):
    """Each component's covariance (Woodbury form) and the log-weights."""
    if not np.all(theta.noise > 0):
        raise ValueError("theta.noise must be positive")
    with np.errstate(divide="ignore"):  # a zero weight gives -inf: that component never wins
        log_w = np.log(theta.weights)
    return [LowRankPlusDiagonal(W, psi) for W, psi in zip(theta.loadings, theta.noise)], log_w


def _chunk_log_joint(rows, means, covs, log_w):
    """``log pi_k + log N(x | k)`` (c, K) and the factor means, one (c, q) per k."""
    out = np.empty((rows.shape[0], len(covs)))
    factors = []
    for k, cov in enumerate(covs):
        out[:, k], f = cov.log_density(rows - means[k])
        out[:, k] += log_w[k]
        factors.append(f)
    return out, factors


def log_sum_rows(logp) -> np.ndarray:
    """``log sum_k exp(logp[:, k])`` per row, shifted by the row's largest term (log-sum-exp)."""
    top = logp.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.sum(np.exp(logp - top), axis=1))


def log_joint(X, theta: MFAParams) -> np.ndarray:
    """``log pi_k + log N(x_n | mu_k, W_k W_k^T + Psi_k)``, shape (n, K), in blocks of rows."""
    X = np.asarray(X, dtype=float)
    covs, log_w = _components(theta)
    return np.vstack([_chunk_log_joint(X[s:s + CHUNK_ROWS], theta.means, covs, log_w)[0]
                      for s in range(0, X.shape[0], CHUNK_ROWS)])


class MFAModel(EMModel):
    r"""Mixture of factor analysers, fitted by Ghahramani & Hinton's (1996) EM.

    The complete data are each row's component and its factors. With
    responsibilities :math:`h_{nk}`, the factor means
    :math:`\mathbb{E}[z \mid x_n, k] = M_k^{-1} W_k^\top \Psi_k^{-1}(x_n - \mu_k)` and
    :math:`\tilde z = (z, 1)`, the M-step updates loadings and mean together,
    :math:`[W_k\ \mu_k] = \bigl(\sum_n h_{nk} x_n \mathbb{E}[\tilde z]^\top\bigr)
    \bigl(\sum_n h_{nk} \mathbb{E}[\tilde z \tilde z^\top]\bigr)^{-1}`, then
    :math:`\psi_k = \operatorname{diag}\bigl(\sum_n h_{nk} x_n x_n^\top - [W_k\ \mu_k] \sum_n
    h_{nk} \mathbb{E}[\tilde z] x_n^\top\bigr) / N_k` (summed over k and divided by n
    with ``common_noise``) and :math:`\pi_k = N_k / n`: the exact maximiser of
    Q, so the log-likelihood never decreases (with ``reg_noise=0``). With
    ``n_factors=0`` these are the updates of a diagonal Gaussian mixture.

    Densities use Woodbury and the determinant lemma
    (``emcore.factor._lowrank``), in blocks of rows:
    an iteration costs :math:`O(n K d q)` time and :math:`O(K d q)` memory
    beyond the data, never a d x d matrix.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The rows to fit.
    n_components : int
        Number of components ``K``.
    n_factors : int
        From 0 to the Ledermann bound of d.
    common_noise : bool, default False
        One :math:`\Psi` for all components.
    reg_noise : float, default 0.0
        Added to every :math:`\psi` after the M-step (then not an exact EM step).

    See Also
    --------
    emcore.MixtureOfFactorAnalyzers : The estimator that fits it.
    emcore.factor.MFAParams : Its parameters.
    emcore.factor.MFAStats : Its E-step's statistics.
    emcore.run_em : Runs EM on it.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.factor import MFAModel
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 3)), rng.normal(size=(200, 3)) + 6])
    >>> model = MFAModel(X, n_components=2, n_factors=1)
    >>> run = run_em(model, model.initial_params(rng), tol=1e-10, max_iter=500)
    >>> history = run.log_likelihood_history
    >>> print(np.sort(run.theta.weights).round(2), bool(np.all(np.diff(history) > -1e-9)))
    [0.5 0.5] True
    """

    def __init__(self, X, n_components, n_factors, *, common_noise=False, reg_noise=0.0):
        X = check_data(X)
        self.n, self.d = X.shape
        checked = check_params(
            {"n_components": [Integer(1)], "common_noise": [Boolean()], "reg_noise": [Real(0)]},
            {"n_components": n_components, "common_noise": common_noise, "reg_noise": reg_noise})
        self.n_components = checked["n_components"]
        if self.n_components > self.n:
            raise ValueError(f"n_components={self.n_components} exceeds the number of rows "
                             f"of X ({self.n})")
        self.n_factors = check_n_factors(n_factors, self.d)
        self.common_noise, self.reg_noise = checked["common_noise"], checked["reg_noise"]
        #: The E-step centres the rows at their mean (fewer digits lost in the variances).
        self.offset = X.mean(axis=0)
        self.X = X  # centred block by block in the E-step: no copy of the data
        self.variance = sum(np.einsum("ij,ij->j", b, b) for b in self._blocks()) / self.n

    def _blocks(self):
        """The rows of ``X`` centred at ``offset``, CHUNK_ROWS at a time."""
        for s in range(0, self.n, CHUNK_ROWS):
            yield self.X[s:s + CHUNK_ROWS] - self.offset

    # -- densities ---------------------------------------------------------------------
    def log_joint(self, X, theta: MFAParams) -> np.ndarray:
        """``log pi_k + log N(x_n | mu_k, W_k W_k^T + Psi_k)`` for rows ``X``, shape (n, K).

        Parameters
        ----------
        X : ndarray of shape (n, d)
            Rows.
        theta : MFAParams
            The parameters.

        Returns
        -------
        ndarray of shape (n, K)
            Entry ``(n, k)`` is the log of ``pi_k`` times row ``n``'s density under component ``k``.
        """
        return log_joint(X, theta)

    # -- EM --------------------------------------------------------------------------------
    def e_step_with_log_likelihood(self, theta: MFAParams):
        """The expected sufficient statistics and the log-likelihood, in one pass over ``X``.

        Parameters
        ----------
        theta : MFAParams
            The parameters.

        Returns
        -------
        stats : MFAStats
            What :meth:`e_step` returns.
        log_likelihood : float
            What :meth:`log_likelihood` returns.
        """
        k_, d, q = self.n_components, self.d, self.n_factors
        covs, log_w = _components(theta)
        st = MFAStats(np.zeros(k_), np.zeros((k_, d)), np.zeros((k_, d)), np.zeros((k_, d, q)),
                      np.zeros((k_, q)), np.zeros((k_, q, q)))
        ll = 0.0
        for rows in self._blocks():
            logp, factors = _chunk_log_joint(rows, theta.means - self.offset, covs, log_w)
            norm = log_sum_rows(logp)
            ll += float(norm.sum())
            h = np.exp(logp - norm[:, None])
            st.counts += h.sum(axis=0)
            st.sum_x += h.T @ rows
            st.sum_xx += h.T @ (rows * rows)
            for k, f in enumerate(factors):
                hf = f * h[:, k:k + 1]
                st.sum_xz[k] += rows.T @ hf
                st.sum_z[k] += hf.sum(axis=0)
                st.sum_zz[k] += f.T @ hf
        for k, cov in enumerate(covs):
            st.sum_zz[k] += st.counts[k] * cov.m_inv
        return st, ll

    def e_step(self, theta):
        """The expected sufficient statistics, an :class:`MFAStats`.

        Parameters
        ----------
        theta : MFAParams
            The parameters.

        Returns
        -------
        MFAStats
            The responsibility-weighted sums of the rows and of the factors' moments.
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        """The observed-data log-likelihood (log-sum-exp over components).

        Parameters
        ----------
        theta : MFAParams
            The parameters.

        Returns
        -------
        float
            The total over the rows of ``X``.
        """
        return self.e_step_with_log_likelihood(theta)[1]

    def m_step(self, stats: MFAStats) -> MFAParams:
        """The maximiser of Q (see the class docstring), plus ``reg_noise``.

        Parameters
        ----------
        stats : MFAStats
            The E-step's statistics.

        Returns
        -------
        MFAParams
            The new weights, means, loadings and noise.
        """
        k_, q = self.n_components, self.n_factors
        empty = np.flatnonzero(~(stats.counts > 0))
        if empty.size:
            raise ValueError(f"component(s) {empty.tolist()} received no responsibility: "
                             "use fewer components or another start")
        means, spread = np.empty((k_, self.d)), np.empty((k_, self.d))
        loadings = np.empty((k_, self.d, q))
        for k in range(k_):
            zz = np.empty((q + 1, q + 1))
            zz[:q, :q], zz[:q, q], zz[q, :q], zz[q, q] = (stats.sum_zz[k], stats.sum_z[k],
                                                          stats.sum_z[k], stats.counts[k])
            xz = np.hstack([stats.sum_xz[k], stats.sum_x[k][:, None]])
            coef = np.linalg.solve(zz, xz.T).T        # [W_k mu_k], (d, q + 1)
            loadings[k], means[k] = coef[:, :q], coef[:, q]
            spread[k] = stats.sum_xx[k] - np.einsum("ij,ij->i", coef, xz)
        if self.common_noise:
            noise = np.broadcast_to(spread.sum(axis=0) / self.n, (k_, self.d)).copy()
        else:
            noise = spread / stats.counts[:, None]
        noise += self.reg_noise
        bad = np.argwhere(~(noise > 0))
        if bad.size:
            raise FloatingPointError(
                f"the noise variance of component {bad[0, 0]}, feature {bad[0, 1]} is not "
                "positive: the component collapsed onto too few points; use reg_noise > 0")
        return MFAParams(stats.counts / stats.counts.sum(), means + self.offset, loadings, noise)

    # -- starts ---------------------------------------------------------------------------
    def initial_params(self, random_state=None, *, means=None, weights=None,
                       noise=None) -> MFAParams:
        """A start: the given ``means`` (K, d) (default: K distinct random rows), ``weights``
        (uniform) and ``noise`` (K, d) (the data's variances), split half into ``noise`` and half
        into random loadings of that scale.

        Parameters
        ----------
        random_state : int, numpy.random.Generator or None, default None
            The seed of the random rows and loadings.
        means : array_like of shape (K, d), optional
            Starting means.
        weights : array_like of shape (K,), optional
            Starting weights.
        noise : array_like of shape (K, d), optional
            The variances split between the uniquenesses and the loadings.

        Returns
        -------
        MFAParams
            The starting weights, means, loadings and noise.
        """
        rng = np.random.default_rng(random_state)
        k_, d, q = self.n_components, self.d, self.n_factors
        if means is None:
            means = self.X[rng.choice(self.n, k_, replace=False)]
        weights = np.full(k_, 1.0 / k_) if weights is None else np.asarray(weights, dtype=float)
        noise = np.tile(self.variance, (k_, 1)) if noise is None else np.asarray(noise, dtype=float)
        if self.common_noise:
            noise = np.tile(weights @ noise, (k_, 1))
        share = 0.5 if q else 0.0
        loadings = rng.normal(size=(k_, d, q)) * np.sqrt(share * noise / max(q, 1))[:, :, None]
        return MFAParams(weights, np.asarray(means, dtype=float), loadings, (1 - share) * noise)
