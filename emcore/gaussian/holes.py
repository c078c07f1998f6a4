"""Rows with missing entries, grouped by their pattern of holes: the shared part of the
mixture's and the hidden Markov model's E-steps on data with NaN.

A row's NaN entries are integrated out: its density under a Gaussian is the marginal on its
observed coordinates, and its contribution to the sufficient statistics completes the missing
coordinates by their conditional mean and adds their conditional covariance
(:mod:`._conditional`). Rows are grouped by their number of holes and, within a group, by
pattern, so each pattern costs one factorisation of each component's missing block of the
precision, not one per row. :class:`HoledRows` does the grouping and, for given parameters,
the log-densities and completions of each slice of a group's rows;
:class:`emcore.mixture._missing.IncompleteRows` and the HMM's emissions with holes build
their E-steps on it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import _tuning
from .stats import exact_origin

__all__ = ["Group", "HoledRows", "log_weights", "observed_mean", "observed_origin"]

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
    counts: np.ndarray  #: (P,) rows per pattern, non-increasing (patterns numbered by frequency)
    _second: np.ndarray | None = None

    def segments(self, s, e):
        """``(a, z, p)``: rows ``a:z`` (relative to ``s``) of rows ``s:e`` have pattern ``p``."""
        pid = self.pid[s:e]
        starts = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
        return list(zip(starts.tolist(), np.append(starts[1:], pid.size).tolist(),
                        pid[starts].tolist()))

    def features(self, s, e, cov):
        """(F, e - s) the expanded features ``[q(x0); 1; x0]`` of rows ``s:e``
        (:mod:`.expanded`), for the patterns' coefficients of ``hole_maps``."""
        q, d = cov.n_quadratic(self.x0.shape[1]), self.x0.shape[1]
        feats = np.empty((q + 1 + d, e - s))
        feats[q] = 1.0
        feats[q + 1:] = self.x0[s:e].T
        cov.quadratic(feats[q + 1:], feats[:q])
        return feats

    def pattern_second(self, n_pat):
        """(n_pat, d, d) ``sum w x0 x0^T`` over the rows of each of the first
        ``n_pat`` patterns (kept)."""
        if self._second is None or self._second.shape[0] != n_pat:
            out = np.zeros((n_pat,) + self.x0.shape[1:] * 2)
            for a, z, p in self.segments(0, int(self.counts[:n_pat].sum())):
                x = self.x0[a:z]
                out[p] = (x.T if self.w is None else x.T * self.w[a:z]) @ x
            self._second = out
        return self._second


class HoledRows:
    """The rows of ``X`` (indices ``rows``) with a NaN, centred at ``center``,
    grouped by their count of NaN.

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
            patterns, pid = _unique_rows(m)
            counts = np.bincount(pid.ravel(), minlength=len(patterns))
            by_count = np.argsort(-counts, kind="stable")  # the most frequent pattern first
            rank = np.empty_like(by_count)
            rank[by_count] = np.arange(by_count.size)
            pid = rank[pid.ravel()]
            order = np.argsort(pid, kind="stable")
            sub, m, pid = sub[order], m[order], pid[order]
            mis = np.nonzero(patterns[by_count])[1].reshape(len(patterns), b)
            x0 = np.where(m, 0.0, np.subtract(X[sub], center, dtype=np.float64))
            self.groups.append(Group(sub, mis, pid, x0, (~m).astype(np.float64),
                                     None if weights is None else weights[sub], counts[by_count]))
        #: the largest ``|x0|^2`` (the path's summary when the caller gives none)
        self.radius2 = max((float(np.max(np.einsum("ij,ij->i", g.x0, g.x0))) for g in self.groups),
                           default=0.0)
        self._zero = np.zeros(d)

    def frequent(self, min_rows, floats):
        """How many of each group's first patterns get their own coefficients on the expanded path.

        The patterns of all groups with ``min_rows`` rows or more, the most
        frequent first, as many as fit in a budget of the floats that the
        groups' ``x0`` and ``seen`` take, at ``floats`` per pattern; since a
        group numbers its patterns by frequency, its share is a prefix.
        """
        counts = (np.concatenate([g.counts for g in self.groups]) if self.groups
                  else np.zeros(0, dtype=np.intp))
        owner = np.repeat(np.arange(len(self.groups)), [g.counts.size for g in self.groups])
        budget = 2 * sum(g.x0.size for g in self.groups)
        n_take = int(min(np.count_nonzero(counts >= min_rows), budget // max(floats, 1)))
        taken = owner[np.argsort(-counts, kind="stable")[:n_take]]
        return np.bincount(taken, minlength=len(self.groups)).tolist()

    def tasks(self, params, cov, base=None) -> list:
        """``(group, C, log|P_mm|^(1/2), maps, s, e)`` for the slices of each
        group's rows; a group's factorisations made once.

        With ``base`` (the complete rows' offsets, (K,)), the rows of a
        group's frequent patterns (:meth:`frequent`, with at least
        ``_tuning.MIN_PATTERN_ROWS`` rows each) come first, with ``maps`` their
        ``hole_maps`` (:mod:`._conditional`); the other slices have None.
        """
        chol = params.precisions_cholesky
        k, d = params.means.shape
        shares = (self.frequent(_tuning.MIN_PATTERN_ROWS, cov.hole_floats(k, d))
                  if base is not None else [0] * len(self.groups))
        tasks = []
        for g, n_pat in zip(self.groups, shares):
            c, half_mm = cov.missing_precision(chol, g.mis)
            split, maps = int(g.counts[:n_pat].sum()), None
            if n_pat:
                maps = cov.hole_maps(chol, params.means, base, g.mis[:n_pat], c[:, :n_pat],
                                     half_mm[:, :n_pat])
            tasks += [(g, c, half_mm, maps, s, min(s + _tuning.GROUP_ROWS, split))
                      for s in range(0, split, _tuning.GROUP_ROWS)]
            tasks += [(g, c, half_mm, None, s, min(s + _tuning.GROUP_ROWS, g.rows.size))
                      for s in range(split, g.rows.size, _tuning.GROUP_ROWS)]
        return tasks

    @staticmethod
    def slice(params, cov, task):
        """``(log_joint (K, m), xhat (K, m, d))`` of one slice of rows, about each
        component's mean."""
        g, c, half_mm, _, s, e = task
        k, d = params.means.shape
        chol = params.precisions_cholesky
        pid = g.pid[s:e]
        diff = np.multiply(params.means[:, None, :], g.seen[None, s:e])
        np.subtract(g.x0[None, s:e], diff, out=diff)  # x - mu, 0 at the missing entries
        xhat, sq = cov.complete_rows(diff, chol, c, g.mis, pid)
        sq *= -0.5
        base = log_weights(params) + cov.half_log_det(chol, k, d)
        sq += (base[:, None] - half_mm - 0.5 * (d - g.mis.shape[1]) * _LOG_2PI)[:, pid]
        return sq, xhat


