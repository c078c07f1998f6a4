"""The Kalman filter: its covariance pass, its means, and the log-likelihood.

For one sequence, from ``m_{1|0} = initial_mean`` and ``P_{1|0} = initial_cov``,
each step ``t`` restricts the observation equation to the entries ``o`` of
``y_t`` that are seen (none: the update is skipped) and computes::

    S = C_o P_{t|t-1} C_o' + R_oo            innovation covariance
    K = P_{t|t-1} C_o' S^{-1}                 gain
    m_{t|t} = m_{t|t-1} + K (y_o - C_o m_{t|t-1})
    P_{t|t} = (I - K C_o) P_{t|t-1} (I - K C_o)' + K R_oo K'      (Joseph form)
    m_{t+1|t} = A m_{t|t},   P_{t+1|t} = A P_{t|t} A' + Q

and the log-likelihood is the sum of ``log N(y_o; C_o m_{t|t-1}, S)`` (the
prediction-error decomposition). Every covariance is symmetrised after each
update; the Joseph form keeps ``P_{t|t}`` positive semi-definite.

The covariances do not depend on the data, only on which entries are seen. They
are computed first, in a loop over steps that stops early: once ``P_{t+1|t}``
equals ``P_{t|t-1}`` to within :data:`STEADY_ULPS` units of round-off and the
next steps see the same entries, every step up to the next change of pattern
has the same covariances (the filter's steady state), and the loop jumps there.
The means are then linear recursions with the gains found (``_scan``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._params import SSMParams
from ._scan import linear_recursion

__all__ = ["FilterResult", "SSMData", "STEADY_ULPS", "covariance_pass", "kalman_filter", "steady"]

#: Covariances whose change per step is at most this many ulps of their largest entry are steady.
STEADY_ULPS = 16
_EPS = float(np.finfo(float).eps)
_LOG_2PI = math.log(2.0 * math.pi)


def steady(new: np.ndarray, old: np.ndarray) -> bool:
    """Whether ``new`` equals ``old`` to round-off (:data:`STEADY_ULPS` ulps of its largest)."""
    return float(np.max(np.abs(new - old))) <= STEADY_ULPS * _EPS * float(np.max(np.abs(old)))


def _runs(ids: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each step, the first and last step of its run of equal ``ids`` (within its sequence)."""
    n = ids.size
    change = np.ones(n + 1, dtype=bool)
    change[1:-1] = ids[1:] != ids[:-1]
    change[starts] = True
    change[stops] = True
    bounds = np.flatnonzero(change)
    run = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    return bounds[:-1][run], bounds[1:][run] - 1


class SSMData:
    """Observations with their missing entries, grouped for the filter.

    Parameters
    ----------
    Y : numpy.ndarray of shape (n, p)
        Concatenated sequences; NaN marks a missing entry.
    lengths : numpy.ndarray
        Positive lengths summing to ``n``.
    """

    def __init__(self, Y: np.ndarray, lengths: np.ndarray):
        self.mask = ~np.isnan(Y)
        self.Y0 = np.where(self.mask, Y, 0.0)
        self.n, self.p = Y.shape
        self.lengths = np.asarray(lengths, dtype=np.intp)
        self.stops = np.cumsum(self.lengths)
        self.starts = self.stops - self.lengths
        patterns, ids = np.unique(self.mask, axis=0, return_inverse=True)
        self.patterns = patterns  # (n_patterns, p) bool: the entries seen
        self.pattern_ids = ids.ravel().astype(np.intp)
        self.observed = [np.flatnonzero(row) for row in patterns]
        self.n_observed = int(self.mask.sum())
        self.run_end = _runs(self.pattern_ids, self.starts, self.stops)[1]
        self.complete = bool(self.mask.all())


@dataclasses.dataclass
class CovariancePass:
    """The filter's covariances, a table row per distinct step, and each step's row (``index``)."""

    index: np.ndarray  # (n,) row of each step
    pred_cov: np.ndarray  # (r, k, k) P_{t|t-1}
    filt_cov: np.ndarray  # (r, k, k) P_{t|t}
    gain: np.ndarray  # (r, k, p) K, zero columns at unseen entries
    whiten: np.ndarray  # (r, p, p) L^{-1} of S = L L', zero rows and columns at unseen entries
    logdet: np.ndarray  # (r,) log det S (0 when nothing is seen)


def covariance_pass(data: SSMData, params: SSMParams) -> CovariancePass:
    """The covariance recursions of every sequence, jumping over steady stretches.

    When the entries seen change too often for that, the recursions run in
    parallel over chunks of time instead (``_chunked``).
    """
    from ._chunked import chunked_covariance_pass, worth_chunking  # it builds on this module

    if worth_chunking(data):
        chunked = chunked_covariance_pass(data, params)
        if chunked is not None:
            return chunked
    A, Q = params.transition, params.transition_cov
    C, R = params.observation, params.observation_cov
    k, p = params.n_states, data.p
    A_T = A.T
    blocks = [(o, C[o], R[np.ix_(o, o)]) for o in data.observed]
    index = np.empty(data.n, dtype=np.intp)
    pred, filt, gains, whitens, logdets, patterns = [], [], [], [], [], []
    eye = np.eye(k)
    for start, stop in zip(data.starts, data.stops):
        P = params.initial_cov
        t = start
        while t < stop:
            g = data.pattern_ids[t]
            o, C_o, R_oo = blocks[g]
            if o.size:
                PC = P @ C_o.T
                L = np.linalg.cholesky(C_o @ PC + R_oo)
                L_inv = np.linalg.inv(L)
                K = PC @ (L_inv.T @ L_inv)  # P C_o' S^{-1}
                I_KC = eye - K @ C_o
                P_f = I_KC @ P @ I_KC.T + K @ R_oo @ K.T
                P_f = 0.5 * (P_f + P_f.T)
                logdet = 2.0 * float(np.log(L.diagonal()).sum())
            else:
                P_f, K, L_inv, logdet = P, None, None, 0.0
            row = len(pred)
            pred.append(P)
            filt.append(P_f)
            gains.append(K)
            whitens.append(L_inv)
            logdets.append(logdet)
            patterns.append(g)
            P_next = A @ P_f @ A_T + Q
            P_next = 0.5 * (P_next + P_next.T)
            index[t] = row
            end = data.run_end[t]
            if end > t and steady(P_next, P):  # the same entries are seen up to ``end``
                index[t + 1:end + 1] = row
                t = end
            t += 1
            P = P_next
    gain, whiten = _padded(data, patterns, gains, whitens, k)
    return CovariancePass(index, np.array(pred), np.array(filt), gain, whiten, np.array(logdets))


