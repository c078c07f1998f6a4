"""The protocol of a model whose E-step is sampled, the result of a sampled run, and the
Monte Carlo errors the runs share."""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

__all__ = ["MCEMResult", "SampledEMModel"]


class SampledEMModel(ABC):
    r"""A model whose E-step is sampled: it draws the missing data and scores them.

    Subclasses implement

    * :meth:`sample_missing` -- ``size`` independent draws of the missing data
      from :math:`p(z \mid x, \theta)`, stacked along the first axis;
    * :meth:`complete_log_likelihood` -- :math:`\log p(x, z_j \mid \theta)` for each draw;
    * :meth:`complete_statistics` -- the complete-data sufficient statistics of
      each draw, a ``(size, k)`` array; :meth:`m_step` maps their mean to the
      parameters (as an exact E-step's expected statistics would be mapped).

    :meth:`mc_m_step` (the maximiser of the Monte Carlo average of the
    complete-data log-likelihood) defaults to ``m_step`` of the mean
    statistics; a model whose M-step needs the draws themselves (no finite
    statistics) overrides it and leaves the other two unimplemented.
    Parameters must be a float or a 1-D array. A model with an exact E-step
    as well (such as :class:`emcore.models.CensoredNormal`) can be run both
    ways, which is how the sampled methods are checked.

    See Also
    --------
    emcore.run_mcem : Monte Carlo EM on such a model.
    emcore.run_saem : Stochastic approximation EM on such a model.
    emcore.run_stochastic_em : Stochastic EM on such a model.
    emcore.EMModel : The contract of a model with an exact E-step.

    Examples
    --------
    Exponential lifetimes with rate ``theta``, two of them censored at 3 (known only to
    exceed it); the exact maximum likelihood estimate is 4 events / 10 time units = 0.4:

    >>> import numpy as np
    >>> from emcore import run_stochastic_em
    >>> from emcore.montecarlo import SampledEMModel
    >>> class CensoredExponential(SampledEMModel):
    ...     def __init__(self, observed, censored_at):
    ...         self.observed, self.c = np.asarray(observed), np.asarray(censored_at)
    ...         self.n = self.observed.size + self.c.size
    ...     def sample_missing(self, theta, size, rng):      # memoryless: c + Exp(theta)
    ...         return self.c + rng.exponential(1 / theta, size=(size, self.c.size))
    ...     def complete_log_likelihood(self, theta, draws):
    ...         return self.n * np.log(theta) - theta * (self.observed.sum() + draws.sum(axis=1))
    ...     def complete_statistics(self, draws):            # the total time, one column
    ...         return (self.observed.sum() + draws.sum(axis=1))[:, None]
    ...     def m_step(self, stats):
    ...         return self.n / stats[0]
    >>> model = CensoredExponential([0.5, 1.2, 0.3, 2.0], censored_at=[3.0, 3.0])
    >>> fit = run_stochastic_em(model, 1.0, n_iter=300, burn_in=50, random_state=0)
    >>> bool(abs(fit.theta - 0.4) < 4 * fit.mc_se)
    True
    """

    @abstractmethod
    def sample_missing(self, theta, size: int, rng: np.random.Generator):
        """``size`` draws of the missing data given the data and ``theta`` (first axis: draws).

        Parameters
        ----------
        theta : float or 1-D numpy.ndarray
            The parameters to draw under.
        size : int
            The number of draws.
        rng : numpy.random.Generator
            The source of randomness.

        Returns
        -------
        numpy.ndarray of shape (size, ...)
            The draws, stacked along the first axis.
        """

    @abstractmethod
    def complete_log_likelihood(self, theta, draws) -> np.ndarray:
        r"""The complete-data log-likelihood of each draw, shape ``(size,)``.

        Parameters
        ----------
        theta : float or 1-D numpy.ndarray
            The parameters.
        draws : numpy.ndarray of shape (size, ...)
            Draws of the missing data (:meth:`sample_missing`).

        Returns
        -------
        numpy.ndarray of shape (size,)
            :math:`\log p(x, z_j \mid \theta)` for each draw.
        """

    def complete_statistics(self, draws) -> np.ndarray:
        """The complete-data sufficient statistics of each draw, shape ``(size, k)``.

        A model without finite sufficient statistics (a GLMM's fixed effects)
        leaves this unimplemented and overrides :meth:`mc_m_step`.

        Parameters
        ----------
        draws : numpy.ndarray of shape (size, ...)
            Draws of the missing data (:meth:`sample_missing`).

        Returns
        -------
        numpy.ndarray of shape (size, k)
            One row of statistics per draw.
        """
        raise NotImplementedError(f"{type(self).__name__} has no finite sufficient statistics")

    def m_step(self, stats) -> Any:
        """The parameters from (averaged) complete-data statistics.

        Parameters
        ----------
        stats : numpy.ndarray of shape (k,)
            Averaged statistics (:meth:`complete_statistics`).

        Returns
        -------
        float or 1-D numpy.ndarray
            The parameters maximising the complete-data log-likelihood at ``stats``.
        """
        raise NotImplementedError(f"{type(self).__name__} has no statistics M-step")

    def mc_m_step(self, theta, draws, weights=None) -> Any:
        """The maximiser of the average complete-data log-likelihood over ``draws``.

        Parameters
        ----------
        theta : float or 1-D numpy.ndarray
            The current parameters: where an iterative maximiser starts (the default,
            :meth:`m_step` of the mean statistics, ignores them).
        draws : numpy.ndarray of shape (size, ...)
            Draws of the missing data (:meth:`sample_missing`).
        weights : numpy.ndarray of shape (size,), optional
            Weights of the draws (SAEM's decaying step sizes); a plain average when None.

        Returns
        -------
        float or 1-D numpy.ndarray
            The new parameters.
        """
        stats = np.asarray(self.complete_statistics(draws), dtype=float)
        if weights is None:
            return self.m_step(stats.mean(axis=0))
        return self.m_step(np.asarray(weights) @ stats / np.sum(weights))


