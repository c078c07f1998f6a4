"""The E-step: one chunked pass over the data, fused with the sufficient statistics.

The E-step of a Gaussian mixture needs, for every sample, the log-densities of all
``K`` components; the M-step needs only their responsibility-weighted sums (``N_k``,
first and second moments). :func:`e_step` walks the samples in chunks and turns each
chunk's log-densities straight into its share of those sums, so an ``(n, K)`` array of
responsibilities never exists; the data is held once more, transposed in its own
dtype, and each chunk is centred and cast to float64 on its own.

Per pass, one of two paths (each covariance type's chunk kernels are in
:mod:`emcore.gaussian.fast`), or the reference (:mod:`emcore.gaussian.reference`)
for a covariance type without those kernels:

* **expanded** -- log-densities and second moments both from parameter-free
  features of ``x`` (one matrix product each), where the round-off bound of
  :mod:`emcore.gaussian.fast` allows it (and for ``full`` up to
  :data:`emcore._tuning.EXPANDED_MAX_D` features: beyond, ``d^2/2`` features cost more);
* **direct** -- log-densities from ``|U_k^T (x - mu_k)|^2`` (one product with the stacked
  Cholesky factors) and second moments about each component's current mean: no cancellation.

The chunks run on ``n_jobs`` threads (:mod:`._pool`): each returns its partial sums (the
second-moment terms of a shared covariance one per component), added in chunk order, so the
result does not depend on ``n_jobs``; with ``n_jobs=1`` the floats are those of one serial pass
with one BLAS thread. Each thread has its own feature block.

Per chunk, the log-sum-exp makes these passes over the (K, m) log-joints: the product that
writes them, column maxima, subtraction, ``exp``, column sums, division (and the weights, if
any); then the product with the features. Where numpy's float64 ``exp`` is a libm call per entry
(:data:`emcore._tuning.SIMD_EXP` false), several times an add, it is spent only where it changes
a float: responsibilities below ``2^-53`` of their column's largest (log-ratio below
:data:`NEGLIGIBLE_LOG`) are set to zero, since they change the column's sum by less than its
round-off (the largest term is 1, these are below half its last bit). Two more passes (the
comparison and its count per column, as bytes) pick the kept entries; a column with one left
needs no ``exp`` at all, only the kept entries are exponentiated (unless more than
:data:`emcore._tuning.SPARSE_MAX` of them are kept), and the direct path skips a component's
zeros when accumulating its moments. With a SIMD ``exp``, the expanded path exponentiates every
entry of a chunk whose first columns mostly keep several, untruncated, and writes its log-joints
less a constant that bounds them all, so the maxima and the subtraction are left out too
(:func:`normalize_bounded`); chunks where most columns keep one entry still truncate.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .. import _tuning
from ..gaussian import reference
from ..gaussian.covariance import covariance_model
from ..gaussian.fast import coefficient_block, expansion_error, n_features
from ..gaussian.stats import MixtureParams, SufficientStats, centred_terms
from ._pool import ordered_map

__all__ = ["ChunkScorer", "chunk_size", "e_step", "log_prob_chunks", "normalize",
           "normalize_bounded"]

#: Log of the smallest responsibility kept, relative to its row's largest (2^-53).
NEGLIGIBLE_LOG = -53 * math.log(2)
#: Smallest column sum of exponentials accepted by :func:`normalize_bounded`: the largest term
#: is then at least 2^-900 / K, so the terms that count (within 2^-53 of it) are normal floats.
TINY_SUM = 2.0**-900
_LOG_2PI = math.log(2 * math.pi)


def chunk_size(cov, d, k, expanded=False):
    """Samples per chunk: its largest buffers hold about ``CHUNK_FLOATS`` floats (expanded: half).

    The expanded path's thin products go at the speed of the cache that holds
    the features (smaller chunks), but every numpy call is a point where
    threads wait for the GIL (larger chunks): half was the faster compromise.
    """
    floats = _tuning.CHUNK_FLOATS // 2 if expanded else _tuning.CHUNK_FLOATS
    rows = floats // _per_sample(cov, d, k, expanded)
    return min(max(rows, _tuning.CHUNK_MIN_ROWS), _tuning.CHUNK_MAX_ROWS)


def _per_sample(cov, d, k, expanded):
    """Floats of a chunk's largest buffers per sample, on either path (or the reference's)."""
    if expanded:
        return n_features(cov, d) + 3 * k
    rows = cov.direct_rows(k, d) if cov.has_expanded_path else k * d
    return 2 * rows + 4 * k + 2 * d


class ChunkScorer:
    """Log of ``w_k N(x | mu_k, Sigma_k)`` for all components, chunk by chunk.

    On the expanded path a chunk lives in one feature block, rows ``[q(x); 1; x]``: the centred
    samples are written straight into its last rows, so one product with the coefficients
    (offsets included, through the row of ones) gives the log-joints, and one product with the
    responsibilities gives ``N_k``, the first and the second moments.
    """

    def __init__(self, cov_type: str, params: MixtureParams, radius2: float):
        self.kern = cov = covariance_model(cov_type)
        self.params = params
        k, d = params.means.shape
        self.k, self.q = k, cov.n_quadratic(d)
        with np.errstate(divide="ignore"):  # a zero weight is a component with log-weight -inf
            log_w = np.log(params.weights)
        self.offset = (log_w - 0.5 * d * _LOG_2PI
                       + cov.half_log_det(params.precisions_cholesky, k, d))
        error = expansion_error(cov, params.means, params.precisions_cholesky, radius2)
        self.expanded = d <= cov.expanded_max_d and error <= _tuning.MAX_ROUND_OFF
        if self.expanded:
            self.coef = coefficient_block(cov, params.means, params.precisions_cholesky,
                                          self.offset)
        else:
            self.prep = self.kern.prepare(params.means, params.precisions_cholesky)
        # with a SIMD exp, overlapping chunks of the expanded path skip the truncation and the
        # column maxima (normalize_bounded); the direct path's moments skip truncated entries,
        # so it always truncates
        self.dense = self.expanded and _tuning.SIMD_EXP
        if self.dense:  # log w_k N(x | mu_k, Sigma_k) <= offset_k: their largest, in the product
            self.shift = float(np.max(self.offset[np.isfinite(self.offset)]))
            self.bounded_coef = self.coef.copy()
            self.bounded_coef[self.q, :k] -= self.shift
        self._local = threading.local()  # each thread its own feature block
        self.per_sample = _per_sample(cov, d, k, self.expanded)
        self.chunk_size = chunk_size(cov, d, k, self.expanded)

    def chunk(self, source, center):
        """Samples ``source`` (d, m) centred as float64, and the feature block (or None)."""
        if not self.expanded:
            return np.subtract(source, center[:, None], dtype=np.float64), None
        d, m = source.shape
        block = getattr(self._local, "block", None)
        if block is None or block.shape[1] < m:
            block = self._local.block = np.empty((self.q + 1 + d, m))
            block[self.q] = 1.0
        feats = block[:, :m]
        xt = feats[self.q + 1:]
        np.subtract(source, center[:, None], out=xt)
        self.kern.quadratic(xt, feats[: self.q])
        return xt, feats

    def log_joint(self, xt, feats):
        """(K, m) log-joints, up to a per-sample ``shared`` term (or None)."""
        if self.expanded:
            return self._product(self.coef, feats)
        out = self.kern.mahalanobis(xt, self.prep, self.k)
        out *= -0.5
        out += self.offset[:, None]
        return out, None

    def bounded_log_joint(self, feats):
        """(K, m) log-joints less :attr:`shift`, so at most 0 (up to round-off); expanded path only.

        The shift is in the product's row of ones, and a shared term is
        added in: one pass, instead of a column maximum and a subtraction.
        """
        log_joint, shared = self._product(self.bounded_coef, feats)
        if shared is not None:
            log_joint += shared
        return log_joint

    def _product(self, coef, feats):
        """The expanded path's product: (K, m) log-joints and the shared term (or None)."""
        out = coef.T @ feats
        if out.shape[0] == self.k:
            return out, None
        y = out[self.k:]  # U^T x: the exponent's part shared by all components is -|U^T x|^2 / 2
        return out[: self.k], np.einsum("ij,ij->j", y, y) * -0.5


