"""Checks of the mixture's data and explicit initial values; errors name their argument.

The constructor's scalar arguments are declared next to its signature
(``GaussianMixture._parameter_constraints``) and checked by
:func:`emcore._validation.check_params`: a wrong type is a TypeError, a wrong
value a ValueError. Arrays (``X``, ``sample_weight``, the ``*_init`` values)
are checked here, every error a ValueError naming the argument.
"""

from __future__ import annotations

import numpy as np

from .._validation import InstanceOf, Integer, check_params
from ._covariance import covariance_model

__all__ = ["RANDOM_STATE", "check_X", "check_inits", "check_n_rows", "check_random_state", "check_sample_weight"]

_CHECK_ROWS = 1 << 16


def check_X(X, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """A 2-D float array (float32 kept as is, not copied), finite and non-empty."""
    if X is None:
        raise ValueError(f"{name} must be an array of shape (n_samples, n_features), got None")
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n_samples, n_features), got a 1-D array of shape "
            f"{arr.shape}; one-dimensional data is fitted as X of shape (n_samples, 1): "
            "use X.reshape(-1, 1)"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): it needs at least one sample and one feature")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    for s in range(0, arr.shape[0], _CHECK_ROWS):
        if not np.isfinite(arr[s:s + _CHECK_ROWS]).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but the mixture was fitted to {n_features}"
        )
    return arr


def check_sample_weight(sample_weight, n: int):
    """None, or float64 weights of shape (n,): finite, non-negative, positive sum."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be an array of non-negative numbers") from None
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},) like X's rows, got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinite values")
    if np.any(w < 0):
        raise ValueError("sample_weight must be non-negative")
    if not w.sum() > 0:
        raise ValueError("sample_weight is zero everywhere: at least one row needs a positive weight")
    return w


def check_n_rows(n_rows: int, k: int, weighted: bool, of: str = "") -> None:
    """``n_components`` must not exceed the number of samples (with positive weight) ``of`` something."""
    if n_rows < k:
        raise ValueError(
            f"n_components={k} must not exceed the number of samples{' of ' + of if of else ''} "
            f"({n_rows}{' with positive weight' if weighted else ''})"
        )


#: The accepted values of a ``random_state`` argument.
RANDOM_STATE = [None, Integer(0), InstanceOf((np.random.Generator, np.random.RandomState),
                                             "a numpy Generator or RandomState")]


def check_random_state(random_state, name: str = "random_state") -> np.random.Generator:
    """A Generator from None, a non-negative int, a Generator or a legacy RandomState."""
    check_params({name: RANDOM_STATE}, {name: random_state})
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1, size=4))
    return np.random.default_rng(random_state)


def _array(value, name, shape):
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array of shape {shape}") from None
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_inits(config, n: int, d: int) -> dict:
    """The explicit initial values of a :class:`._config.FitConfig`, checked against (n_samples, n_features) = (n, d)."""
    k, cov_type = config.n_components, config.covariance_type
    out = {"weights": None, "means": None, "precisions": None, "resp": None}
    if config.weights_init is not None:
        w = _array(config.weights_init, "weights_init", (k,))
        if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights_init must be positive and sum to 1, got {w.tolist()}")
        out["weights"] = w / w.sum()
    if config.means_init is not None:
        out["means"] = _array(config.means_init, "means_init", (k, d))
    if config.precisions_init is not None:
        cov = covariance_model(cov_type)
        prec = _array(config.precisions_init, "precisions_init", cov.cov_shape(k, d))
        if cov.is_matrix:
            scale = np.max(np.abs(prec), axis=(-2, -1), keepdims=True)
            if np.any(np.abs(prec - np.swapaxes(prec, -1, -2)) > 1e-10 * scale):
                raise ValueError("precisions_init must hold symmetric matrices")
        try:
            out["precisions"] = cov.from_precisions(prec)
        except np.linalg.LinAlgError:
            raise ValueError(f"precisions_init must be positive definite ({cov_type} covariances)") from None
    if config.resp_init is not None:
        resp = _array(config.resp_init, "resp_init", (n, k))
        rows = resp.sum(axis=1)
        if np.any(resp < 0) or np.any(~(rows > 0)):
            raise ValueError("resp_init must be non-negative with a positive sum in every row")
        out["resp"] = resp / rows[:, None]
    return out
