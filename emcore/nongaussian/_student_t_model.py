"""The mixture of multivariate t distributions as an :class:`emcore.EMModel`."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..em import EMModel
from ..exceptions import EndRun
from ..gaussian.covariance import covariance_model
from ..gaussian.mstep import (
    EMPTY_FRACTION,
    DegenerateComponentError,
    collapsed_components,
)
from ._base import log_sum_exp

__all__ = ["DOF_BOUNDS", "StudentTModel", "StudentTParams", "StudentTStats", "t_log_density"]

#: The range of the degrees of freedom when they are estimated; the upper end is a Gaussian
#: to the precision of any data (the t's excess kurtosis is 6 / (nu - 4)).
DOF_BOUNDS = (1e-2, 1e6)


@dataclasses.dataclass(frozen=True)
class StudentTParams:
    """Parameters of a t mixture.

    Attributes
    ----------
    weights : numpy.ndarray of shape (K,)
        The mixing weights.
    means : numpy.ndarray of shape (K, D)
        The components' locations.
    covariances : numpy.ndarray
        The *scale* matrices of the t's (not their covariances), shaped as the covariance
        type's.
    precisions_cholesky : numpy.ndarray
        The Cholesky factors of their inverses, shaped as the covariance type's.
    dofs : numpy.ndarray of shape (K,)
        The degrees of freedom.

    See Also
    --------
    emcore.nongaussian.StudentTModel : The model they parametrise.
    emcore.StudentTMixture : Its fitted ``weights_``, ``means_``, ``covariances_`` and
        ``degrees_of_freedom_``.

    Examples
    --------
    One standard t with 4 degrees of freedom in one dimension (``"full"`` shapes):

    >>> import numpy as np
    >>> from emcore.nongaussian import StudentTParams
    >>> theta = StudentTParams(np.ones(1), np.zeros((1, 1)), np.ones((1, 1, 1)),
    ...                        np.ones((1, 1, 1)), np.array([4.0]))
    >>> theta.covariances.shape, theta.dofs
    ((1, 1, 1), array([4.]))
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    dofs: np.ndarray


@dataclasses.dataclass
class StudentTStats:
    """The E-step's output.

    Attributes
    ----------
    weighted_resp : numpy.ndarray of shape (n, K)
        Sample weights times responsibilities, ``c``.
    u : numpy.ndarray of shape (n, K)
        The expected gamma weights ``E[u | x_n, k]``.
    log_u : numpy.ndarray of shape (n, K)
        ``E[log u | x_n, k]``.
    dofs : numpy.ndarray of shape (K,)
        The degrees of freedom these expectations were computed at.

    See Also
    --------
    emcore.nongaussian.StudentTModel.e_step : Computes them.
    emcore.nongaussian.StudentTModel.m_step : Turns them into new parameters.

    Examples
    --------
    A row at the centre of a t with ``nu = 4`` in one dimension gets the weight
    ``(nu + 1) / (nu + 0) = 1.25``:

    >>> import numpy as np
    >>> from emcore.nongaussian import StudentTModel, StudentTParams
    >>> model = StudentTModel(np.array([[0.0], [1.0]]), 1, "full", estimate_dof=False)
    >>> theta = StudentTParams(np.ones(1), np.zeros((1, 1)), np.ones((1, 1, 1)),
    ...                        np.ones((1, 1, 1)), np.array([4.0]))
    >>> print(model.e_step(theta).u.ravel().round(6))
    [1.25 1.  ]
    """

    weighted_resp: np.ndarray
    u: np.ndarray
    log_u: np.ndarray
    dofs: np.ndarray


def mahalanobis(X, means, chol, cov) -> np.ndarray:
    """``delta_nk = (x_n - mu_k)^T Sigma_k^{-1} (x_n - mu_k)``, shape (n, K)."""
    out = np.empty((X.shape[0], means.shape[0]))
    for k in range(means.shape[0]):
        out[:, k] = np.sum(cov.whiten(X - means[k], chol, k) ** 2, axis=1)
    return out


def t_log_density(delta, half_log_det, dofs, d) -> np.ndarray:
    """``log t_nu(x | mu, Sigma)`` from the Mahalanobis distances ``delta`` (n, K)."""
    from scipy.special import betaln, gammaln

    # log Gamma((nu + D)/2) - log Gamma(nu/2) as log Gamma(D/2) - log B(nu/2, D/2): the plain
    # difference of two huge log-gammas loses every digit when nu is large (the Gaussian limit)
    const = (gammaln(d / 2) - betaln(dofs / 2, d / 2) - 0.5 * d * np.log(dofs * math.pi)
             + half_log_det)
    return const - 0.5 * (dofs + d) * np.log1p(delta / dofs)


