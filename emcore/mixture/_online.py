"""Online (stepwise) EM for :class:`emcore.GaussianMixture` (Cappé & Moulines 2009).

One call of ``partial_fit`` on a batch ``X_t`` does

1. the E-step on the batch at the current parameters (the batch estimator's
   :func:`._estep.e_step`), giving its statistics per unit weight ``s_t``;
2. ``s <- (1 - eta_t) s + eta_t s_t`` with the step size ``eta_t = (t + t_0)^(-kappa)``;
3. the M-step (:func:`emcore.gaussian.mstep.m_step`, with the prior if one is set) on ``s``.

The running statistics ``s`` are kept about one fixed point, the first
batch's weighted mean, so that batches with different centres add up:
each batch's statistics are moved to it (:meth:`emcore.gaussian.stats.SufficientStats.moved`)
and re-expressed about it (:meth:`emcore.gaussian.stats.SufficientStats.about`).
Everything that depends on the data beyond the statistics -- the reference
point and the values of ``prior="default"`` --
comes from the first batch.

:func:`online_step` takes a :class:`._config.FitConfig` and the previous
:class:`OnlineState` and returns the next one; the estimator stores it and
writes the fitted attributes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import check_random_state, check_sample_weight, check_X
from ..gaussian.mstep import m_step
from ..gaussian.stats import MixtureParams, SufficientStats
from ._config import check_inits, check_n_rows
from ._data import MixtureData
from ._model import initial_params
from ._prior import ResolvedPrior, resolve_prior

__all__ = ["OnlineState", "online_step"]


@dataclasses.dataclass(frozen=True)
class OnlineState:
    """Everything stepwise EM carries from one batch to the next."""

    center: np.ndarray  # the fixed reference point (absolute coordinates)
    prior: ResolvedPrior | None  # mean relative to ``center``
    stats: SufficientStats  # running statistics per unit weight, about ``center``
    theta: MixtureParams  # current parameters, means relative to ``center``
    n_batches: int  # batches seen, ``t``
    n_samples_seen: float  # their total weight
    # the last batch's mean log-likelihood before its step
    batch_log_likelihood: float = float("nan")


def online_step(config, state: OnlineState | None, X, sample_weight=None,
                warm: MixtureParams | None = None):
    """The state after one stepwise-EM update on the batch ``X``; see
    ``GaussianMixture.partial_fit``.

    ``state`` None starts afresh, from ``warm`` (fitted parameters in absolute
    coordinates) if given, else from ``config``'s initialisation.
    """
    X = check_X(X, missing=config.missing)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n)
    k, cov_type = config.n_components, config.covariance_type
    if state is not None and state.center.size != d:
        raise ValueError(f"X has {d} features, but GaussianMixture is expecting "
                         f"{state.center.size} features as input: partial_fit started with that "
                         "many")
    holes = config.missing == "marginalize"
    # with holes, a later batch is taken about the first one's centre: a column it never
    # observes has none
    center = state.center if holes and state is not None else None
    data = MixtureData(X, w, cov_type, k, n_jobs=config.jobs, missing=holes, center=center)
    if state is None:
        state = _start(config, data, n, w, warm)
    theta = state.theta.moved(state.center - data.center)
    stats, loglik = data.e_step(theta)
    # the batch's statistics about the reference point, per unit weight
    stats = stats.moved(data.center - state.center)
    batch = stats.about(np.zeros(d), cov_type).scaled(1.0 / data.total_weight)
    t = state.n_batches + 1
    if state.stats is None:  # nothing to average with: the first batch's statistics
        running = batch
    else:
        eta = (t + config.learning_offset) ** -config.learning_decay
        running = _blend(state.stats, batch, eta)
    seen = state.n_samples_seen + data.total_weight
    # with a prior, the statistics count as all the weight seen so far (as in a batch fit)
    totals = running if state.prior is None else running.scaled(seen)
    theta = m_step(totals, cov_type, config.reg_covar, state.prior)
    return dataclasses.replace(state, stats=running, theta=theta, n_batches=t, n_samples_seen=seen,
                               batch_log_likelihood=loglik / data.total_weight)


def _start(config, data, n, w, warm):
    """The reference point, the prior and the starting parameters, from the first batch."""
    k = config.n_components
    check_n_rows(n if w is None else int(np.count_nonzero(w)), k, weighted=w is not None,
                 of="the first batch")
    prior = resolve_prior(config.prior, data, k)
    if warm is not None:
        if warm.means.shape[1] != data.d:
            raise ValueError(f"X has {data.d} features, but the warm start has "
                             f"{warm.means.shape[1]}")
        theta = warm.moved(-data.center)
    else:
        inits = check_inits(config, n, data.d)
        rng = check_random_state(config.random_state)
        theta = initial_params(data, k, config.init_params, inits, rng, config.reg_covar, prior)
    return OnlineState(data.center.copy(), prior, None, theta, 0, 0.0)


def _blend(old: SufficientStats, new: SufficientStats, eta: float) -> SufficientStats:
    """``(1 - eta) old + eta new``, for the step size ``eta``; both about the same shift."""
    mix = lambda a, b: (1.0 - eta) * a + eta * b  # noqa: E731
    return SufficientStats(mix(old.n, new.n), mix(old.first, new.first),
                           mix(old.second, new.second), old.shift)
