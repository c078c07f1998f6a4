"""The E-step: one chunked pass over the data, fused with the sufficient statistics.

The E-step of a Gaussian mixture needs, for every sample, the log-densities
of all ``K`` components; the M-step needs only their responsibility-weighted
sums (``N_k``, first and second moments). :func:`e_step` walks the samples in
chunks and turns each chunk's log-densities straight into its share of those
sums, so an ``(n, K)`` responsibility matrix never exists; the data is held
once more, transposed in its own dtype, and each chunk is centred and cast
to float64 on its own.

Per pass, one of two paths (each covariance type's chunk kernels are in :mod:`._covariance`):

* **expanded** -- log-densities and second moments both from parameter-free
  features of ``x`` (one matrix product each). Its round-off grows with
  ``|x|^2 lambda_max(P)``; it is used when the estimated round-off of a
  log-density, ``eps * sqrt(n_features) * trace(P) * (R + |mu|)^2`` (``R``
  the largest distance of a sample from the centre), is at most
  :data:`EXPANDED_MAX_ERROR`, and for ``full`` only up to
  :data:`._covariance.EXPANDED_MAX_D` features (beyond, its ``d^2/2`` features cost more
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

import math

import numpy as np

from ._covariance import covariance_model
from ._params import MixtureParams
from ._suffstats import SufficientStats, add_centred

__all__ = ["chunk_size", "e_step", "log_prob_chunks", "normalize"]

#: Largest estimated absolute round-off of a log-density accepted from the expanded path.
EXPANDED_MAX_ERROR = 1e-9
#: Log of the smallest responsibility kept, relative to its row's largest (2^-53).
NEGLIGIBLE_LOG = -53 * math.log(2)
#: Floats held by one chunk's largest buffers (about 8 MB).
CHUNK_FLOATS = 1 << 20
_EPS = np.finfo(np.float64).eps
_LOG_2PI = math.log(2 * math.pi)


def chunk_size(cov, d, k, expanded=False):
    """Samples per chunk: the path's largest buffers hold about CHUNK_FLOATS floats."""
    per_sample = _n_features(cov, d) + 3 * k if expanded else 2 * k * d + 4 * k + 2 * d
    return min(max(CHUNK_FLOATS // per_sample, 256), 1 << 14)


def _n_features(cov, d):
    """Rows of the expanded path's feature block: quadratic features, a row of ones, ``x``."""
    return cov.n_quadratic(d) + 1 + d


class _ChunkScorer:
    """Log of ``w_k N(x | mu_k, Sigma_k)`` for all components, chunk by chunk.

    On the expanded path a chunk lives in one feature block, rows
    ``[q(x); 1; x]``: the centred samples are written straight into its last
    rows, so one product with the coefficients (offsets included, through the
    row of ones) gives the log-joints, and one product with the
    responsibilities gives ``N_k``, the first and the second moments.
    """

    def __init__(self, cov_type: str, params: MixtureParams, radius2: float):
        self.kern = cov = covariance_model(cov_type)
        self.params = params
        k, d = params.means.shape
        self.k, self.q = k, cov.n_quadratic(d)
        with np.errstate(divide="ignore"):  # a zero weight is a component with log-weight -inf
            log_w = np.log(params.weights)
        self.offset = log_w - 0.5 * d * _LOG_2PI + cov.half_log_det(params.precisions_cholesky, k, d)
        self.expanded = d <= cov.expanded_max_d and _expansion_error(cov, params, radius2) <= EXPANDED_MAX_ERROR
        if self.expanded:
            a_q, a_x, const = self.kern.coefficients(params.means, params.precisions_cholesky)
            self.coef = np.concatenate([a_q, (self.offset + const)[None, :], a_x])
        else:
            self.prep = self.kern.prepare(params.means, params.precisions_cholesky)
        self.block = None
        self.chunk_size = chunk_size(cov, d, k, self.expanded)

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
            return self.coef.T @ feats, self.kern.shared_exponent(xt, self.params.precisions_cholesky)
        out = self.kern.mahalanobis(xt, self.prep, self.k)
        out *= -0.5
        out += self.offset[:, None]
        return out, None


def _expansion_error(cov, params, radius2):
    """Estimated absolute round-off of an expanded log-density (see the module docstring)."""
    scale = float(np.max(cov.precision_scale(params.precisions_cholesky)))
    mu = math.sqrt(float(np.max(np.einsum("kj,kj->k", params.means, params.means))))
    n_features = _n_features(cov, params.means.shape[1])
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


def e_step(data, params: MixtureParams, *, stats: bool = True, radius2: float | None = None):
    """Statistics (or None) and log-likelihood ``sum_n w_n log p(x_n)`` of a :class:`._data.MixtureData`, in one pass.

    ``radius2`` (default ``data.radius2``) picks the numerical path: a block of
    a larger data set passes the whole data's, so that every block takes the same path.
    """
    k, d = params.means.shape
    kern = covariance_model(data.cov_type)
    scorer = _ChunkScorer(data.cov_type, params, data.radius2 if radius2 is None else radius2)
    loglik = 0.0
    if scorer.expanded:
        g = np.zeros((_n_features(kern, d), k))
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
            add_centred(kern, xt, resp, params.means, first, second, kept)
    if not stats:
        return None, loglik
    if scorer.expanded:
        q = scorer.q
        second = kern.second_from_quadratic(g[:q], d, data.second_moment)
        return SufficientStats(g[q].copy(), g[q + 1:].T.copy(), second, np.zeros((k, d)), params), loglik
    return SufficientStats(n_k, first, second, params.means.copy(), params), loglik


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
