r"""Forward-backward and Viterbi for HMMs on concatenated sequences of lengths ``lengths``.

Forward-backward (the E-step) runs one of three ways, chosen by a cost model
(:func:`choose_method`):

* ``"sequential"`` -- the scaled recursion :math:`\alpha_t \propto (\alpha_{t-1} A) \odot b_t`
  as a Python loop over time, vectorised over the sequences: the cheapest when
  there are many sequences (each step is one product of an (S, K) array);
* ``"blocked"`` -- for few long sequences, the blocked scan of
  :mod:`emcore.hmm._blocked`: the sequences, concatenated, cut into ``B`` blocks
  of ``L ~ sqrt(n) / 4`` steps; the blocks' products of the matrices
  :math:`M_t = A\,\mathrm{diag}(b_t)`, all blocks at once; the vectors at the
  block boundaries from those products by a tree; then the scaled recursions
  inside all blocks at once. When a normaliser is tiny (a path some ``1e-200``
  times less likely than another within a step) it gives way to the tree;
* ``"tree"`` -- the parallel prefix scan of :mod:`emcore.hmm._tree`:
  :math:`\alpha` and :math:`\beta` are prefix and suffix products of the
  matrices :math:`M_t`, grouped as a binary tree, so about ``log2 T`` vectorised
  levels replace ``T`` steps; its row-scaled products recompute rows that
  underflow in log space. The log-likelihood alone (the forward pass) is its
  up-sweep, for ``"blocked"`` too.

Viterbi is a blocked scan in the (max, +) semiring: sequences cut into blocks
of ``L ~ sqrt(T)`` steps; every block's max-plus product of its ``L``
matrices, all blocks at once; the best score entering each block, block after
block; the scores inside all blocks at once; and a backtrack that composes
each block's back-pointers into one map per block.
"""

from __future__ import annotations

import math

import numpy as np

from . import _blocked, _tree

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


#: Rough costs of one numpy call and of one element it touches (seconds), for the cost models.
_CALL, _ELEMENT = 3e-6, 1.5e-9


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
        return (plain + L * (10 * _CALL + 10 * _ELEMENT * s * nb * k**power)
                + nb * 12 * (_CALL + _ELEMENT * s * k))

    candidates = {t_max} | {max(1, int(round(t_max / 2**(i / 2))))
                            for i in range(1, 2 * max(1, t_max.bit_length()))}
    return min(sorted(candidates), key=cost)


def _sequential(emis: np.ndarray, lengths: np.ndarray, start: np.ndarray, G: np.ndarray):
    """Normalised ``v_t = (v_{t-1} G) * e_t``, ``v_1 = start * e_1``, a loop over
    time, all sequences at once.

    Returns the normalised vectors (n, K) and each sequence's ``log sum v_T`` (S,).
    """
    grid = _tree._Padded(lengths)
    E = grid.pad_time_major(emis, 1.0)  # (T, S, K), padding 1
    T, S, k = E.shape
    out = np.empty_like(E)
    totals = np.empty((T, S))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.multiply(start, E[0], out=out[0])
        for t in range(T):
            x = out[t]
            if t:
                np.matmul(out[t - 1], G, out=x)
                x *= E[t]
            x.sum(axis=1, out=totals[t])
            x /= totals[t][:, None]  # a zero total (impossible sequence) gives NaN, caught below
        logs = np.log(totals)
    log_norm = logs.sum(axis=0) if grid.equal else np.where(grid.valid.T, logs, 0.0).sum(axis=0)
    vectors = grid.unpad_time_major(out)
    if not (np.all(np.isfinite(log_norm)) and np.all(np.isfinite(vectors))):
        raise FloatingPointError("a sequence has probability zero under these parameters")
    return vectors, log_norm


METHODS = ("sequential", "tree", "blocked")


def choose_method(lengths: np.ndarray, k: int) -> str:
    """``"blocked"`` for few long sequences, ``"sequential"`` (a loop over time) for many.

    The loop costs about ``T_max`` rounds of a few numpy calls on (S, K)
    arrays, twice (forward and backward); the blocked scan, like the tree,
    about ``K`` times the arithmetic (its block products are of ``K x K``
    matrices) in far fewer calls: the tree's cost model (about ``2 log2 T_max``
    rounds of calls on whole levels) decides.
    """
    t_max, s = int(lengths.max()), lengths.size
    sequential = 2 * t_max * (5 * _CALL + 6 * _ELEMENT * s * k * k)
    tree = 60 * _CALL * max(1, t_max.bit_length()) + _ELEMENT * s * t_max * (2 * k**3 + 12 * k * k)
    return "blocked" if tree < sequential else "sequential"


