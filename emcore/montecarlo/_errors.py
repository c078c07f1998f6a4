"""The Monte Carlo errors the sampled runs share: of the last M-step on its draws
(MCEM, stochastic EM), carried through EM's map near the limit (MCEM), and of SAEM's
last iterate, from the Jacobians of the M-step and of the expected statistics."""

from __future__ import annotations

import itertools

import numpy as np

from .._autocorrelation import autocorrelations
from .._rate import central_differences
from ._protocol import _shape_like

__all__ = ["_autocorrelation_time", "_carried_through", "_final_cov", "_final_se",
           "_m_step_jacobian", "_saem_cov"]


def _vector(theta):
    return np.atleast_1d(np.asarray(theta, dtype=float))


def _m_step_jacobian(model, stats_mean):
    """The Jacobian of ``m_step`` at the statistics ``stats_mean`` (central differences)."""
    s = np.asarray(stats_mean, dtype=float)
    return central_differences(lambda x: _vector(model.m_step(x)), s,
                               1e-6 * np.maximum(1.0, np.abs(s)))


def _autocorrelation_time(series):
    r"""Per column of ``series`` (n, d), the integrated autocorrelation time
    :math:`\tau = 1 + 2\sum_{k \ge 1}\rho_k` by Geyer's (1992) initial monotone sequence:
    the sums of adjacent autocorrelations :math:`\rho_{2j} + \rho_{2j+1}` are added while
    positive, each capped by the one before. Independent draws give about 1; the variance
    of a mean of ``n`` correlated draws is :math:`\tau` times that of independent ones."""
    n = series.shape[0]
    rho = autocorrelations(series, n - 1)       # a constant column: 1, 0, 0, ...: tau = 1
    pairs = rho[0:n - 1:2] + rho[1:n:2]
    tau = np.ones(rho.shape[1])
    for j in range(rho.shape[1]):
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
    h = 1e-5 * np.maximum(1.0, np.abs(vec))
    n, sums = 0, None
    for draws in chunks:
        stats = np.asarray(model.local_statistics(theta, draws), dtype=float)
        score = central_differences(lambda v: np.asarray(
            model.complete_log_likelihood(_shape_like(theta, v), draws), dtype=float), vec, h)
        explicit = np.zeros((stats.shape[1], vec.size))
        if model.statistics_move_with_theta and n == 0:
            explicit = central_differences(lambda v: np.asarray(
                model.local_statistics(_shape_like(theta, v), draws), dtype=float).mean(axis=0),
                vec, h)
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
