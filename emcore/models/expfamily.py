r"""EM when the complete data form an exponential family: steps and missing information from T.

If the complete-data density is :math:`h(x, z) \exp(\eta(\theta)^\top T(x, z) - A(\theta))`
(Dempster, Laird & Rubin 1977, §2), then

* the E-step is the expected sufficient statistic,
  :math:`t^{(t)} = \mathbb{E}[T \mid x, \theta^{(t)}]`;
* the M-step matches moments: :math:`\theta^{(t+1)}` solves
  :math:`\mathbb{E}_\theta[T] = t^{(t)}`, i.e. it is the inverse of the
  expectation map :math:`\mu(\theta) = \mathbb{E}_\theta[T]` applied to :math:`t^{(t)}`;
* in the natural parameter the complete information is :math:`\operatorname{Var}_\theta(T)`
  and the missing information is :math:`\operatorname{Var}(T \mid x, \theta)`, so
  the EM map's Jacobian at a fixed point is
  :math:`\operatorname{Var}_\theta(T)^{-1}\operatorname{Var}(T \mid x, \theta)` and its
  eigenvalues are the fractions of missing information, whatever the parametrisation.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from ..em import EMModel

__all__ = ["ExponentialFamilyEM"]


class ExponentialFamilyEM(EMModel):
    r"""Base of an EM model whose complete data are an exponential family in :math:`T`.

    A subclass supplies

    * :meth:`expected_statistic` -- :math:`\mathbb{E}[T \mid x, \theta]`;
    * :meth:`statistic_mean` -- the expectation map :math:`\mu(\theta) = \mathbb{E}_\theta[T]`;
    * :meth:`params_from_mean` -- its inverse, :math:`\mu^{-1}(t)`;
    * :meth:`statistic_variance` and :meth:`conditional_statistic_variance` --
      :math:`\operatorname{Var}_\theta(T)` and :math:`\operatorname{Var}(T \mid x, \theta)`;
    * :meth:`~emcore.EMModel.log_likelihood`.

    and gets :meth:`e_step` (the first), :meth:`m_step` (the third) and
    :meth:`missing_fractions`, the eigenvalues of
    :math:`\operatorname{Var}_\theta(T)^{+}\operatorname{Var}(T \mid x, \theta)`: at
    the maximum, EM's rate is the largest (:func:`emcore.em_rate` computes the
    same number by differentiating the EM map). A statistic with a fixed
    total (counts summing to ``n``) has a singular variance; the
    pseudo-inverse then works on the directions in which :math:`T` varies.

    :class:`ExponentialMissing` and :class:`MixingProportion` are built on it.

    See Also
    --------
    emcore.EMModel : The base of every model.
    emcore.models.ExponentialMissing : A one-parameter subclass.
    emcore.models.MixingProportion : A subclass with vector parameters.
    emcore.em_rate : The rate that ``missing_fractions`` predicts.

    Examples
    --------
    Normal data with unit variance, three of them missing: :math:`T = \sum_i y_i`.

    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.models import ExponentialFamilyEM
    >>> class NormalMeanMissing(ExponentialFamilyEM):
    ...     def __init__(self, observed, n_missing):
    ...         self.y, self.m = np.asarray(observed, dtype=float), n_missing
    ...         self.n = self.y.size + n_missing
    ...     def expected_statistic(self, theta):
    ...         return self.y.sum() + self.m * theta
    ...     def statistic_mean(self, theta):
    ...         return self.n * theta
    ...     def params_from_mean(self, t):
    ...         return t / self.n
    ...     def statistic_variance(self, theta):
    ...         return float(self.n)
    ...     def conditional_statistic_variance(self, theta):
    ...         return float(self.m)
    ...     def log_likelihood(self, theta):
    ...         return float(-0.5 * np.sum((self.y - theta) ** 2))
    >>> model = NormalMeanMissing([1.0, 2.0, 6.0], n_missing=3)
    >>> print(f"{run_em(model, 0.0, tol=1e-12).theta:.8f}", model.missing_fractions(3.0))
    3.00000000 [0.5]
    """

    @abstractmethod
    def expected_statistic(self, theta):
        r""":math:`\mathbb{E}[T \mid x, \theta]`.

        Parameters
        ----------
        theta : object
            The model's parameters.

        Returns
        -------
        float or ndarray
            The expected sufficient statistic.
        """

    @abstractmethod
    def statistic_mean(self, theta):
        r"""The expectation map :math:`\mathbb{E}_\theta[T]`.

        Parameters
        ----------
        theta : object
            The model's parameters.

        Returns
        -------
        float or ndarray
            The complete-data mean of the sufficient statistic.
        """

    @abstractmethod
    def params_from_mean(self, t):
        r"""The parameters :math:`\theta` with :math:`\mathbb{E}_\theta[T] = t`.

        Parameters
        ----------
        t : float or ndarray
            A value of the sufficient statistic's mean.

        Returns
        -------
        object
            The model's parameters.
        """

    @abstractmethod
    def statistic_variance(self, theta):
        r""":math:`\operatorname{Var}_\theta(T)`: the complete information (natural parameter).

        Parameters
        ----------
        theta : object
            The model's parameters.

        Returns
        -------
        float or ndarray
            The complete-data variance (a matrix for a vector statistic).
        """

    @abstractmethod
    def conditional_statistic_variance(self, theta):
        r""":math:`\operatorname{Var}(T \mid x, \theta)`: the missing information (natural).

        Parameters
        ----------
        theta : object
            The model's parameters.

        Returns
        -------
        float or ndarray
            The variance given the observed data (a matrix for a vector statistic).
        """

    def e_step(self, theta):
        r"""The E-step: :math:`\mathbb{E}[T \mid x, \theta]` (:meth:`expected_statistic`).

        Parameters
        ----------
        theta : object
            The model's parameters.

        Returns
        -------
        float or ndarray
            The expected sufficient statistic.
        """
        return self.expected_statistic(theta)

    def m_step(self, stats):
        r"""The M-step, moment matching: :math:`\mathbb{E}_\theta[T] =` ``stats``.

        (:meth:`params_from_mean`.)

        Parameters
        ----------
        stats : float or ndarray
            The E-step's expected sufficient statistic.

        Returns
        -------
        object
            The parameters that match it.
        """
        return self.params_from_mean(stats)

    def missing_fractions(self, theta) -> np.ndarray:
        r"""The eigenvalues of :math:`V_c^{+} V_m`, largest first.

        Here :math:`V_c = \operatorname{Var}_\theta(T)` and
        :math:`V_m = \operatorname{Var}(T \mid x, \theta)`.

        At a maximum they are the eigenvalues of the EM map's Jacobian; the
        largest is EM's rate. Directions in which :math:`T` cannot vary
        (a fixed total) give 0.

        Parameters
        ----------
        theta : object
            The model's parameters.

        Returns
        -------
        ndarray
            The fractions of missing information, largest first.
        """
        complete = np.atleast_2d(np.asarray(self.statistic_variance(theta), dtype=float))
        missing = np.atleast_2d(np.asarray(self.conditional_statistic_variance(theta), dtype=float))
        eig = np.linalg.eigvals(np.linalg.pinv(complete, hermitian=True) @ missing)
        return np.sort(eig.real)[::-1]
