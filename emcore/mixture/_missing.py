"""Rows with missing entries (NaN, missing at random): grouped by pattern, E-step, scoring, imputation.

With ``GaussianMixture(missing="marginalize")`` a row's NaN entries are
integrated out: the density of a row is the mixture of the components'
marginals on its observed coordinates ``o``, so the responsibilities and the
monitored log-likelihood are those of the observed data. The sufficient
statistics take the conditional expectations of the missing coordinates and
of their outer products (:mod:`._conditional`): each component's row is
completed by its conditional mean, and its conditional covariance is added
to the second moments. That is EM for the observed-data likelihood, so the
log-likelihood never decreases.

Rows with nothing missing keep the chunked kernels of :mod:`._estep`
(:class:`._data.MixtureData` splits them off); the others are grouped by
their pattern of missing entries, so each pattern costs one factorisation of
each component's observed block, not one per row. Rows with nothing
observed carry no information: they add nothing to the fit, their
responsibilities are the weights and their log-density is 0.

Summaries of data with holes use the observed entries: the centre is each
column's weighted mean of its observed entries, distances and variances
count the observed coordinates only. The initialisation (k-means and the
others) runs on the data with each hole filled by its column's observed
mean.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._covariance import covariance_model
from ._estep import log_prob_chunks, normalize
from ._params import MixtureParams
from ._suffstats import SufficientStats

__all__ = ["IncompleteRows", "check_observed", "impute", "log_prob_rows", "split_incomplete"]


def check_observed(observed_per_column, name: str = "X") -> None:
    """A ValueError naming ``name`` when nothing, or some column, is never observed."""
    counts = np.asarray(observed_per_column)
    if not counts.any():
        raise ValueError(f"{name} has every entry missing (NaN): there is nothing to fit")
    never = np.flatnonzero(counts == 0)
    if never.size:
        raise ValueError(f"{name} has columns that are never observed (all NaN): {never.tolist()}; "
                         "their mean and variance cannot be estimated: drop them")


@dataclasses.dataclass
class Pattern:
    """Rows sharing one pattern of missing entries: indices, observed and missing columns."""

    rows: np.ndarray  #: indices of the rows in the data
    obs: np.ndarray  #: observed columns
    mis: np.ndarray  #: missing columns
    xt: np.ndarray  #: (a, n_p) the observed entries minus the centre, float64
    w: np.ndarray | None  #: sample weights of the rows, or None


class IncompleteRows:
    """The rows of ``X`` (indices ``rows``) with a NaN, grouped by pattern, centred at ``center``."""

    def __init__(self, X, rows, center, weights=None):
        rows = np.asarray(rows, dtype=np.intp)
        mask = np.isnan(X[rows])
        _, inverse = np.unique(np.packbits(mask, axis=1), axis=0, return_inverse=True)
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        cuts = np.flatnonzero(np.diff(inverse[order])) + 1
        self.patterns = []
        for group in np.split(order, cuts):
            missing = mask[group[0]]
            obs, mis = np.flatnonzero(~missing), np.flatnonzero(missing)
            idx = rows[group]
            xt = np.subtract(X[idx][:, obs].T, center[obs, None], dtype=np.float64)
            self.patterns.append(Pattern(idx, obs, mis, xt, None if weights is None else weights[idx]))

    def _terms(self, cov, params, p, log_w):
        """(K, n_p) log-joints of the pattern's rows, and the Cholesky factors of the observed blocks."""
        chol = cov.precision_cholesky(cov.observed_block(params.covariances, p.obs))
        log_joint = cov.log_gaussian(p.xt.T, params.means[:, p.obs], chol).T
        log_joint += log_w[:, None]
        return log_joint, chol

    def e_step(self, complete, params: MixtureParams, cov_type: str, *, stats=True, radius2=None):
        """``(SufficientStats or None, loglik)`` of these rows plus those of ``complete`` (or None)."""
        cov = covariance_model(cov_type)
        k, d = params.means.shape
        n_k, first, second = np.zeros(k), np.zeros((k, d)), cov.empty_second(k, d)
        loglik = 0.0
        log_w = _log_weights(params)
        for p in self.patterns:
            if p.obs.size == 0:  # nothing observed: log p(x_o) = 0, no information
                continue
            log_joint, chol = self._terms(cov, params, p, log_w)
            resp, log_p, _ = normalize(log_joint, None)
            loglik += float(log_p.sum() if p.w is None else log_p @ p.w)
            if not stats:
                continue
            if p.w is not None:
                resp *= p.w
            diff = p.xt[None] - params.means[:, p.obs, None]
            w, c = cov.conditional(params.covariances, chol, p.obs, p.mis)
            f, s = cov.completed_moments(diff, resp, w, c, p.obs, p.mis, d)
            n_k += resp.sum(axis=1)
            first += f
            second += s
        own = SufficientStats(n_k, first, second, params.means.copy(), params) if stats else None
        if complete is None:
            return own, loglik
        theirs, ll = complete.e_step(params, stats=stats, radius2=radius2)
        if stats:
            own = own.about(theirs.shift, cov_type)
            own = SufficientStats(theirs.n + own.n, theirs.first + own.first, theirs.second + own.second,
                                  theirs.shift, params)
        return own, ll + loglik

    def posterior(self, params: MixtureParams, cov_type: str, *, offsets=False):
        """Yield ``(rows, log_joint, shared)`` per pattern (and the conditional means' offsets)."""
        cov = covariance_model(cov_type)
        log_w = _log_weights(params)
        for p in self.patterns:
            n_p = p.rows.size
            if p.obs.size == 0:
                log_joint = np.repeat(log_w[:, None], n_p, axis=1)
                # log p = 0 exactly: normalize's own value, subtracted
                shared = -normalize(log_joint.copy(), None)[1]
                off = np.zeros((log_w.size, p.mis.size, n_p))
            else:
                log_joint, chol = self._terms(cov, params, p, log_w)
                shared = None
                if offsets:
                    diff = p.xt[None] - params.means[:, p.obs, None]
                    w, _ = cov.conditional(params.covariances, chol, p.obs, p.mis)
                    off = cov.conditional_offset(w, diff, p.mis.size)
            yield (p, log_joint, shared, off) if offsets else (p.rows, log_joint, shared)


