r"""Forward-backward of few long sequences as a parallel prefix scan (a tree over time).

With :math:`M_t = A\,\mathrm{diag}(b_t)` the forward vectors are prefix products,
:math:`\alpha_t^\top = \alpha_1^\top M_2 \cdots M_t`, and the backward vectors
suffix products of the *same* matrices, :math:`\beta_t = M_{t+1} \cdots M_T \mathbf 1`.
Matrix products are associative, so they can be grouped as a binary tree:

* up: the products of neighbouring pairs, then of pairs of pairs, ... --
  ``log2 T`` levels, each one batched matrix product over the whole level
  (about ``T`` products of ``K x K`` matrices in all);
* down: at each level, from the vectors at the boundaries of the level above,
  the vectors in between (one batched vector-matrix product per level), once
  forwards for :math:`\alpha` and once backwards for :math:`\beta`.

About ``2 log2 T`` numpy calls of each kind instead of ``T``. Every matrix is
kept row-scaled, ``diag(exp(r)) P`` with the rows of ``P`` summing to 1 (or 0),
and every vector normalised, so nothing under- or overflows on any length; a
row whose scale would underflow in the fast product is recomputed in log space.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chain", "tree_forward_backward", "tree_log_likelihood"]

#: Row sums below this are recomputed in log space (terms lost to underflow are < 1e-108 of them).
_SMALL = 1e-200
_LOG_SMALL = np.log(_SMALL)


def _row_scaled(M: np.ndarray):
    """``M`` (K, K, ...) non-negative as ``(P, r)``: ``M = diag(exp r) P``, rows
    of P summing to 1 or 0."""
    total = M.sum(axis=1)
    with np.errstate(divide="ignore"):
        r = np.log(total)
    return M / np.where(total > 0, total, 1.0)[:, None], r


def _product(P1, r1, P2, r2):
    """``(diag(e^r1) P1)(diag(e^r2) P2)`` in row-scaled form, batched over the trailing axes."""
    R = r2.max(axis=0)
    R = np.where(np.isfinite(R), R, 0.0)
    k = P1.shape[0]
    Q = P1 * np.exp(r2 - R)  # column k of P1 times the row scale of P2's row k
    C = Q[:, 0, None] * P2[0]
    term = np.empty_like(C)
    for j in range(1, k):
        C += np.multiply(Q[:, j, None], P2[j], out=term)
    t = C.sum(axis=1)
    small = t < _SMALL
    with np.errstate(divide="ignore", invalid="ignore"):
        r = r1 + R + np.log(t)
        if np.any(small):  # rows whose terms all sit on tiny row scales of P2: redo in log space
            i, *rest = np.nonzero(small)
            w = np.log(P1[(i, slice(None), *rest)]) + np.moveaxis(r2[(slice(None), *rest)], 0, -1)
            m = w.max(axis=-1)
            m_ok = np.where(np.isfinite(m), m, 0.0)
            rows = np.einsum("qk,kjq->qj", np.exp(w - m_ok[:, None]),
                             P2[(slice(None), slice(None), *rest)])
            C[(i, slice(None), *rest)] = rows
            t[(i, *rest)] = tot = rows.sum(axis=-1)
            r[(i, *rest)] = r1[(i, *rest)] + m + np.log(tot)
    C /= np.where(t > 0, t, 1.0)[:, None]
    return C, r


def _shift_exp(w):
    m = w.max(axis=0)
    u = np.exp(w - np.where(np.isfinite(m), m, 0.0))
    return u / u.sum(axis=0)


def _scales(r):
    """``exp(r - max r)`` over the states (axis 0): the row scales relative to the largest."""
    R = r.max(axis=0)
    return np.exp(r - np.where(np.isfinite(R), R, 0.0))


def _vec_mat(v, P, r):
    """Normalised ``v^T diag(e^r) P`` for normalised ``v`` (K, ...), matrices (K, K, ...)."""
    u = v * _scales(r)
    total = u.sum(axis=0)
    if not np.all(total > _SMALL):  # the weights underflowed: shift in log space instead
        with np.errstate(divide="ignore"):
            u = _shift_exp(np.log(v) + r)
    x = u[0] * P[0]
    term = np.empty_like(x)
    for i in range(1, v.shape[0]):
        x += np.multiply(u[i], P[i], out=term)
    x /= x.sum(axis=0)
    return x


def _mat_vec(P, r, v):
    """Normalised ``diag(e^r) P v`` for normalised ``v`` (K, ...), matrices (K, K, ...)."""
    x = P[:, 0] * v[0]
    term = np.empty_like(x)
    for j in range(1, v.shape[0]):
        x += np.multiply(P[:, j], v[j], out=term)
    u = x * _scales(r)
    total = u.sum(axis=0)
    if not np.all(total > _SMALL):
        with np.errstate(divide="ignore"):
            return _shift_exp(np.log(x) + r)
    return u / total


class _Padded:
    """Sequences of ``lengths`` laid out as (K, S, T_max), state first, padding
    after each sequence's end."""

    def __init__(self, lengths):
        self.lengths = lengths
        self.S, self.T = lengths.size, int(lengths.max())
        self.equal = bool(np.all(lengths == self.T))
        self.valid = None if self.equal else np.arange(self.T)[None, :] < lengths[:, None]

    def pad(self, cols, fill):
        """(K, n) columns as (K, S, T)."""
        if self.equal:
            return cols.reshape(-1, self.S, self.T)
        out = np.full((cols.shape[0], self.S, self.T), fill, dtype=cols.dtype)
        out[:, self.valid] = cols
        return out

    def pad_time_major(self, rows, fill):
        """(n, K) rows as (T, S, K), contiguous."""
        if self.equal:
            padded = rows.reshape(self.S, self.T, -1)
        else:
            padded = np.full((self.S, self.T, rows.shape[1]), fill, dtype=rows.dtype)
            padded[self.valid] = rows
        return np.ascontiguousarray(padded.transpose(1, 0, 2))

    def unpad_time_major(self, padded):
        """(T, S, K) as (n, K) rows."""
        by_sequence = padded.transpose(1, 0, 2)
        if self.equal:
            return by_sequence.reshape(-1, padded.shape[2])
        return by_sequence[self.valid]

    def unpad(self, padded):
        """(K, S, T) as (K, n) columns."""
        return padded.reshape(padded.shape[0], -1) if self.equal else padded[:, self.valid]


