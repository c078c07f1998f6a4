"""The multivariate Student t, fitted by EM/ECME through its Gaussian scale mixture."""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_float_array
from ..em import EMModel
from ._gaussian import _LOG_2PI, log_det, mahalanobis, n_gaussian_params, pack, unpack

__all__ = ["MultivariateT"]

#: The range searched for the degrees of freedom when they are estimated.
NU_BOUNDS = (0.05, 1e4)


def _t_loglik(delta: np.ndarray, logdet: float, d: int, nu: float) -> float:
    n = delta.size
    const = (math.lgamma((nu + d) / 2) - math.lgamma(nu / 2)
             - 0.5 * d * (math.log(nu) + _LOG_2PI - math.log(2)))
    return float(n * (const - 0.5 * logdet) - 0.5 * (nu + d) * np.sum(np.log1p(delta / nu)))


class MultivariateT(EMModel):
    r"""The multivariate Student t :math:`t_\nu(\mu, \Sigma)`, by EM on its scale-mixture form.

    A t vector is a Gaussian with a random precision scale:
    :math:`u \sim \text{Gamma}(\nu/2, \text{rate } \nu/2)` and
    :math:`x \mid u \sim \mathcal{N}(\mu, \Sigma / u)`. With :math:`u` as the
    latent variable, and :math:`\delta_n = (x_n - \mu)^\top \Sigma^{-1} (x_n - \mu)`,

    * E-step: the weights :math:`w_n = \mathbb{E}[u_n \mid x_n] = (\nu + D)/(\nu + \delta_n)`,
      small for points far from the centre, and the weighted sums
      :math:`\sum w_n`, :math:`\sum w_n x_n`, :math:`\sum w_n x_n x_n^\top`;
    * M-step: :math:`\mu = \sum w_n x_n / \sum w_n`,
      :math:`\Sigma = \frac1N \sum w_n (x_n - \mu)(x_n - \mu)^\top`; when
      :math:`\nu` is estimated, it is then set to maximise the observed-data
      log-likelihood at the new :math:`(\mu, \Sigma)`, a one-dimensional search
      over ``NU_BOUNDS = (0.05, 1e4)`` (the ECME algorithm of Liu & Rubin 1995); the
      search result is kept only if it is no worse than the current :math:`\nu`,
      so the log-likelihood never decreases;
    * observed-data log-likelihood: the sum of the t log-densities.

    Parameters are one vector: the mean, the lower triangle of the scale
    matrix :math:`\Sigma` row by row, and (only when estimated) :math:`\nu`.
    :meth:`pack` and :meth:`unpack` convert.

    Parameters
    ----------
    X : array_like of shape (N, D)
        The data, finite, at least ``D + 1`` rows.
    nu : float or None, default None
        Fixed degrees of freedom (> 0), or None to estimate them.

    See Also
    --------
    emcore.StudentTMixture : A mixture of t distributions.
    emcore.models.MVNMissing : The Gaussian with missing entries.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.models import MultivariateT
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_t(df=3, size=(300, 2))
    >>> model = MultivariateT(X, nu=3.0)
    >>> run = run_em(model, model.initial_params(), tol=1e-12)
    >>> mean, scale = model.unpack(run.theta)
    >>> print(np.round(mean, 4), np.round(np.diag(scale), 4))
    [ 0.0684 -0.0988] [1.0449 1.0351]
    """

    def __init__(self, X, nu: float | None = None):
        self.X = as_float_array(X, "X", ndim=2)
        n, d = self.X.shape
        if n < d + 1:
            raise ValueError(f"X must have at least D + 1 = {d + 1} rows, got {n}")
        if nu is not None:
            if isinstance(nu, bool) or not isinstance(nu, (int, float, np.integer, np.floating)):
                raise TypeError(f"nu must be a positive float or None, got {type(nu).__name__}")
            if not (math.isfinite(nu) and nu > 0):
                raise ValueError("nu must be positive and finite (or None to estimate it), "
                                 f"got {nu!r}")
            nu = float(nu)
        self.nu = nu
        self.n_features = d

    @property
    def estimate_nu(self) -> bool:
        """Whether the degrees of freedom are a parameter (``nu=None``)."""
        return self.nu is None

    def pack(self, mean, scale, nu: float | None = None) -> np.ndarray:
        """The parameter vector; give ``nu`` exactly when it is estimated.

        Parameters
        ----------
        mean : array_like of shape (D,)
            The location.
        scale : array_like of shape (D, D)
            The scale matrix, positive definite.
        nu : float, optional
            The degrees of freedom, only when they are estimated.

        Returns
        -------
        ndarray of shape (n_params,)
            The parameter vector.
        """
        if (nu is None) == self.estimate_nu:
            raise ValueError("nu must be given to pack exactly when the model estimates it "
                             "(nu=None)")
        return pack(mean, scale) if nu is None else pack(mean, scale, nu)

    def unpack(self, theta):
        """``(mean, scale)``, or ``(mean, scale, nu)`` when ``nu`` is estimated.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        tuple
            ``(mean, scale)`` or ``(mean, scale, nu)``.
        """
        mean, scale, _, nu = self._split(theta)
        return (mean, scale, nu) if self.estimate_nu else (mean, scale)

    def _split(self, theta):
        mean, scale, chol, extra = unpack(theta, self.n_features, int(self.estimate_nu))
        if self.estimate_nu:
            nu = float(extra[0])
            if not nu > 0:
                raise ValueError(f"the degrees of freedom in theta must be > 0, got {nu!r}")
        else:
            nu = self.nu
        return mean, scale, chol, nu

    @property
    def n_params(self) -> int:
        """Length of the parameter vector."""
        return n_gaussian_params(self.n_features) + int(self.estimate_nu)

    def free_coordinates(self, theta):
        """Coordinates for :func:`emcore.standard_errors`: ``nu`` confined to ``NU_BOUNDS``.

        The mean and the covariance's lower triangle are free; ``nu`` (when estimated) is
        bounded, and on the boundary, fixed and flagged, when the fit put it at an end (a
        Gaussian sample drives it to the upper one).

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        emcore._free.FreeCoordinates
            A free block, then a bounded one for ``nu`` when it is estimated.
        """
        from .._free import FreeCoordinates

        theta = np.asarray(theta, dtype=float)
        blocks = [("free", (n_gaussian_params(self.n_features),))]
        if self.estimate_nu:
            blocks.append(("bounded", (1,), NU_BOUNDS))
        return FreeCoordinates(blocks, theta)

    def initial_params(self, nu0: float = 10.0) -> np.ndarray:
        """A start: the sample mean and covariance, and ``nu0`` when ``nu`` is estimated.

        Parameters
        ----------
        nu0 : float, default 10.0
            The starting degrees of freedom, used when they are estimated.

        Returns
        -------
        ndarray of shape (n_params,)
            The packed start.
        """
        centred = self.X - self.X.mean(axis=0)
        cov = centred.T @ centred / self.X.shape[0]
        if self.estimate_nu:
            return pack(self.X.mean(axis=0), cov, nu0)
        return pack(self.X.mean(axis=0), cov)

    def weights(self, theta) -> np.ndarray:
        r"""The E-step's weights :math:`w_n = (\nu + D)/(\nu + \delta_n)`, shape (N,).

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        ndarray of shape (N,)
            The weights; an outlier's is small.
        """
        mean, _, chol, nu = self._split(theta)
        return (nu + self.n_features) / (nu + mahalanobis(self.X, mean, chol))

    def e_step(self, theta):
        r""":math:`(\sum w_n, \sum w_n x_n, \sum w_n x_n x_n^\top, \nu)`.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        tuple
            The weighted sums and the current degrees of freedom.
        """
        w = self.weights(theta)
        nu = self._split(theta)[3]
        return float(w.sum()), w @ self.X, (self.X * w[:, None]).T @ self.X, nu

    def m_step(self, stats) -> np.ndarray:
        """The weighted mean and scatter; then the ECME step for ``nu`` when it is estimated.

        Parameters
        ----------
        stats : tuple
            The weighted sums from :meth:`e_step`.

        Returns
        -------
        ndarray of shape (n_params,)
            The packed parameters.
        """
        sw, swx, swxx, nu = stats
        mean = swx / sw
        scale = (swxx - sw * np.outer(mean, mean)) / self.X.shape[0]
        scale = (scale + scale.T) / 2
        if not self.estimate_nu:
            return pack(mean, scale)
        return pack(mean, scale, self._best_nu(mean, scale, nu))

    def _best_nu(self, mean, scale, nu_old: float) -> float:
        from scipy.optimize import minimize_scalar

        chol = np.linalg.cholesky(scale)
        delta, logdet, d = mahalanobis(self.X, mean, chol), log_det(chol), self.n_features
        lo, hi = np.log(NU_BOUNDS)
        found = minimize_scalar(lambda s: -_t_loglik(delta, logdet, d, float(np.exp(s))),
                                bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
        nu_new = float(np.exp(found.x))
        # the bounded search stops short of its ends: an end at least as good is the maximum
        for end in NU_BOUNDS:
            if _t_loglik(delta, logdet, d, end) >= _t_loglik(delta, logdet, d, nu_new):
                nu_new = float(end)
        if _t_loglik(delta, logdet, d, nu_new) >= _t_loglik(delta, logdet, d, nu_old):
            return nu_new
        return nu_old

    def log_likelihood(self, theta) -> float:
        """Observed-data log-likelihood, the sum of the multivariate t log-densities.

        Parameters
        ----------
        theta : array_like of shape (n_params,)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        float
            The observed-data log-likelihood.
        """
        mean, _, chol, nu = self._split(theta)
        return _t_loglik(mahalanobis(self.X, mean, chol), log_det(chol), self.n_features, nu)
