r"""Forward-backward and Viterbi for HMMs, as blocked scans over time.

The forward recursion :math:`\alpha_t = (\alpha_{t-1} A) \odot b_t` is a
product of ``K x K`` matrices :math:`M_t = A\,\mathrm{diag}(b_t)`, and matrix
products are associative: the prefix products can be formed in any grouping.
A loop over ``T`` steps in Python costs microseconds per step, so instead the
sequences are cut into blocks of ``L ~ sqrt(T)`` steps and the scan runs in
three passes, each a Python loop of about ``sqrt(T)`` vectorised steps:

1. every block's product of its ``L`` matrices, all blocks at once (a batched
   matrix product per step), each row normalised to sum 1 with its log-scale
   kept apart, so nothing under- or overflows (row ``i`` is the scaled
   forward recursion started from state ``i``);
2. the forward vector at each block's start, block after block (all sequences
   at once), in log-scale arithmetic; this pass also gives each sequence's
   log-likelihood;
3. the normalised forward vectors inside all blocks at once.

Viterbi is the same three passes in the (max, +) semiring, plus a backtrack
that composes each block's back-pointers into one map per block.

Sequences are several, of lengths ``lengths``, concatenated along the rows.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Blocks", "forward_backward", "log_likelihood", "viterbi"]


class Blocks:
    """Cutting of concatenated sequences into a grid of blocks of ``L`` steps.

    ``index`` (S * NB, L) holds the row of each step in the concatenated data
    (``-1`` for padding after a sequence's end); block ``s * NB + j`` is the
    ``j``-th block of sequence ``s``.
    """

    def __init__(self, lengths: np.ndarray, k: int, power: int = 2, block: int | None = None):
        lengths = np.asarray(lengths, dtype=np.intp)
        t_max = int(lengths.max())
        self.L = L = block_length(lengths, k, power) if block is None else min(int(block), t_max)
        self.NB = NB = math.ceil(t_max / L)
        self.S = S = lengths.size
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        step = np.arange(NB * L).reshape(NB, L)
        index = starts[:, None, None] + step[None]
        valid = step[None] < lengths[:, None, None]
        self.index = np.where(valid, index, -1).reshape(S * NB, L)
        self.valid = valid.reshape(S * NB, L)
        self.first = np.zeros((S, NB), dtype=bool)
        self.first[:, 0] = True
        self.first = self.first.ravel()
        self.active = (np.arange(NB)[None, :] * L < lengths[:, None])  # (S, NB)
        self.lengths = lengths

    def gather(self, rows: np.ndarray, fill: float) -> np.ndarray:
        """``rows`` (n, K) laid out as (L, S * NB, K) (step-major), padding set to ``fill``."""
        out = rows[self.index.T]
        out[~self.valid.T] = fill
        return out

    def scatter(self, blocked: np.ndarray, n: int) -> np.ndarray:
        """The inverse of :meth:`gather`: (L, S * NB, ...) back to (n, ...)."""
        out = np.empty((n,) + blocked.shape[2:], dtype=blocked.dtype)
        out[self.index.T[self.valid.T]] = blocked[self.valid.T]
        return out


#: Rough costs of one numpy call and of one element it touches (seconds), for block_length.
_CALL, _ELEMENT = 3e-6, 1.5e-9
_TINY = np.finfo(float).tiny


def block_length(lengths: np.ndarray, k: int, power: int = 2) -> int:
    """The block length ``L`` that minimises a cost model of the three passes.

    Pass 1 touches ``k**power`` numbers per step and block (``power`` 2 for
    the matrix products of forward-backward, 3 for Viterbi's max-plus
    products); with one block per sequence (``L = max(lengths)``) passes 1
    and 2 are skipped and the scan is the plain recursion, vectorised over
    the sequences, which wins when there are many sequences.
    """
    t_max, s = int(lengths.max()), lengths.size

    def cost(L):
        nb = math.ceil(t_max / L)
        plain = L * (6 * _CALL + 6 * _ELEMENT * s * nb * k)
        if nb == 1:
            return plain
        return plain + L * (10 * _CALL + 10 * _ELEMENT * s * nb * k**power) + nb * 12 * (_CALL + _ELEMENT * s * k)

    candidates = {t_max} | {max(1, int(round(t_max / 2**(i / 2)))) for i in range(1, 2 * max(1, t_max.bit_length()))}
    return min(sorted(candidates), key=cost)


def _normalise(v, axis=-1):
    total = v.sum(axis=axis, keepdims=True)
    return v / np.where(total > 0, total, 1.0), total


def _scan(emis: np.ndarray, blocks: Blocks, start: np.ndarray, G: np.ndarray, vectors: bool = True):
    """Normalised ``v_t = (v_{t-1} G) * e_t`` with ``v_1 = start * e_1`` per sequence.

    ``emis`` (n, K) non-negative, row maxima 1. Returns the normalised
    vectors (n, K) and each sequence's ``log sum v_T`` (S,).
    """
    n, k = emis.shape
    E = blocks.gather(emis, 1.0)
    L, B = E.shape[:2]
    S, NB = blocks.S, blocks.NB
    first, valid = blocks.first, blocks.valid
    log_norm = np.full(S, math.log(start.sum()))
    v = np.broadcast_to(start / start.sum(), (S, k)).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if NB > 1:
            v = _entering(E, blocks, v, log_norm, G)
    if NB > 1 and not vectors:
        return None, log_norm
    # pass 3: all blocks at once from their entering vectors
    v = v.reshape(B, k)
    out = np.empty((L, B, k)) if vectors else None
    log_total = np.zeros(B)
    min_len = int(blocks.lengths.min())
    for l in range(L):
        x = v @ G
        if l == 0:
            x[first] = v[first]
        x *= E[l]
        total = x.sum(axis=1)
        v = x / total[:, None]  # a zero total (impossible sequence) gives NaN, caught below
        if NB == 1:
            log_total += np.log(total) if l < min_len else np.where(valid[:, l], np.log(total), 0.0)
        if vectors:
            out[l] = v
    if NB == 1:
        log_norm += log_total
    if not np.all(np.isfinite(log_norm)) or (vectors and not np.all(np.isfinite(v))):
        raise FloatingPointError("a sequence has probability zero under these parameters")
    return (blocks.scatter(out, n) if vectors else None), log_norm


def _entering(E, blocks, v, log_norm, G):
    """Passes 1 and 2: the normalised vector entering each block; adds to ``log_norm`` in place."""
    L, B, k = E.shape
    S, NB = blocks.S, blocks.NB
    first, valid = blocks.first, blocks.valid
    padded_from = int(np.min(blocks.valid.sum(axis=1)))
    # pass 1: row-normalised block products, log row scales apart
    P = np.broadcast_to(np.eye(k), (B, k, k)).copy()
    log_scale = np.zeros((B, k))
    for l in range(L):
        Q = (P.reshape(B * k, k) @ G).reshape(B, k, k)
        if l == 0:
            Q[first] = P[first]
        Q *= E[l, :, None, :]
        total = Q.sum(axis=2)
        np.maximum(total, _TINY, out=total)  # a row that is all zero (start state impossible) stays zero
        Q /= total[..., None]
        if l >= padded_from:
            keep = ~valid[:, l]
            Q[keep] = P[keep]
            total[keep] = 1.0
        log_scale += np.log(total)
        P = Q
    # pass 2: the vector entering each block, and the log-likelihood
    P = P.reshape(S, NB, k, k)
    log_scale = log_scale.reshape(S, NB, k)
    entering = np.empty((S, NB, k))
    for j in range(NB):
        entering[:, j] = v
        w = np.log(v) + log_scale[:, j]
        m = w.max(axis=1)
        act = blocks.active[:, j]
        u = np.einsum("si,sij->sj", np.exp(w - m[:, None]), P[:, j])
        total = u.sum(axis=1)
        if not np.all(total[act] > 0):
            raise FloatingPointError("a sequence has probability zero under these parameters")
        log_norm[:] = np.where(act, log_norm + m + np.log(total), log_norm)
        v = np.where(act[:, None], u / total[:, None], v)
    return entering


def _shifted(log_emis):
    shift = log_emis.max(axis=1, keepdims=True)
    if not np.all(np.isfinite(shift)):
        raise FloatingPointError("an observation has zero density under every state")
    return np.exp(log_emis - shift), shift[:, 0]


def log_likelihood(log_emis: np.ndarray, lengths: np.ndarray, startprob: np.ndarray,
                   transmat: np.ndarray, block: int | None = None) -> np.ndarray:
    """The log-likelihood of each sequence, by the forward pass alone."""
    lengths = np.asarray(lengths, dtype=np.intp)
    emis, shift = _shifted(log_emis)
    log_norm = _scan(emis, Blocks(lengths, log_emis.shape[1], block=block), startprob, transmat, vectors=False)[1]
    starts = np.cumsum(lengths) - lengths
    return log_norm + np.add.reduceat(shift, starts)


def forward_backward(log_emis: np.ndarray, lengths: np.ndarray, startprob: np.ndarray,
                     transmat: np.ndarray, block: int | None = None):
    """The E-step of an HMM on concatenated sequences.

    Parameters
    ----------
    log_emis : (n, K) log-densities ``log p(x_t | z_t = k)``.
    lengths : (S,) positive sequence lengths summing to ``n``.
    startprob, transmat : (K,) and (K, K) parameters.
    block : int, optional
        Block length of the scan (default: chosen by :func:`block_length`).

    Returns
    -------
    log_likelihood : (S,) per sequence.
    posteriors : (n, K) the single posteriors ``gamma_t(k)``.
    start : (K,) sum of ``gamma_1`` over sequences.
    trans : (K, K) expected transition counts, ``sum_t xi_t``.
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    n, k = log_emis.shape
    emis, shift = _shifted(log_emis)
    blocks = Blocks(lengths, k, block=block)
    alpha, log_norm = _scan(emis, blocks, startprob, transmat)
    # y_t = b_t * beta_t, scanned backwards: y_{t-1} = (y_t A^T) * b_{t-1}
    rev = Blocks(lengths[::-1], k, block=block) if lengths.size > 1 else blocks
    y = _scan(emis[::-1], rev, np.ones(k), transmat.T)[0][::-1]
    ends = np.cumsum(lengths)
    starts = ends - lengths
    seq_sum = np.add.reduceat(shift, starts)
    # predicted f_t = alpha_{t-1} A (startprob at a sequence start); gamma_t ∝ f_t * y_t
    f = np.empty_like(alpha)
    f[1:] = alpha[:-1] @ transmat
    f[starts] = startprob
    post, z = _normalise(f * y)
    z = z[:, 0]
    # sum_t xi_t = A ⊙ sum_t alpha_{t-1}^T y_t / Z_t over steps that are not sequence starts
    inner = np.ones(n, dtype=bool)
    inner[starts] = False
    scaled = alpha[:-1][inner[1:]] / z[inner][:, None]
    trans = transmat * (scaled.T @ y[inner])
    return log_norm + seq_sum, post, post[starts].sum(axis=0), trans


def _maxplus(P: np.ndarray, logG: np.ndarray) -> np.ndarray:
    """``(P ⊗ G)_ij = max_k P_ik + G_kj`` for a stack of matrices P."""
    out = np.empty_like(P)
    for j in range(logG.shape[1]):
        out[..., j] = np.max(P + logG[:, j], axis=-1)
    return out


def viterbi(log_emis: np.ndarray, lengths: np.ndarray, startprob: np.ndarray, transmat: np.ndarray,
            block: int | None = None):
    """Most probable state path of each sequence.

    Returns the total log-probability of the best paths (summed over
    sequences) and the states (n,).
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    n, k = log_emis.shape
    with np.errstate(divide="ignore"):
        log_a, log_pi = np.log(transmat), np.log(startprob)
    blocks = Blocks(lengths, k, power=3, block=block)
    E = blocks.gather(log_emis, 0.0)
    L, B = E.shape[:2]
    S, NB = blocks.S, blocks.NB
    first, valid = blocks.first, blocks.valid
    # pass 1: max-plus block products
    P = np.where(np.eye(k, dtype=bool), 0.0, -np.inf)[None].repeat(B, axis=0)
    for l in range(L):
        Q = _maxplus(P, log_a)
        if l == 0:
            Q[first] = P[first]
        Q += E[l, :, None, :]
        Q = np.where(valid[:, l, None, None], Q, P)
        P = Q
    # pass 2: delta entering each block
    P = P.reshape(S, NB, k, k)
    d = np.broadcast_to(log_pi, (S, k)).copy()
    entering = np.empty((S, NB, k))
    for j in range(NB):
        entering[:, j] = d
        new = np.max(d[:, :, None] + P[:, j], axis=1)
        d = np.where(blocks.active[:, j, None], new, d)
    # pass 3: deltas and back-pointers inside the blocks
    d = entering.reshape(B, k)
    psi = np.zeros((L, B, k), dtype=np.intp)
    for l in range(L):
        cand = d[:, :, None] + log_a[None]
        if l == 0:
            cand[first] = d[first][:, :, None] + np.where(np.eye(k, dtype=bool), 0.0, -np.inf)
        psi[l] = np.argmax(cand, axis=1)
        new = np.max(cand, axis=1) + E[l]
        d = np.where(valid[:, l, None], new, d)
    last = d.reshape(S, NB, k)[np.arange(S), (lengths - 1) // L]
    log_prob = float(np.max(last, axis=1).sum())
    if not np.isfinite(log_prob):
        raise FloatingPointError("a sequence has probability zero under these parameters")
    # each block's map: state at its last valid step -> state before its first step
    rows = np.arange(B)
    block_map = np.broadcast_to(np.arange(k), (B, k)).copy()
    for l in range(L - 1, -1, -1):
        stepped = psi[l][rows[:, None], block_map]
        block_map = np.where(valid[:, l, None], stepped, block_map)
    # the state at the end of every block, last block first
    end = np.zeros((S, NB), dtype=np.intp)
    state = np.argmax(last, axis=1)
    maps = block_map.reshape(S, NB, k)
    for j in range(NB - 1, -1, -1):
        act = blocks.active[:, j]
        end[:, j] = np.where(act, state, end[:, j])
        state = np.where(act, maps[np.arange(S), j, state], state)
    # backtrack inside all blocks at once
    state = end.ravel()
    out = np.empty((L, B), dtype=np.intp)
    for l in range(L - 1, -1, -1):
        out[l] = state
        state = np.where(valid[:, l], psi[l][rows, state], state)
    return log_prob, blocks.scatter(out, n)