def _pairs(b, transmat):
    """Level 1 straight from the emissions: ``N_2j N_2j+1 = A diag(b) A diag(b')``
    by one matrix product.

    ``N_j = A diag(b_{j+1})``; an odd last ``N`` stays alone. None if a row
    sum is tiny (then the careful path, level 0 row-scaled, is taken).
    """
    k, S, T = b.shape
    n = T - 1
    m = n // 2
    # [ij, l] = A_il A_lj
    outer = (transmat[:, :, None] * transmat[None, :, :]).transpose(0, 2, 1).reshape(k * k, k)
    C = (outer @ b[..., 1:2 * m:2].reshape(k, -1)).reshape(k, k, S, m)
    C *= b[None, :, :, 2:2 * m + 1:2]
    if n % 2:
        C = np.concatenate([C, (transmat[:, :, None] * b[None, :, :, n])[..., None]], axis=-1)
    P, r = _row_scaled(C)
    return None if np.any(~(r > _LOG_SMALL)) else (P, r)


def _up(b, transmat, grid):
    """The levels of the tree: level 0 (``M_t``, t >= 2, identity after a sequence's end) and above.

    When level 1 is formed straight from the emissions, level 0 is not
    stored: it is the entry ``(None, None)``.
    """
    k, S, T = b.shape
    first = _pairs(b, transmat) if grid.equal and T > 2 else None
    if first is not None:
        levels = [(None, None)]
        P, r = first
    else:
        levels = []
        P, r = _row_scaled(transmat[:, :, None, None] * b[None, :, :, 1:])
        if not grid.equal:
            after = ~grid.valid[:, 1:]
            P[:, :, after] = np.eye(k)[:, :, None]
            r[:, after] = 0.0
    return _levels_above(P, r, levels)


def _levels_above(P, r, levels):
    """Append the level ``(P, r)`` and every level above it to ``levels``; the top product too."""
    k, _, S, _ = P.shape
    while P.shape[-1] > 1:
        if P.shape[-1] % 2:
            P = np.concatenate([P, np.broadcast_to(np.eye(k)[:, :, None, None], (k, k, S, 1))],
                               axis=-1)
            r = np.concatenate([r, np.zeros((k, S, 1))], axis=-1)
        levels.append((P, r))
        P, r = _product(P[..., 0::2], r[..., 0::2], P[..., 1::2], r[..., 1::2])
    return levels, P, r


def _down_level0(V, W, b, transmat):
    """The vectors at every step from those at even steps, with
    ``N_j = A diag(b_{j+1})`` (two matrix products)."""
    k, S, T = b.shape
    n = T - 1
    m, half = n // 2, (n + 1) // 2
    V, W = V[..., :half + 1], W[..., :half + 1]
    newV = np.empty((k, S, 2 * half + 1))
    newV[..., 0::2] = V
    x = (transmat.T @ V[..., :-1].reshape(k, -1)).reshape(k, S, half) * b[..., 1:2 * half:2]
    newV[..., 1::2] = x / x.sum(axis=0)
    newW = np.empty((k, S, 2 * half + 1))
    newW[..., 0::2] = W
    y = (transmat @ (b[..., 2:2 * m + 1:2] * W[..., 1:m + 1]).reshape(k, -1)).reshape(k, S, m)
    newW[..., 1:2 * m:2] = y / y.sum(axis=0)
    if n % 2:
        newW[..., 2 * m + 1] = 1.0 / k  # after N_{n-1} comes the padding identity
    return newV, newW