def _shifted(log_emis):
    """Emission densities scaled to maximum 1 at each step, state-major (K, n),
    and the log-scales (n,)."""
    log_t = np.ascontiguousarray(log_emis.T)
    shift = log_t.max(axis=0)
    if not np.all(np.isfinite(shift)):
        raise FloatingPointError("an observation has zero density under every state")
    return np.exp(log_t - shift), shift


def _method(method, lengths, k):
    if method is None:
        return choose_method(lengths, k)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def log_likelihood(log_emis: np.ndarray, lengths: np.ndarray, startprob: np.ndarray,
                   transmat: np.ndarray, method: str | None = None) -> np.ndarray:
    """The log-likelihood of each sequence, by the forward pass alone."""
    lengths = np.asarray(lengths, dtype=np.intp)
    emis, shift = _shifted(log_emis)
    if _method(method, lengths, log_emis.shape[1]) != "sequential":
        log_norm = _tree.tree_log_likelihood(emis, lengths, startprob, transmat)
    else:
        log_norm = _sequential(emis.T, lengths, startprob, transmat)[1]
    starts = np.cumsum(lengths) - lengths
    return log_norm + np.add.reduceat(shift, starts)


def forward_backward(log_emis: np.ndarray, lengths: np.ndarray, startprob: np.ndarray,
                     transmat: np.ndarray, method: str | None = None):
    """The E-step of an HMM on concatenated sequences.

    Parameters
    ----------
    log_emis : (n, K) log-densities ``log p(x_t | z_t = k)``.
    lengths : (S,) positive sequence lengths summing to ``n``.
    startprob, transmat : (K,) and (K, K) parameters.
    method : {"sequential", "tree", "blocked"}, optional
        A loop over time vectorised over the sequences, the parallel prefix
        scan of ``emcore.hmm._tree``, or the blocked scan of
        ``emcore.hmm._blocked`` (the tree where it gives way; default:
        :func:`choose_method`).

    Returns
    -------
    log_likelihood : (S,) per sequence.
    posteriors : (n, K) the single posteriors ``gamma_t(k)``.
    start : (K,) sum of ``gamma_1`` over sequences.
    trans : (K, K) expected transition counts, ``sum_t xi_t``.
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    n, k = log_emis.shape
    method = _method(method, lengths, k)
    if method == "blocked":
        result = _blocked.forward_backward(log_emis, lengths, startprob, transmat)
        if result is not None:
            return result
        method = "tree"  # a normaliser was tiny: the tree's careful products
    emis, shift = _shifted(log_emis)
    # state-major (K, n) arrays below: sums over the K states are then fast
    if method == "tree":
        alpha, y, log_norm = _tree.tree_forward_backward(emis, lengths, startprob, transmat)
    else:
        alpha, log_norm = _sequential(emis.T, lengths, startprob, transmat)
        # y_t = b_t * beta_t, a loop backwards: y_{t-1} = (y_t A^T) * b_{t-1}
        y = _sequential(emis.T[::-1], lengths[::-1], np.ones(k), transmat.T)[0][::-1]
        alpha, y = alpha.T, y.T
    ends = np.cumsum(lengths)
    starts = ends - lengths
    seq_sum = np.add.reduceat(shift, starts)
    # predicted f_t = alpha_{t-1} A (startprob at a sequence start); gamma_t ∝ f_t * y_t
    f = np.empty((k, n))
    f[:, 1:] = transmat.T @ alpha[:, :-1]
    f[:, starts] = startprob[:, None]
    f *= y
    z = f.sum(axis=0)
    if not np.all(z > 0):
        raise FloatingPointError("the posterior probabilities underflowed: the normalised backward "
                                 "vectors lost the states the forward vectors hold (the data are "
                                 "extremely unlikely under these parameters)")
    post = f / z
    # sum_t xi_t = A ⊙ sum_t alpha_{t-1}^T y_t / Z_t over steps that are not sequence starts
    scaled = alpha[:, :-1] / z[1:]
    scaled[:, starts[1:] - 1] = 0.0
    trans = transmat * (scaled @ y[:, 1:].T)
    return log_norm + seq_sum, post.T, post[:, starts].sum(axis=1), trans


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
