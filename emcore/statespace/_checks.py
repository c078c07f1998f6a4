"""Checks of the data and arguments of :class:`emcore.LinearGaussianSSM`; its starting values."""

from __future__ import annotations

import numpy as np

from .._checks import check_X
from ._params import COVARIANCES, NAMES, SSMParams, check_covariance, check_matrix

__all__ = ["check_Y", "check_inits", "check_names", "default_params"]


def check_Y(Y, n_outputs: int | None = None) -> np.ndarray:
    """``Y`` as a float64 (n_steps, n_outputs) array; NaN (a missing entry) allowed, inf not.

    The shared ``check_X`` (messages in scikit-learn's phrases too), then:
    at least one entry must be seen.
    """
    arr = np.asarray(check_X(Y, "Y", n_features=n_outputs, missing="marginalize",
                             estimator="LinearGaussianSSM"), dtype=np.float64)
    if np.all(np.isnan(arr)):
        raise ValueError("Y has no observed entry: every entry is NaN")
    return arr


def check_names(value, name: str, allowed: tuple) -> tuple:
    """A tuple of distinct names from ``allowed`` (a list or tuple of str; not a bare str)."""
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of names from {allowed}, "
                        f"got {type(value).__name__}"
                        + (f" (write ({value!r},) for one name)" if isinstance(value, str) else ""))
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            raise ValueError(f"{name} must hold names from {allowed}, got {item!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{name} names a parameter twice: {tuple(value)}")
    return tuple(value)


def check_inits(inits: dict, k: int, p: int, diagonal: tuple) -> dict:
    """The given ``*_init`` arrays, checked: shapes, finite values, covariances SPD."""
    shapes = {"transition": (k, k), "observation": (p, k), "initial_mean": (k,)}
    out = {}
    for name in NAMES:
        value = inits.get(name)
        if value is None:
            continue
        arg = f"{name}_init"
        if name in COVARIANCES:
            out[name] = check_covariance(value, arg, k if name != "observation_cov" else p,
                                         diagonal=name in diagonal)
        else:
            out[name] = check_matrix(value, arg, shapes[name])
    return out


def default_params(Y: np.ndarray, lengths: np.ndarray, k: int, rng: np.random.Generator,
                   jitter: float = 0.0) -> SSMParams:
    """Starting values from the data: the leading principal directions of ``Y`` as ``C``.

    Missing entries are filled with their column's mean; the states are the
    principal scores scaled to unit variance (random ones beyond the number
    of outputs), ``A`` and ``Q`` their least-squares autoregression, ``R`` the
    residual variances, ``initial_mean`` the first scores and ``initial_cov``
    the identity. ``jitter`` scales a random perturbation of ``C`` and ``A``
    (the starts of ``n_init > 1`` after the first).
    """
    n, p = Y.shape
    seen = ~np.isnan(Y)
    counts = seen.sum(axis=0)
    col_mean = np.where(counts > 0, np.nansum(Y, axis=0) / np.maximum(counts, 1), 0.0)
    Yf = np.where(seen, Y, col_mean)
    U, s, Vt = np.linalg.svd(Yf, full_matrices=False)
    r = min(k, p, n)
    root_n = np.sqrt(n)
    X = rng.normal(size=(n, k))
    C = np.zeros((p, k))
    X[:, :r] = U[:, :r] * root_n
    C[:, :r] = Vt[:r].T * (s[:r] / root_n)
    size = max(float(s[0]) / root_n, 1.0)
    C[:, r:] = 0.1 * size * rng.normal(size=(p, k - r))
    if jitter:
        C += jitter * size * rng.normal(size=C.shape)
    last = np.cumsum(lengths) - 1
    inner = np.ones(n - 1, dtype=bool)
    inner[last[:-1]] = False
    X0, X1 = X[:-1][inner], X[1:][inner]
    if X0.shape[0] >= 1:
        A = np.linalg.solve(X0.T @ X0 + 1e-6 * n * np.eye(k), X0.T @ X1).T
        resid = X1 - X0 @ A.T
        Q = resid.T @ resid / X0.shape[0]
    else:
        A, Q = np.zeros((k, k)), np.eye(k)
    if jitter:
        A += jitter * rng.normal(size=(k, k)) / np.sqrt(k)
    Q = 0.5 * (Q + Q.T) + 1e-3 * np.eye(k)
    var = np.var(Yf, axis=0)
    resid_var = np.var(Yf - X @ C.T, axis=0)
    R = np.diag(np.maximum(resid_var, 1e-3 * np.maximum(var, 1e-12)))
    return SSMParams(A, Q, C, R, X[0].copy(), np.eye(k))
