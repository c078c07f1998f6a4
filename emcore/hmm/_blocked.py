r"""Forward-backward of few long sequences as a blocked scan over time.

The sequences are concatenated into one chain of ``n`` steps, ``M_t = A\,\mathrm{diag}(b_t)``,
where a sequence's first step instead has the matrix :math:`\mathbf 1 (\pi \odot b_t)^\top`
(every row the start): through it the forward vector restarts and the backward vector
becomes constant. The chain is cut into ``B`` blocks of ``L`` steps (the last padded
after a restart, emissions 1), laid out step-major, (L, K, B), so that each step below
is a handful of numpy calls on all ``B`` blocks at once:

1. every block's product :math:`N_j = M_{jL} \cdots M_{jL+L-1}`, ``L`` steps, each one
   matrix product ``A^T X`` with ``X`` (K, K B), rows normalised at every step and their
   log-scales kept apart;
2. the vector entering and the vector leaving each block, from the ``B`` block products,
   by the tree of :func:`emcore.hmm._tree.chain` (``log2 B`` levels);
3. inside all blocks at once, the scaled forward recursion from the entering vectors,
   then the backward one from the leaving vectors, which also forms the posteriors
   :math:`\gamma_t \propto \alpha_t \odot \beta_t` and the terms of the pairwise sums.

The pairwise sums are one contraction: with normalised :math:`\hat\alpha_t`, its
normaliser :math:`c_t` and :math:`s_t = \hat\alpha_t \cdot \beta_t`,
:math:`\sum_t \xi_t = A \odot \sum_t \hat\alpha_{t-1}^\top u_t`,
:math:`u_t = b_t \odot \beta_t / (c_t s_t)` (zero at a sequence's first step).

Every vector is normalised at every step, so nothing under- or overflows on any
length as long as no normaliser is tiny. If one is -- a row of a block product, a
forward or backward step, or :math:`s_t` below :data:`emcore.hmm._tree._SMALL`, which
happens only when some state path is about ``1e-200`` times less likely than
another within one step -- :func:`forward_backward` returns None, and the caller
uses the tree of :mod:`emcore.hmm._tree`, whose row-scaled products recompute such
rows in log space.
"""

from __future__ import annotations

import math

import numpy as np

from . import _tree

__all__ = ["block_length", "forward_backward"]

_SMALL = _tree._SMALL
#: Steps between the normalisations of the rows of the block products.
_EVERY = 4


def block_length(n: int, k: int) -> int:
    """Steps per block: about ``sqrt(n) / 4`` (the loops cost ``~30 L`` numpy
    calls, the tree ``~40 log2 B``)."""
    return max(1, min(n, int(round(math.sqrt(n) / 4))))


def _layout(log_emis, n, L, B):
    """Emissions scaled to maximum 1 per step, as (L, K, B) (padding 1), and the log-scales (n,)."""
    k = log_emis.shape[1]
    log_t = log_emis.T  # (K, n); free when the log-densities are stored state-major
    shift = log_t.max(axis=0)
    if not np.all(np.isfinite(shift)):
        raise FloatingPointError("an observation has zero density under every state")
    E = np.empty((L, k, B))
    full = n // L  # blocks without padding
    view = E.transpose(1, 2, 0)  # (K, B, L): [k, j, l] is step j L + l
    np.subtract(log_t[:, :full * L].reshape(k, full, L), shift[:full * L].reshape(full, L),
                out=view[:, :full])
    if full < B:
        rest = n - full * L
        view[:, full, :rest] = log_t[:, full * L:] - shift[full * L:]
        view[:, full, rest:] = 0.0
    np.exp(E, out=E)
    return E, shift


class _Restarts:
    """Steps where the chain restarts (sequence starts, the first padding step),
    grouped by step in block."""

    def __init__(self, starts, n, L, B):
        at = starts if n == B * L else np.append(starts, n)
        self.by_step = {}
        for l in np.unique(at % L):
            self.by_step[int(l)] = at[at % L == l] // L
        self.at = at


