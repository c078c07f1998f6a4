"""``GaussianMixture.fit`` on a dask array: map-reduce EM over blocks of rows.

The E-step of a mixture is a sum over samples of sufficient statistics
(:class:`emcore.gaussian.stats.SufficientStats` and the log-likelihood), so it splits
over blocks of rows: every block runs the same chunked :func:`._estep.e_step`
as an in-memory fit, where the block lives, and only the block's sums --
``O(K d^2)`` numbers -- travel. They are added in a fixed tree (the same
order whatever the scheduler), and the M-step (:func:`emcore.gaussian.mstep.m_step`) runs
on the client. The loop is :func:`emcore.run_em`, as for in-memory data.

Each block is a :class:`._data.MixtureData` built once, where its rows
live, with the centre of the *whole* data; the summaries that pick the
E-step's numerical path (the largest distance from the centre) and scale
the M-step's checks (the variance) are combined over the blocks, so every
block takes the path the in-memory fit takes. The array is persisted
once; nothing of size ``n`` ever comes back to the client. Without a
``dask.distributed`` client this runs on dask's default (threaded)
scheduler -- in this process; with a client (created before ``fit``), on
its cluster.

Initialisation (unless weights, means and precisions are all given) runs
on the client on a uniform random sample of at most :data:`INIT_SAMPLE`
rows (all rows when there are fewer: the start is then the in-memory
one), carrying their sample weights; its parameters are moved to the whole
data's centre. ``prior="default"`` takes the whole data's moments (one more
map-reduce before the first iteration), as in memory.

Each block's E-step (and ``predict``-like methods on a block) runs its
chunks serially, ``n_jobs=1`` (:mod:`._pool`): dask parallelises over the
blocks itself, so threads inside a block would only compete with it.

This module imports dask: it is imported only when ``fit`` is given a dask array.
"""

from __future__ import annotations

import copy

import dask
import dask.array as da
import numpy as np

from .._checks import check_observed, check_sample_weight, nonfinite_message
from ..gaussian.stats import SufficientStats, exact_origin
from ._config import check_inits, check_n_rows
from ._data import MixtureData
from ._model import MixtureEM, initial_params
from ._prior import MixturePrior, default_prior_from_moments, one_component_stats, resolve_prior

__all__ = ["DaskMixtureData", "dask_problem", "map_rows"]

#: Largest number of rows the initialisation brings to the client.
INIT_SAMPLE = 20_000
#: Blocks' statistics added per node of the reduction tree.
FAN_IN = 8


def _block(X, w, cov_type, k, center, missing=False, fill=None):
    """One block of rows as a :class:`MixtureData` about the whole data's ``center`` (its holes
    filled by ``fill``)."""
    return MixtureData(X, None if w is None else np.asarray(w, dtype=np.float64), cov_type, k,
                       center=center, missing=missing, fill=fill)


def _summary(block):
    return block.radius2, block.var_sum, block.observed_weight


def _rows(block, idx):
    """Rows ``idx`` of a block and their weights (None without weights)."""
    return block.X[idx], None if block.weights is None else block.weights[idx]


def _block_e_step(block, params, radius2, stats):
    """The in-memory E-step on one block, with the whole data's radius (so the same path)."""
    return block.e_step(params, stats=stats, radius2=radius2)


def _moments_about(block, origin):
    """One block's weight and moments as one component's statistics about ``origin``, and 0."""
    return one_component_stats(block).about(origin, block.cov_type), 0.0


def _add(*parts):
    """Sum of ``(SufficientStats or None, loglik)`` parts, in the order given."""
    stats, loglik = parts[0]
    loglik = float(loglik)
    if stats is not None:
        stats = SufficientStats(stats.n.copy(), stats.first.copy(), stats.second.copy(),
                                stats.shift, stats.params)
    for other, ll in parts[1:]:
        loglik += ll
        if stats is not None:
            stats.n += other.n
            stats.first += other.first
            stats.second += other.second
    return stats, loglik


def _tree_sum(parts):
    """A fixed reduction tree over the blocks' delayed results (deterministic order)."""
    while len(parts) > 1:
        parts = [dask.delayed(_add)(*parts[i:i + FAN_IN]) for i in range(0, len(parts), FAN_IN)]
    return parts[0]