@dataclasses.dataclass
class MCEMResult:
    """What :func:`run_mcem`, :func:`run_saem` and :func:`run_stochastic_em` return.

    Attributes
    ----------
    theta : float or numpy.ndarray
        The estimate.
    mc_se : float or numpy.ndarray
        Its Monte Carlo standard error (same shape): the spread a rerun with
        another seed would show around the same limit, not a statistical
        standard error.
    n_iter : int
        The number of iterations.
    converged : bool
        MCEM: the stopping rule was met. SAEM and stochastic EM run a fixed
        number of iterations and report True.
    message : str
        Why the run ended.
    theta_history : list
        The parameters at the start and after each iteration.
    sample_sizes : numpy.ndarray of int
        The number of draws each iteration used (MCEM: after any appending).
    n_draws : int
        All the draws made.

    See Also
    --------
    emcore.run_mcem : Returns it.
    emcore.EMResult : What the exact-E-step driver :func:`emcore.run_em` returns.

    Examples
    --------
    >>> from emcore import run_stochastic_em
    >>> from emcore.models import CensoredNormal
    >>> model = CensoredNormal([1.2, 0.3, 2.5, 1.9, 2.0, 2.0], censored=[0, 0, 0, 0, 1, 1])
    >>> fit = run_stochastic_em(model, model.initial_params(), n_iter=300, burn_in=50,
    ...                         random_state=0)
    >>> fit.n_iter, fit.converged, len(fit.theta_history), fit.n_draws
    (300, True, 301, 300)
    >>> fit.theta.shape == fit.mc_se.shape                 # an error for each parameter
    True
    """

    theta: Any
    mc_se: Any
    n_iter: int
    converged: bool
    message: str
    theta_history: list
    sample_sizes: np.ndarray
    n_draws: int


def _check(model, names):
    for name in names:
        if not callable(getattr(model, name, None)):
            raise TypeError(f"model must provide {', '.join(names)} (subclass "
                            f"emcore.montecarlo.SampledEMModel); {type(model).__name__} has no "
                            f"{name}()")