def forward_backward(log_emis, lengths, startprob, transmat, block=None):
    """The E-step by the blocked scan, or None when a normaliser is tiny (then use the tree).

    Same arguments and results as :func:`emcore.hmm._scan.forward_backward`:
    ``(log_likelihood (S,), posteriors (n, K), start (K,), trans (K, K))``;
    ``block`` sets ``L`` (default :func:`block_length`).
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # zeros and NaN only on the way to None
        return _forward_backward(log_emis, lengths, startprob, transmat, block)


def _forward_backward(log_emis, lengths, startprob, transmat, block):
    n, k = log_emis.shape
    L = block_length(n, k) if block is None else max(1, min(int(block), n))
    B = -(-n // L)
    starts = np.cumsum(lengths) - lengths
    E, shift = _layout(log_emis, n, L, B)
    restarts = _Restarts(starts, n, L, B)
    at = restarts.by_step
    A, At = transmat, np.ascontiguousarray(transmat.T)

    # 1. block products, row i of block j in X[:, i, j], rows normalised every _EVERY steps: from
    # one normalisation to the next a row's total can only fall (b <= 1, rows of A sum to 1), so a
    # total >= _SMALL there means none fell below it in between
    X = np.empty((k, k, B))
    X_next = np.empty((k, k, B))
    ends = list(range(min(_EVERY, L) - 1, L - 1, _EVERY)) + [L - 1]
    ts = np.empty((len(ends), k, B))
    X[...] = At[:, :, None]
    e = 0
    for l in range(L):
        if l:
            np.matmul(At, X.reshape(k, k * B), out=X_next.reshape(k, k * B))
            X, X_next = X_next, X
        X *= E[l][:, None, :]
        if l in at:  # a restart: each row's total so far times the start
            j = at[l]
            totals = X_next[:, :, j].sum(axis=0) if l else np.ones((k, j.size))
            X[:, :, j] = (startprob[:, None] * E[l][:, j])[:, None, :] * totals[None]
        if l == ends[e]:
            np.add.reduce(X, axis=0, out=ts[e])
            X /= ts[e]
            e += 1
    if not np.min(ts) >= _SMALL:
        return None
    # the product of the normalisers cannot underflow: one log per row
    if np.min(ts) ** ts.shape[0] >= 1e-290:
        r = np.log(np.multiply.reduce(ts, axis=0))
    else:
        r = np.add.reduce(np.log(ts), axis=0)

    # 2. the vectors entering (V) and leaving (W) each block
    V, W = _tree.chain(X.transpose(1, 0, 2), r, np.full(k, 1.0 / k))
    entering, leaving = V[:, :B], np.ascontiguousarray(W[:, 1:B + 1])

    # 3. forward inside the blocks
    alpha = np.empty((L, k, B))
    c = np.empty((L, B))
    prev = entering
    for l in range(L):
        x = alpha[l]
        np.matmul(At, prev, out=x)
        x *= E[l]
        if l in at:
            x[:, at[l]] = startprob[:, None] * E[l][:, at[l]]
        np.add.reduce(x, axis=0, out=c[l])
        x /= c[l]
        prev = x
    # ... and backward: gamma_t ∝ alpha_t * beta_t (in G), y_t = b_t * beta_t (in Y)
    G = np.empty((L, k, B))
    Y = np.empty((L, k, B))
    s = np.empty((L, B))
    w = np.empty((L, B))
    w[0] = 1.0
    beta = leaving
    for l in range(L - 1, -1, -1):
        np.multiply(alpha[l], beta, out=G[l])
        np.add.reduce(G[l], axis=0, out=s[l])
        np.multiply(E[l], beta, out=Y[l])
        if l:
            np.matmul(A, Y[l], out=beta)
            if l in at:
                beta[:, at[l]] = 1.0 / k
            np.add.reduce(beta, axis=0, out=w[l])
            beta /= w[l]
    valid_last = n - (B - 1) * L  # steps of the last block before its padding
    cs = c * s
    for arr in (c, s, w, cs):
        arr[valid_last:, B - 1] = 1.0
    if not all(np.min(arr) >= _SMALL for arr in (c, s, w, cs)):
        return None

    # results in time order
    c_time = c.T.reshape(-1)[:n]
    # products of a block's normalisers cannot underflow: a log per block
    if np.min(c) ** L >= 1e-290:
        cuts = np.union1d(np.arange(0, n, L), starts)
        log_c = np.log(np.multiply.reduceat(c_time, cuts))
        log_norm = np.add.reduceat(log_c, np.searchsorted(cuts, starts))
    else:
        log_norm = np.add.reduceat(np.log(c_time), starts)
    log_norm += np.add.reduceat(shift, starts)
    G /= s[:, None, :]
    # a copy in time order, state-major as the tree's (the M-step's sums over time are then fast)
    post = G.transpose(1, 2, 0).reshape(k, B * L)[:, :n].T
    inv = 1.0 / cs
    inv[restarts.at % L, restarts.at // L] = 0.0
    inv[valid_last:, B - 1] = 0.0
    Y *= inv[:, None, :]
    pair = entering @ Y[0].T
    if L > 1:
        pair += np.matmul(alpha[:-1], Y[1:].transpose(0, 2, 1)).sum(axis=0)
    return log_norm, post, post[starts].sum(axis=0), transmat * pair