class DaskMixtureData:
    """A dask array ``X`` (and weights) as persisted blocks, with the whole data's summaries.

    Meets :class:`._data.FitData` (checked by a test): ``n``, ``d``,
    ``cov_type``, ``center``, ``total_weight``, ``radius2``, ``variance`` and
    ``e_step``; ``blocks`` the persisted per-block ``MixtureData``.
    """

    def __init__(self, X, w, cov_type: str, k: int, missing: str = "raise"):
        self.n, self.d = X.shape
        self.cov_type, self.k = cov_type, k
        self.X, self.w = dask.persist(X, w)
        xf = self.X.astype(np.float64)
        marginalize = missing == "marginalize"
        seen = ~da.isnan(xf) if marginalize else da.ones_like(xf, dtype=bool)
        xf = da.where(seen, xf, 0.0) if marginalize else xf
        if self.w is None:
            first, total, positive = xf.sum(axis=0), self.n, self.n
            col_weight = seen.sum(axis=0)
            w_ok = True
        else:
            first, total = (xf * self.w[:, None]).sum(axis=0), self.w.sum()
            col_weight = (seen * self.w[:, None]).sum(axis=0)
            positive = da.count_nonzero(self.w)
            w_ok = (da.isfinite(self.w).all(), (self.w >= 0).all())
        finite = ~da.isinf(self.X).any() if marginalize else da.isfinite(self.X).all()
        # the range of the observed entries with weight
        kept = True if self.w is None else (self.w > 0)[:, None]
        kept = (seen & kept) if marginalize else kept
        low = da.where(kept, xf, np.inf).min(axis=0)
        high = da.where(kept, xf, -np.inf).max(axis=0)
        finite, first, total, positive, w_ok, col_weight, low, high = dask.compute(
            finite, first, total, positive, w_ok, col_weight, low, high)
        if not finite:
            raise ValueError(nonfinite_message("X", missing))
        if marginalize:
            check_observed(np.asarray(col_weight) > 0)
        if self.w is not None:
            if not w_ok[0]:
                raise ValueError("sample_weight contains NaN or infinite values")
            if not w_ok[1]:
                raise ValueError("sample_weight must be non-negative")
            if not total > 0:
                raise ValueError("sample_weight is zero everywhere: at least one row needs a "
                                 "positive weight")
        self.n_positive = int(positive)
        self.total_weight = float(total)
        divisor = np.asarray(col_weight, dtype=np.float64) if marginalize else self.total_weight
        mean = np.asarray(first, dtype=np.float64) / divisor
        # as in memory (:class:`._data.MixtureData`); the holes filled by the observed mean
        self.center = exact_origin(mean, low, high)
        fill = mean if marginalize else None
        xs = self.X.to_delayed()[:, 0]
        ws = [None] * len(xs) if self.w is None else self.w.to_delayed()
        self.blocks = dask.persist(*[dask.delayed(_block)(x, wb, cov_type, k, self.center,
                                                          marginalize, fill)
                                     for x, wb in zip(xs, ws)])
        summaries = dask.compute(*[dask.delayed(_summary)(b) for b in self.blocks])
        self.radius2 = max(r for r, _, _ in summaries)
        var_sum = sum(v for _, v, _ in summaries)
        self.variance = var_sum / sum(o for _, _, o in summaries) if marginalize else (
            var_sum / (self.total_weight * self.d))
        self._sample = None

    def e_step(self, params, *, stats=True):
        """``(SufficientStats or None, loglik)`` of the whole data: map over blocks, tree-reduce."""
        theta = dask.delayed(params)
        parts = [dask.delayed(_block_e_step)(b, theta, self.radius2, stats) for b in self.blocks]
        return dask.compute(_tree_sum(parts))[0]

    def default_prior(self) -> MixturePrior:
        """``prior="default"`` for the whole data: the blocks' moments about the centre, summed."""
        origin = np.zeros((1, self.d))
        parts = [dask.delayed(_moments_about)(b, origin) for b in self.blocks]
        stats, _ = dask.compute(_tree_sum(parts))[0]
        mean_offset = stats.first / stats.n[:, None]
        return default_prior_from_moments(stats.about(mean_offset, self.cov_type), self.center,
                                          self.cov_type, self.k)

    def sample(self, rng) -> MixtureData:
        """A uniform sample of at most :data:`INIT_SAMPLE` rows (all rows if
        fewer), on the client."""
        if self._sample is None:
            idx = np.arange(self.n) if self.n <= INIT_SAMPLE else np.sort(
                rng.choice(self.n, size=INIT_SAMPLE, replace=False))
            bounds = np.cumsum((0,) + self.X.chunks[0])
            cuts = np.searchsorted(idx, bounds)
            parts = dask.compute(*[dask.delayed(_rows)(b, idx[lo:hi] - start)
                                   for b, lo, hi, start in zip(self.blocks, cuts[:-1], cuts[1:],
                                                               bounds)
                                   if hi > lo])
            x = np.concatenate([p[0] for p in parts])
            w = None if self.w is None else np.concatenate([p[1] for p in parts])
            if w is not None and not np.count_nonzero(w):
                raise ValueError(
                    "the initialisation sample has no row of positive sample_weight: pass "
                    "weights_init, means_init and precisions_init, or weights with more positive "
                    "rows"
                )
            self._sample = MixtureData(x, w, self.cov_type, self.k)
        return self._sample


