"""The mixture's fit problem: its data, the mixture as an :class:`emcore.EMModel` on them (with
its M-step's collapse rule) and its starting parameters.

A fit sees its data only through :class:`FitData`: the sizes, the centre
(the means inside a fit are relative to it), the summaries that scale the
M-step's checks and pick the E-step's numerical path, and one method,
``e_step``, that returns the sufficient statistics and the log-likelihood of
given parameters. :class:`MixtureData` meets it in memory, walking ``X`` in
chunks; :class:`._dask.DaskMixtureData` meets it on a dask array by mapping
:class:`MixtureData` over blocks of rows. :class:`MixtureEM` is the mixture on such data.

:func:`fit_problem` turns ``fit``'s input into the data, the model and the starting
parameters that the estimator's restarts and :func:`emcore.run_em` use, whichever the data:
in memory here, or on a dask array by :mod:`._dask`; :func:`rowwise` lets ``predict``-like
methods take a dask array. A dask array is recognised by its type's module, so
``import emcore`` never imports dask.
"""

from __future__ import annotations

import functools
from typing import Protocol, runtime_checkable

import numpy as np

from .._checks import check_sample_weight, check_X
from ..em import EMModel
from ..exceptions import EndRun
from ..gaussian.covariance import covariance_model
from ..gaussian.mstep import DegenerateComponentError, m_step
from ..gaussian.stats import MixtureParams, exact_origin, stats_from_resp
from ._config import check_inits, check_n_rows
from ._estep import chunk_size, e_step
from ._init import initial_responsibilities
from ._missing import split_incomplete
from ._prior import resolve_prior

__all__ = ["FitData", "MixtureData", "MixtureEM", "fit_problem", "initial_params", "is_dask",
           "rowwise"]


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


class MixtureEM(EMModel):
    """A Gaussian mixture on fixed data, for :func:`emcore.run_em`.

    Parameters are :class:`emcore.gaussian.stats.MixtureParams` with means relative to
    ``data.center``. One E-step is one chunked pass over the data that
    returns the log-likelihood and the sufficient statistics together.
    """

    def __init__(self, data: MixtureData, reg_covar: float, prior=None):
        self.data = data
        self.reg_covar = reg_covar
        self.prior = prior

    def data_pass(self, theta, stats=True):
        """``(SufficientStats or None, log-likelihood)``: one pass over the data
        (:class:`._model.FitData`)."""
        return self.data.e_step(theta, stats=stats)

    def e_step(self, theta):
        return self.data_pass(theta)[0]

    def log_likelihood(self, theta):
        """The log-likelihood, plus ``log p(theta)`` (the log-posterior) with a prior."""
        ll = self.data_pass(theta, stats=False)[1]
        return ll if self.prior is None else ll + self.prior.log_density(theta)

    def e_step_with_log_likelihood(self, theta):
        if self.prior is None:
            return self.data_pass(theta)
        stats, ll = self.data_pass(theta)
        return stats, ll + self.prior.log_density(theta)

    def m_step(self, stats):
        """The core's M-step (:func:`emcore.gaussian.mstep.m_step`); the collapse rule on failure.

        With ``reg_covar > 0``, a component that collapses or empties mid-run
        ends the run (:class:`emcore.EndRun`) at the current parameters, the
        best it reached (EM's objective never decreases); with ``reg_covar =
        0`` nothing bounds the likelihood and the user asked for no floor, so
        the :class:`DegenerateComponentError` is raised.
        """
        try:
            return m_step(stats, self.data.cov_type, self.reg_covar, self.prior)
        except DegenerateComponentError as err:
            if self.reg_covar > 0 and stats.params is not None:
                raise EndRun(str(err)) from err
            raise


def initial_params(data: MixtureData, k: int, method: str, inits: dict, rng, reg_covar: float,
                   prior=None) -> MixtureParams:
    """Starting parameters: explicit values where given, the rest from one M-step.

    With ``resp`` given, the M-step uses it; else, with ``means`` given, the
    assignment of each sample to its nearest given mean; else ``method``.
    Given weights, means and precisions then replace the estimated ones.
    """
    means = None if inits["means"] is None else inits["means"] - data.center
    if all(inits[key] is not None for key in ("weights", "means", "precisions")):
        covariances, chol = inits["precisions"]
        return MixtureParams(inits["weights"].copy(), means, covariances, chol)
    if inits["resp"] is not None:
        resp = inits["resp"]
        stats = stats_from_resp(data, lambda s, e: resp[s:e].T, k)
    else:
        stats = stats_from_resp(data, initial_responsibilities(method, data, k, rng, means), k)
    # with reg_covar > 0 a degenerate start is kept: the run's first M-step stops it (see best_run)
    params = m_step(stats, data.cov_type, reg_covar, prior, strict=reg_covar == 0)
    if inits["weights"] is not None:
        params.weights = inits["weights"].copy()
    if means is not None:
        params.means = means
    if inits["precisions"] is not None:
        params.covariances, params.precisions_cholesky = inits["precisions"]
    return params


def is_dask(X) -> bool:
    """Whether ``X`` is a dask collection, decided without importing dask."""
    return type(X).__module__.split(".")[0] == "dask"


def fit_problem(config, X, sample_weight):
    """``(data, model, start)`` for ``fit`` with a :class:`._config.FitConfig`:
    ``start(rng)`` gives theta0."""
    if is_dask(X):
        from ._dask import dask_problem

        return dask_problem(config, X, sample_weight)
    X = check_X(X, missing=config.missing)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n)
    k = config.n_components
    check_n_rows(n if w is None else int(np.count_nonzero(w)), k, weighted=w is not None)
    inits = check_inits(config, n, d)
    data = MixtureData(X, w, config.covariance_type, k, n_jobs=config.jobs,
                       missing=config.missing == "marginalize")
    prior = None if config.prior is None else resolve_prior(config.prior, data, k)

    def start(rng):
        return initial_params(data, k, config.init_params, inits, rng, config.reg_covar, prior)

    return data, MixtureEM(data, config.reg_covar, prior), start


def rowwise(method):
    """Let ``method(self, X)`` take a dask array: it is then mapped lazily over
    the blocks of rows."""

    @functools.wraps(method)
    def wrapper(self, X):
        if is_dask(X):
            from ._dask import map_rows

            self._params()  # not fitted: raise now, not when computed
            return map_rows(self, method.__name__, X)
        return method(self, X)

    return wrapper
