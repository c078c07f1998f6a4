"""Rows with missing entries (NaN, missing at random): grouped by pattern, E-step,
scoring, imputation.

With ``GaussianMixture(missing="marginalize")`` a row's NaN entries are
integrated out: the density of a row is the mixture of the components'
marginals on its observed coordinates ``o``, so the responsibilities and the
monitored log-likelihood are those of the observed data. The sufficient
statistics take the conditional expectations of the missing coordinates and
of their outer products (:mod:`emcore.gaussian._conditional`): each component's row is
completed by its conditional mean, and its conditional covariance is added
to the second moments. That is EM for the observed-data likelihood, so the
log-likelihood never decreases.

Rows with nothing missing keep the chunked kernels of :mod:`._estep`
(:class:`._data.MixtureData` splits them off); the others are grouped by
their number of missing entries and, within a group, by pattern: each
pattern costs one factorisation of each component's (small) missing block
of the precision, not one per row, and the row-wise work is vectorised over
the group (:mod:`emcore.gaussian._conditional`). On the expanded path of :mod:`._estep`
(chosen as for the complete rows) a slice of a group costs what complete
rows cost: its rows, 0 at the holes, go through the same feature block, and
each pattern's marginal coefficients and completion turn that block into
log-joints and statistics, one product per pattern; otherwise each row is
completed about each component's mean. Rows with nothing
observed carry no information: they add nothing to the fit, their
responsibilities are the weights and their log-density is 0.

Complete and holed rows are taken about one origin, the complete data's
(:func:`emcore.gaussian.stats.exact_origin`, from each column's weighted
mean of its observed entries and their range): a holed row is its
observed entries minus the origin, 0 at its holes, so a sample near 0
keeps its digits whatever the column's mean. Summaries of data with holes
use the observed entries: distances and variances count the observed
coordinates only. The initialisation (k-means and the others) runs on the
data with each hole filled by its column's observed mean, a value apart
from the origin.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_observed
from ..gaussian.covariance import covariance_model
from ..gaussian.holes import HoledRows, log_weights, observed_mean, observed_origin
from ..gaussian.stats import MixtureParams, SufficientStats
from ._estep import ChunkScorer, log_prob_chunks, normalize
from ._pool import ordered_map

__all__ = ["IncompleteRows", "impute", "log_prob_rows", "split_incomplete"]


class IncompleteRows(HoledRows):
    """The holed rows of a mixture's data (:class:`emcore.gaussian.holes.HoledRows`), with the
    mixture's E-step, scoring and posteriors on them."""

    def __init__(self, X, rows, center, weights=None, cov_type=None, n_jobs=1):
        super().__init__(X, rows, center, weights)
        self.cov_type, self.n_jobs = cov_type, n_jobs  # for e_step

    def _direct_partial(self, params, cov, task, stats):
        """One slice's log-likelihood and (N, first, second) about each
        component's mean (or None)."""
        g, c, _, _, s, e = task
        log_joint, xhat = self.slice(params, cov, task)
        resp, log_p, _ = normalize(log_joint, None)
        w = None if g.w is None else g.w[s:e]
        ll = float(log_p.sum() if w is None else np.dot(log_p, w))
        if not stats:
            return ll, None
        if w is not None:
            resp *= w
        r_pattern = np.stack([np.bincount(g.pid[s:e], weights=r, minlength=g.mis.shape[0])
                              for r in resp])
        return ll, (resp.sum(axis=1),) + tuple(cov.completed_moments(xhat, resp, c, r_pattern,
                                                                     g.mis))

    def _expanded_partial(self, scorer, cov, task, stats):
        """One slice by the complete rows' expanded features, about the centre:
        ``(loglik, moments, patterns)``.

        A row's log-density is its marginal's on the observed block, whose
        precision is the Schur complement ``L = P_oo - P_om C P_mo``; placed in
        the full coordinates (0 at the holes, as is ``x0``), the expanded
        features of ``x0`` times that marginal's coefficients give it, one
        product per pattern of the slice (``hole_maps`` in :mod:`emcore.gaussian._conditional`).
        Since ``L <= P``, the path's round-off bound (:mod:`._estep`) holds for
        the marginals too. The moments are the features times the
        responsibilities, per pattern (P, F, K), from which ``hole_moments``
        makes the statistics of the completed rows; None without ``stats``.
        """
        g, _, _, maps, s, e = task
        x0 = g.x0[s:e]
        segments = g.segments(s, e)
        xt, feats = scorer.chunk(x0.T, self._zero)
        log_joint, shared = cov.hole_log_joint(maps, xt, feats, g.pid[s:e], segments)
        resp, log_p, _ = normalize(log_joint, shared, truncate=True)
        w = None if g.w is None else g.w[s:e]
        ll = float(log_p.sum() if w is None else np.dot(log_p, w))
        if not stats:
            return ll, None, None
        if w is not None:
            resp *= w
        moments = np.stack([np.dot(feats[:, a:z], resp[:, a:z].T) for a, z, _ in segments])
        return ll, moments, [p for _, _, p in segments]

    def e_step(self, params: MixtureParams, *, stats=True, radius2=None):
        """``(SufficientStats or None, loglik)`` of these rows, as the complete
        rows' E-step gives theirs.

        The path (expanded features about the centre, or direct about each
        component's mean) is the complete rows' (:mod:`._estep`), chosen from
        ``radius2`` (default: these rows' own). The slices of rows run on
        ``n_jobs`` threads (:func:`._pool.ordered_map`), their sums added in
        slice order, so the result does not depend on ``n_jobs``.
        """
        cov_type, n_jobs = self.cov_type, self.n_jobs
        cov = covariance_model(cov_type)
        k, d = params.means.shape
        n_k, first, second = np.zeros(k), np.zeros((k, d)), cov.empty_second(k, d)
        loglik = 0.0
        scorer = ChunkScorer(cov_type, params, self.radius2 if radius2 is None else radius2)
        shift = np.zeros((k, d)) if scorer.expanded else params.means.copy()

        def partial(task):
            if task[3] is None:
                ll, part = self._direct_partial(params, cov, task, stats)
                return ll, part, None
            return self._expanded_partial(scorer, cov, task, stats)

        tasks = self.tasks(params, cov, base=scorer.offset if scorer.expanded else None)
        # per group: its frequent patterns' feature moments (P', F, K), added in slice order
        pattern_moments = {}
        for task, (ll, part, present) in zip(tasks, ordered_map(partial, tasks, n_jobs)):
            loglik += ll
            if present is not None:
                maps = task[3]
                acc = pattern_moments.setdefault(
                    id(maps), (task, np.zeros((maps["u"].shape[0],) + part.shape[1:])))[1]
                acc[present] += part
            elif part is not None:  # about each component's mean
                n_k += part[0]
                first += part[1]
                second += part[2]
        if scorer.expanded and stats:  # the direct slices' sums, about the centre
            direct = SufficientStats(n_k, first, second, params.means, params).about(shift,
                                                                                      cov_type)
            n_k, first, second = direct.n, direct.first, direct.second
        for task, acc in pattern_moments.values():
            g, maps = task[0], task[3]
            extra = g.pattern_second(acc.shape[0]) if cov.needs_data_second else None
            part = cov.hole_moments(maps, acc, scorer.q, extra)
            n_k += part[0]
            first += part[1]
            second += part[2]
        return (SufficientStats(n_k, first, second, shift, params) if stats else None), loglik

    def posterior(self, params: MixtureParams, cov_type: str, *, completed=False):
        """Yield ``(rows, log_joint, shared)`` (with ``completed``: and ``x^ - mu``
        (K, m, d)) per slice."""
        cov = covariance_model(cov_type)
        for task in self.tasks(params, cov):
            g, _, _, _, s, e = task
            log_joint, xhat = self.slice(params, cov, task)
            yield (g.rows[s:e], log_joint, None) + ((xhat,) if completed else ())
        if self.empty.size:
            log_joint = np.repeat(log_weights(params)[:, None], self.empty.size, axis=1)
            shared = -normalize(log_joint.copy(), None)[1]  # so that log p = 0 exactly
            xhat = np.zeros((log_joint.shape[0], self.empty.size, params.means.shape[1]))
            yield (self.empty, log_joint, shared) + ((xhat,) if completed else ())


