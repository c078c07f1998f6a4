"""A mixture of known normal densities whose only unknowns are the mixing weights."""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array
from .expfamily import ExponentialFamilyEM

__all__ = ["MixingProportion"]

_LOG_SQRT_2PI = 0.5 * float(np.log(2 * np.pi))


class MixingProportion(ExponentialFamilyEM):
    r"""Data from :math:`\sum_k \pi_k \mathcal{N}(\mu_k, \sigma_k^2)` with known components; EM on
    the weights.

    The latent variable of point :math:`x_n` is its component. With
    responsibilities :math:`\gamma_{nk} \propto \pi_k \mathcal{N}(x_n; \mu_k, \sigma_k^2)`,

    * E-step: :math:`N_k = \sum_n \gamma_{nk}`;
    * M-step: :math:`\pi_k = N_k / N`;
    * observed-data log-likelihood:
      :math:`\sum_n \log \sum_k \pi_k \mathcal{N}(x_n; \mu_k, \sigma_k^2)`.

    The parameters are the weights of the first :math:`K - 1` components, a 1-D
    array (a float is accepted for :math:`K = 2`); the last weight is one minus
    their sum. The closer the components, the more of the information about
    the weights is missing, and the slower EM converges: the chapter on
    convergence uses this model to show it.

    The complete data (the component counts :math:`T_k`) are multinomial, an
    exponential family: the E- and M-steps are those of
    :class:`ExponentialFamilyEM` (:meth:`expected_statistic`,
    :meth:`params_from_mean`), and :meth:`conditional_statistic_variance`
    against :meth:`statistic_variance` gives the fractions of missing information.

    Besides the three EM methods, the model supplies the analytic pieces that
    :func:`emcore.standard_errors` can use: :meth:`complete_information`,
    :meth:`complete_score_outer` and, in closed form, :meth:`observed_information`.

    Parameters
    ----------
    x : array_like of shape (N,)
        The data.
    means : array_like of shape (K,)
        The known component means, ``K >= 2``.
    sds : float or array_like of shape (K,), default 1.0
        The known component standard deviations, positive.

    See Also
    --------
    emcore.GaussianMixture : Fits the components too.
    emcore.em_rate : Its rate of convergence.
    emcore.standard_errors : Standard errors of the weights.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.models import MixingProportion
    >>> rng = np.random.default_rng(0)
    >>> x = np.where(rng.random(500) < 0.3, rng.normal(0, 1, 500), rng.normal(4, 1, 500))
    >>> run = run_em(MixingProportion(x, means=[0.0, 4.0]), theta0=0.5, tol=1e-10)
    >>> print(f"pi_hat = {run.theta[0]:.4f}")
    pi_hat = 0.2673
    """

    def __init__(self, x, means, sds=1.0):
        self.x = as_float_array(x, "x", ndim=1)
        self.means = as_float_array(means, "means", ndim=1)
        if self.means.size < 2:
            raise ValueError(f"means must hold at least 2 components, got {self.means.size}")
        sds = as_float_array(sds, "sds", positive=True)
        if sds.ndim > 1 or sds.size not in (1, self.means.size):
            raise ValueError(
                "sds must be a float or have one entry per component "
                f"({self.means.size})"
            )
        self.sds = np.broadcast_to(sds.ravel(), self.means.shape).copy()
        z = (self.x[:, None] - self.means) / self.sds
        #: Component densities f_k(x_n), shape (N, K).
        self.densities = np.exp(-0.5 * z**2 - np.log(self.sds) - _LOG_SQRT_2PI)
        self.n_components = self.means.size

    def weights(self, theta) -> np.ndarray:
        """All ``K`` weights from the parameters (the first ``K - 1``); ValueError outside the
        simplex.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K,)
            All the weights.
        """
        free = np.atleast_1d(np.asarray(theta, dtype=float))
        if free.shape != (self.n_components - 1,):
            raise ValueError(
                f"theta must hold the first {self.n_components - 1} weights, got shape {free.shape}"
            )
        pi = np.append(free, 1.0 - free.sum())
        if not np.all(np.isfinite(pi)) or np.any(pi < 0):
            raise ValueError(f"theta must be weights in [0, 1] summing to at most 1, got {free}")
        return pi

    def _mixture(self, theta) -> np.ndarray:
        return self.densities @ self.weights(theta)

    def responsibilities(self, theta) -> np.ndarray:
        r""":math:`\gamma_{nk}`, shape (N, K).

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (N, K)
            Each point's posterior probabilities of the components.
        """
        weighted = self.densities * self.weights(theta)
        return weighted / weighted.sum(axis=1, keepdims=True)

    def expected_statistic(self, theta) -> np.ndarray:
        r"""Expected component counts :math:`N_k = \sum_n \gamma_{nk}` (the E-step).

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K,)
            The expected counts.
        """
        return self.responsibilities(theta).sum(axis=0)

    def statistic_mean(self, theta) -> np.ndarray:
        r"""The expectation map :math:`\mathbb{E}_\pi[T] = N \pi`.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K,)
            The complete-data expected counts.
        """
        return self.x.size * self.weights(theta)

    def params_from_mean(self, t) -> np.ndarray:
        """The first ``K - 1`` weights ``N_k / N`` (the M-step).

        Parameters
        ----------
        t : array_like of shape (K,)
            Expected component counts.

        Returns
        -------
        ndarray of shape (K - 1,)
            The first ``K - 1`` weights.
        """
        t = np.asarray(t, dtype=float)
        return t[:-1] / t.sum()

    def statistic_variance(self, theta) -> np.ndarray:
        r""":math:`\operatorname{Var}_\pi(T) = N(\operatorname{diag}\pi - \pi\pi^\top)`, (K, K).

        Singular: the counts sum to N.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K, K)
            The complete-data covariance of the counts.
        """
        pi = self.weights(theta)
        return self.x.size * (np.diag(pi) - np.outer(pi, pi))

    def conditional_statistic_variance(self, theta) -> np.ndarray:
        r"""The counts' conditional variance, :math:`\operatorname{Var}(T \mid x)`, (K, K).

        The points are independent given :math:`x`, each a multinomial draw, so it is
        :math:`\sum_n (\operatorname{diag}\gamma_n - \gamma_n\gamma_n^\top)`.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K, K)
            The covariance of the counts given the data.
        """
        gamma = self.responsibilities(theta)
        return np.diag(gamma.sum(axis=0)) - gamma.T @ gamma

    def log_likelihood(self, theta) -> float:
        r"""Observed-data log-likelihood :math:`\sum_n \log \sum_k \pi_k f_k(x_n)`.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        float
            The observed-data log-likelihood (``-inf`` if a point has zero density).
        """
        with np.errstate(divide="ignore"):
            return float(np.sum(np.log(self._mixture(theta))))

    def complete_information(self, theta) -> np.ndarray:
        r""":math:`I_{\text{com}} = \operatorname{diag}(N_j/\pi_j^2) +
        N_K/\pi_K^2\,\mathbf{1}\mathbf{1}^\top`, shape (K-1, K-1).

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K - 1, K - 1)
            The expected complete-data information in the free weights.
        """
        pi, counts = self.weights(theta), self.e_step(theta)
        # -d2/dpi_i dpi_j of sum_k N_k log pi_k with pi_K = 1 - sum_j pi_j.
        return np.diag(counts[:-1] / pi[:-1] ** 2) + counts[-1] / pi[-1] ** 2

    def complete_score_outer(self, theta) -> np.ndarray:
        r""":math:`\mathbb{E}[S_c S_c^\top \mid x, \theta]` for the complete-data score in the free
        weights.

        Point :math:`n` contributes :math:`s_n = (z_{nj}/\pi_j - z_{nK}/\pi_K)_j`;
        the points are independent given :math:`x`, so the second moment is the
        sum of their covariances plus the outer product of the summed means.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K - 1, K - 1)
            The conditional second moment of the complete-data score.
        """
        pi = self.weights(theta)
        # s_n = A z_n with A = [diag(1/pi_j) | -1/pi_K], z_n ~ Multinomial(1, gamma_n).
        a = np.hstack([np.diag(1 / pi[:-1]), np.full((pi.size - 1, 1), -1 / pi[-1])])
        z_cov = self.conditional_statistic_variance(theta)
        mean = a @ self.expected_statistic(theta)
        return a @ z_cov @ a.T + np.outer(mean, mean)

    def free_coordinates(self, theta):
        r"""The weights as coordinates confined to the simplex, for :func:`emcore.standard_errors`.

        Weight :math:`\pi_j` moves in :math:`[0, \pi_j + \pi_K]`, so that no difference step
        takes it or the last weight below 0; a weight within
        ``emcore._free.BOUNDARY`` of 0 is on the boundary, held fixed and flagged (NaN
        standard error). With the last weight :math:`\pi_K` at 0 every weight is flagged (for
        two components that is exact: :math:`\pi_1 = 1` cannot move).

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        emcore._free.FreeCoordinates
            One bounded coordinate per weight.
        """
        from .._free import FreeCoordinates

        free = np.atleast_1d(np.asarray(theta, dtype=float))
        last = float(self.weights(free)[-1])
        return FreeCoordinates([("bounded", (1,), (0.0, w + last)) for w in free], free)

    def observed_information(self, theta) -> np.ndarray:
        r"""The observed information in closed form, :math:`\sum_n d_n d_n^\top / p_n^2`.

        Here :math:`p_n = \sum_k \pi_k f_k(x_n)` and :math:`d_{nj} = f_j(x_n) - f_K(x_n)`.

        Parameters
        ----------
        theta : float or array_like of shape (K - 1,)
            The first ``K - 1`` weights.

        Returns
        -------
        ndarray of shape (K - 1, K - 1)
            Minus the Hessian of the observed-data log-likelihood.
        """
        d = self.densities[:, :-1] - self.densities[:, -1:]
        w = d / self._mixture(theta)[:, None]
        return w.T @ w
