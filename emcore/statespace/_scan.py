"""The linear recursion ``z_{t+1} = F_t z_t + b_t`` for all steps at once (a blocked scan).

The Kalman filter's and the RTS smoother's means follow such recursions once
the covariances (and so the gains) are known. A Python loop over ``10^5``
steps costs a few numpy calls per step; here the steps are cut into blocks of
about ``sqrt(n)``, every block is run from zero for all blocks at once (its
particular solution and its transition product, step by step), the block
starts are chained, and each block's states are its particular solution plus
its transition products times its start: about ``2 sqrt(n)`` vectorised steps.
It is the same arithmetic as the loop, reassociated: results agree with it to
round-off (``tests/statespace/test_scan.py``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["linear_recursion", "linear_recursion_loop"]

#: Below this many steps the plain loop is used (the blocked scan's set-up is not worth it).
_LOOP_BELOW = 64


def linear_recursion_loop(F: np.ndarray, b: np.ndarray, z0: np.ndarray) -> np.ndarray:
    """The reference: ``z_0 = z0``, ``z_{t+1} = F[t] @ z_t + b[t]``; returns ``z`` of shape (n, k).

    ``F`` has shape (n - 1, k, k) and ``b`` (n - 1, k).
    """
    z = np.empty((F.shape[0] + 1, z0.size))
    z[0] = z0
    for t in range(F.shape[0]):
        z[t + 1] = F[t] @ z[t] + b[t]
    return z


def linear_recursion(F: np.ndarray, b: np.ndarray, z0: np.ndarray) -> np.ndarray:
    """The same as :func:`linear_recursion_loop`, by a blocked scan of about ``2 sqrt(n)`` steps.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> F, b = 0.5 * rng.normal(size=(99, 2, 2)), rng.normal(size=(99, 2))
    >>> z = linear_recursion(F, b, np.ones(2))
    >>> bool(np.allclose(z, linear_recursion_loop(F, b, np.ones(2))))
    True
    """
    m, k = F.shape[0], z0.size
    if m < _LOOP_BELOW:
        return linear_recursion_loop(F, b, z0)
    block = math.isqrt(m - 1) + 1
    n_blocks = -(-m // block)
    pad = n_blocks * block - m
    if pad:
        F = np.concatenate([F, np.broadcast_to(np.eye(k), (pad, k, k))])
        b = np.concatenate([b, np.zeros((pad, k))])
    F = F.reshape(n_blocks, block, k, k)
    b = b.reshape(n_blocks, block, k)
    prod = np.empty((n_blocks, block + 1, k, k))  # F_{j-1} ... F_0 within each block
    part = np.empty((n_blocks, block + 1, k))  # the block's states started from 0
    prod[:, 0] = np.eye(k)
    part[:, 0] = 0.0
    for j in range(block):
        np.matmul(F[:, j], prod[:, j], out=prod[:, j + 1])
        part[:, j + 1] = np.einsum("bij,bj->bi", F[:, j], part[:, j]) + b[:, j]
    starts = np.empty((n_blocks + 1, k))
    starts[0] = z0
    for i in range(n_blocks):
        starts[i + 1] = prod[i, block] @ starts[i] + part[i, block]
    z = np.einsum("bjik,bk->bji", prod[:, :block], starts[:n_blocks]) + part[:, :block]
    return np.concatenate([z.reshape(n_blocks * block, k), starts[n_blocks:]])[:m + 1]