def _unique_rows(mask):
    """``np.unique(mask, axis=0, return_inverse=True)`` for a boolean ``mask`` (n, d): the
    same patterns in the same (lexicographic) order, from one integer per row where ``d``
    allows (many times faster than comparing rows)."""
    d = mask.shape[1]
    if d > 62:
        return np.unique(mask, axis=0, return_inverse=True)
    bits = np.int64(1) << np.arange(d - 1, -1, -1, dtype=np.int64)  # column 0 most significant
    codes, pid = np.unique(mask @ bits, return_inverse=True)
    return (codes[:, None] & bits) != 0, pid


def log_weights(params):
    """``log pi_k`` (K,), ``-inf`` for a weight of 0."""
    with np.errstate(divide="ignore"):  # a zero weight is a component with log-weight -inf
        return np.log(params.weights)


def observed_mean(X: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Each column's (weighted) mean over its observed (non-NaN) entries; 0 for a column
    with no observed weight (the callers check for such columns where it matters)."""
    seen = ~np.isnan(X)
    filled = np.where(seen, X, 0.0)
    if weights is None:
        total, count = filled.sum(axis=0), seen.sum(axis=0)
    else:
        total, count = weights @ filled, weights @ seen
    return total / np.where(count > 0, count, 1)


def observed_origin(X: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The origin of a fit's coordinates on data with holes: the complete data's rule
    (:func:`emcore.gaussian.stats.exact_origin`) on the observed entries of the rows with weight.

    Per column the mean of its observed entries (:func:`observed_mean`) where subtracting it
    from each of them is exact, else 0. Complete and holed rows are taken about this one
    origin, a holed row with 0 at its holes; what fills a hole elsewhere (for an
    initialisation) is a separate value, and the column's mean would be no safe origin: two
    clusters 1e5 apart and 1e-3 wide, centred at their mean, lose about 1e-8 of their
    log-densities.

    >>> X = np.array([[0.001, 40.0], [np.nan, 50.0], [8.0, np.nan]])
    >>> print(observed_mean(X), observed_origin(X))  # 0.001 - 4.0005 would not be exact
    [ 4.0005 45.    ] [ 0. 45.]
    """
    # the range over the rows with weight (a copy only when some have none); fmin and fmax
    # skip NaN (a hole), and a column never observed keeps the origin 0
    seen = X if weights is None or np.all(weights > 0) else X[weights > 0]
    low, high = np.fmin.reduce(seen, axis=0), np.fmax.reduce(seen, axis=0)
    return exact_origin(observed_mean(X, weights), low, high)
