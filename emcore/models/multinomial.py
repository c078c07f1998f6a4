"""A multinomial with a merged cell: Rao's genetic linkage example of EM."""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_count_array, as_open_unit
from ..em import EMModel

__all__ = ["GeneticLinkage"]

#: Rao's (1973) counts of 197 animals in four phenotype classes.
RAO_COUNTS = (125, 18, 20, 34)


def _as_counts(counts) -> np.ndarray:
    """``counts`` as 4 non-negative whole numbers whose MLE is interior, or an error naming it."""
    arr = as_count_array(counts, "counts", shape=(4,))
    if arr[1] + arr[2] == 0:
        raise ValueError("counts: cells 2 and 3 (probability (1 - theta)/4 each) "
                         "must not both be zero, or the MLE is theta = 1 on the boundary")
    if arr[3] == 0:
        raise ValueError("counts: cell 4 (probability theta/4) must be positive, "
                         "or the MLE can sit on the boundary theta = 0")
    return arr


class GeneticLinkage(EMModel):
    r"""Rao's genetic linkage model: a multinomial whose first cell is merged.

    Counts :math:`y = (y_1, y_2, y_3, y_4)` of :math:`n` animals follow a
    multinomial with cell probabilities

    .. math::

        \Bigl(\tfrac12 + \tfrac\theta4,\ \tfrac{1-\theta}4,\ \tfrac{1-\theta}4,
        \ \tfrac\theta4\Bigr),
        \qquad 0 < \theta < 1.

    Dempster, Laird & Rubin (1977) split the first cell into two latent cells
    with probabilities :math:`\tfrac12` and :math:`\tfrac\theta4`, counts
    :math:`y_1 - z` and :math:`z`. The complete-data log-likelihood is then
    :math:`(z + y_4)\log\theta + (y_2 + y_3)\log(1 - \theta)` plus a constant, so

    * E-step: :math:`\hat z = E[z \mid y, \theta_t] = y_1\,\theta_t / (2 + \theta_t)`
      (given :math:`y`, :math:`z` is binomial);
    * M-step: :math:`\theta_{t+1} = (\hat z + y_4) / (\hat z + y_2 + y_3 + y_4)`;
    * observed-data log-likelihood :math:`\sum_j y_j \log p_j(\theta)`, the exact
      multinomial log-likelihood *without* its constant :math:`\log\bigl(n! / \prod_j y_j!\bigr)`;
    * the MLE is the root in :math:`(0, 1)` of
      :math:`n\theta^2 - (y_1 - 2y_2 - 2y_3 - y_4)\,\theta - 2y_4 = 0` (:meth:`mle`).

    Parameters are a float :math:`\theta \in (0, 1)`.

    Parameters
    ----------
    counts : array_like of 4 ints, default (125, 18, 20, 34)
        The observed cell counts, non-negative whole numbers; cell 4 must be
        positive and cells 2 and 3 not both zero, so that the MLE lies inside
        :math:`(0, 1)`. The default is Rao's data.

    See Also
    --------
    emcore.run_em : Fits it.
    emcore.em_rate : Its rate of convergence.
    emcore.aitken : Extrapolates its iterates.

    Examples
    --------
    >>> from emcore import run_em
    >>> from emcore.models import GeneticLinkage
    >>> model = GeneticLinkage()
    >>> print(f"{model.mle():.9f}")
    0.626821498
    >>> result = run_em(model, theta0=0.5, tol=1e-12)
    >>> print(f"{result.theta:.9f} after {result.n_iter} iterations")
    0.626821498 after 14 iterations
    """

    def __init__(self, counts=RAO_COUNTS):
        self.counts = _as_counts(counts)
        self.n = int(self.counts.sum())

    def cell_probabilities(self, theta) -> np.ndarray:
        """The four cell probabilities at ``theta``.

        Parameters
        ----------
        theta : float
            The linkage parameter, in (0, 1).

        Returns
        -------
        ndarray of shape (4,)
            The cell probabilities.
        """
        theta = as_open_unit(theta, "theta")
        return np.array([0.5 + theta / 4, (1 - theta) / 4, (1 - theta) / 4, theta / 4])

    def e_step(self, theta) -> float:
        r"""Expected latent count :math:`E[z \mid y, \theta] = y_1\theta / (2 + \theta)`.

        Parameters
        ----------
        theta : float
            The linkage parameter, in (0, 1).

        Returns
        -------
        float
            The expected latent count.
        """
        theta = as_open_unit(theta, "theta")
        return float(self.counts[0]) * theta / (2.0 + theta)

    def m_step(self, stats: float) -> float:
        r"""The :math:`\theta` maximising Q, given the expected latent count ``stats``.

        Parameters
        ----------
        stats : float
            The expected latent count from :meth:`e_step`.

        Returns
        -------
        float
            The updated linkage parameter.
        """
        y1, y2, y3, y4 = (float(c) for c in self.counts)
        # y4 > 0 (checked in __init__), so the denominator is positive.
        return (stats + y4) / (stats + y2 + y3 + y4)

    def log_likelihood(self, theta) -> float:
        r"""Observed-data log-likelihood :math:`\sum_j y_j\log p_j(\theta)`.

        The multinomial coefficient :math:`\log(n!/\prod_j y_j!)` is left out:
        it does not depend on :math:`\theta`.

        Parameters
        ----------
        theta : float
            The linkage parameter, in (0, 1).

        Returns
        -------
        float
            The observed-data log-likelihood, without the constant.
        """
        logp = np.log(self.cell_probabilities(theta))
        return float(np.dot(self.counts, logp))

    def q_function(self, theta, theta_t) -> float:
        r""":math:`Q(\theta \mid \theta_t) = (\hat z + y_4)\log\theta + (y_2 + y_3)\log(1-\theta)`.

        Constants that do not depend on :math:`\theta` are left out.

        Parameters
        ----------
        theta : float
            Where :math:`Q` is evaluated, in (0, 1).
        theta_t : float
            The parameter of the E-step.

        Returns
        -------
        float
            :math:`Q(\theta \mid \theta_t)` up to a constant.
        """
        theta = as_open_unit(theta, "theta")
        z_hat = self.e_step(theta_t)
        y1, y2, y3, y4 = (float(c) for c in self.counts)
        return (z_hat + y4) * math.log(theta) + (y2 + y3) * math.log1p(-theta)

    def mle(self) -> float:
        """The observed-data maximum-likelihood estimate, a root of a quadratic.

        Returns
        -------
        float
            The positive root.
        """
        y1, y2, y3, y4 = (float(c) for c in self.counts)
        b = y1 - 2.0 * (y2 + y3) - y4
        # The product of the roots is -2 y4 / n < 0: exactly one root is positive.
        return (b + math.sqrt(b * b + 8.0 * self.n * y4)) / (2.0 * self.n)
