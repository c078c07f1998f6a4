"""One pass over the data: the fused E-step and the sufficient statistics.

The E-step of a Gaussian mixture needs, for every sample, the log-densities
of all ``K`` components; the M-step needs only their responsibility-weighted
sums (``N_k``, first and second moments). :func:`e_step` walks the samples in
chunks and turns each chunk's log-densities straight into its share of those
sums, so an ``(n, K)`` responsibility matrix never exists and ``X`` is never
copied (each chunk is centred, transposed and cast to float64 on its own).

Two ways to get the log-densities of a chunk:

* **fast** -- expand ``(x - mu)^T P (x - mu)`` into parameter-free features of
  ``x`` (products ``x_i x_j``, squares, ``x``) so that all components come out
  of one matrix product, and the second moments out of another. Its round-off
  grows with ``|x|^2 lambda_max(P)``, which centring the data keeps small;
* **stable** -- per component, ``|U^T (x - mu_k)|^2`` with statistics taken
  about the current means: no cancellation, ``K`` times more passes.

The fast path is used when its estimated round-off in a log-density,
``eps * sqrt(n_features) * trace(P) * (R + |mu|)^2`` (``R`` the largest
distance of a sample from the centre), is below :data:`FAST_PATH_MAX_ERROR`;
otherwise the stable one. Both give the same statistics to round-off.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._covariance import covariance_model

__all__ = [
    "DegenerateComponentError",
    "MixtureData",
    "MixtureParams",
    "SufficientStats",
    "e_step",
    "log_prob_chunks",
    "m_step",
    "stats_from_resp",
]

#: Largest estimated absolute round-off in a log-density accepted from the fast path.
FAST_PATH_MAX_ERROR = 1e-9
#: Floats held by one chunk's feature and responsibility buffers (about 8 MB).
CHUNK_FLOATS = 1 << 20
_EPS = np.finfo(np.float64).eps
_LOG_2PI = math.log(2 * math.pi)


class DegenerateComponentError(ValueError):
    """A mixture component lost all its weight or collapsed onto a point.

    The likelihood of a Gaussian mixture is unbounded: a component that
    shrinks onto a single point (or a set of repeated points) can make it as
    large as ``reg_covar`` allows, and a component without weight is not a
    component. :class:`emcore.GaussianMixture` raises this error instead of
    returning such a fit; with ``n_init > 1`` it skips the restart and
    raises only when every restart degenerates.
    """


@dataclasses.dataclass
class MixtureParams:
    """Parameters of a Gaussian mixture (means relative to the data's centre inside a fit)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray


@dataclasses.dataclass
class SufficientStats:
    """Responsibility-weighted sums over the samples, about ``shift`` (K, d).

    ``n`` (K,) sums of weights times responsibilities, ``first`` (K, d) sums of
    ``r (x - shift_k)``, ``second`` the second moments about ``shift`` (shape
    per covariance type, see :mod:`._covariance`); ``params`` the parameters
    whose responsibilities these are (None for given responsibilities).
    """

    n: np.ndarray
    first: np.ndarray
    second: np.ndarray
    shift: np.ndarray
    params: MixtureParams | None = None


class MixtureData:
    """``X`` (not copied) with its sample weights, centre and chunking.

    Computes once, in two chunked passes: the weighted mean ``center``; the
    largest squared distance ``radius2`` of a weighted sample from it; the
    mean variance ``variance`` over the features; for ``tied`` the second
    moment ``second_moment`` about the centre.
    """

    def __init__(self, X, sample_weight, cov_type: str, n_components: int, chunk_size=None):
        self.X = X
        self.weights = sample_weight  # None, or float64 (n,) with a positive sum
        self.n, self.d = X.shape
        self.cov_type = cov_type
        self.cov = covariance_model(cov_type)
        per_sample = self.cov.n_features(self.d) + 3 * n_components + self.d
        self.chunk_size = int(chunk_size or min(max(CHUNK_FLOATS // per_sample, 64), 1 << 16))
        self.total_weight = float(self.n if sample_weight is None else sample_weight.sum())
        zero = np.zeros(self.d)
        first = zero.copy()
        for s, e in self.chunks():
            first += self.chunk_T(s, e, zero) @ self.chunk_weights(s, e, ones=True)
        self.center = first / self.total_weight
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
        self.variance = var_sum / (self.total_weight * self.d)

    def chunks(self):
        step = self.chunk_size
        return ((s, min(s + step, self.n)) for s in range(0, self.n, step))

    def chunk_T(self, s, e, center):
        """Rows ``s:e`` minus ``center``, transposed to (d, e - s), float64."""
        return np.subtract(self.X[s:e].T, center[:, None], dtype=np.float64)

    def chunk_weights(self, s, e, ones=False):
        if self.weights is None:
            return np.ones(e - s) if ones else None
        return self.weights[s:e]


def _use_fast_path(cov, params: MixtureParams, radius2: float, d: int) -> bool:
    scale = float(np.max(cov.precision_scale(params.precisions_cholesky)))
    mu = float(np.sqrt(np.max(np.einsum("kj,kj->k", params.means, params.means))))
    reach = (math.sqrt(radius2) + mu) ** 2
    return _EPS * math.sqrt(cov.n_features(d)) * scale * reach <= FAST_PATH_MAX_ERROR


class _ChunkScorer:
    """Log of ``w_k N(x | mu_k, Sigma_k)`` for the components, chunk by chunk."""

    def __init__(self, cov_type: str, params: MixtureParams, radius2: float):
        self.cov = covariance_model(cov_type)
        self.params = params
        k, d = params.means.shape
        self.k, self.d = k, d
        with np.errstate(divide="ignore"):  # a zero weight is a component with log-weight -inf
            log_w = np.log(params.weights)
        self.offset = log_w - 0.5 * d * _LOG_2PI + self._half_log_det()
        self.fast = _use_fast_path(self.cov, params, radius2, d)
        if self.fast:
            self.coef, quad = self.cov.coefficients(params.means, params.precisions_cholesky)
            self.offset = self.offset + quad
        self.buffer = None

    def _half_log_det(self):
        return self.cov.half_log_det(self.params.precisions_cholesky, self.k, self.d)

    def features(self, xt):
        m = xt.shape[1]
        p = self.cov.n_features(self.d)
        if self.buffer is None or self.buffer.shape[1] < m:
            self.buffer = np.empty((p, m))
        return self.cov.features(xt, self.buffer[:, :m])

    def log_joint(self, xt):
        """(K, m) log-joints up to a shared per-sample term, that term (or None), features."""
        chol = self.params.precisions_cholesky
        if self.fast:
            feats = self.features(xt)
            out = self.coef.T @ feats
            out += self.offset[:, None]
            shared = self.cov.common_term(xt, chol) if self.cov.name == "tied" else None
            return out, shared, feats
        out = np.empty((self.k, xt.shape[1]))
        for j in range(self.k):
            diff = xt - self.params.means[j][:, None]
            out[j] = self.offset[j] - 0.5 * self.cov.mahalanobis(diff, chol, j)
        return out, None, None


def normalize(log_joint: np.ndarray, shared) -> tuple[np.ndarray, np.ndarray]:
    """In place: (K, m) log-joints -> responsibilities; returns them and log p(x).

    Log-sum-exp with the maximum of each column shifted out, so no exponent
    overflows and at least one term of every column is exactly 1.
    """
    top = log_joint.max(axis=0)
    log_joint -= top
    np.exp(log_joint, out=log_joint)
    total = log_joint.sum(axis=0)
    log_p = np.log(total)
    log_p += top
    if shared is not None:
        log_p += shared
    np.reciprocal(total, out=total)
    log_joint *= total
    return log_joint, log_p


def e_step(data: MixtureData, params: MixtureParams, *, stats: bool = True):
    """Log-likelihood ``sum_n w_n log p(x_n)`` and (optionally) the statistics."""
    cov, k, d = data.cov, params.means.shape[0], data.d
    scorer = _ChunkScorer(data.cov_type, params, data.radius2)
    loglik = 0.0
    n_k = np.zeros(k)
    if scorer.fast:
        g = np.zeros((cov.n_features(d), k))
    else:
        first = np.zeros((k, d))
        second = cov.empty_second_moments(k, d)
    for s, e in data.chunks():
        xt = data.chunk_T(s, e, data.center)
        w = data.chunk_weights(s, e)
        log_joint, shared, feats = scorer.log_joint(xt)
        resp, log_p = normalize(log_joint, shared)
        loglik += float(log_p.sum() if w is None else log_p @ w)
        if not stats:
            continue
        if w is not None:
            resp *= w
        n_k += resp.sum(axis=1)
        if scorer.fast:
            g += feats @ resp.T
        else:
            _add_stable(cov, xt, resp, params.means, first, second)
    if not stats:
        return None, loglik
    if scorer.fast:
        first = g[-d:].T.copy()
        second = data.second_moment.copy() if cov.name == "tied" else cov.second_moments_from_features(g, d)
        return SufficientStats(n_k, first, second, np.zeros((k, d)), params), loglik
    return SufficientStats(n_k, first, second, params.means.copy(), params), loglik


def _add_stable(cov, xt, resp, shift, first, second):
    for j in range(shift.shape[0]):
        diff = xt - shift[j][:, None]
        first[j] += diff @ resp[j]
        cov.add_scatter(second, diff, resp[j], j)


def stats_from_resp(data: MixtureData, resp_chunk, k: int) -> SufficientStats:
    """Statistics of given responsibilities, ``resp_chunk(s, e)`` -> (K, e - s).

    Two passes: the means first, then the second moments about them, so the
    starting covariances carry no cancellation error whatever the data.
    """
    cov, d = data.cov, data.d
    n_k, first = np.zeros(k), np.zeros((k, d))
    for s, e in data.chunks():
        resp = _weighted(data, resp_chunk(s, e), s, e)
        n_k += resp.sum(axis=1)
        first += resp @ data.chunk_T(s, e, data.center).T
    shift = first / np.maximum(n_k, 10 * _EPS)[:, None]
    first = np.zeros((k, d))
    second = cov.empty_second_moments(k, d)
    for s, e in data.chunks():
        resp = _weighted(data, resp_chunk(s, e), s, e)
        _add_stable(cov, data.chunk_T(s, e, data.center), resp, shift, first, second)
    return SufficientStats(n_k, first, second, shift)


def _weighted(data, resp, s, e):
    resp = np.asarray(resp, dtype=np.float64)
    w = data.chunk_weights(s, e)
    return resp if w is None else resp * w


def log_prob_chunks(X, cov_type: str, params: MixtureParams, center: np.ndarray):
    """Yield ``(s, e, log_joint, shared)`` for rows ``s:e`` of new data ``X``.

    ``params`` are relative to ``center``. The fast path is chosen from this
    ``X``'s own spread about ``center``.
    """
    n, d = X.shape
    data_chunk = max(CHUNK_FLOATS // (covariance_model(cov_type).n_features(d) + 3 * params.means.shape[0] + d), 64)
    radius2 = 0.0
    for s in range(0, n, data_chunk):
        xt = np.subtract(X[s:s + data_chunk].T, center[:, None], dtype=np.float64)
        radius2 = max(radius2, float(np.max(np.einsum("ij,ij->j", xt, xt))))
    scorer = _ChunkScorer(cov_type, params, radius2)
    for s in range(0, n, data_chunk):
        e = min(s + data_chunk, n)
        xt = np.subtract(X[s:e].T, center[:, None], dtype=np.float64)
        log_joint, shared, _ = scorer.log_joint(xt)
        yield s, e, log_joint, shared


#: A component is empty when its weight is below this fraction of the total weight.
EMPTY_FRACTION = 100 * _EPS
#: A component has collapsed when its variance is below this fraction of the data's.
COLLAPSE_FRACTION = 1e-12


def m_step(stats: SufficientStats, cov_type: str, reg_covar: float, data_variance: float) -> MixtureParams:
    """The parameters that maximise Q given the statistics, plus ``reg_covar`` on the diagonal.

    Raises :class:`DegenerateComponentError` for a component whose weight is
    zero to working precision (below ``EMPTY_FRACTION`` of the total), whose
    variance (mean over the features, before ``reg_covar``) is not above
    ``COLLAPSE_FRACTION`` times the data's -- it sits on a point or on
    repeated points -- or whose covariance is not positive definite.

    With ``reg_covar > 0`` the result is not the exact maximiser of ``Q``, so
    the observed-data log-likelihood could fall. When ``stats.params`` (the
    current parameters) is known, the step is therefore accepted only if
    ``Q(new | current) >= Q(current | current)`` -- evaluated from the
    statistics, no pass over the data -- which by EM's inequality
    guarantees that the log-likelihood does not decrease. Otherwise the
    current parameters are returned unchanged: near the fixed point the
    regularised step no longer improves the likelihood, and the fit has
    converged as far as ``reg_covar`` allows. (Away from that point the
    check always passes, and the steps are exactly the regularised ones.)
    """
    cov = covariance_model(cov_type)
    n = stats.n
    total = float(n.sum())
    empty = np.flatnonzero(~(n > EMPTY_FRACTION * total))
    if empty.size:
        j = int(empty[0])
        raise DegenerateComponentError(
            f"component {j} lost all its weight (its total responsibility is {n[j]:.3g} "
            f"of {total:.6g}): no sample is near it; use fewer components or another initialisation"
        )
    # n_guarded keeps every division finite: an underflowed n_k is reported above,
    # and the 10 eps shift is far below the round-off of any n_k that passes.
    n_guarded = n + 10 * _EPS
    delta = stats.first / n_guarded[:, None]
    covariances, spread = cov.covariances(stats.second, n, n_guarded, delta, reg_covar)
    collapsed = np.flatnonzero(~(spread > COLLAPSE_FRACTION * data_variance))
    if collapsed.size:
        j = int(collapsed[0])
        what = "the shared covariance" if cov_type == "tied" else f"component {j}"
        raise DegenerateComponentError(
            f"{what} collapsed onto a point: its variance (mean over the features, "
            f"{spread[j]:.3g}) is zero next to the data's ({data_variance:.3g}); the likelihood "
            "is unbounded there. Use fewer components, another initialisation, or remove "
            "repeated points"
        )
    try:
        chol = cov.precision_cholesky(covariances)
    except np.linalg.LinAlgError:
        raise DegenerateComponentError(
            f"a covariance matrix is not positive definite (reg_covar={reg_covar:g}): some "
            "component has fewer distinct samples than dimensions; increase reg_covar"
        ) from None
    new = MixtureParams(n_guarded / n_guarded.sum(), stats.shift + delta, covariances, chol)
    current = stats.params
    if current is not None:
        q_new, scale = _q_value(cov, stats, new)
        q_old, _ = _q_value(cov, stats, current)
        if q_new < q_old - Q_RTOL * scale:
            return current
    return new


#: Round-off allowance of the ``Q`` comparison in :func:`m_step`, relative to
#: the magnitude of ``Q``'s terms: smaller differences are round-off, not a decrease.
Q_RTOL = 1000 * _EPS


def _q_value(cov, stats: SufficientStats, params: MixtureParams) -> tuple[float, float]:
    """``Q(params | stats.params)`` up to a constant, and the size of its terms."""
    k, d = params.means.shape
    chol = params.precisions_cholesky
    with np.errstate(divide="ignore"):
        log_w = np.log(params.weights)
    delta = params.means - stats.shift
    trace = cov.scatter_trace(chol, stats.n, stats.first, stats.second, delta)
    linear = stats.n * (log_w + cov.half_log_det(chol, k, d))
    return float(linear.sum()) - 0.5 * trace, float(np.abs(linear).sum()) + 0.5 * abs(trace)
