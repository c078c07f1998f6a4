"""Probabilistic principal component analysis (Tipping & Bishop 1999) as an EM model."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import as_count, as_float_array
from ..em import EMModel

__all__ = ["PPCA", "PPCAParams"]

_LOG_2PI = float(np.log(2 * np.pi))


@dataclasses.dataclass(frozen=True)
class PPCAParams:
    r"""Parameters of probabilistic PCA, :math:`x = \mu + W z + \varepsilon`.

    Attributes
    ----------
    mean : numpy.ndarray of shape (D,)
        The mean :math:`\mu` of the data.
    W : numpy.ndarray of shape (D, L)
        The loading matrix; only :math:`W W^\top` is identified (``W`` times
        any orthogonal ``M x M`` matrix gives the same model).
    sigma2 : float
        The isotropic noise variance :math:`\sigma^2 > 0`.

    See Also
    --------
    emcore.models.PPCA : The model they parametrise.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.models import PPCAParams
    >>> theta = PPCAParams(mean=np.zeros(3), W=np.ones((3, 1)), sigma2=0.5)
    >>> print(theta.W.shape, theta.sigma2)
    (3, 1) 0.5
    """

    mean: np.ndarray
    W: np.ndarray
    sigma2: float


class PPCA(EMModel):
    r"""Probabilistic PCA: :math:`z \sim \mathcal{N}(0, I_L)`,
    :math:`x \mid z \sim \mathcal{N}(\mu + W z, \sigma^2 I_D)`.

    The observed data are Gaussian, :math:`x \sim \mathcal{N}(\mu, C)` with
    :math:`C = W W^\top + \sigma^2 I_D`. With :math:`\tilde x_n = x_n - \bar x` and
    :math:`B_\theta = W^\top W + \sigma^2 I_L`, Tipping & Bishop's EM is

    * E-step: the posterior of :math:`z_n` is Gaussian with mean
      :math:`\mathbb{E}[z_n] = B_\theta^{-1} W^\top \tilde x_n` and covariance
      :math:`\sigma^2 B_\theta^{-1}`; the statistics passed on are the averages
      :math:`A = \frac1N \sum_n \tilde x_n \mathbb{E}[z_n]^\top` and
      :math:`B = \frac1N \sum_n \mathbb{E}[z_n z_n^\top]`;
    * M-step: :math:`\mu = \bar x`, :math:`W = A B^{-1}` and
      :math:`\sigma^2 = \bigl(\operatorname{tr} S - \operatorname{tr}(W^\top A)\bigr) / D`,
      with :math:`S` the sample covariance (divisor :math:`N`);
    * observed-data log-likelihood:
      :math:`-\frac N2 \bigl(D \log 2\pi + \log\lvert C\rvert +
      \operatorname{tr}(C^{-1} S_\mu)\bigr)`,
      :math:`S_\mu = S + (\bar x - \mu)(\bar x - \mu)^\top`, via a Cholesky factor of :math:`C`.

    :meth:`mle` gives the closed-form maximum from the eigendecomposition of
    :math:`S`, to which EM converges (up to a rotation of ``W``).

    Parameters
    ----------
    X : array_like of shape (N, D)
        The data, ``N >= 2`` rows, ``D >= 2`` columns, finite.
    n_components : int
        The latent dimension ``M``, ``1 <= M < D``.

    See Also
    --------
    emcore.models.PPCAParams : Its parameters.
    emcore.FactorAnalysis : One noise variance per feature instead of one in all.
    emcore.MixtureOfFactorAnalyzers : A mixture of such models.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.models import PPCA
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 1)) @ [[3.0, 1.0, 0.5]] + 0.3 * rng.normal(size=(200, 3))
    >>> model = PPCA(X, n_components=1)
    >>> run = run_em(model, model.initial_params(random_state=0), tol=1e-12, stop="loglik")
    >>> print(f"EM {run.log_likelihood:.6f}, closed form {model.log_likelihood(model.mle()):.6f}")
    EM -600.943902, closed form -600.943902
    """

    def __init__(self, X, n_components):
        self.X = as_float_array(X, "X", ndim=2)
        n, d = self.X.shape
        if n < 2 or d < 2:
            raise ValueError(f"X must have at least 2 rows and 2 columns, got shape {self.X.shape}")
        self.n_components = as_count(n_components, "n_components", minimum=1)
        if self.n_components >= d:
            raise ValueError(
                f"n_components must be < the number of columns of X ({d}), got {n_components}"
            )
        self.x_bar = self.X.mean(axis=0)
        centred = self.X - self.x_bar
        #: Sample covariance with divisor N, shape (D, D).
        self.S = centred.T @ centred / n

    def _check_params(self, theta) -> PPCAParams:
        if not isinstance(theta, PPCAParams):
            raise TypeError(f"theta must be a PPCAParams, got {type(theta).__name__}")
        d, m = self.S.shape[0], self.n_components
        if np.shape(theta.mean) != (d,) or np.shape(theta.W) != (d, m):
            raise ValueError(
                f"theta must have mean of shape ({d},) and W of shape ({d}, {m}), "
                f"got {np.shape(theta.mean)} and {np.shape(theta.W)}"
            )
        if not (np.isfinite(theta.sigma2) and theta.sigma2 > 0):
            raise ValueError(f"theta.sigma2 must be positive and finite, got {theta.sigma2!r}")
        return theta

    def initial_params(self, random_state=None) -> PPCAParams:
        """A starting point: the sample mean, a random ``W`` and ``sigma2`` the average variance.

        ``random_state`` is an int, a ``numpy.random.Generator`` or None.

        Parameters
        ----------
        random_state : int, numpy.random.Generator or None, default None
            The seed of the random ``W``.

        Returns
        -------
        PPCAParams
            The start.
        """
        rng = np.random.default_rng(random_state)
        d, m = self.S.shape[0], self.n_components
        scale = float(np.trace(self.S)) / d
        W = rng.normal(size=(d, m)) * np.sqrt(scale)
        return PPCAParams(mean=self.x_bar.copy(), W=W, sigma2=scale)

    def covariance(self, theta) -> np.ndarray:
        r"""The model covariance :math:`C = W W^\top + \sigma^2 I_D`, shape (D, D).

        Parameters
        ----------
        theta : PPCAParams
            The parameters.

        Returns
        -------
        ndarray of shape (D, D)
            The model covariance.
        """
        theta = self._check_params(theta)
        return theta.W @ theta.W.T + theta.sigma2 * np.eye(self.S.shape[0])

    def latent_posterior(self, theta) -> tuple[np.ndarray, np.ndarray]:
        r"""Posterior means :math:`\mathbb{E}[z_n \mid x_n]`, shape (N, L), and the shared
        covariance :math:`\sigma^2 B_\theta^{-1}`, shape (L, L).

        Parameters
        ----------
        theta : PPCAParams
            The parameters.

        Returns
        -------
        means : ndarray of shape (N, L)
            The posterior mean of each sample's latent vector.
        covariance : ndarray of shape (L, L)
            The posterior covariance, the same for every sample.
        """
        theta = self._check_params(theta)
        m_mat = theta.W.T @ theta.W + theta.sigma2 * np.eye(self.n_components)
        m_inv = np.linalg.inv(m_mat)
        means = (self.X - theta.mean) @ theta.W @ m_inv.T
        return means, theta.sigma2 * m_inv

    def e_step(self, theta) -> tuple[np.ndarray, np.ndarray]:
        r"""The averages :math:`A = \frac1N\sum_n \tilde x_n \mathbb{E}[z_n]^\top` (D, L) and
        :math:`B = \frac1N\sum_n \mathbb{E}[z_n z_n^\top]` (L, L).

        The posterior is taken with the mean at :math:`\bar x`, whatever
        ``theta.mean`` is: :math:`\bar x` maximises the likelihood over
        :math:`\mu` for every :math:`W, \sigma^2`, so replacing the mean first
        can only raise it, and the EM update of :math:`(W, \sigma^2)` that
        follows raises it again (an ECME step; from a start at :math:`\bar x`
        it is plain EM). The statistics use the data only through :math:`S`.

        Parameters
        ----------
        theta : PPCAParams
            The parameters.

        Returns
        -------
        A : ndarray of shape (D, L)
            The average cross moment of the centred data and the latent means.
        B : ndarray of shape (L, L)
            The average second moment of the latent vectors.
        """
        theta = self._check_params(theta)
        m_mat = theta.W.T @ theta.W + theta.sigma2 * np.eye(self.n_components)
        m_inv = np.linalg.inv(m_mat)
        # With the mean at x_bar, E[z_n] = B_theta^{-1} W^T (x_n - x_bar); averaging the
        # outer products over n only needs the sample covariance S.
        a = self.S @ theta.W @ m_inv
        b = theta.sigma2 * m_inv + m_inv @ theta.W.T @ a
        return a, b

    def m_step(self, stats) -> PPCAParams:
        r""":math:`\mu = \bar x`, :math:`W = A B^{-1}`,
        :math:`\sigma^2 = (\operatorname{tr} S - \operatorname{tr}(W^\top A))/D`.

        Parameters
        ----------
        stats : tuple of ndarray
            ``(A, B)`` from :meth:`e_step`.

        Returns
        -------
        PPCAParams
            The updated parameters.
        """
        a, b = stats
        W = np.linalg.solve(b.T, a.T).T
        d = self.S.shape[0]
        sigma2 = float(np.trace(self.S) - np.sum(W * a)) / d
        if not sigma2 > 0:
            raise FloatingPointError(
                "the M-step gave sigma2 <= 0: the data lie (numerically) in an "
                f"{self.n_components}-dimensional subspace; use fewer components"
            )
        return PPCAParams(mean=self.x_bar.copy(), W=W, sigma2=sigma2)

    def log_likelihood(self, theta) -> float:
        r"""Observed-data log-likelihood
        :math:`\sum_n \log \mathcal{N}(x_n; \mu, W W^\top + \sigma^2 I)`.

        Parameters
        ----------
        theta : PPCAParams
            The parameters.

        Returns
        -------
        float
            The observed-data log-likelihood.
        """
        cov = self.covariance(theta)
        n, d = self.X.shape
        chol = np.linalg.cholesky(cov)
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
        shift = self.x_bar - theta.mean
        s_mu = self.S + np.outer(shift, shift)
        # tr(C^{-1} S_mu) = ||L^{-1} R||_F^2 for S_mu = R R^T; solve with L instead of inverting C.
        half = np.linalg.solve(chol, s_mu)
        trace = float(np.trace(np.linalg.solve(chol.T, half)))
        return -0.5 * n * (d * _LOG_2PI + logdet + trace)

    def mle(self) -> PPCAParams:
        r"""The closed-form maximum-likelihood estimate (Tipping & Bishop 1999).

        With eigenvalues :math:`\lambda_1 \ge \dots \ge \lambda_D` of :math:`S`
        and eigenvectors :math:`U_L` of the largest :math:`L`:
        :math:`\sigma^2 = \frac{1}{D - L}\sum_{j > L} \lambda_j`,
        :math:`W = U_L (\Lambda_L - \sigma^2 I)^{1/2}`, :math:`\mu = \bar x`.

        Raises
        ------
        ValueError
            When the discarded eigenvalues are all zero (then the likelihood
            is unbounded as :math:`\sigma^2 \to 0`).

        Returns
        -------
        PPCAParams
            The maximum-likelihood estimate (``W`` up to a rotation).
        """
        eigval, eigvec = np.linalg.eigh(self.S)
        eigval, eigvec = eigval[::-1], eigvec[:, ::-1]
        m = self.n_components
        sigma2 = float(np.mean(eigval[m:]))
        if not sigma2 > 1e-12 * max(float(eigval[0]), 1.0):
            raise ValueError(
                f"X lies in a subspace of dimension <= n_components ({m}): "
                "the maximum-likelihood sigma2 is 0"
            )
        scales = np.sqrt(np.maximum(eigval[:m] - sigma2, 0.0))
        return PPCAParams(mean=self.x_bar.copy(), W=eigvec[:, :m] * scales, sigma2=sigma2)