def _start(b, startprob):
    v = startprob[:, None] * b[:, :, 0]
    total = v.sum(axis=0)
    with np.errstate(divide="ignore"):
        return v / np.where(total > 0, total, 1.0), np.log(total)


def _check(log_norm):
    if not np.all(np.isfinite(log_norm)):
        raise FloatingPointError("a sequence has probability zero under these parameters")


def _top_log_likelihood(v0, log_v0, r):
    with np.errstate(divide="ignore"):
        w = np.log(v0) + r[..., 0]
    m = w.max(axis=0)
    return log_v0 + m + np.log(np.exp(w - np.where(np.isfinite(m), m, 0.0)).sum(axis=0))


def tree_log_likelihood(emis, lengths, startprob, transmat):
    """``log p(x_s)`` of each sequence (minus its emission shifts) by the
    up-sweep alone; ``emis`` (K, n)."""
    grid = _Padded(lengths)
    b = grid.pad(emis, 1.0)
    v0, log_v0 = _start(b, startprob)
    if grid.T == 1:
        _check(log_v0)
        return log_v0
    r = _up(b, transmat, grid)[2]
    ll = _top_log_likelihood(v0, log_v0, r)
    _check(ll)
    return ll


def tree_forward_backward(emis, lengths, startprob, transmat):
    """Normalised forward vectors, normalised ``b_t * beta_t`` (both (K, n)) and
    ``log sum alpha_T`` (S,).

    ``emis`` (K, n) holds the emission densities, each step scaled to maximum 1.
    """
    grid = _Padded(lengths)
    b = grid.pad(emis, 1.0)
    k, S, T = b.shape
    v0, log_v0 = _start(b, startprob)
    if T == 1:
        _check(log_v0)
        return grid.unpad(v0[..., None]), emis / emis.sum(axis=0), log_v0
    levels, P, r = _up(b, transmat, grid)
    ll = _top_log_likelihood(v0, log_v0, r)
    _check(ll)
    V, W = _down(levels, P, r, v0, b, transmat)
    y = b * W[..., :T]
    y /= y.sum(axis=0)
    alpha, y = grid.unpad(V[..., :T]), grid.unpad(y)
    if not (np.all(np.isfinite(alpha)) and np.all(np.isfinite(y))):
        raise FloatingPointError("a sequence has probability zero under these parameters")
    return alpha, y, ll


def _down(levels, P, r, v0, b=None, transmat=None):
    """The down-sweep: normalised prefix vectors ``V`` and suffix vectors ``W``
    (K, S, >= T) from the levels."""
    k, S = v0.shape
    ones = np.full((k, S, 1), 1.0 / k)
    V = np.concatenate([v0[..., None], _vec_mat(v0[..., None], P, r)], axis=-1)
    W = np.concatenate([_mat_vec(P, r, ones), ones], axis=-1)
    for Pl, rl in reversed(levels):
        if Pl is None:
            V, W = _down_level0(V, W, b, transmat)
            continue
        half = Pl.shape[-1] // 2
        V, W = V[..., :half + 1], W[..., :half + 1]
        newV = np.empty((k, S, 2 * half + 1))
        newV[..., 0::2] = V
        newV[..., 1::2] = _vec_mat(V[..., :-1], Pl[..., 0::2], rl[..., 0::2])
        newW = np.empty((k, S, 2 * half + 1))
        newW[..., 0::2] = W
        newW[..., 1::2] = _mat_vec(Pl[..., 1::2], rl[..., 1::2], W[..., 1:])
        V, W = newV, newW
    return V, W


def chain(P, r, v0):
    """Prefix and suffix vectors of a chain of row-scaled matrices
    ``diag(exp r_j) P_j``, by the tree.

    ``P`` (K, K, m) with rows summing to 1 (or 0), ``r`` (K, m) the rows'
    log-scales, ``v0`` (K,) normalised. Returns ``V`` (K, m + 1), ``V_j``
    the normalised ``v0^T N_1 ... N_j``, and ``W`` (K, m + 1), ``W_j`` the
    normalised ``N_{j+1} ... N_m 1``, ``N_j`` the ``j``-th matrix.
    """
    m = P.shape[-1]
    levels, top, r_top = _levels_above(P[:, :, None, :], r[:, None, :], [])
    V, W = _down(levels, top, r_top, v0[:, None])
    return V[:, 0, :m + 1], W[:, 0, :m + 1]
