"""The protocol of a model whose E-step is sampled, the result of a sampled run, and the
Monte Carlo errors the runs share."""

from __future__ import annotations

import dataclasses
import itertools
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

    #: True when ``local_statistics`` depends on ``theta`` (a quadratic expansion of Q):
    #: ``mc_m_step`` then repeats the M-step until it is a fixed point (Newton's method).
    statistics_move_with_theta = False

    def local_statistics(self, theta, draws) -> np.ndarray:
        r"""Per draw, statistics whose average :meth:`m_step` maps to the next parameters.

        The default is :meth:`complete_statistics` (``theta`` unused). A model whose
        complete-data log-likelihood has no finite statistics (a GLMM's fixed effects)
        returns those of its second-order expansion at ``theta`` -- per draw the gradient
        :math:`g` and the negative Hessian :math:`H` as :math:`(g + H\beta, H)`, so that
        the M-step :math:`H^{-1}(g + H\beta)` is a Newton step -- and sets
        ``statistics_move_with_theta``. SAEM averages these with its step sizes, so it
        keeps a fixed number of numbers however long it runs.

        Parameters
        ----------
        theta : float or 1-D numpy.ndarray
            Where a quadratic expansion is taken (unused by the default).
        draws : numpy.ndarray of shape (size, ...)
            Draws of the missing data (:meth:`sample_missing`).

        Returns
        -------
        numpy.ndarray of shape (size, k)
            One row of statistics per draw.
        """
        return self.complete_statistics(draws)

    def mc_m_step(self, theta, draws, weights=None) -> Any:
        """The maximiser of the average complete-data log-likelihood over ``draws``.

        :meth:`m_step` of the (weighted) mean :meth:`local_statistics`, repeated from
        the result until it stops moving when they depend on ``theta``.

        Parameters
        ----------
        theta : float or 1-D numpy.ndarray
            The current parameters: where an iterative maximiser starts.
        draws : numpy.ndarray of shape (size, ...)
            Draws of the missing data (:meth:`sample_missing`).
        weights : numpy.ndarray of shape (size,), optional
            Weights of the draws; a plain average when None.

        Returns
        -------
        float or 1-D numpy.ndarray
            The new parameters.
        """
        n = np.shape(draws)[0]
        w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights) / np.sum(weights)
        for _ in range(100 if self.statistics_move_with_theta else 1):
            new = self.m_step(w @ np.asarray(self.local_statistics(theta, draws), dtype=float))
            step = np.max(np.abs(np.asarray(new, dtype=float) - np.asarray(theta, dtype=float)))
            theta = new
            if step < 1e-10 * (1 + np.max(np.abs(np.asarray(new, dtype=float)))):
                break
        return theta


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


def _vector(theta):
    return np.atleast_1d(np.asarray(theta, dtype=float))


def _m_step_jacobian(model, stats_mean):
    """The Jacobian of ``m_step`` at the statistics ``stats_mean`` (central differences)."""
    s = np.asarray(stats_mean, dtype=float)
    J = np.empty((_vector(model.m_step(s)).size, s.size))
    for i in range(s.size):
        h = 1e-6 * max(1.0, abs(s[i]))
        up, down = s.copy(), s.copy()
        up[i] += h
        down[i] -= h
        J[:, i] = (_vector(model.m_step(up)) - _vector(model.m_step(down))) / (2 * h)
    return J


def _autocorrelation_time(series):
    r"""Per column of ``series`` (n, d), the integrated autocorrelation time
    :math:`\tau = 1 + 2\sum_{k \ge 1}\rho_k` by Geyer's (1992) initial monotone sequence:
    the sums of adjacent autocorrelations :math:`\rho_{2j} + \rho_{2j+1}` are added while
    positive, each capped by the one before. Independent draws give about 1; the variance
    of a mean of ``n`` correlated draws is :math:`\tau` times that of independent ones."""
    x = series - series.mean(axis=0)
    n = x.shape[0]
    size = 1 << (2 * n - 1).bit_length()              # zero padding to a power of two: fast
    spectrum = np.fft.rfft(x, size, axis=0)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=0)[:n]
    safe = np.where(acov[0] > 0, acov[0], 1.0)
    rho = acov / safe
    pairs = rho[0:n - 1:2] + rho[1:n:2]
    tau = np.ones(x.shape[1])
    for j in np.flatnonzero(acov[0] > 0):
        negative = np.flatnonzero(pairs[:, j] <= 0)
        kept = pairs[:negative[0] if negative.size else pairs.shape[0], j]
        tau[j] = -1.0 + 2.0 * np.sum(np.minimum.accumulate(kept)) if kept.size else 1.0
    return np.maximum(tau, 1.0 / n)


