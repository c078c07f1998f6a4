"""One pass over the data: the fused E-step and the sufficient statistics.

The E-step of a Gaussian mixture needs, for every sample, the log-densities
of all ``K`` components; the M-step needs only their responsibility-weighted
sums (``N_k``, first and second moments). :func:`e_step` walks the samples in
chunks and turns each chunk's log-densities straight into its share of those
sums, so an ``(n, K)`` responsibility matrix never exists; the data is held
once more, transposed in its own dtype, and each chunk is centred and cast
to float64 on its own.

Per pass, one of two paths (kernels in :mod:`._kernels`):

* **expanded** -- log-densities and second moments both from parameter-free
  features of ``x`` (one matrix product each). Its round-off grows with
  ``|x|^2 lambda_max(P)``; it is used when the estimated round-off of a
  log-density, ``eps * sqrt(n_features) * trace(P) * (R + |mu|)^2`` (``R``
  the largest distance of a sample from the centre), is at most
  :data:`EXPANDED_MAX_ERROR`, and for ``full`` only up to
  :data:`EXPANDED_MAX_D` features (beyond, its ``d^2/2`` features cost more
  than the direct path);
* **direct** -- log-densities from ``|U_k^T (x - mu_k)|^2`` (one product with
  the stacked Cholesky factors) and second moments about each component's
  current mean: no cancellation.

Responsibilities below ``2^-53`` of their row's largest (log-ratio below
:data:`NEGLIGIBLE_LOG`) are set to zero: they change the row's sum by less
than its round-off. A row with one responsibility left needs no ``exp`` at
all, and the direct path skips a component's zero responsibilities when
accumulating its moments.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._covariance import covariance_model
from ._kernels import kernels

__all__ = ["MixtureData", "MixtureParams", "SufficientStats", "e_step", "log_prob_chunks", "outer", "stats_from_resp"]

#: Largest estimated absolute round-off of a log-density accepted from the expanded path.
EXPANDED_MAX_ERROR = 1e-9
#: Largest number of features for which ``full`` may use the expanded path.
EXPANDED_MAX_D = 16
#: Log of the smallest responsibility kept, relative to its row's largest (2^-53).
NEGLIGIBLE_LOG = -53 * math.log(2)
#: Floats held by one chunk's largest buffers (about 8 MB).
CHUNK_FLOATS = 1 << 20
_EPS = np.finfo(np.float64).eps
_LOG_2PI = math.log(2 * math.pi)


@dataclasses.dataclass
class MixtureParams:
    """Parameters of a Gaussian mixture (means relative to the data's centre inside a fit)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray

    def moved(self, offset) -> MixtureParams:
        """The same mixture with ``offset`` added to every mean (a change of origin)."""
        return MixtureParams(self.weights, self.means + offset, self.covariances, self.precisions_cholesky)


@dataclasses.dataclass
class SufficientStats:
    """Responsibility-weighted sums over the samples, about ``shift`` (K, d).

    ``n`` (K,) sums of weights times responsibilities, ``first`` (K, d) sums of
    ``r (x - shift_k)``, ``second`` the second moments about ``shift``: (K, d, d)
    for ``full``, their sum over components (d, d) for ``tied``, diagonals
    (K, d) for ``diag``, traces (K,) for ``spherical``. ``params``: the
    parameters whose responsibilities these are (None for given ones).
    """

    n: np.ndarray
    first: np.ndarray
    second: np.ndarray
    shift: np.ndarray
    params: MixtureParams | None = None

    def about(self, shift, cov_type: str) -> SufficientStats:
        """The same sums about another ``shift`` ((K, d), or (d,) for all components).

        With ``b = old shift - new shift``, ``x - new = (x - old) + b``: the
        first moments gain ``N_k b_k``, the second ``f_k b_k^T + b_k f_k^T + N_k b_k b_k^T``.
        """
        shift = np.array(np.broadcast_to(shift, self.first.shape), dtype=np.float64)
        n, f, b = self.n, self.first, self.shift - shift
        nb = n[:, None] * b
        extra = outer(cov_type, f, b) + outer(cov_type, b, f + nb)
        return SufficientStats(n.copy(), f + nb, self.second + extra, shift, self.params)


def outer(cov_type: str, a, b):
    """``a_k b_k^T`` for every component, in the shape of the second moments of ``cov_type``.

    (K, d, d) for ``full``, summed over components (d, d) for ``tied``, the
    diagonals (K, d) for ``diag``, the traces (K,) for ``spherical``.
    """
    if cov_type == "full":
        return a[:, :, None] * b[:, None, :]
    if cov_type == "tied":
        return a.T @ b
    if cov_type == "diag":
        return a * b
    return np.einsum("kj,kj->k", a, b)


class MixtureData:
    """``X`` with its sample weights, centre and chunking.

    Holds ``XT``, one transposed copy of ``X`` in its own dtype (float32 stays
    float32), so that every pass reads each chunk as contiguous rows; no other
    copy of the data is ever made. Computes once, in two chunked passes: the
    weighted mean ``center``; the
    largest squared distance ``radius2`` of a weighted sample from it; the
    mean variance ``variance`` over the features; for ``tied`` the second
    moment ``second_moment`` about the centre.

    With ``center`` given (the centre of a larger data set of which ``X`` is
    a block of rows, see :mod:`._dask`), the first pass is skipped and the
    other summaries are this block's, about that centre; ``var_sum`` (the
    weighted sum of squared distances) lets blocks be combined.
    """

    def __init__(self, X, sample_weight, cov_type: str, n_components: int, chunk_size=None, center=None):
        self.X = X
        self.XT = np.ascontiguousarray(X.T)
        self.weights = sample_weight  # None, or float64 (n,) with a positive sum
        self.n, self.d = X.shape
        self.cov_type = cov_type
        # chunks of at most a sixteenth of the data keep the buffers small next to X
        self.max_chunk = max(256, self.n // 16)
        self.chunk_size = int(chunk_size or min(_chunk_size(cov_type, self.d, n_components), self.max_chunk))
        self.total_weight = float(self.n if sample_weight is None else sample_weight.sum())
        if center is None:
            zero = np.zeros(self.d)
            first = zero.copy()
            for s, e in self.chunks():
                first += self.chunk_T(s, e, zero) @ self.chunk_weights(s, e, ones=True)
            self.center = first / self.total_weight
        else:
            self.center = np.asarray(center, dtype=np.float64)
        radius2, var_sum = 0.0, 0.0
        self.second_moment = np.zeros((self.d, self.d)) if cov_type == "tied" else None
        for s, e in self.chunks():
            xt = self.chunk_T(s, e, self.center)
            w = self.chunk_weights(s, e, ones=True)
            sq = np.einsum("ij,ij->j", xt, xt)
            radius2 = max(radius2, float(np.max(sq[w > 0], initial=0.0)))
            var_sum += float(sq @ w)
            if self.second_moment is not None:
                self.second_moment += (xt * w) @ xt.T
        self.radius2 = radius2
        self.var_sum = var_sum
        # a block of rows may have no weight at all (the whole data cannot: checked by the caller)
        self.variance = var_sum / (self.total_weight * self.d) if self.total_weight > 0 else 0.0

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


def _chunk_size(cov_type, d, k, expanded=False):
    """Samples per chunk: the path's largest buffers hold about CHUNK_FLOATS floats."""
    per_sample = _n_features(cov_type, d) + 3 * k if expanded else 2 * k * d + 4 * k + 2 * d
    return min(max(CHUNK_FLOATS // per_sample, 256), 1 << 14)


def _n_features(cov_type, d):
    """Rows of the expanded path's feature block: quadratic features, a row of ones, ``x``."""
    return kernels(cov_type).n_quadratic(d) + 1 + d


class _ChunkScorer:
    """Log of ``w_k N(x | mu_k, Sigma_k)`` for all components, chunk by chunk.

    On the expanded path a chunk lives in one feature block, rows
    ``[q(x); 1; x]``: the centred samples are written straight into its last
    rows, so one product with the coefficients (offsets included, through the
    row of ones) gives the log-joints, and one product with the
    responsibilities gives ``N_k``, the first and the second moments.
    """

    def __init__(self, cov_type: str, params: MixtureParams, radius2: float):
        self.kern = kernels(cov_type)
        self.params = params
        k, d = params.means.shape
        self.k, self.q = k, self.kern.n_quadratic(d)
        cov = covariance_model(cov_type)
        with np.errstate(divide="ignore"):  # a zero weight is a component with log-weight -inf
            log_w = np.log(params.weights)
        self.offset = log_w - 0.5 * d * _LOG_2PI + cov.half_log_det(params.precisions_cholesky, k, d)
        self.expanded = (cov_type != "full" or d <= EXPANDED_MAX_D) and _expansion_error(
            cov, cov_type, params, radius2) <= EXPANDED_MAX_ERROR
        if self.expanded:
            a_q, a_x, const = self.kern.coefficients(params.means, params.precisions_cholesky)
            self.coef = np.concatenate([a_q, (self.offset + const)[None, :], a_x])
        else:
            self.prep = self.kern.prepare(params.means, params.precisions_cholesky)
        self.block = None
        self.chunk_size = _chunk_size(cov_type, d, k, self.expanded)

    def chunk(self, source, center):
        """Samples ``source`` (d, m) centred as float64, and the feature block (or None)."""
        if not self.expanded:
            return np.subtract(source, center[:, None], dtype=np.float64), None
        d, m = source.shape
        if self.block is None or self.block.shape[1] < m:
            self.block = np.empty((self.q + 1 + d, m))
            self.block[self.q] = 1.0
        feats = self.block[:, :m]
        xt = feats[self.q + 1:]
        np.subtract(source, center[:, None], out=xt)
        self.kern.quadratic(xt, feats[: self.q])
        return xt, feats

    def log_joint(self, xt, feats):
        """(K, m) log-joints, up to a per-sample ``shared`` term (or None)."""
        if self.expanded:
            return self.coef.T @ feats, self.kern.shared(xt, self.params.precisions_cholesky)
        out = self.kern.mahalanobis(xt, self.prep, self.k)
        out *= -0.5
        out += self.offset[:, None]
        return out, None


def _expansion_error(cov, cov_type, params, radius2):
    """Estimated absolute round-off of an expanded log-density (see the module docstring)."""
    scale = float(np.max(cov.precision_scale(params.precisions_cholesky)))
    mu = math.sqrt(float(np.max(np.einsum("kj,kj->k", params.means, params.means))))
    n_features = _n_features(cov_type, params.means.shape[1])
    return _EPS * math.sqrt(n_features) * scale * (math.sqrt(radius2) + mu) ** 2


def normalize(log_joint, shared, truncate=False):
    """(K, m) log-joints -> responsibilities (in place) and ``log p(x)``.

    Log-sum-exp with each column's maximum shifted out, so no exponent
    overflows. With ``truncate``, when most columns have a single
    responsibility above ``2^-53`` of their largest, responsibilities below
    that become 0, such columns are set without ``exp``, and the boolean mask
    of the kept entries is returned too (else None).
    """
    top = log_joint.max(axis=0)
    log_joint -= top
    log_p = top
    kept = None
    if truncate:
        kept = log_joint > NEGLIGIBLE_LOG
        soft = np.flatnonzero(np.count_nonzero(kept, axis=0) > 1)
        if 2 * soft.size > top.size:  # mostly overlapping components: the dense way is cheaper
            truncate = kept = None
    if truncate:
        resp = kept.astype(np.float64)  # exact for columns with one kept entry: it is 1
        if soft.size:
            block = log_joint[:, soft]
            np.exp(block, out=block)
            block *= kept[:, soft]
            total = block.sum(axis=0)
            log_p[soft] += np.log(total)
            block /= total
            resp[:, soft] = block
    else:
        np.exp(log_joint, out=log_joint)
        total = log_joint.sum(axis=0)
        log_p += np.log(total)
        log_joint /= total
        resp = log_joint
    if shared is not None:
        log_p += shared
    return resp, log_p, kept


def e_step(data: MixtureData, params: MixtureParams, *, stats: bool = True):
    """Log-likelihood ``sum_n w_n log p(x_n)`` and (optionally) the statistics, in one pass."""
    k, d = params.means.shape
    kern = kernels(data.cov_type)
    scorer = _ChunkScorer(data.cov_type, params, data.radius2)
    loglik = 0.0
    if scorer.expanded:
        g = np.zeros((_n_features(data.cov_type, d), k))
    else:
        n_k, first, second = np.zeros(k), np.zeros((k, d)), kern.empty_second(k, d)
    for s, e in data.chunks(min(scorer.chunk_size, data.max_chunk)):
        xt, feats = scorer.chunk(data.XT[:, s:e], data.center)
        w = data.chunk_weights(s, e)
        log_joint, shared = scorer.log_joint(xt, feats)
        resp, log_p, kept = normalize(log_joint, shared, truncate=True)
        loglik += float(log_p.sum() if w is None else log_p @ w)
        if not stats:
            continue
        if w is not None:
            resp *= w
        if scorer.expanded:
            g += feats @ resp.T
        else:
            n_k += resp.sum(axis=1)
            _add_centred(kern, xt, resp, params.means, first, second, kept)
    if not stats:
        return None, loglik
    if scorer.expanded:
        q = scorer.q
        second = kern.second_from_quadratic(g[:q], d, data.second_moment)
        return SufficientStats(g[q].copy(), g[q + 1:].T.copy(), second, np.zeros((k, d)), params), loglik
    return SufficientStats(n_k, first, second, params.means.copy(), params), loglik


def _add_centred(kern, xt, resp, shift, first, second, kept=None):
    """Moments about ``shift`` of every component; only over its kept samples when they are few."""
    m = xt.shape[1]
    for j in range(shift.shape[0]):
        r = resp[j]
        x = xt
        if kept is not None:
            idx = np.flatnonzero(kept[j])
            if idx.size == 0:
                continue
            if idx.size < m // 2:
                x, r = xt[:, idx], r[idx]
        diff = x - shift[j][:, None]
        first[j] += diff @ r
        kern.add_centred(second, j, diff, r)


def stats_from_resp(data: MixtureData, resp_chunk, k: int) -> SufficientStats:
    """Statistics of given responsibilities, ``resp_chunk(s, e)`` -> (K, e - s).

    Two passes: the means first, then the second moments about them, so the
    starting covariances carry no cancellation error whatever the data.
    """
    kern, d = kernels(data.cov_type), data.d
    n_k, first = np.zeros(k), np.zeros((k, d))
    for s, e in data.chunks():
        resp = _weighted(data, resp_chunk(s, e), s, e)
        n_k += resp.sum(axis=1)
        first += resp @ data.chunk_T(s, e, data.center).T
    shift = first / np.maximum(n_k, 10 * _EPS)[:, None]
    first = np.zeros((k, d))
    second = kern.empty_second(k, d)
    for s, e in data.chunks():
        resp = _weighted(data, resp_chunk(s, e), s, e)
        _add_centred(kern, data.chunk_T(s, e, data.center), resp, shift, first, second)
    return SufficientStats(n_k, first, second, shift)


def _weighted(data, resp, s, e):
    resp = np.asarray(resp, dtype=np.float64)
    w = data.chunk_weights(s, e)
    return resp if w is None else resp * w


def log_prob_chunks(X, cov_type: str, params: MixtureParams, center: np.ndarray):
    """Yield ``(s, e, log_joint, shared)`` for rows ``s:e`` of new data ``X``.

    ``params`` are relative to ``center``. The path is chosen from this
    ``X``'s own spread about ``center``.
    """
    n, d = X.shape
    radius2 = 0.0
    for s in range(0, n, 1 << 14):
        xt = np.subtract(X[s:s + (1 << 14)].T, center[:, None], dtype=np.float64)
        radius2 = max(radius2, float(np.max(np.einsum("ij,ij->j", xt, xt))))
    scorer = _ChunkScorer(cov_type, params, radius2)
    step = scorer.chunk_size
    for s in range(0, n, step):
        e = min(s + step, n)
        log_joint, shared = scorer.log_joint(*scorer.chunk(X[s:e].T, center))
        yield s, e, log_joint, shared
