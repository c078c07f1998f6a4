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
their number of missing entries and, within a group, by pattern: each
pattern costs one factorisation of each component's (small) missing block
of the precision, not one per row, and the row-wise work is vectorised over
the group (:mod:`._conditional`). Rows with nothing
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
from ._pool import ordered_map
from ._params import MixtureParams
from ._suffstats import SufficientStats

__all__ = ["Group", "IncompleteRows", "check_observed", "impute", "log_prob_rows", "split_incomplete"]


def check_observed(observed_per_column, name: str = "X") -> None:
    """A ValueError naming ``name`` when nothing, or some column, is never observed."""
    counts = np.asarray(observed_per_column)
    if not counts.any():
        raise ValueError(f"{name} has every entry missing (NaN): there is nothing to fit")
    never = np.flatnonzero(counts == 0)
    if never.size:
        raise ValueError(f"{name} has columns that are never observed (all NaN): {never.tolist()}; "
                         "their mean and variance cannot be estimated: drop them")


#: Rows of one group handled at once (bounds the (K, rows, d) buffers).
GROUP_ROWS = 1 << 13
_LOG_2PI = float(np.log(2 * np.pi))


@dataclasses.dataclass
class Group:
    """Rows with the same number ``b`` of missing entries (``0 < b``), sorted by pattern."""

    rows: np.ndarray  #: (n,) indices of the rows in the data
    mis: np.ndarray  #: (P, b) the missing columns of each pattern
    pid: np.ndarray  #: (n,) each row's pattern
    x0: np.ndarray  #: (n, d) the rows minus the centre, 0 at the missing entries, float64
    seen: np.ndarray  #: (n, d) 1.0 at the observed entries, 0.0 at the missing ones
    w: np.ndarray | None  #: sample weights of the rows, or None


class IncompleteRows:
    """The rows of ``X`` (indices ``rows``) with a NaN, centred at ``center``, grouped by their count of NaN.

    Within a group the rows are sorted by pattern; each pattern costs one
    factorisation of each component's ``P_mm`` (:mod:`._conditional`), and
    the row-wise work is vectorised over the group. Rows with nothing
    observed are kept apart in ``empty``.
    """

    def __init__(self, X, rows, center, weights=None):
        rows = np.asarray(rows, dtype=np.intp)
        mask = np.isnan(X[rows])
        d = mask.shape[1]
        count = mask.sum(axis=1)
        self.empty = rows[count == d]
        self.groups = []
        for b in range(1, d):
            sub = rows[count == b]
            if sub.size == 0:
                continue
            m = mask[count == b]
            patterns, pid = np.unique(m, axis=0, return_inverse=True)
            pid = pid.ravel()
            order = np.argsort(pid, kind="stable")
            sub, m, pid = sub[order], m[order], pid[order]
            mis = np.nonzero(patterns)[1].reshape(len(patterns), b)
            x0 = np.where(m, 0.0, np.subtract(X[sub], center, dtype=np.float64))
            self.groups.append(Group(sub, mis, pid, x0, (~m).astype(np.float64),
                                     None if weights is None else weights[sub]))

    def _tasks(self, params, cov) -> list:
        """``(group, C, offset, s, e)`` for the slices of each group's rows; a group's factorisations made once."""
        k, d = params.means.shape
        chol = params.precisions_cholesky
        base = _log_weights(params) + cov.half_log_det(chol, k, d)
        tasks = []
        for g in self.groups:
            b = g.mis.shape[1]
            c, half_mm = cov.missing_precision(chol, g.mis)
            offset = base[:, None] - half_mm - 0.5 * (d - b) * _LOG_2PI  # (K, P)
            tasks += [(g, c, offset, s, min(s + GROUP_ROWS, g.rows.size)) for s in range(0, g.rows.size, GROUP_ROWS)]
        return tasks

    @staticmethod
    def _slice(params, cov, task):
        """``(log_joint (K, m), xhat (K, m, d))`` of one slice of rows."""
        g, c, offset, s, e = task
        chol = params.precisions_cholesky
        pid = g.pid[s:e]
        diff = np.multiply(params.means[:, None, :], g.seen[None, s:e])
        np.subtract(g.x0[None, s:e], diff, out=diff)  # x - mu, 0 at the missing entries
        xhat, sq = cov.complete_rows(diff, chol, c, g.mis, pid)
        sq *= -0.5
        sq += offset[:, pid]
        return sq, xhat

    def e_step(self, complete, params: MixtureParams, cov_type: str, *, stats=True, radius2=None, n_jobs=1):
        """``(SufficientStats or None, loglik)`` of these rows plus those of ``complete`` (or None).

        The slices of rows run on ``n_jobs`` threads (:func:`._pool.ordered_map`),
        their sums added in slice order, so the result does not depend on ``n_jobs``.
        """
        cov = covariance_model(cov_type)
        k, d = params.means.shape
        n_k, first, second = np.zeros(k), np.zeros((k, d)), cov.empty_second(k, d)
        loglik = 0.0

        def partial(task):
            g, c, _, s, e = task
            log_joint, xhat = self._slice(params, cov, task)
            resp, log_p, _ = normalize(log_joint, None)
            w = None if g.w is None else g.w[s:e]
            ll = float(log_p.sum() if w is None else log_p @ w)
            if not stats:
                return ll, None
            if w is not None:
                resp *= w
            n_p = g.mis.shape[0]
            r_pattern = np.stack([np.bincount(g.pid[s:e], weights=r, minlength=n_p) for r in resp])
            return ll, (resp.sum(axis=1),) + tuple(cov.completed_moments(xhat, resp, c, r_pattern, g.mis))

        for ll, part in ordered_map(partial, self._tasks(params, cov), n_jobs):
            loglik += ll
            if part is not None:
                n_k += part[0]
                first += part[1]
                second += part[2]
        own = SufficientStats(n_k, first, second, params.means.copy(), params) if stats else None
        if complete is None:
            return own, loglik
        theirs, ll = complete.e_step(params, stats=stats, radius2=radius2)
        if stats:
            own = own.about(theirs.shift, cov_type)
            own = SufficientStats(theirs.n + own.n, theirs.first + own.first, theirs.second + own.second,
                                  theirs.shift, params)
        return own, ll + loglik

    def posterior(self, params: MixtureParams, cov_type: str, *, completed=False):
        """Yield ``(rows, log_joint, shared)`` (with ``completed``: and ``x^ - mu`` (K, m, d)) per slice."""
        cov = covariance_model(cov_type)
        for task in self._tasks(params, cov):
            g, _, _, s, e = task
            log_joint, xhat = self._slice(params, cov, task)
            yield (g.rows[s:e], log_joint, None) + ((xhat,) if completed else ())
        if self.empty.size:
            log_joint = np.repeat(_log_weights(params)[:, None], self.empty.size, axis=1)
            shared = -normalize(log_joint.copy(), None)[1]  # so that log p = 0 exactly
            xhat = np.zeros((log_joint.shape[0], self.empty.size, params.means.shape[1]))
            yield (self.empty, log_joint, shared) + ((xhat,) if completed else ())


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