def _long_run_cov(series):
    """The covariance of the mean of ``series`` (n, d) times n: the columns' covariance, each
    column's variance scaled by its autocorrelation time (Markov chain draws; estimated from
    the first 65536 rows, plenty for it)."""
    cov = np.atleast_2d(np.cov(series, rowvar=False))
    root = np.sqrt(_autocorrelation_time(series[:1 << 16]))
    return cov * np.outer(root, root)


def _final_cov(model, theta, draws, weights=None, n_batches=10):
    """The covariance of ``mc_m_step`` on ``draws`` from its Monte Carlo noise: the delta method
    through :meth:`SampledEMModel.local_statistics` at ``theta`` (a fixed point of the M-step on
    these draws), with each projected statistic's autocorrelation time allowed for; without
    statistics, the spread of the M-step over ``n_batches`` contiguous batches (batch means)."""
    try:
        stats = np.asarray(model.local_statistics(theta, draws), dtype=float)
    except NotImplementedError:
        fits = np.array([_vector(model.mc_m_step(theta, draws[idx], None if weights is None
                                                 else weights[idx]))
                         for idx in np.array_split(np.arange(len(draws)), n_batches)])
        return np.atleast_2d(np.cov(fits, rowvar=False)) / n_batches
    projected = stats @ _m_step_jacobian(model, stats.mean(axis=0)).T
    return _long_run_cov(projected) / stats.shape[0]


def _final_se(model, theta, draws, weights=None):
    """Standard errors of ``mc_m_step`` on ``draws`` (``_final_cov``), shaped like ``theta``."""
    cov = _final_cov(model, theta, draws, weights)
    return _shape_like(theta, np.sqrt(np.clip(np.diag(cov), 0, None)))


def _map_derivative(model, theta, chunks):
    r"""The derivative :math:`D = \partial\,\mathbb E[S(\theta, z) \mid x, \theta] / \partial\theta`
    of the expected local statistics, (k, d), from chunks of draws at ``theta``: the explicit
    dependence plus :math:`\operatorname{Cov}(S, \partial_\theta \log p(x, z \mid \theta))`
    (Fisher's identity; the score by central differences, draw by draw). No common random
    numbers are needed, so it holds for Markov chain draws too; the explicit part, smooth in
    the draws, from the first chunk. Returns D, the statistics' mean and their covariance per
    draw (chunks bound the memory)."""
    vec = _vector(theta)
    n, sums, explicit_n = 0, None, 0
    for draws in chunks:
        stats = np.asarray(model.local_statistics(theta, draws), dtype=float)
        score = np.empty((stats.shape[0], vec.size))
        explicit = np.zeros((stats.shape[1], vec.size))
        for j in range(vec.size):
            h = 1e-5 * max(1.0, abs(vec[j]))
            up, down = vec.copy(), vec.copy()
            up[j] += h
            down[j] -= h
            up, down = _shape_like(theta, up), _shape_like(theta, down)
            score[:, j] = (np.asarray(model.complete_log_likelihood(up, draws))
                           - np.asarray(model.complete_log_likelihood(down, draws))) / (2 * h)
            if model.statistics_move_with_theta and n == 0:
                explicit[:, j] = (np.asarray(model.local_statistics(up, draws)).mean(axis=0)
                                  - np.asarray(model.local_statistics(down, draws)).mean(axis=0)
                                  ) / (2 * h)
        parts = (stats.sum(axis=0), score.sum(axis=0), stats.T @ score, stats.T @ stats)
        sums = parts + (explicit,) if sums is None else tuple(
            a + b for a, b in zip(sums, parts + (0.0,)))
        n += stats.shape[0]
    s_sum, score_sum, cross, square, explicit = sums
    mean = s_sum / n
    D = explicit + (cross - np.outer(mean, score_sum)) / (n - 1)
    return D, mean, (square - n * np.outer(mean, mean)) / (n - 1)