def _shape_like(theta, values):
    values = np.asarray(values, dtype=float)
    return float(values.ravel()[0]) if np.ndim(theta) == 0 else values.reshape(np.shape(theta))


def _finite(theta, where):
    if not np.all(np.isfinite(np.asarray(theta, dtype=float))):
        raise FloatingPointError(f"the parameters became NaN or infinite {where}: the sampled "
                                 "M-step left the parameter space")
    return theta


def _delta_se(model, stats_mean, stats_cov):
    """Standard errors of ``m_step(s)`` for ``s`` with covariance ``stats_cov`` (delta method,
    the Jacobian of the M-step by central differences)."""
    s = np.asarray(stats_mean, dtype=float)
    base = np.atleast_1d(np.asarray(model.m_step(s), dtype=float))
    J = np.empty((base.size, s.size))
    for i in range(s.size):
        h = 1e-6 * max(1.0, abs(s[i]))
        up, down = s.copy(), s.copy()
        up[i] += h
        down[i] -= h
        J[:, i] = (np.atleast_1d(np.asarray(model.m_step(up), dtype=float))
                   - np.atleast_1d(np.asarray(model.m_step(down), dtype=float))) / (2 * h)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, np.atleast_2d(stats_cov), J), 0, None))


def _carried_through(model, theta, step_se, size, seed):
    r"""``step_se`` (the last update's Monte Carlo error) carried through EM's map.

    Near the limit :math:`\theta_{t+1} - \theta^* \approx J(\theta_t - \theta^*) + \varepsilon_t`,
    so the error of the last iterate has covariance :math:`V = \sum_k J^k C J^{\top k}`,
    :math:`C = \operatorname{diag}(\text{step\_se}^2)`. The Jacobian :math:`J` of the map is
    taken by central differences with common random numbers (the same generator state
    at :math:`\theta \pm h`), which needs draws that move smoothly with :math:`\theta`
    (inversion sampling does). When the estimated :math:`J` is not a contraction,
    ``step_se`` is returned as it is.
    """
    vec = np.atleast_1d(np.asarray(theta, dtype=float))
    J = np.empty((vec.size, vec.size))
    for j in range(vec.size):
        h = 1e-5 * max(1.0, abs(vec[j]))
        moved = []
        for sign in (1, -1):
            point = vec.copy()
            point[j] += sign * h
            point = _shape_like(theta, point)
            draws = model.sample_missing(point, size, np.random.default_rng(seed))
            moved.append(np.atleast_1d(np.asarray(model.mc_m_step(point, draws), dtype=float)))
        J[:, j] = (moved[0] - moved[1]) / (2 * h)
    if not np.all(np.isfinite(J)) or np.max(np.abs(np.linalg.eigvals(J))) >= 0.999:
        return step_se
    C = np.diag(np.atleast_1d(np.asarray(step_se, dtype=float)) ** 2)
    V, term = C.copy(), C.copy()
    for _ in range(10_000):
        term = J @ term @ J.T
        V += term
        if np.max(np.abs(term)) <= 1e-12 * np.max(np.abs(V)):
            break
    return _shape_like(theta, np.sqrt(np.diag(V)))


def _final_se(model, theta, draws, weights=None, n_batches=10):
    """The Monte Carlo error of ``mc_m_step`` on ``draws``: the delta method through the
    statistics when the model has them, else the spread of the M-step over
    ``n_batches`` interleaved batches of the draws, divided by the root of their number."""
    try:
        stats = np.asarray(model.complete_statistics(draws), dtype=float)
    except NotImplementedError:
        fits = [np.atleast_1d(np.asarray(model.mc_m_step(
                    theta, draws[b::n_batches], None if weights is None else
                    weights[b::n_batches]), dtype=float)) for b in range(n_batches)]
        return _shape_like(theta, np.std(fits, axis=0, ddof=1) / math.sqrt(n_batches))
    cov = np.atleast_2d(np.cov(stats, rowvar=False)) / stats.shape[0]
    return _shape_like(theta, _delta_se(model, stats.mean(axis=0), cov))
