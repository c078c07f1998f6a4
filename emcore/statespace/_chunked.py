"""The covariance recursions of filter and smoother in parallel over chunks of time.

When the entries seen change every few steps (NaN scattered through ``Y``),
the covariances have no steady stretch to jump over and the loop of
``_kalman`` costs a few dozen numpy calls per step. Here the steps are cut
into chunks, and every chunk runs its recursion at once with the others
(batched numpy calls), each from a guess of its starting covariance (the
initial covariance). The Riccati recursion forgets where it started, so
a second sweep, each chunk started from the end the first sweep gave its
predecessor, is exact wherever the first sweep's ends had forgotten their
guess: that is checked (the ends of two sweeps agree to round-off, the
test of ``_kalman.steady``) and sweeps are repeated until they do; a model
that does not forget (after :data:`MAX_SWEEPS` sweeps) goes back to the loop.

Every step uses the full observation equation with the unseen entries
masked out: their rows of ``C`` are zero, and ``R`` is ``R_oo`` on the seen
block and the identity on the unseen one, so the gain has zero columns there
and the update is the one restricted to the seen entries (the masked terms
are exact zeros).
"""

from __future__ import annotations

import math

import numpy as np

from ._kalman import STEADY_ULPS, CovariancePass, SSMData
from ._params import SSMParams

__all__ = ["MAX_SWEEPS", "chunked_covariance_pass", "chunked_smoothed_covariances",
           "worth_chunking"]

#: Sweeps tried before falling back to the loop.
MAX_SWEEPS = 4
_EPS = float(np.finfo(float).eps)


def worth_chunking(data: SSMData) -> bool:
    """Chunks pay when the seen entries change often: many runs of one pattern, on many steps."""
    runs = int(np.count_nonzero(data.pattern_ids[1:] != data.pattern_ids[:-1])) + data.lengths.size
    return data.n >= 2048 and runs * 64 > data.n


def _chunks(n: int):
    size = max(128, math.isqrt(n))
    return size, -(-n // size)


def _agree(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Per chunk: whether ``new`` equals ``old`` to round-off (as ``_kalman.steady``)."""
    diff = np.max(np.abs(new - old), axis=(1, 2))
    return diff <= STEADY_ULPS * _EPS * np.max(np.abs(old), axis=(1, 2))


def _sym(M):
    return 0.5 * (M + np.swapaxes(M, -1, -2))


def chunked_covariance_pass(data: SSMData, params: SSMParams) -> CovariancePass | None:
    """The filter's covariances, one row per step; None if the sweeps do not settle."""
    A, Q, C, R = (params.transition, params.transition_cov, params.observation,
                  params.observation_cov)
    n, p, k = data.n, data.p, params.n_states
    masks = data.patterns.astype(float)  # (g, p)
    C_masked = C[None] * masks[:, :, None]
    unseen = np.eye(p) * (1.0 - masks)[:, None, :]  # the identity on the unseen entries
    R_masked = R[None] * masks[:, :, None] * masks[:, None, :] + unseen
    is_start = np.zeros(n, dtype=bool)
    is_start[data.starts] = True
    size, n_chunks = _chunks(n)
    first = np.arange(n_chunks) * size
    pred, filt = np.empty((n, k, k)), np.empty((n, k, k))
    gain, whiten, logdet = np.empty((n, k, p)), np.empty((n, p, p)), np.empty(n)
    chunks = np.arange(n_chunks)
    start_cov = np.broadcast_to(params.initial_cov, (n_chunks, k, k)).copy()
    ends = None
    for _ in range(MAX_SWEEPS + 1):
        P = start_cov[chunks]
        for j in range(size):
            t = first[chunks] + j
            live = t < n
            t = np.minimum(t, n - 1)
            P = np.where(is_start[t][:, None, None], params.initial_cov, P)
            g = data.pattern_ids[t]
            Cg, Rg = C_masked[g], R_masked[g]
            PC = P @ np.swapaxes(Cg, 1, 2)
            L = np.linalg.cholesky(Cg @ PC + Rg)
            L_inv = np.linalg.inv(L)
            K = PC @ (np.swapaxes(L_inv, 1, 2) @ L_inv)
            I_KC = np.eye(k) - K @ Cg
            P_f = _sym(I_KC @ P @ np.swapaxes(I_KC, 1, 2) + K @ Rg @ np.swapaxes(K, 1, 2))
            tl = t[live]
            pred[tl], filt[tl], gain[tl], whiten[tl] = P[live], P_f[live], K[live], L_inv[live]
            logdet[tl] = 2.0 * np.log(np.diagonal(L[live], axis1=1, axis2=2)).sum(axis=1)
            P = _sym(A @ P_f @ A.T + Q)
        new_ends = P  # the predicted covariance after each swept chunk's last step
        if ends is None:
            ends = np.empty((n_chunks, k, k))
        ends[chunks] = new_ends
        settled = is_start[first].copy()  # a chunk that starts a sequence starts from initial_cov
        settled[1:] |= _agree(ends[:-1], start_cov[1:])
        if settled.all():
            break
        chunks = np.flatnonzero(~settled)
        start_cov[chunks] = ends[chunks - 1]
    else:
        return None
    whiten *= data.patterns[data.pattern_ids][:, :, None]  # the unseen entries' rows of L^{-1}: 0
    return CovariancePass(np.arange(n), pred, filt, gain, whiten, logdet)


def chunked_smoothed_covariances(data: SSMData, gains: np.ndarray, fcov: CovariancePass):
    """The smoother's covariances and cross-covariances, one row per step, from one filter row
    per step and ``gains`` (n, k, k) (zero at a sequence's last step); None if not settled."""
    n, k = data.n, gains.shape[1]
    is_last = np.zeros(n, dtype=bool)
    is_last[data.stops - 1] = True
    size, n_chunks = _chunks(n)
    last = np.minimum(np.arange(n_chunks) * size + size - 1, n - 1)
    cov, cross = np.empty((n, k, k)), np.zeros((n, k, k))
    chunks = np.arange(n_chunks)
    start_cov = fcov.filt_cov[np.minimum(last + 1, n - 1)].copy()  # a guess of P_{t+1|n}
    ends = np.empty((n_chunks, k, k))
    for _ in range(MAX_SWEEPS + 1):
        P_next = start_cov[chunks]
        for j in range(size):
            t = last[chunks] - j
            live = t >= np.arange(n_chunks)[chunks] * size
            t = np.maximum(t, 0)
            J = gains[t]
            P = fcov.filt_cov[t] + J @ (P_next - fcov.pred_cov[np.minimum(t + 1, n - 1)]) \
                @ np.swapaxes(J, 1, 2)
            reset = is_last[t]
            P = np.where(reset[:, None, None], fcov.filt_cov[t], _sym(P))
            C_t = np.where(reset[:, None, None], 0.0, P_next @ np.swapaxes(J, 1, 2))
            tl = t[live]
            cov[tl], cross[tl] = P[live], C_t[live]
            P_next = np.where(live[:, None, None], P, P_next)
        ends[chunks] = P_next  # P_{t|n} at each swept chunk's first step
        settled = is_last[last].copy()  # a chunk that ends a sequence starts from P_{n|n}
        settled[:-1] |= _agree(ends[1:], start_cov[:-1])
        if settled.all():
            return cov, cross
        chunks = np.flatnonzero(~settled)
        start_cov[chunks] = ends[chunks + 1]
    return None
