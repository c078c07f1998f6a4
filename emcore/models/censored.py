"""A normal sample with censored values (right- or left-censored, as in Tobit models)."""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array
from ..em import EMModel
from ..montecarlo import SampledEMModel

__all__ = ["CensoredNormal"]

_LOG_2PI = float(np.log(2 * np.pi))


class CensoredNormal(EMModel, SampledEMModel):
    r"""I.i.d. :math:`\mathcal{N}(\mu, \sigma^2)` values, some known only to lie beyond a bound.

    Value ``y[i]`` is seen exactly when ``censored[i]`` is false; otherwise
    the true value is only known to exceed ``y[i]`` (``side="right"``, as for
    a survival time whose follow-up ended) or to fall below it
    (``side="left"``, as for a Tobit model or a detection limit). Censoring
    must be non-informative: the bound is independent of the value beyond it.

    For a right-censored value with bound :math:`c`, standardised bound
    :math:`a = (c - \mu)/\sigma` and inverse Mills ratio
    :math:`h = \varphi(a) / (1 - \Phi(a))`, the value's
    conditional moments are the moments of the censored tail,

    .. math::

        \mathbb{E}[y \mid y > c] = \mu + \sigma h, \qquad
        \mathbb{E}[y^2 \mid y > c] = \mu^2 + \sigma^2 + \sigma (c + \mu) h

    (left censoring is right censoring of :math:`-y`). Then

    * E-step: :math:`T_1 = \sum_i \mathbb{E}[y_i]`, :math:`T_2 = \sum_i \mathbb{E}[y_i^2]`,
      the exact values where seen and the tail moments where censored;
    * M-step: :math:`\mu = T_1 / n`, :math:`\sigma^2 = T_2 / n - \mu^2`;
    * observed-data log-likelihood:
      :math:`\sum_{\text{seen}} \log \varphi_{\mu,\sigma}(y_i) +
      \sum_{\text{censored}} \log(1 - \Phi(a_i))`.

    Parameters are the vector ``[mu, sigma]`` (the standard deviation, not
    the variance). The model has the hook ``complete_information`` used by
    ``standard_errors(..., method="sem")``. It is also a
    :class:`emcore.montecarlo.SampledEMModel` (the censored values drawn from
    their truncated normals), so :func:`emcore.run_mcem` and its siblings can be
    checked against the exact E-step.

    Parameters
    ----------
    y : array_like of shape (n,)
        Values and censoring bounds, finite.
    censored : array_like of bool or 0/1, shape (n,)
        True (1) where ``y[i]`` is a censoring bound, False (0) where it is a value.
    side : {"right", "left"}, default "right"
        Which way the censored values lie beyond their bounds.

    See Also
    --------
    emcore.run_em : Fits it by EM.
    emcore.run_mcem : Fits it by Monte Carlo EM, with sampled censored values.
    emcore.datasets.load_gehan : Right-censored remission times.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.models import CensoredNormal
    >>> model = CensoredNormal([1.2, 0.3, 2.5, 1.9, 2.0, 2.0], censored=[0, 0, 0, 0, 1, 1])
    >>> run = run_em(model, model.initial_params(), tol=1e-12)
    >>> print(np.round(run.theta, 5), round(run.log_likelihood, 6))
    [1.88755 0.94258] -6.920652
    """

    def __init__(self, y, censored, side: str = "right"):
        y = as_float_array(y, "y", ndim=1)
        flags = np.asarray(censored)
        if flags.shape != y.shape:
            raise ValueError(f"censored must have the shape of y {y.shape}, got {flags.shape}")
        if flags.dtype != bool:
            try:
                numeric = flags.astype(float)
            except (TypeError, ValueError):
                raise ValueError("censored must hold only 0/1 or True/False") from None
            if not np.all((numeric == 0) | (numeric == 1)):
                raise ValueError("censored must hold only 0/1 or True/False")
            flags = numeric == 1
        if side not in ("right", "left"):
            raise ValueError(f'side must be "right" or "left", got {side!r}')
        if np.unique(y[~flags]).size < 2:
            raise ValueError(
                "censored leaves fewer than two distinct uncensored values of y: "
                "the maximum-likelihood estimate does not exist"
            )
        self.y, self.censored, self.side = y, flags, side
        self._sign = 1.0 if side == "right" else -1.0
        self.n = y.size

    def _theta(self, theta) -> tuple[float, float]:
        vec = np.asarray(theta, dtype=float)
        if vec.shape != (2,) or not np.all(np.isfinite(vec)) or not vec[1] > 0:
            raise ValueError(f"theta must be [mu, sigma] with sigma > 0, finite, got {theta!r}")
        return float(vec[0]), float(vec[1])

    def initial_params(self) -> np.ndarray:
        """A start: the mean and standard deviation of the uncensored values.

        Returns
        -------
        ndarray of shape (2,)
            ``[mu, sigma]``.
        """
        seen = self.y[~self.censored]
        return np.array([seen.mean(), seen.std()])

    def tail_moments(self, theta) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`\mathbb{E}[y_i]` and :math:`\mathbb{E}[y_i^2]` of the censored values, given the
        bound.

        Parameters
        ----------
        theta : array_like of shape (2,)
            ``[mu, sigma]``, sigma positive.

        Returns
        -------
        first, second : ndarray of shape (n_censored,)
            The conditional first and second moments of each censored value.
        """
        from scipy.special import log_ndtr

        mu, sigma = self._theta(theta)
        s = self._sign
        c = s * self.y[self.censored]                       # right-censoring of s*y at c, mean s*mu
        alpha = (c - s * mu) / sigma
        mills = np.exp(-0.5 * alpha**2 - 0.5 * _LOG_2PI - log_ndtr(-alpha))
        first = s * (s * mu + sigma * mills)
        second = mu**2 + sigma**2 + sigma * (c + s * mu) * mills
        return first, second

    def e_step(self, theta) -> tuple[float, float]:
        r""":math:`T_1 = \sum_i \mathbb{E}[y_i]` and :math:`T_2 = \sum_i \mathbb{E}[y_i^2]`.

        Parameters
        ----------
        theta : array_like of shape (2,)
            ``[mu, sigma]``, sigma positive.

        Returns
        -------
        tuple of float
            :math:`(T_1, T_2)`.
        """
        first, second = self.tail_moments(theta)
        seen = self.y[~self.censored]
        return float(seen.sum() + first.sum()), float(np.sum(seen**2) + second.sum())

    def m_step(self, stats) -> np.ndarray:
        r""":math:`\mu = T_1/n`, :math:`\sigma = \sqrt{T_2/n - \mu^2}`.

        Parameters
        ----------
        stats : tuple of float
            :math:`(T_1, T_2)` from :meth:`e_step`.

        Returns
        -------
        ndarray of shape (2,)
            ``[mu, sigma]``.
        """
        t1, t2 = stats
        mu = t1 / self.n
        return np.array([mu, np.sqrt(max(t2 / self.n - mu**2, 0.0))])

    def log_likelihood(self, theta) -> float:
        """Observed-data log-likelihood: densities of the values, tail probabilities of the
        bounds.

        Parameters
        ----------
        theta : array_like of shape (2,)
            ``[mu, sigma]``, sigma positive.

        Returns
        -------
        float
            The observed-data log-likelihood.
        """
        from scipy.special import log_ndtr

        mu, sigma = self._theta(theta)
        z = (self.y - mu) / sigma
        seen = -0.5 * z[~self.censored] ** 2 - np.log(sigma) - 0.5 * _LOG_2PI
        tails = log_ndtr(-self._sign * z[self.censored])
        return float(seen.sum() + tails.sum())

    def complete_information(self, theta) -> np.ndarray:
        r"""Expected complete-data information for ``[mu, sigma]``, a (2, 2) array.

        With :math:`R = \sum_i (y_i - \mu)` and :math:`S = \sum_i (y_i - \mu)^2`
        replaced by their conditional expectations,
        :math:`I_{\\text{com}} = \begin{pmatrix} n/\sigma^2 & 2R/\sigma^3 \\
        2R/\sigma^3 & 3S/\sigma^4 - n/\sigma^2 \end{pmatrix}`.
        The optional hook of :func:`emcore.standard_errors` (``method="sem"``).

        Parameters
        ----------
        theta : array_like of shape (2,)
            ``[mu, sigma]``, sigma positive.

        Returns
        -------
        ndarray of shape (2, 2)
            The expected complete-data information.
        """
        mu, sigma = self._theta(theta)
        t1, t2 = self.e_step(theta)
        r = t1 - self.n * mu
        s = t2 - 2 * mu * t1 + self.n * mu**2
        cross = 2 * r / sigma**3
        return np.array([[self.n / sigma**2, cross], [cross, 3 * s / sigma**4 - self.n / sigma**2]])

    # -- the sampled E-step (emcore.montecarlo) ----------------------------------------
    def sample_missing(self, theta, size: int, rng) -> np.ndarray:
        """``size`` draws of the censored values beyond their bounds, shape (size, n_censored).

        By inversion: a uniform :math:`u` gives the point whose tail probability
        is :math:`u` times the bound's, computed on the log scale.

        Parameters
        ----------
        theta : array_like of shape (2,)
            ``[mu, sigma]``, sigma positive.
        size : int
            The number of draws.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        ndarray of shape (size, n_censored)
            The draws.
        """
        from scipy.special import log_ndtr, ndtri_exp

        mu, sigma = self._theta(theta)
        s = self._sign
        alpha = (s * self.y[self.censored] - s * mu) / sigma      # standardised bound of s*y
        u = rng.uniform(size=(size, alpha.size))
        z = -ndtri_exp(np.log1p(-u) + log_ndtr(-alpha))          # P(Z > z) = (1-u) P(Z > a)
        return s * (s * mu + sigma * np.maximum(z, alpha))

    def complete_statistics(self, draws) -> np.ndarray:
        r"""Per draw, :math:`(T_1, T_2) = (\sum_i y_i, \sum_i y_i^2)` with the censored
        values filled in, shape (size, 2).

        Parameters
        ----------
        draws : array_like of shape (size, n_censored)
            Draws of the censored values (:meth:`sample_missing`).

        Returns
        -------
        ndarray of shape (size, 2)
            :math:`(T_1, T_2)` per draw.
        """
        draws = np.atleast_2d(draws)
        seen = self.y[~self.censored]
        return np.column_stack([seen.sum() + draws.sum(axis=1),
                                np.sum(seen**2) + np.sum(draws**2, axis=1)])

    def complete_log_likelihood(self, theta, draws) -> np.ndarray:
        """Per draw, the normal log-likelihood of the filled-in sample, shape (size,).

        Parameters
        ----------
        theta : array_like of shape (2,)
            ``[mu, sigma]``, sigma positive.
        draws : array_like of shape (size, n_censored)
            Draws of the censored values (:meth:`sample_missing`).

        Returns
        -------
        ndarray of shape (size,)
            The complete-data log-likelihood per draw.
        """
        mu, sigma = self._theta(theta)
        t1, t2 = self.complete_statistics(draws).T
        squares = t2 - 2 * mu * t1 + self.n * mu**2
        return -0.5 * squares / sigma**2 - self.n * (np.log(sigma) + 0.5 * _LOG_2PI)