def solve_dof(mean_log_u_minus_u: float, low: float, high: float) -> float:
    r"""The :math:`\nu` maximising :math:`Q`: the root of
    :math:`-\psi(\nu/2) + \log(\nu/2) + 1 + a = 0` with :math:`a = \sum c (\mathbb{E}\log u - u)
    / \sum c`, in ``[low, high]`` (the nearer end when there is no root inside).

    The left side falls from :math:`+\infty` to :math:`1 + a \le 0` as :math:`\nu` grows,
    so the root is unique and :math:`Q` is largest there.
    """
    from scipy.optimize import brentq
    from scipy.special import digamma

    def slope(nu):
        return -digamma(nu / 2) + math.log(nu / 2) + 1 + mean_log_u_minus_u

    if slope(high) >= 0:
        return high
    if slope(low) <= 0:
        return low
    return float(brentq(slope, low, high, xtol=1e-12 * low, rtol=4 * np.finfo(float).eps))


class StudentTModel(EMModel):
    r"""A mixture of multivariate t distributions, by EM with the gamma weights as latent.

    :math:`x \mid k, u \sim \mathcal{N}(\mu_k, \Sigma_k / u)` with
    :math:`u \mid k \sim \text{Gamma}(\nu_k/2, \text{rate } \nu_k/2)`, so
    :math:`x \mid k \sim t_{\nu_k}(\mu_k, \Sigma_k)`: two latent layers, the component
    and the scale (McLachlan & Peel 2000, ch. 7). The E-step gives the
    responsibilities :math:`\gamma_{nk}`, the weights
    :math:`u_{nk} = \mathbb{E}[u \mid x_n, k] = (\nu_k + D)/(\nu_k + \delta_{nk})`
    and :math:`\mathbb{E}[\log u \mid x_n, k] = \log u_{nk} + \psi((\nu_k + D)/2) -
    \log((\nu_k + D)/2)`. The M-step: :math:`\pi_k = N_k / N` with
    :math:`N_k = \sum_n \gamma_{nk}`; :math:`\mu_k = \sum_n \gamma_{nk} u_{nk} x_n /
    \sum_n \gamma_{nk} u_{nk}`; :math:`\Sigma_k = \sum_n \gamma_{nk} u_{nk} (x_n -
    \mu_k)(x_n - \mu_k)^\top / N_k` (shaped by the covariance type); and, when
    estimated, :math:`\nu_k` the one-dimensional root of ``solve_dof``. Each is the
    exact maximiser of :math:`Q`, so with ``reg_covar=0`` the log-likelihood never
    decreases. Sample weights multiply every :math:`\gamma_{nk}`.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, D)
        The data, float64.
    n_components : int
        The number of components ``K``.
    covariance_type : str
        One of the core's types (``"full"``, ``"tied"``, ``"diag"``, ``"spherical"``).
    estimate_dof : bool
        Estimate each component's :math:`\nu_k` (else they stay as started).
    reg_covar : float, default 0.0
        Added to the diagonal of each scale matrix after the M-step (then not exact EM).
    sample_weight : numpy.ndarray of shape (n,) or None
        Non-negative weights of the rows; None for ones.

    See Also
    --------
    emcore.StudentTMixture : The estimator that fits it.
    emcore.nongaussian.StudentTParams : Its parameters.
    emcore.run_em : Runs EM on it.

    Examples
    --------
    One t with ``nu = 4`` held fixed, its location and scale by EM:

    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.nongaussian import StudentTModel, StudentTParams
    >>> X = np.random.default_rng(0).standard_t(4, size=(200, 1))
    >>> model = StudentTModel(X, 1, "full", estimate_dof=False)
    >>> start = StudentTParams(np.ones(1), np.zeros((1, 1)), np.ones((1, 1, 1)),
    ...                        np.ones((1, 1, 1)), np.array([4.0]))
    >>> run = run_em(model, start, tol=1e-12)
    >>> print(f"{run.theta.means[0, 0]:.4f} {run.theta.covariances[0, 0, 0]:.4f}", run.converged)
    -0.0348 0.9251 True
    """

    def __init__(self, X, n_components, covariance_type, *, estimate_dof=True, reg_covar=0.0,
                 sample_weight=None):
        self.X = X
        self.n, self.d = X.shape
        self.n_components = n_components
        self.cov = covariance_model(covariance_type)
        self.estimate_dof = estimate_dof
        self.reg_covar = reg_covar
        self.weights = np.ones(self.n) if sample_weight is None else sample_weight
        #: The origin the collapse rule measures round-off from (emcore.gaussian.mstep).
        self.center = self.weights @ X / self.weights.sum()

    def log_joint(self, theta: StudentTParams, X=None):
        """``(log pi_k + log t(x_n | k), delta)``, both (n, K); the model's data by default.

        Parameters
        ----------
        theta : StudentTParams
            The mixture's parameters.
        X : numpy.ndarray of shape (n, D), optional
            The data; the model's ``X`` when None.

        Returns
        -------
        log_joint : numpy.ndarray of shape (n, K)
            The joint log-densities.
        delta : numpy.ndarray of shape (n, K)
            The Mahalanobis distances under each component's scale matrix.
        """
        X = self.X if X is None else X
        k_ = self.n_components
        delta = mahalanobis(X, theta.means, theta.precisions_cholesky, self.cov)
        half_log_det = self.cov.half_log_det(theta.precisions_cholesky, k_, self.d)
        with np.errstate(divide="ignore"):
            log_w = np.log(theta.weights)
        return t_log_density(delta, half_log_det, theta.dofs, self.d) + log_w, delta

    def e_step_with_log_likelihood(self, theta: StudentTParams):
        """The E-step and the log-likelihood from one pass over the data.

        Parameters
        ----------
        theta : StudentTParams
            The mixture's parameters.

        Returns
        -------
        stats : StudentTStats
            The weighted responsibilities and the gamma weights.
        log_likelihood : float
            The weighted log-likelihood.
        """
        from scipy.special import digamma

        logp, delta = self.log_joint(theta)
        norm = log_sum_exp(logp)
        c = self.weights[:, None] * np.exp(logp - norm[:, None])
        half = (theta.dofs + self.d) / 2
        u = half / (theta.dofs / 2 + delta / 2)
        log_u = np.log(u) + digamma(half) - np.log(half)
        return StudentTStats(c, u, log_u, theta.dofs), float(self.weights @ norm)

    def e_step(self, theta):
        """Weighted responsibilities and the gamma weights, a :class:`StudentTStats`.

        Parameters
        ----------
        theta : StudentTParams
            The mixture's parameters.

        Returns
        -------
        StudentTStats
            The weighted responsibilities and the expected gamma weights.
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        """``sum_n w_n log sum_k pi_k t_{nu_k}(x_n | mu_k, Sigma_k)``.

        Parameters
        ----------
        theta : StudentTParams
            The mixture's parameters.

        Returns
        -------
        float
            The weighted log-likelihood.
        """
        return self.e_step_with_log_likelihood(theta)[1]

    def m_step(self, stats: StudentTStats) -> StudentTParams:
        """Weights, weighted means and scatters, then each ``nu_k`` (see the class docstring).

        Parameters
        ----------
        stats : StudentTStats
            The E-step's output (:meth:`e_step`).

        Returns
        -------
        StudentTParams
            The new parameters; the degrees of freedom are carried over from ``stats``
            unless they are estimated.

        Raises
        ------
        emcore.mixture.DegenerateComponentError
            When a component loses all its weight, or collapses onto a point (with
            ``reg_covar=0``) or onto fewer distinct samples than dimensions.
        emcore.exceptions.EndRun
            When a component collapses onto a point with ``reg_covar > 0``:
            :func:`emcore.run_em` then keeps the parameters it was given.
        """
        c, u = stats.weighted_resp, stats.u
        counts = c.sum(axis=0)
        empty = np.flatnonzero(~(counts > EMPTY_FRACTION * counts.sum()))
        if empty.size:
            raise DegenerateComponentError(
                f"component {int(empty[0])} lost all its weight: no sample is near it; use "
                "fewer components or another start")
        cu = c * u
        means = (cu.T @ self.X) / cu.sum(axis=0)[:, None]
        second = self.cov.empty_second(self.n_components, self.d)
        for k in range(self.n_components):
            self.cov.add_centred(second, k, (self.X - means[k]).T, cu[:, k])
        covariances, bare = self.cov.covariances(second, counts, counts,
                                                 np.zeros_like(means), self.reg_covar)
        collapsed = collapsed_components(self.cov, bare, means - self.center)
        if collapsed.size:
            error = DegenerateComponentError(
                f"component {int(collapsed[0])} collapsed onto a point or a line (its scale "
                "is round-off along some direction): the likelihood is unbounded "
                "there; use fewer components, another start, or remove repeated points")
            if self.reg_covar > 0:  # GaussianMixture's rule: end the run, keep where it was
                raise EndRun(str(error)) from error
            raise error
        try:
            chol = self.cov.precision_cholesky(covariances)
        except np.linalg.LinAlgError:
            raise DegenerateComponentError(
                "a scale matrix is not positive definite: some component has collapsed onto "
                "fewer distinct samples than dimensions; use reg_covar > 0, fewer components "
                "or another start") from None
        dofs = stats.dofs.copy()
        if self.estimate_dof:
            spread = np.sum(c * (stats.log_u - u), axis=0) / counts
            dofs = np.array([solve_dof(a, *DOF_BOUNDS) for a in spread])
        return StudentTParams(counts / counts.sum(), means, covariances, chol, dofs)

    def n_parameters(self) -> int:
        """Free parameters: the Gaussian mixture's, plus ``K`` degrees of freedom if estimated.

        Returns
        -------
        int
            The number of free parameters.
        """
        k_ = self.n_components
        return self.cov.n_parameters(k_, self.d) + (k_ if self.estimate_dof else 0)