def _em_jacobian(model, theta, chunks):
    """EM's map near ``theta`` in terms of the statistics: (J, D, mean, cov), ``J`` the
    M-step's Jacobian (d, k), ``D`` the expected statistics' derivative (k, d), and the
    statistics' mean and covariance per draw; ``J @ D`` is the Jacobian of the map on the
    parameters (its largest eigenvalue EM's rate), ``D @ J`` that on the statistics. All
    None when the model has no statistics."""
    try:
        D, mean, cov = _map_derivative(model, theta, chunks)
    except NotImplementedError:
        return None, None, None, None
    return _m_step_jacobian(model, mean), D, mean, cov


def _is_contraction(M):
    return bool(np.all(np.isfinite(M)) and np.max(np.abs(np.linalg.eigvals(M))) < 0.999)


def _carried_through(model, theta, step_cov, draws):
    r"""The last update's Monte Carlo covariance ``step_cov`` carried through EM's map.

    Near the limit :math:`\theta_{t+1} - \theta^* \approx M(\theta_t - \theta^*) + \varepsilon_t`,
    so the error of the last iterate has covariance :math:`V = \sum_k M^k C M^{\top k}`,
    :math:`C` = ``step_cov``, :math:`M = JD` (``_em_jacobian``, from ``draws``). When the
    estimated :math:`M` is not a contraction (or there are no statistics), :math:`C` is
    returned as it is. Standard errors shaped like ``theta``."""
    J, D, _, _ = _em_jacobian(model, theta, [draws])
    V = np.atleast_2d(step_cov).copy()
    if J is not None and _is_contraction(J @ D):
        M, term = J @ D, V.copy()
        for _ in range(10_000):
            term = M @ term @ M.T
            V += term
            if np.max(np.abs(term)) <= 1e-12 * np.max(np.abs(V)):
                break
    return _shape_like(theta, np.sqrt(np.clip(np.diag(V), 0, None)))


def _saem_cov(model, theta, step_sizes, sample_size, chunks):
    r"""The Monte Carlo covariance of SAEM's last iterate.

    Linearised about the limit, the statistics' error :math:`e_t = s_t - s^*` follows
    :math:`e_t = (I - \eta_t (I - DJ))\, e_{t-1} + \eta_t \xi_t` (``_em_jacobian``), with
    :math:`\xi_t` the noise of one iteration's average of ``sample_size`` draws (covariance
    :math:`C`); the parameters' error :math:`u_t = J e_t` then follows
    :math:`u_t = (I - \eta_t(I - M))\, u_{t-1} + \eta_t J\xi_t`, :math:`M = JD` EM's map on the
    parameters. Its covariance obeys :math:`P_t = B_t P_{t-1} B_t^\top + \eta_t^2 JCJ^\top`,
    :math:`B_t = I - \eta_t(I - M)`, run here over the step sizes actually used. When EM's
    rate :math:`\lambda` exceeds 1/2 and :math:`\eta_t = 1/t`, :math:`P_t` falls only like
    :math:`t^{-2(1-\lambda)}`, not :math:`1/t`. ``chunks`` are fresh draws at ``theta`` (one
    chain each: with ``sample_size > 1`` the first chunk's autocorrelation times scale
    :math:`C`); when the estimated :math:`M` is not a contraction, :math:`M = 0` (the noise
    of the statistics alone)."""
    chunks = iter(chunks)
    first = next(chunks)
    J, D, mean, C = _em_jacobian(model, theta, itertools.chain([first], chunks))
    if sample_size > 1:
        root = np.sqrt(_autocorrelation_time(
            np.asarray(model.local_statistics(theta, first), dtype=float)))
        C = C * np.outer(root, root)
    noise = J @ np.atleast_2d(C) @ J.T / sample_size
    M = J @ D if _is_contraction(J @ D) else np.zeros_like(noise)
    eye, P = np.eye(M.shape[0]), np.zeros_like(noise)
    for eta in step_sizes:
        B = eye - eta * (eye - M)
        P = B @ P @ B.T + eta**2 * noise
    return P