def _mostly_overlapping(log_joint, sample=480):
    """Whether most of the first columns keep two or more entries (relative to their maxima).

    A cheap look at the chunk's own start, ``sample`` entries at most, so the choice depends on the
    chunk alone (never on ``n_jobs``); below numpy's 500 elements, the look keeps the GIL instead of
    handing it to another thread and waiting to take it back, five times over (see :mod:`._pool`).
    """
    head = log_joint[:, : max(1, sample // log_joint.shape[0])]
    head = head - head.max(axis=0)
    return 2 * int(np.count_nonzero((head > NEGLIGIBLE_LOG).sum(axis=0) > 1)) > head.shape[1]


def normalize(log_joint, shared, truncate=False):
    """(K, m) log-joints -> responsibilities (in place) and ``log p(x)``.

    Log-sum-exp with each column's maximum shifted out, so no exponent overflows. With
    ``truncate``, responsibilities below ``2^-53`` of their column's largest become 0 and cost
    no ``exp`` (unless more than :data:`emcore._tuning.SPARSE_MAX` of the entries are above it:
    then the dense way is cheaper and nothing is truncated); columns with a single kept entry
    are set without ``exp`` when they are most of them. The boolean mask of the kept entries is
    returned too (else None).
    """
    top = log_joint.max(axis=0)
    log_joint -= top
    log_p = top
    kept = resp = None
    if truncate:
        kept = log_joint > NEGLIGIBLE_LOG
        # kept entries per column, added as bytes (count_nonzero along an axis is ~10x slower)
        counts = np.add.reduce(kept.view(np.uint8), axis=0,
                               dtype=np.uint8 if kept.shape[0] < 256 else np.intp)
        soft = np.flatnonzero(counts > 1)
        if 2 * soft.size > top.size:  # mostly overlapping components: exp of the kept entries only
            at = np.flatnonzero(kept)
            if at.size > _tuning.SPARSE_MAX * kept.size:  # most kept: the dense way is cheaper
                kept = None
            else:
                values = log_joint.reshape(-1)[at]
                np.exp(values, out=values)
                resp = np.zeros_like(log_joint)
                resp.reshape(-1)[at] = values
                total = resp.sum(axis=0)
                log_p += np.log(total)
                resp /= total
        else:  # mostly one kept entry per column: exp only in the soft columns
            resp = kept.astype(np.float64)  # exact for columns with one kept entry: it is 1
            if soft.size:
                block = log_joint[:, soft]
                np.exp(block, out=block)
                block *= kept[:, soft]
                total = block.sum(axis=0)
                log_p[soft] += np.log(total)
                block /= total
                resp[:, soft] = block
    if resp is None:
        np.exp(log_joint, out=log_joint)
        total = log_joint.sum(axis=0)
        log_p += np.log(total)
        log_joint /= total
        resp = log_joint
    if shared is not None:
        log_p += shared
    return resp, log_p, kept


def normalize_bounded(log_joint, shift, rescore):
    """:func:`normalize` (truncating) of log-joints ``log_joint + shift``,
    ``log_joint <= 0`` (in place).

    A chunk whose first columns (60 for 8 components) mostly keep several entries is exponentiated
    whole, untruncated, with no maxima shifted out: no exponent is above 0. A column whose sum is
    below :data:`TINY_SUM` (far from every component) is scored again, ``rescore(columns)`` giving
    its ``(log_joint, shared)``, and normalized the usual way. Other chunks are truncated.
    """
    if not _mostly_overlapping(log_joint):
        resp, log_p, kept = normalize(log_joint, None, truncate=True)
        log_p += shift
        return resp, log_p, kept
    np.exp(log_joint, out=log_joint)
    total = log_joint.sum(axis=0)
    low = np.flatnonzero(total < TINY_SUM)
    with np.errstate(divide="ignore", invalid="ignore"):  # the low columns are replaced below
        log_p = np.log(total)
        log_joint *= np.reciprocal(total, out=total)
    log_p += shift
    if low.size:
        resp, log_p[low], _ = normalize(*rescore(low))
        log_joint[:, low] = resp
    return log_joint, log_p, None


def e_step(data, params: MixtureParams, *, stats: bool = True, radius2: float | None = None,
           n_jobs: int = 1):
    """Statistics (or None) and log-likelihood ``sum_n w_n log p(x_n)`` of a
    :class:`._model.MixtureData`, in one pass.

    ``radius2`` (default ``data.radius2``) picks the numerical path: a block of a larger data
    set passes the whole data's, so that every block takes the same path. The chunks run on
    ``n_jobs`` threads (:func:`._pool.ordered_map`); each returns its partial sums, added here
    in chunk order, so the result does not depend on ``n_jobs``.
    """
    k, d = params.means.shape
    kern = covariance_model(data.cov_type)
    if not kern.has_expanded_path:  # a covariance type with the base methods alone
        return _reference_e_step(data, params, kern, stats, n_jobs)
    scorer = ChunkScorer(data.cov_type, params, data.radius2 if radius2 is None else radius2)
    loglik = 0.0
    if scorer.expanded:
        g = np.zeros((n_features(kern, d), k))
    else:
        n_k, first, second = np.zeros(k), np.zeros((k, d)), kern.empty_second(k, d)

    def partial(bounds):
        """One chunk's log-likelihood and its partial statistics (None without ``stats``)."""
        s, e = bounds
        xt, feats = scorer.chunk(data.XT[:, s:e], data.center)
        w = data.chunk_weights(s, e)
        if scorer.dense:
            resp, log_p, kept = normalize_bounded(
                scorer.bounded_log_joint(feats), scorer.shift,
                lambda cols: scorer.log_joint(xt[:, cols], feats[:, cols]))
        else:
            resp, log_p, kept = normalize(*scorer.log_joint(xt, feats), truncate=True)
        ll = float(log_p.sum() if w is None else np.dot(log_p, w))
        if not stats:
            return ll, None
        if w is not None:
            resp *= w
        if scorer.expanded:
            return ll, np.dot(feats, resp.T)  # np.dot, not @, for a small output (see ._pool)
        return ll, (resp.sum(axis=1),) + _moments(kern, xt, resp, params.means, kept)

    step = min(scorer.chunk_size, data.max_chunk)
    bounds = list(data.chunks(step))
    jobs = _workers(n_jobs, len(bounds), step * scorer.per_sample, data.XT.nbytes)
    for ll, part in ordered_map(partial, bounds, jobs):
        loglik += ll
        if part is None:
            continue
        if scorer.expanded:
            g += part
        else:
            n_k += part[0]
            first += part[1]
            for term in part[2]:
                second += term
    if not stats:
        return None, loglik
    if scorer.expanded:
        q = scorer.q
        second = kern.second_from_quadratic(g[:q], d, data.second_moment)
        return (SufficientStats(g[q].copy(), g[q + 1:].T.copy(), second, np.zeros((k, d)), params),
                loglik)
    return SufficientStats(n_k, first, second, params.means.copy(), params), loglik


def _reference_e_step(data, params: MixtureParams, kern, stats: bool, n_jobs: int):
    """:func:`e_step` by the reference (:mod:`emcore.gaussian.reference`), chunk by chunk."""

    def partial(bounds):
        s, e = bounds
        x = data.chunk_T(s, e, data.center).T
        resp, log_px = reference.responsibilities(x, params.weights, params.means,
                                                  params.precisions_cholesky, kern)
        w = data.chunk_weights(s, e)
        ll = float(log_px.sum() if w is None else np.dot(log_px, w))
        if not stats:
            return ll, None
        part = reference.statistics(x, resp, params.means, kern, w)
        part.params = params
        return ll, part

    loglik, total = 0.0, None
    for ll, part in ordered_map(partial, list(data.chunks()), n_jobs):
        loglik += ll
        total = part if total is None else SufficientStats(
            total.n + part.n, total.first + part.first, total.second + part.second, total.shift,
            params)
    return total, loglik


def _moments(kern, xt, resp, means, kept):
    """One chunk's first moments and second-moment terms about ``means``, to be added in order.

    Each component's terms start from zeros, so adding them to the running
    sums in the order returned gives the same floats as adding them there
    directly; a shared covariance (``tied``) gets one term per component.
    """
    k, d = means.shape
    first = np.zeros((k, d))
    terms = [] if kern.is_shared else [kern.empty_second(k, d)]
    for j, diff, r in centred_terms(xt, resp, means, kept):
        first[j] = np.dot(diff, r)
        if kern.is_shared:
            terms.append(kern.empty_second(k, d))
        kern.add_centred(terms[-1], j, diff, r)
    return first, terms


def _workers(n_jobs, n_chunks, chunk_floats, budget_bytes):
    """Threads for ``n_chunks`` chunks: at most ``n_jobs``, and their buffers
    within ``budget_bytes``.

    Each thread holds one chunk's buffers (about ``chunk_floats`` floats); their total below the
    data's size keeps a fit below twice it. The chunks do not depend on the number of threads.
    """
    return max(1, min(n_jobs, n_chunks, budget_bytes // max(1, 8 * chunk_floats)))


def log_prob_chunks(X, cov_type: str, params: MixtureParams, center: np.ndarray, finish,
                    n_jobs: int = 1, absolute: MixtureParams | None = None):
    """``finish(s, e, log_joint, shared)`` for the chunks ``s:e`` of new data ``X``, in order.

    ``params`` are relative to ``center`` (the path follows ``X``'s spread about it); the direct
    path scores ``X`` uncentred about ``absolute``, the same parameters in ``X``'s coordinates,
    if given (centring rounds distances at the centre's scale). ``n_jobs`` threads.
    """
    n, d = X.shape
    step = _tuning.SPREAD_ROWS

    def spread(s):
        xt = np.subtract(X[s:s + step].T, center[:, None], dtype=np.float64)
        return float(np.max(np.einsum("ij,ij->j", xt, xt)))

    kern = covariance_model(cov_type)
    if not kern.has_expanded_path:  # the reference, uncentred when it can be
        ref, origin = (params, center) if absolute is None else (absolute, np.zeros_like(center))

        def reference_chunk(b):
            x = X[b[0]:b[1]] - origin
            with np.errstate(divide="ignore"):
                log_joint = reference.log_densities(x, ref.means, ref.precisions_cholesky, kern)
                log_joint += np.log(ref.weights)
            return finish(*b, log_joint.T.copy(), None)

        chunks = [(s, min(s + _tuning.SPREAD_ROWS, n)) for s in range(0, n, _tuning.SPREAD_ROWS)]
        return list(ordered_map(reference_chunk, chunks, n_jobs))
    radius2 = max(ordered_map(spread, range(0, n, step), n_jobs), default=0.0)
    scorer = ChunkScorer(cov_type, params, radius2)
    if not scorer.expanded and absolute is not None:
        scorer, center = ChunkScorer(cov_type, absolute, math.inf), np.zeros_like(center)
    step = scorer.chunk_size
    bounds = [(s, min(s + step, n)) for s in range(0, n, step)]

    def score(b):
        return finish(*b, *scorer.log_joint(*scorer.chunk(X[b[0]:b[1]].T, center)))

    jobs = _workers(n_jobs, len(bounds), step * scorer.per_sample,
                    max(X.nbytes, 8 * _tuning.CHUNK_FLOATS))
    return list(ordered_map(score, bounds, jobs))
