"""Input checks of the mixture estimator: every error is a ValueError naming its argument."""

from __future__ import annotations

import numbers

import numpy as np

from ._covariance import COVARIANCE_TYPES, covariance_model
from ._init import INIT_METHODS

__all__ = ["check_X", "check_estimator_params", "check_inits", "check_n_rows", "check_sample_weight",
           "check_random_state"]

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


def _integer(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _real(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_random_state(random_state) -> np.random.Generator:
    """A Generator from None, an int, a Generator or a legacy RandomState."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.Generator)):
        if isinstance(random_state, bool):
            raise ValueError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")
        if isinstance(random_state, numbers.Integral) and random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state}")
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1, size=4))
    raise ValueError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")


def check_estimator_params(est) -> None:
    """Check the constructor arguments of a GaussianMixture ``est``."""
    _integer(est.n_components, "n_components", 1)
    if est.covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {est.covariance_type!r}")
    _real(est.tol, "tol")
    _real(est.reg_covar, "reg_covar")
    _integer(est.max_iter, "max_iter", 0)
    _integer(est.n_init, "n_init", 1)
    if est.init_params not in INIT_METHODS:
        raise ValueError(f"init_params must be one of {INIT_METHODS}, got {est.init_params!r}")
    if not isinstance(est.warm_start, (bool, np.bool_)):
        raise ValueError(f"warm_start must be True or False, got {est.warm_start!r}")
    if est.callback is not None and not callable(est.callback):
        raise ValueError(f"callback must be callable or None, got {type(est.callback).__name__}")
    rs = est.random_state
    is_seed = isinstance(rs, numbers.Integral) and not isinstance(rs, bool) and rs >= 0
    if not (rs is None or is_seed or isinstance(rs, (np.random.Generator, np.random.RandomState))):
        raise ValueError(f"random_state must be None, a non-negative int or a numpy Generator, got {rs!r}")


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


def check_inits(est, n: int, d: int) -> dict:
    """The explicit initial values, checked against (n_samples, n_features) = (n, d)."""
    k, cov_type = est.n_components, est.covariance_type
    out = {"weights": None, "means": None, "precisions": None, "resp": None}
    if est.weights_init is not None:
        w = _array(est.weights_init, "weights_init", (k,))
        if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights_init must be positive and sum to 1, got {w.tolist()}")
        out["weights"] = w / w.sum()
    if est.means_init is not None:
        out["means"] = _array(est.means_init, "means_init", (k, d))
    if est.precisions_init is not None:
        prec = _array(est.precisions_init, "precisions_init", covariance_model(cov_type).cov_shape(k, d))
        if cov_type in ("full", "tied"):
            scale = np.max(np.abs(prec), axis=(-2, -1), keepdims=True)
            if np.any(np.abs(prec - np.swapaxes(prec, -1, -2)) > 1e-10 * scale):
                raise ValueError("precisions_init must hold symmetric matrices")
        try:
            out["precisions"] = covariance_model(cov_type).from_precisions(prec)
        except np.linalg.LinAlgError:
            raise ValueError(f"precisions_init must be positive definite ({cov_type} covariances)") from None
    if est.resp_init is not None:
        resp = _array(est.resp_init, "resp_init", (n, k))
        rows = resp.sum(axis=1)
        if np.any(resp < 0) or np.any(~(rows > 0)):
            raise ValueError("resp_init must be non-negative with a positive sum in every row")
        out["resp"] = resp / rows[:, None]
    return out