def log_prob_rows(X, cov_type: str, params: MixtureParams, center, finish, n_jobs: int = 1) -> None:
    """``finish(rows, log_joint, shared)`` for every chunk of rows of new data ``X``, NaN entries integrated out.

    The rows without NaN go through :func:`._estep.log_prob_chunks` on
    ``n_jobs`` threads (``finish`` may write its rows of an output); the
    others, grouped by pattern, follow in the calling thread.
    """
    nan = np.isnan(X).any(axis=1)
    if not nan.any():
        log_prob_chunks(X, cov_type, params, center, lambda s, e, lj, sh: finish(slice(s, e), lj, sh), n_jobs)
        return
    full = np.flatnonzero(~nan)
    if full.size:
        log_prob_chunks(X[full], cov_type, params, center, lambda s, e, lj, sh: finish(full[s:e], lj, sh), n_jobs)
    for rows, log_joint, shared in IncompleteRows(X, np.flatnonzero(nan), center).posterior(params, cov_type):
        finish(rows, log_joint, shared)


def impute(X, cov_type: str, params: MixtureParams, center):
    """A float64 copy of ``X`` with each NaN replaced by ``E[x_m | x_o]`` under the mixture.

    ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + W_k (x_o - mu_ko))``.
    """
    out = np.array(X, dtype=np.float64)
    nan = np.isnan(out)
    rows = np.flatnonzero(nan.any(axis=1))
    for idx, log_joint, shared, xhat in IncompleteRows(out, rows, center).posterior(params, cov_type,
                                                                                    completed=True):
        resp = normalize(log_joint, shared)[0]
        xhat += params.means[:, None, :]
        filled = np.einsum("kn,knd->nd", resp, xhat) + center
        out[idx] = np.where(nan[idx], filled, out[idx])
    return out