def split_incomplete(X, weights, center=None, cov_type=None, n_jobs=1, fill=None):
    """``(X filled, center, complete rows, IncompleteRows, observed weight, holes)``, or None
    without NaN.

    ``center`` is the origin of the fit's coordinates, for the complete and the holed rows
    alike (default: :func:`emcore.gaussian.holes.observed_origin`, the complete data's rule
    on the observed entries); a holed row is taken about it with 0 at its holes.
    ``fill`` (default: each column's weighted mean of its observed entries, or ``center``
    when given) fills the holes of the copy the initialisation reads; it is no coordinate of
    the fit. ``holes`` is the (n, d) mask of the NaN entries.
    """
    nan = np.isnan(X)
    if not nan.any():
        return None
    observed = ~nan
    w = np.ones(X.shape[0]) if weights is None else weights
    if center is None:
        check_observed(w @ observed > 0)
        center = observed_origin(X, w)
        fill = observed_mean(X, w) if fill is None else fill
    center = np.asarray(center, dtype=np.float64)
    fill = center if fill is None else np.asarray(fill, dtype=np.float64)
    filled = np.where(observed, X, fill.astype(X.dtype))
    complete = ~nan.any(axis=1)
    incomplete = IncompleteRows(X, np.flatnonzero(~complete), center, weights, cov_type, n_jobs)
    return filled, center, complete, incomplete, float(w @ observed.sum(axis=1)), nan


