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

from .._base import Progress
from .._checks import check_random_state, check_sample_weight, check_X
from ..gaussian.mstep import m_step
from ..gaussian.stats import MixtureParams, SufficientStats
from ._config import FitConfig, check_inits, check_n_rows
from ._model import MixtureData, initial_params
from ._prior import ResolvedPrior, resolve_prior

__all__ = ["OnlineMixin", "OnlineState", "online_step"]


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


class OnlineMixin:
    """:class:`GaussianMixture`'s ``partial_fit``: one step of online EM per call."""

    def partial_fit(self, X, y=None, *, sample_weight=None):
        """One step of online (stepwise) EM on the batch ``X``; returns ``self``.

        Call ``t`` (1, 2, ...): E-step on ``X`` at the current parameters;
        running statistics (per unit weight, about the first batch's mean)
        :math:`s \\leftarrow (1 - \\eta_t) s + \\eta_t s_X` with
        :math:`\\eta_t = (t + t_0)^{-\\kappa}` (``learning_offset`` :math:`t_0`,
        ``learning_decay`` :math:`\\kappa`); M-step on ``s`` (Cappé & Moulines 2009), with
        the ``prior`` if set (``s`` then counts as all the weight seen). The
        first call starts like :meth:`fit` with one initialisation (or, with
        ``warm_start``, from the fitted parameters) and ``s`` = its batch's
        statistics: it is one ordinary EM step. A later :meth:`fit` starts
        afresh. Sets the fitted parameters, ``n_features_in_``,
        ``n_batches_`` and ``n_samples_seen_``, not ``converged_`` or histories.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            One batch of samples.
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights of the batch's samples.

        Returns
        -------
        self
            The estimator, one online step further.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> gm = GaussianMixture(2, random_state=0)
        >>> for _ in range(50):
        ...     labels = rng.integers(2, size=200)
        ...     _ = gm.partial_fit(rng.normal(size=(200, 1)) + 6.0 * labels[:, None])
        >>> print(np.sort(gm.means_.ravel()).round(1), gm.n_batches_)
        [0. 6.] 50
        """
        config = FitConfig.of(self)
        state = getattr(self, "_online", None)
        warm = (self._params() if state is None and config.warm_start and hasattr(self, "means_")
                else None)
        progress = Progress(config.verbose, config.verbose_interval)
        if state is None:
            progress.initialisation(0)
        state = online_step(config, state, X, sample_weight, warm)
        progress.batch(state.n_batches, state.n_samples_seen, state.batch_log_likelihood)
        self._set_fitted(state.theta.moved(state.center), state.center.size, online=state)
        return self
