"""The data of a fit: :class:`MixtureData` (in memory) and the interface every data source meets.

A fit sees its data only through :class:`FitData`: the sizes, the centre
(the means inside a fit are relative to it), the summaries that scale the
M-step's checks and pick the E-step's numerical path, and one method,
``e_step``, that returns the sufficient statistics and the log-likelihood of
given parameters. :class:`MixtureData` meets it in memory, walking ``X`` in
chunks; :class:`._dask.DaskMixtureData` meets it on a dask array by mapping
:class:`MixtureData` over blocks of rows.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ..gaussian.covariance import covariance_model
from ..gaussian.stats import exact_origin
from ._estep import chunk_size, e_step
from ._missing import split_incomplete

__all__ = ["FitData", "MixtureData"]


@runtime_checkable
class FitData(Protocol):
    """What a fit needs of its data, in memory or distributed."""

    n: int  #: number of rows
    d: int  #: number of features
    cov_type: str  #: the covariance type the summaries were computed for
    center: np.ndarray  #: (d,) the origin of the parameters' coordinates (``exact_origin``)
    total_weight: float  #: sum of the sample weights (n without weights)
    radius2: float  #: largest squared distance of a weighted sample from ``center``
    variance: float  #: mean variance over the features (scale of the collapse check)

    def e_step(self, params, *, stats: bool = True):
        """``(SufficientStats or None, log-likelihood)`` of ``params`` (relative to ``center``)."""


class MixtureData:
    """``X`` with its sample weights, centre and chunking.

    Holds ``XT``, one transposed copy of ``X`` in its own dtype (float32 stays
    float32), so that every pass reads each chunk as contiguous rows; no other
    copy of the data is ever made. Computes once, in two chunked passes: the
    origin ``center`` (the weighted mean, in the features where subtracting it
    is exact for every weighted sample, else 0: :func:`emcore.gaussian.stats.exact_origin`,
    so the fit's E-step keeps the digits of samples near 0); the
    largest squared distance ``radius2`` of a weighted sample from it; the
    mean variance ``variance`` over the features; when the covariance type
    needs it (``tied``) the second moment ``second_moment`` about the centre.

    With ``center`` given (the centre of a larger data set of which ``X`` is
    a block of rows, see :mod:`._dask`), the first pass is skipped and the
    other summaries are this block's, about that centre; ``var_sum`` (the
    weighted sum of squared distances) and ``observed_weight`` (the weighted
    count of observed entries) let blocks be combined.

    With ``missing=True`` NaN entries are missing (:mod:`._missing`): the rows
    without NaN form ``complete`` (a ``MixtureData`` about the same centre,
    walked by the chunked E-step), the others ``incomplete``, about that
    centre with 0 at their holes; ``center`` (unless given) is then the same
    rule on the observed entries (:func:`emcore.gaussian.holes.observed_origin`).
    ``X`` is a copy with each hole filled by ``fill``
    (default: its column's observed mean; with ``center`` given, the centre),
    which the initialisation reads; the summaries count the observed entries
    only.
    """

    def __init__(self, X, sample_weight, cov_type: str, n_components: int, chunk_size=None,
                 center=None, n_jobs=1, missing=False, fill=None):
        self.complete = self.incomplete = None
        holes = None
        split = (split_incomplete(X, sample_weight, center, cov_type, n_jobs, fill)
                 if missing else None)
        if split is not None:
            X, center, rows, self.incomplete, observed_weight, holes = split
            if rows.any():
                self.complete = MixtureData(X[rows],
                                            None if sample_weight is None else sample_weight[rows],
                                            cov_type, n_components, chunk_size, center,
                                            n_jobs=n_jobs)
        self.X = X
        # threads of the E-step (:mod:`._pool`); the results do not depend on it
        self.n_jobs = n_jobs
        self.XT = np.ascontiguousarray(X.T)
        self.weights = sample_weight  # None, or float64 (n,) with a positive sum
        self.n, self.d = X.shape
        self.cov_type = cov_type
        # chunks of at most a sixteenth of the data keep the buffers small next to X
        self.max_chunk = max(256, self.n // 16)
        self.chunk_size = int(chunk_size or min(_default_chunk(cov_type, self.d, n_components),
                                                self.max_chunk))
        self.total_weight = float(self.n if sample_weight is None else sample_weight.sum())
        if center is None:
            zero = np.zeros(self.d)
            first, low, high = zero.copy(), np.full(self.d, np.inf), np.full(self.d, -np.inf)
            for s, e in self.chunks():
                xt, w = self.chunk_T(s, e, zero), self.chunk_weights(s, e, ones=True)
                first += xt @ w
                xt = xt[:, w > 0]
                low, high = np.minimum(low, xt.min(axis=1, initial=np.inf)), np.maximum(
                    high, xt.max(axis=1, initial=-np.inf))
            self.center = exact_origin(first / self.total_weight, low, high)
        else:
            self.center = np.asarray(center, dtype=np.float64)
        radius2, var_sum = 0.0, 0.0
        needs_second = covariance_model(cov_type).needs_data_second
        self.second_moment = np.zeros((self.d, self.d)) if needs_second else None
        for s, e in self.chunks():
            xt = self.chunk_T(s, e, self.center)
            if holes is not None:  # a hole counts nothing (its fill is the initialisation's)
                xt[holes[s:e].T] = 0.0
            w = self.chunk_weights(s, e, ones=True)
            sq = np.einsum("ij,ij->j", xt, xt)
            radius2 = max(radius2, float(np.max(sq[w > 0], initial=0.0)))
            var_sum += float(sq @ w)
            if self.second_moment is not None:
                self.second_moment += (xt * w) @ xt.T
        self.radius2 = radius2
        self.var_sum = var_sum
        self.observed_weight = self.total_weight * self.d if split is None else observed_weight
        # a block of rows may have no weight at all (the whole data cannot: checked by the caller)
        self.variance = var_sum / self.observed_weight if self.observed_weight > 0 else 0.0

    def e_step(self, params, *, stats: bool = True, radius2: float | None = None):
        """One chunked pass of :func:`._estep.e_step`; ``radius2`` overrides the path's summary.

        With missing entries the rows are two peer blocks, the complete rows
        (a :class:`MixtureData`) and the incomplete ones
        (:class:`._missing.IncompleteRows`): each gives its statistics and
        log-likelihood for ``params``, on the whole data's ``radius2``, and
        their sums are added (about the first block's shift).
        """
        if self.incomplete is None:
            return e_step(self, params, stats=stats, radius2=radius2, n_jobs=self.n_jobs)
        radius2 = self.radius2 if radius2 is None else radius2
        blocks = [b for b in (self.complete, self.incomplete) if b is not None]
        total, loglik = blocks[0].e_step(params, stats=stats, radius2=radius2)
        for block in blocks[1:]:
            part, ll = block.e_step(params, stats=stats, radius2=radius2)
            total, loglik = ((None if total is None else total.plus(part, self.cov_type)),
                             loglik + ll)
        return total, loglik

    def chunks(self, step=None):
        step = step or self.chunk_size
        return ((s, min(s + step, self.n)) for s in range(0, self.n, step))

    def chunk_T(self, s, e, center):
        """Rows ``s:e`` minus ``center``, transposed to (d, e - s), float64."""
        return np.subtract(self.XT[:, s:e], center[:, None], dtype=np.float64)

    def chunk_weights(self, s, e, ones=False):
        if self.weights is None:
            return np.ones(e - s) if ones else None
        return self.weights[s:e]


def _default_chunk(cov_type, d, k):
    return chunk_size(covariance_model(cov_type), d, k)