def _padded(data: SSMData, patterns: list, gains: list, whitens: list, k: int):
    """Gains (r, k, p) and whitening matrices (r, p, p), zero at the entries not seen."""
    r, p = len(patterns), data.p
    gain, whiten = np.zeros((r, k, p)), np.zeros((r, p, p))
    patterns = np.asarray(patterns)
    order = np.argsort(patterns, kind="stable")
    bounds = np.searchsorted(patterns[order], np.arange(len(data.observed) + 1))
    for g, o in enumerate(data.observed):
        rows = order[bounds[g]:bounds[g + 1]]
        if rows.size and o.size:
            gain[np.ix_(rows, np.arange(k), o)] = np.array([gains[i] for i in rows])
            whiten[np.ix_(rows, o, o)] = np.array([whitens[i] for i in rows])
    return gain, whiten


@dataclasses.dataclass
class FilterResult:
    """What the Kalman filter returns (steps of all sequences, concatenated).

    Attributes
    ----------
    means, covariances : numpy.ndarray of shape (n, k) and (n, k, k)
        The filtered moments, of ``x_t`` given ``y_1, ..., y_t``.
    predicted_means, predicted_covariances : numpy.ndarray of shape (n, k) and (n, k, k)
        The predicted moments, of ``x_t`` given ``y_1, ..., y_{t-1}``.
    log_likelihood : float
        ``log p(Y)``, summed over the sequences.

    See Also
    --------
    emcore.LinearGaussianSSM.filter : Returns it.
    emcore.statespace.SmootherResult : The moments given the whole sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import LinearGaussianSSM
    >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
    >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]], observation_init=[[1.0]],
    ...                         transition_cov_init=[[0.5]], observation_cov_init=[[1.0]],
    ...                         initial_mean_init=[0.0], initial_cov_init=[[4.0]]).fit(Y)
    >>> filtered = ssm.filter(Y)
    >>> print(filtered.means.ravel().round(6))      # the missing step keeps its prediction
    [0.8      1.195652 1.195652 1.686441 1.430522]
    >>> print(round(filtered.log_likelihood, 8))
    -6.13002818
    """

    means: np.ndarray
    covariances: np.ndarray
    predicted_means: np.ndarray
    predicted_covariances: np.ndarray
    log_likelihood: float


def rowwise(table: np.ndarray, index: np.ndarray, vectors: np.ndarray,
            block: int = 4096) -> np.ndarray:
    """``table[index[t]] @ vectors[t]`` for every step ``t``, a block of steps at a time.

    (So that no (n, a, b) copy of the table is made: with one row per step it is
    the largest array of the filter.)
    """
    out = np.empty((index.size, table.shape[1]))
    for s in range(0, index.size, block):
        out[s:s + block] = np.einsum("tij,tj->ti", table[index[s:s + block]], vectors[s:s + block])
    return out


def filter_means(data: SSMData, params: SSMParams, cov: CovariancePass):
    """Predicted and filtered means of every step, and the log-likelihood."""
    A, C = params.transition, params.observation
    k = params.n_states
    # m_{t+1|t} = A (I - K_t C) m_{t|t-1} + A K_t y_t  (K_t has zero columns where y_t is unseen)
    F_rows = A @ (np.eye(k) - cov.gain @ C)
    b = rowwise(cov.gain, cov.index, data.Y0) @ A.T
    pred = np.empty((data.n, k))
    for start, stop in zip(data.starts, data.stops):
        rows = cov.index[start:stop - 1]
        pred[start:stop] = linear_recursion(F_rows[rows], b[start:stop - 1], params.initial_mean)
    innovation = np.where(data.mask, data.Y0 - pred @ C.T, 0.0)
    filt = pred + rowwise(cov.gain, cov.index, innovation)
    white = rowwise(cov.whiten, cov.index, innovation)
    ll = -0.5 * (data.n_observed * _LOG_2PI + float(np.sum(cov.logdet[cov.index]))
                 + float(np.sum(white * white)))
    return pred, filt, ll


def kalman_filter(data: SSMData, params: SSMParams) -> tuple[FilterResult, CovariancePass]:
    """The filtered and predicted moments of every step, and ``log p(Y)``."""
    cov = covariance_pass(data, params)
    pred, filt, ll = filter_means(data, params, cov)
    result = FilterResult(filt, cov.filt_cov[cov.index], pred, cov.pred_cov[cov.index], ll)
    return result, cov
