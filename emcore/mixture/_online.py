"""Online (stepwise) EM for :class:`emcore.GaussianMixture` (Cappé & Moulines 2009).

One call of ``partial_fit`` on a batch ``X_t`` does

1. the E-step on the batch at the current parameters (the batch estimator's
   :func:`._stats.e_step`), giving its statistics per unit weight ``s_t``;
2. ``s <- (1 - gamma_t) s + gamma_t s_t`` with ``gamma_t = (t + t0)^(-alpha)``;
3. the M-step (:func:`._mstep.m_step`, with the prior if one is set) on ``s``.

The running statistics ``s`` are kept about one fixed point, the first
batch's weighted mean, so that batches with different centres add up:
each batch's statistics are re-expressed about it with
:meth:`._stats.SufficientStats.about`. Everything that depends on the data
beyond the statistics -- the reference point, the scale of the collapse
check, the values of ``prior="default"`` -- comes from the first batch.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ._checks import (check_estimator_params, check_inits, check_n_rows, check_random_state,
                      check_sample_weight, check_X)
from ._covariance import covariance_model
from ._model import initial_params
from ._mstep import m_step
from ._prior import ResolvedPrior, resolve_prior
from ._stats import MixtureData, MixtureParams, SufficientStats, e_step

__all__ = ["check_learning_rate", "partial_fit"]

#: Attributes that only ``fit`` sets; a first ``partial_fit`` removes stale ones.
FIT_ONLY = ("converged_", "n_iter_", "lower_bound_", "log_likelihood_history_", "log_posterior_history_")
#: Attributes that only ``partial_fit`` sets; ``fit`` removes them.
ONLINE_ONLY = ("n_batches_", "n_samples_seen_", "_online")


@dataclasses.dataclass
class _OnlineState:
    center: np.ndarray  # the fixed reference point (absolute coordinates)
    variance: float  # the first batch's mean variance, scale of the collapse check
    prior: ResolvedPrior | None  # mean relative to ``center``
    stats: SufficientStats  # running statistics per unit weight, about ``center``
    theta: MixtureParams  # current parameters, means relative to ``center``


def check_learning_rate(est) -> tuple[float, float]:
    """``(learning_decay, learning_offset)`` checked: ``0.5 < alpha <= 1``, ``t0 >= 0``."""
    alpha, t0 = est.learning_decay, est.learning_offset
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.5 < alpha <= 1:
        raise ValueError(f"learning_decay must be a number with 0.5 < learning_decay <= 1 (the "
                         f"Robbins-Monro conditions), got {alpha!r}")
    if isinstance(t0, bool) or not isinstance(t0, numbers.Real) or not (np.isfinite(t0) and t0 >= 0):
        raise ValueError(f"learning_offset must be a finite number >= 0, got {t0!r}")
    return float(alpha), float(t0)


def partial_fit(est, X, sample_weight=None):
    """One stepwise-EM update of ``est`` on the batch ``X``; see ``GaussianMixture.partial_fit``."""
    check_estimator_params(est)
    alpha, t0 = check_learning_rate(est)
    X = check_X(X)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n)
    k, cov_type = est.n_components, est.covariance_type
    state = getattr(est, "_online", None)
    if state is not None and state.center.size != d:
        raise ValueError(f"X has {d} features, but partial_fit started with {state.center.size}")
    data = MixtureData(X, w, cov_type, k)
    if state is None:
        state = _start(est, data, n, w)
    theta = state.theta.moved(state.center - data.center)
    stats, _ = e_step(data, theta)
    # the batch's statistics about the reference point, per unit weight
    stats.shift = stats.shift + (data.center - state.center)
    batch = _scaled(stats.about(np.zeros(d), cov_type), 1.0 / data.total_weight)
    t = int(getattr(est, "n_batches_", 0)) + 1
    if state.stats is None:  # nothing to average with: the first batch's statistics
        state.stats = batch
    else:
        gamma = (t + t0) ** -alpha
        state.stats = _blend(state.stats, batch, gamma)
    seen = float(getattr(est, "n_samples_seen_", 0.0)) + data.total_weight
    # with a prior, the statistics count as all the weight seen so far (as in a batch fit)
    running = state.stats if state.prior is None else _scaled(state.stats, seen)
    state.theta = m_step(running, cov_type, float(est.reg_covar), state.variance, state.prior)
    est._online, est.n_batches_, est.n_samples_seen_ = state, t, seen
    _set_params(est, state)
    return est


def _start(est, data, n, w):
    """The reference point, the prior and the starting parameters, from the first batch."""
    k = est.n_components
    check_n_rows(n if w is None else int(np.count_nonzero(w)), k, weighted=w is not None, of="the first batch")
    prior = resolve_prior(est.prior, data, k)
    if est.warm_start and hasattr(est, "means_"):
        if est.n_features_in_ != data.d:
            raise ValueError(f"X has {data.d} features, but the warm start has {est.n_features_in_}")
        theta = est._params().moved(-data.center)
    else:
        inits = check_inits(est, n, data.d)
        rng = check_random_state(est.random_state)
        theta = initial_params(data, k, est.init_params, inits, rng, float(est.reg_covar), prior)
    for name in FIT_ONLY:
        est.__dict__.pop(name, None)
    return _OnlineState(data.center.copy(), data.variance, prior, None, theta)


def _scaled(stats: SufficientStats, c: float) -> SufficientStats:
    return SufficientStats(stats.n * c, stats.first * c, stats.second * c, stats.shift)


def _blend(old: SufficientStats, new: SufficientStats, gamma: float) -> SufficientStats:
    """``(1 - gamma) old + gamma new``; both about the same shift."""
    mix = lambda a, b: (1.0 - gamma) * a + gamma * b  # noqa: E731
    return SufficientStats(mix(old.n, new.n), mix(old.first, new.first), mix(old.second, new.second),
                           old.shift)


def _set_params(est, state):
    theta = state.theta.moved(state.center)
    est.weights_, est.means_ = theta.weights, theta.means
    est.covariances_, est.precisions_cholesky_ = theta.covariances, theta.precisions_cholesky
    est.precisions_ = covariance_model(est.covariance_type).precisions(theta.precisions_cholesky)
    est.n_features_in_ = state.center.size