def log_prob_rows(X, cov_type: str, params: MixtureParams, center, finish, n_jobs: int = 1,
                  absolute: MixtureParams | None = None) -> None:
    """``finish(rows, log_joint, shared)`` for every chunk of rows of new data
    ``X``, NaN entries integrated out.

    The rows without NaN go through :func:`._estep.log_prob_chunks` (with
    ``absolute``, the parameters in ``X``'s coordinates) on ``n_jobs``
    threads (``finish`` may write its rows of an output); the others,
    grouped by pattern, follow in the calling thread, about their own origin
    (:func:`_holed_frame`).
    """
    nan = np.isnan(X).any(axis=1)
    if not nan.any():
        log_prob_chunks(X, cov_type, params, center,
                        lambda s, e, lj, sh: finish(slice(s, e), lj, sh), n_jobs, absolute)
        return
    full = np.flatnonzero(~nan)
    if full.size:
        log_prob_chunks(X[full], cov_type, params, center,
                        lambda s, e, lj, sh: finish(full[s:e], lj, sh), n_jobs, absolute)
    rows = np.flatnonzero(nan)
    params, center = _holed_frame(X, rows, params, center, absolute)
    for rows, log_joint, shared in IncompleteRows(X, rows, center).posterior(params, cov_type):
        finish(rows, log_joint, shared)


def impute(X, cov_type: str, params: MixtureParams, center,
           absolute: MixtureParams | None = None):
    """A float64 copy of ``X`` with each NaN replaced by ``E[x_m | x_o]`` under the mixture.

    ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + W_k (x_o - mu_ko))``; with ``absolute``
    (the parameters in ``X``'s coordinates), about the rows' own origin (:func:`_holed_frame`).
    """
    out = np.array(X, dtype=np.float64)
    nan = np.isnan(out)
    rows = np.flatnonzero(nan.any(axis=1))
    params, center = _holed_frame(out, rows, params, center, absolute)
    for idx, log_joint, shared, xhat in IncompleteRows(out, rows, center).posterior(
            params, cov_type, completed=True):
        resp = normalize(log_joint, shared)[0]
        xhat += params.means[:, None, :]
        filled = np.einsum("kn,knd->nd", resp, xhat) + center
        out[idx] = np.where(nan[idx], filled, out[idx])
    return out


def _holed_frame(X, rows, params, center, absolute):
    """``(parameters, origin)`` for scoring the holed ``rows`` of new data ``X``.

    With ``absolute`` (the parameters in ``X``'s coordinates), the rows' own
    :func:`emcore.gaussian.holes.observed_origin`, as in a fit: about a centre far
    from a sample near 0 (the mean of the means, say), the sample would be rounded to
    the centre's last bit. Without, ``params`` about ``center``, as given.
    """
    if absolute is None or rows.size == 0:
        return params, center
    origin = observed_origin(X[rows])
    return absolute.moved(-origin), origin