def _check_dask_X(X):
    if not isinstance(X, da.Array):
        raise TypeError("X must be a dask.array.Array among dask collections, got "
                        f"{type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array, got {X.ndim}D array instead: X must be 2-D of shape "
                         f"(n_samples, n_features), got shape {X.shape}")
    if any(np.isnan(c) for c in X.shape):
        raise ValueError("X has unknown chunk sizes: call X.compute_chunk_sizes() first")
    for size, what in ((X.shape[0], "sample"), (X.shape[1], "feature")):
        if size == 0:
            raise ValueError(f"Found array with 0 {what}(s) (shape={X.shape}) while a minimum of 1 "
                             "is required: X is empty; it needs at least one sample and one "
                             "feature")
    if X.dtype.kind == "c":
        raise ValueError("Complex data not supported: X must hold real numbers, got dtype "
                         f"{X.dtype}")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must hold real numbers, got dtype {X.dtype}")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if len(X.chunks[1]) > 1:  # every block needs whole rows
        X = X.rechunk({1: -1})
    return X


def _check_dask_weight(sample_weight, X):
    if sample_weight is None:
        return None
    n = X.shape[0]
    if isinstance(sample_weight, da.Array):
        if sample_weight.ndim == 0:
            return da.full(n, sample_weight, chunks=(X.chunks[0],), dtype=np.float64)
        if sample_weight.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},) like X's rows, got "
                             f"{sample_weight.shape}")
        return sample_weight.astype(np.float64).rechunk((X.chunks[0],))
    return da.from_array(check_sample_weight(sample_weight, n), chunks=(X.chunks[0],))


def dask_problem(config, X, sample_weight):
    """Dask ``X``: its :class:`DaskMixtureData`, the EM model, and ``start(rng)`` -> theta0."""
    X = _check_dask_X(X)
    w = _check_dask_weight(sample_weight, X)
    n, d = X.shape
    k = config.n_components
    if config.resp_init is not None:
        raise ValueError(
            "resp_init is not supported with a dask array X (it would be an (n_samples, "
            "n_components) array on the client): use weights_init, means_init, precisions_init"
        )
    inits = check_inits(config, n, d)
    data = DaskMixtureData(X, w, config.covariance_type, k, config.missing)
    check_n_rows(data.n_positive, k, weighted=w is not None)
    reg_covar = config.reg_covar
    # "default" depends on the whole data's moments: one more map-reduce, then fixed
    prior = data.default_prior() if isinstance(config.prior, str) else config.prior

    def start(rng):
        sample = data if config.explicit_start else data.sample(rng)
        if not config.explicit_start:
            check_n_rows(int(np.count_nonzero(sample.weights)) if sample.weights is not None
                         else sample.n, k, weighted=sample.weights is not None)
        sample_prior = resolve_prior(prior, sample, k)  # its mean relative to the sample's centre
        params = initial_params(sample, k, config.init_params, inits, rng, reg_covar, sample_prior)
        return params.moved(sample.center - data.center)

    return data, MixtureEM(data, reg_covar, resolve_prior(prior, data, k)), start



def map_rows(est, method: str, X):
    """``est.method`` (``predict``, ``predict_proba``, ``score_samples`` or
    ``impute``) as a lazy dask array.

    Maps over the blocks of rows of ``X`` with a copy of the fitted estimator
    (the caller checked that it is fitted), so that a later ``fit`` does not
    change the result.
    """
    X = _check_dask_X(X)
    if X.shape[1] != est.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but GaussianMixture is expecting "
                         f"{est.n_features_in_} features as input: it was fitted to "
                         f"n_features={est.n_features_in_}")
    block_est = copy.copy(est)
    block_est.n_jobs = 1  # dask runs the blocks in parallel itself
    func = getattr(block_est, method)
    if method == "impute":
        return X.map_blocks(func, dtype=np.float64, meta=np.empty((0, 0)))
    if method == "predict_proba":
        return X.map_blocks(func, dtype=np.float64, chunks=(X.chunks[0], (est.n_components,)),
                            meta=np.empty((0, 0)))
    dtype = np.intp if method == "predict" else np.float64
    return X.map_blocks(func, dtype=dtype, drop_axis=1, meta=np.empty((0,), dtype=dtype))
