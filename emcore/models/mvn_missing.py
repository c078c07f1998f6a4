"""The multivariate normal with values missing at random: EM's classic case."""

from __future__ import annotations

import numpy as np

from .._checks import check_observed
from ..em import EMModel
from ..gaussian.holes import observed_origin
from ._gaussian import _LOG_2PI, log_det, n_gaussian_params, pack, unpack

__all__ = ["MVNMissing"]


def as_incomplete_table(X, name: str = "X") -> np.ndarray:
    """``X`` as a 2-D float array in which NaN marks a missing entry.

    A ValueError naming ``name`` for a wrong shape, an infinite entry, a table
    with nothing observed or a column that is never observed.
    """
    try:
        arr = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric array-like, got {type(X).__name__}") from None
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-dimensional array, got shape {arr.shape}")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} contains infinite values "
                         "(NaN marks a missing entry; inf is not allowed)")
    check_observed((~np.isnan(arr)).any(axis=0), name)
    return arr


class MVNMissing(EMModel):
    r"""One multivariate normal :math:`\mathcal{N}(\mu, \Sigma)` fitted to rows with missing
    entries.

    NaN marks a missing entry; entries are assumed missing at random (MAR).
    Split each row into its observed block :math:`o` and missing block
    :math:`m`. Under the current parameters the missing block is Gaussian
    given the observed one, with

    .. math::

        \hat x_m = \mu_m + \Sigma_{mo}\Sigma_{oo}^{-1}(x_o - \mu_o), \qquad
        C_{mm} = \Sigma_{mm} - \Sigma_{mo}\Sigma_{oo}^{-1}\Sigma_{om}.

    * E-step: the expected complete-data sufficient statistics
      :math:`T_1 = \sum_n \mathbb{E}[x_n - o]` and
      :math:`T_2 = \sum_n \mathbb{E}[(x_n - o)(x_n - o)^\top]`, where each row's missing
      entries are replaced by :math:`\hat x_m` and :math:`C_{mm}` is added to
      the missing block of its outer product;
    * M-step: :math:`\mu = o + T_1 / N`,
      :math:`\Sigma = T_2 / N - (T_1 / N)(T_1 / N)^\top`;
    * observed-data log-likelihood:
      :math:`\sum_n \log \mathcal{N}(x_{n,o}; \mu_o, \Sigma_{oo})`.

    The origin :math:`o` (``origin``) is the mixture's,
    ``emcore.gaussian.holes.observed_origin``: per column the observed mean where
    subtracting it is exact, else 0 (the raw moments when the data cross 0). About 0,
    :math:`T_2 / N - \mu\mu^\top` would cancel every digit of a narrow spread far from 0
    (1e-3 wide at 1e5).

    Rows are grouped by their pattern of missing entries, so each pattern
    costs one Cholesky factorisation. Rows with nothing observed carry no
    information about :math:`(\mu, \Sigma)`; they are left out (``n_rows``
    counts the rows used).

    Parameters are one vector (so :func:`emcore.em_rate` and
    :func:`emcore.standard_errors` apply): the mean, then the lower triangle
    of the covariance row by row; :meth:`pack` and :meth:`unpack` convert.

    Parameters
    ----------
    X : array_like of shape (N, D)
        The data, NaN where an entry is missing; no infinite entries, at
        least one entry observed in every column.

    See Also
    --------
    emcore.multiple_imputation : Imputations drawn from the fitted model.
    emcore.GaussianMixture : Several Gaussians, with ``missing="marginalize"``.
    emcore.models.MultivariateT : The multivariate t, a heavier-tailed fit to complete rows.

    Notes
    -----
    A covariance between two columns that are never observed together is
    not identified by the data; EM then stops wherever the start puts it.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.models import MVNMissing
    >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 7.0], [np.nan, 3.0]])
    >>> model = MVNMissing(X)
    >>> run = run_em(model, model.initial_params(), tol=1e-12)
    >>> mean, cov = model.unpack(run.theta)
    >>> print(np.round(mean, 4), round(run.log_likelihood, 6))
    [2.3317 4.1139] -6.51524
    >>> print(np.round(model.impute(run.theta)[1], 4))
    [2.     3.5693]
    """

    def __init__(self, X):
        table = as_incomplete_table(X)
        seen = ~np.isnan(table)
        keep = seen.any(axis=1)
        self.X = table[keep]
        self.observed = seen[keep]
        self.n_rows, self.n_features = self.X.shape
        self.n_dropped = int(np.sum(~keep))
        #: (D,) the origin of the statistics (``emcore.gaussian.holes.observed_origin``)
        self.origin = observed_origin(self.X)
        masks, inverse = np.unique(self.observed, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        #: One ``(observed columns, missing columns, row indices)`` triple per pattern.
        self.patterns = [(np.flatnonzero(mask), np.flatnonzero(~mask), np.flatnonzero(inverse == i))
                         for i, mask in enumerate(masks)]

    @property
    def n_params(self) -> int:
        """Length of the parameter vector, ``D + D (D + 1) / 2``."""
        return n_gaussian_params(self.n_features)

    def pack(self, mean, cov) -> np.ndarray:
        """The parameter vector of a mean of shape (D,) and a covariance of shape (D, D).

        Parameters
        ----------
        mean : array_like of shape (D,)
            The mean.
        cov : array_like of shape (D, D)
            The covariance, positive definite.

        Returns
        -------
        ndarray of shape (n_params,)
            The mean followed by the covariance's upper triangle.
        """
        return pack(mean, cov)

    def unpack(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """The mean, shape (D,), and the covariance, shape (D, D), of a parameter vector.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        mean : ndarray of shape (D,)
            The mean vector.
        cov : ndarray of shape (D, D)
            The covariance matrix, symmetric.
        """
        mean, cov, _, _ = unpack(theta, self.n_features)
        return mean, cov

    def initial_params(self) -> np.ndarray:
        """A start: each column's observed mean, and a diagonal covariance of observed variances.

        A column with a single observation (variance 0) gets variance 1.

        Returns
        -------
        ndarray of shape (n_params,)
            The packed start.
        """
        mean = np.nanmean(self.X, axis=0)
        var = np.nanvar(self.X, axis=0)
        return pack(mean, np.diag(np.where(var > 0, var, 1.0)))

    def _conditionals(self, theta):
        r"""Per pattern: ``(obs, mis, rows, chol, centred, gain)``, with ``chol`` the Cholesky
        factor of :math:`\Sigma_{oo}`, ``centred`` the rows' :math:`x_o - \mu_o` and ``gain``
        :math:`B = \Sigma_{mo}\Sigma_{oo}^{-1}` (None when nothing is missing), so that
        :math:`\hat x_m = \mu_m + B (x_o - \mu_o)` and
        :math:`C_{mm} = \Sigma_{mm} - B \Sigma_{om}`."""
        mean, cov, _, _ = unpack(theta, self.n_features)
        for obs, mis, rows in self.patterns:
            chol = np.linalg.cholesky(cov[np.ix_(obs, obs)])
            centred = self.X[np.ix_(rows, obs)] - mean[obs]
            gain = None
            if mis.size:
                # B = Sigma_mo Sigma_oo^{-1}, by two triangular solves of Sigma_om.
                gain = np.linalg.solve(chol.T, np.linalg.solve(chol, cov[np.ix_(obs, mis)])).T
            yield obs, mis, rows, chol, centred, gain

    def _sweep(self, theta, *, moments: bool, loglik: bool):
        mean, cov, _, _ = unpack(theta, self.n_features)
        filled = np.where(self.observed, self.X - self.origin, 0.0)  # about the origin
        t2 = np.zeros_like(cov)
        ll = 0.0
        for obs, mis, rows, chol, centred, gain in self._conditionals(theta):
            if loglik:
                ll += float(np.sum(_log_densities(chol, centred)))
            if moments and mis.size:
                filled[np.ix_(rows, mis)] = (mean[mis] - self.origin[mis]) + centred @ gain.T
                t2[np.ix_(mis, mis)] += rows.size * (cov[np.ix_(mis, mis)]
                                                     - gain @ cov[np.ix_(obs, mis)])
        if moments:
            t2 += filled.T @ filled
        return filled, t2, ll

    def draw_missing(self, theta, rng: np.random.Generator, rows=None) -> np.ndarray:
        r"""The data with each row's missing block drawn from its conditional
        :math:`\mathcal{N}(\hat x_m, C_{mm})` under ``theta``: the I-step of data augmentation
        (:func:`emcore.multiple_imputation`).

        Rows with nothing observed were left out at construction and are not returned.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).
        rng : numpy.random.Generator
            The source of the draws.
        rows : numpy.ndarray of bool, shape (n_rows,), optional
            Draw only in these rows (the others keep their NaN); every row by default.

        Returns
        -------
        ndarray of shape (n_rows, D)
            A copy of the data with the chosen rows' missing entries drawn.
        """
        mean, cov, _, _ = unpack(theta, self.n_features)
        filled = self.X.copy()
        for obs, mis, pattern_rows, _, centred, gain in self._conditionals(theta):
            chosen = np.ones(pattern_rows.size, bool) if rows is None else rows[pattern_rows]
            if mis.size and chosen.any():
                centred, pattern_rows = centred[chosen], pattern_rows[chosen]
                cond = cov[np.ix_(mis, mis)] - gain @ cov[np.ix_(obs, mis)]
                # a symmetric square root: C_mm may be singular (a variable a linear function of
                # the observed ones), where a Cholesky factor does not exist
                vals, vecs = np.linalg.eigh((cond + cond.T) / 2)
                root = vecs * np.sqrt(np.clip(vals, 0.0, None))
                noise = rng.standard_normal((pattern_rows.size, mis.size)) @ root.T
                filled[np.ix_(pattern_rows, mis)] = mean[mis] + centred @ gain.T + noise
        return filled

    def row_log_likelihoods(self, theta) -> np.ndarray:
        r"""Each row's :math:`\log \mathcal{N}(x_{n,o}; \mu_o, \Sigma_{oo})`, shape (n_rows,).

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        ndarray of shape (n_rows,)
            The log-density of each row's observed entries; they sum to
            :meth:`log_likelihood`.
        """
        out = np.empty(self.n_rows)
        for _, _, rows, chol, centred, _ in self._conditionals(theta):
            out[rows] = _log_densities(chol, centred)
        return out

    def impute(self, theta) -> np.ndarray:
        r"""The data with each missing entry replaced by its conditional mean :math:`\hat x_m`.

        Rows with nothing observed were left out at construction and are not returned.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        ndarray of shape (N, D)
            The completed data.
        """
        return self._sweep(theta, moments=True, loglik=False)[0] + self.origin

    def e_step(self, theta) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`T_1 = \sum_n \mathbb{E}[x_n - o]`, shape (D,), and
        :math:`T_2 = \sum_n \mathbb{E}[(x_n - o)(x_n - o)^\top]`, shape (D, D), about the
        origin :math:`o` (``origin``; 0 when the data cross 0: the raw moments).

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        tuple of ndarray
            :math:`(T_1, T_2)`.
        """
        filled, t2, _ = self._sweep(theta, moments=True, loglik=False)
        return filled.sum(axis=0), t2

    def e_step_with_log_likelihood(self, theta):
        """The E-step's statistics and the log-likelihood, sharing each pattern's factorisation.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        stats : tuple of ndarray
            :math:`(T_1, T_2)`, as :meth:`e_step`.
        log_likelihood : float
            As :meth:`log_likelihood`.
        """
        filled, t2, ll = self._sweep(theta, moments=True, loglik=True)
        return (filled.sum(axis=0), t2), ll

    def m_step(self, stats) -> np.ndarray:
        r""":math:`\mu = o + T_1/N`, :math:`\Sigma = T_2/N - (T_1/N)(T_1/N)^\top`, packed.

        Parameters
        ----------
        stats : tuple of ndarray
            :math:`(T_1, T_2)` from :meth:`e_step`.

        Returns
        -------
        ndarray of shape (n_params,)
            The packed mean and covariance.
        """
        t1, t2 = stats
        shift = t1 / self.n_rows  # the mean about the origin
        cov = t2 / self.n_rows - np.outer(shift, shift)
        return pack(self.origin + shift, (cov + cov.T) / 2)

    def log_likelihood(self, theta) -> float:
        r"""Observed-data log-likelihood
        :math:`\sum_n \log \mathcal{N}(x_{n,o}; \mu_o, \Sigma_{oo})`.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        float
            The observed-data log-likelihood.
        """
        return self._sweep(theta, moments=False, loglik=True)[2]

    def complete_case_params(self) -> np.ndarray:
        """The mean and covariance (divisor N) of the rows with nothing missing, packed.

        Complete-case analysis, for comparison; a ValueError when fewer than
        two rows are complete.

        Returns
        -------
        ndarray of shape (n_params,)
            The packed complete-case mean and covariance.
        """
        full = self.X[self.observed.all(axis=1)]
        if full.shape[0] < 2:
            raise ValueError("X has fewer than two complete rows: no complete-case estimate")
        centred = full - full.mean(axis=0)
        return pack(full.mean(axis=0), centred.T @ centred / full.shape[0])


def _log_densities(chol, centred):
    """``log N(x_o; mu_o, L L^T)`` of rows ``centred`` (``x_o - mu_o``), ``chol`` = ``L``."""
    half = np.linalg.solve(chol, centred.T)
    return -0.5 * (np.sum(half * half, axis=0) + centred.shape[1] * _LOG_2PI + log_det(chol))