def _log_weights(params):
    with np.errstate(divide="ignore"):  # a zero weight is a component with log-weight -inf
        return np.log(params.weights)


def split_incomplete(X, weights, center=None):
    """``(X filled, center, complete rows, IncompleteRows, observed weight)``, or None without NaN.

    ``center`` (default: each column's weighted mean of its observed entries)
    fills the holes of the copy used by the initialisation and the summaries.
    """
    nan = np.isnan(X)
    if not nan.any():
        return None
    observed = ~nan
    w = np.ones(X.shape[0]) if weights is None else weights
    if center is None:
        col_weight = w @ observed
        check_observed(col_weight > 0)
        center = (w @ np.where(observed, X, 0.0)) / col_weight
    center = np.asarray(center, dtype=np.float64)
    filled = np.where(observed, X, center.astype(X.dtype))
    complete = ~nan.any(axis=1)
    incomplete = IncompleteRows(X, np.flatnonzero(~complete), center, weights)
    return filled, center, complete, incomplete, float(w @ observed.sum(axis=1))


def log_prob_rows(X, cov_type: str, params: MixtureParams, center):
    """Yield ``(rows, log_joint, shared)`` for new data ``X``, NaN entries integrated out."""
    nan = np.isnan(X).any(axis=1)
    if not nan.any():
        for s, e, log_joint, shared in log_prob_chunks(X, cov_type, params, center):
            yield slice(s, e), log_joint, shared
        return
    full = np.flatnonzero(~nan)
    if full.size:
        for s, e, log_joint, shared in log_prob_chunks(X[full], cov_type, params, center):
            yield full[s:e], log_joint, shared
    yield from IncompleteRows(X, np.flatnonzero(nan), center).posterior(params, cov_type)


def impute(X, cov_type: str, params: MixtureParams, center):
    """A float64 copy of ``X`` with each NaN replaced by ``E[x_m | x_o]`` under the mixture.

    ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + W_k (x_o - mu_ko))``.
    """
    out = np.array(X, dtype=np.float64)
    nan = np.flatnonzero(np.isnan(out).any(axis=1))
    if nan.size == 0:
        return out
    for p, log_joint, shared, off in IncompleteRows(out, nan, center).posterior(params, cov_type, offsets=True):
        resp = normalize(log_joint, shared)[0]
        off += params.means[:, p.mis, None]
        out[p.rows[:, None], p.mis] = np.einsum("kn,kbn->nb", resp, off) + center[p.mis]
    return out
