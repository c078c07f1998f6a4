"""Exponential data with values missing at random: the book's first EM model."""

from __future__ import annotations

import numpy as np

from .._checks import as_count, as_float_array, as_positive_scalar
from .expfamily import ExponentialFamilyEM

__all__ = ["ExponentialMissing"]


class ExponentialMissing(ExponentialFamilyEM):
    r"""I.i.d. exponential data with rate :math:`\theta`, some values missing.

    The complete data are :math:`y_1, \dots, y_n \sim \text{Exp}(\theta)`
    with density :math:`\theta e^{-\theta y}`; the values ``observed`` are
    seen and ``n_missing`` more are missing completely at random.
    With :math:`T = \sum_i y_i` the complete-data log-likelihood is
    :math:`n \log\theta - \theta T`, so

    * E-step: :math:`E[T \mid y_{obs}, \theta_t] = \sum y_{obs} + m / \theta_t`;
    * M-step: :math:`\theta_{t+1} = n / E[T \mid y_{obs}, \theta_t]`;
    * observed-data log-likelihood: :math:`n_{obs}\log\theta - \theta \sum y_{obs}`,
      maximised in closed form by :math:`\hat\theta = n_{obs} / \sum y_{obs}`
      (:meth:`mle`).

    Parameters are a positive float, the rate :math:`\theta`. The complete
    data form an exponential family in :math:`T`, so the E- and M-steps are
    those of :class:`ExponentialFamilyEM`: :meth:`expected_statistic` and
    :meth:`params_from_mean`, the inverse of :math:`\mathbb{E}_\theta[T] = n/\theta`;
    the missing information :math:`\operatorname{Var}(T \mid y_{obs}) = m/\theta^2`
    against the complete :math:`n/\theta^2` gives the rate :math:`m/n`.

    Parameters
    ----------
    observed : array_like of shape (n_obs,)
        The observed values, positive and finite; at least one.
    n_missing : int
        How many values are missing (>= 0).

    See Also
    --------
    emcore.run_em : Fits it.
    emcore.em_rate : Its rate of convergence, the fraction of information missing.
    emcore.standard_errors : Its standard errors by three methods.
    emcore.models.ExponentialFamilyEM : The base class.

    Examples
    --------
    Givens & Hoeting's toy example: :math:`y_1 = 5` seen, :math:`y_2` missing.

    >>> from emcore.models import ExponentialMissing
    >>> model = ExponentialMissing([5.0], n_missing=1)
    >>> model.m_step(model.e_step(1.0))   # 2*1/(5*1 + 1)
    0.3333333333333333
    >>> model.mle()
    0.2
    """

    def __init__(self, observed, n_missing: int):
        self.observed = as_float_array(observed, "observed", ndim=1, positive=True)
        self.n_missing = as_count(n_missing, "n_missing")
        self.n_observed = self.observed.size
        self.n_total = self.n_observed + self.n_missing
        self.observed_sum = float(self.observed.sum())

    def _theta(self, theta) -> float:
        return as_positive_scalar(theta, "theta (the exponential rate)")

    def expected_statistic(self, theta) -> float:
        """Expected complete-data total :math:`E[T \\mid y_{obs}, \\theta]` (the E-step).

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The expected total.
        """
        return self.observed_sum + self.n_missing / self._theta(theta)

    def statistic_mean(self, theta) -> float:
        """The expectation map :math:`E_\\theta[T] = n / \\theta`.

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The expected complete-data total.
        """
        return self.n_total / self._theta(theta)

    def params_from_mean(self, t: float) -> float:
        """The rate maximising :math:`n\\log\\theta - \\theta\\,E[T]`: ``n / t`` (the M-step).

        Parameters
        ----------
        t : float
            An expected total, positive.

        Returns
        -------
        float
            The rate.
        """
        return self.n_total / t

    def statistic_variance(self, theta) -> float:
        """:math:`\\operatorname{Var}_\\theta(T) = n / \\theta^2`.

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The complete-data variance of :math:`T`.
        """
        return self.n_total / self._theta(theta) ** 2

    def conditional_statistic_variance(self, theta) -> float:
        """:math:`\\operatorname{Var}(T \\mid y_{obs}, \\theta) = m / \\theta^2` (the missing).

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The variance of :math:`T` given the observed values.
        """
        return self.n_missing / self._theta(theta) ** 2

    def log_likelihood(self, theta) -> float:
        """Observed-data log-likelihood :math:`n_{obs}\\log\\theta - \\theta\\sum y_{obs}`.

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The observed-data log-likelihood.
        """
        theta = self._theta(theta)
        return self.n_observed * float(np.log(theta)) - theta * self.observed_sum

    def q_function(self, theta, theta_t) -> float:
        """:math:`Q(\\theta \\mid \\theta_t) = n\\log\\theta -
        \\theta\\,E[T \\mid y_{obs}, \\theta_t]`.

        Parameters
        ----------
        theta : float
            The rate at which :math:`Q` is evaluated.
        theta_t : float
            The rate of the E-step.

        Returns
        -------
        float
            :math:`Q(\\theta \\mid \\theta_t)`.
        """
        theta = self._theta(theta)
        return self.n_total * float(np.log(theta)) - theta * self.e_step(theta_t)

    def complete_information(self, theta) -> float:
        """Expected complete-data information :math:`I_{\\text{com}}(\\theta) = n / \\theta^2`.

        The optional hook that :func:`emcore.standard_errors` uses for the
        ``"sem"`` and ``"louis"`` methods.

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The complete-data information.
        """
        # The natural parameter is -theta, so the information in theta is Var(T).
        return self.statistic_variance(theta)

    def complete_score_outer(self, theta) -> float:
        """:math:`\\mathbb{E}[S_c^2 \\mid y_{obs}, \\theta] =
        m/\\theta^2 + (n_{obs}/\\theta - \\sum y_{obs})^2`.

        The complete-data score is :math:`S_c = n/\\theta - T`, whose conditional
        variance is :math:`\\operatorname{Var}(T \\mid y_{obs}) = m/\\theta^2` and
        whose conditional mean is the observed score. The optional hook that
        :func:`emcore.standard_errors` uses for ``method="louis"``.

        Parameters
        ----------
        theta : float
            The rate, positive.

        Returns
        -------
        float
            The conditional second moment of the complete-data score.
        """
        theta = self._theta(theta)
        return (self.conditional_statistic_variance(theta)
                + (self.n_observed / theta - self.observed_sum) ** 2)

    def mle(self) -> float:
        """The observed-data maximum-likelihood estimate, in closed form.

        Returns
        -------
        float
            :math:`n_{obs} / \\sum y_{obs}`.
        """
        return self.n_observed / self.observed_sum
