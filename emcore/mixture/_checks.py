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

__all__ = ["RANDOM_STATE", "check_X", "check_array_of_shape", "check_inits", "check_n_rows", "check_random_state", "check_sample_weight",
           "nonfinite_message"]

_CHECK_ROWS = 1 << 16


def check_X(X, name: str = "X", n_features: int | None = None, missing: str | None = None) -> np.ndarray:
    """A 2-D float array (float32 kept as is, not copied), finite and non-empty.

    ``missing="marginalize"`` allows NaN (a missing entry), not infinity;
    ``missing="raise"`` forbids both and its message names ``missing``.

    The messages name ``name`` and say what is wrong in emcore's words, and
    also contain scikit-learn's phrases for the same problem ("Expected 2D
    array", "0 sample(s)", "Sparse data", "Complex data not supported",
    "features, but ... is expecting"), which its users and tools search for.
    """
    if X is None:
        raise ValueError(f"{name} must be an array of shape (n_samples, n_features), got None")
    if type(X).__module__.split(".")[:2] == ["scipy", "sparse"]:
        raise TypeError(
            f"Sparse data was passed for {name}, but dense data is required: {name} must be a dense "
            f"array; use {name}.toarray()"
        )
    arr = np.asarray(X)
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} must hold real numbers, got dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{name} must hold real numbers, got dtype {arr.dtype}: {err}") from None
    if arr.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array instead: {name} must be 2-D of shape (n_samples, "
            f"n_features), got shape {arr.shape}. Reshape your data: one-dimensional data is "
            f"fitted as {name} of shape (n_samples, 1), use {name}.reshape(-1, 1)"
        )
    if arr.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {arr.ndim}D array instead: {name} must be 2-D of shape "
            f"(n_samples, n_features), got shape {arr.shape}"
        )
    for size, what in ((arr.shape[0], "sample"), (arr.shape[1], "feature")):
        if size == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={arr.shape}) while a minimum of 1 is required: "
                f"{name} is empty; it needs at least one sample and one feature"
            )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    allow_nan = missing == "marginalize"
    for s in range(0, arr.shape[0], _CHECK_ROWS):
        block = arr[s:s + _CHECK_ROWS]
        if np.isinf(block).any() if allow_nan else not np.isfinite(block).all():
            raise ValueError(nonfinite_message(name, missing))
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but GaussianMixture is expecting "
                         f"{n_features} features as input: it was fitted to n_features={n_features}")
    return arr


def nonfinite_message(name: str, missing: str | None) -> str:
    """The error for NaN or infinity in ``name`` under the estimator's ``missing``."""
    if missing == "marginalize":
        return f"Input {name} contains infinity: NaN marks a missing entry, but {name} must not hold infinite values"
    hint = (f"; to fit with missing entries (NaN) pass missing='marginalize' (got missing={missing!r})"
            if missing else "")
    return f"Input {name} contains NaN or infinity: {name} must not hold NaN or infinite values{hint}"


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
    """At least 2 samples, and at least ``n_components`` (with positive weight) ``of`` something."""
    of = " of " + of if of else ""
    positive = " with positive weight" if weighted else ""
    if n_rows < 2:
        raise ValueError(
            f"n_samples={n_rows}{positive}{of}: a Gaussian mixture needs at least 2 samples (a single "
            "sample has no variance)"
        )
    if n_rows < k:
        raise ValueError(
            f"n_components={k} must not exceed the number of samples{of} ({n_rows}{positive})"
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


def check_array_of_shape(value, name: str, shape: tuple) -> np.ndarray:
    """A finite float64 array of exactly ``shape``; a ValueError naming ``name`` otherwise."""
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
        w = check_array_of_shape(config.weights_init, "weights_init", (k,))
        if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights_init must be positive and sum to 1, got {w.tolist()}")
        out["weights"] = w / w.sum()
    if config.means_init is not None:
        out["means"] = check_array_of_shape(config.means_init, "means_init", (k, d))
    if config.precisions_init is not None:
        cov = covariance_model(cov_type)
        prec = check_array_of_shape(config.precisions_init, "precisions_init", cov.cov_shape(k, d))
        if cov.is_matrix:
            scale = np.max(np.abs(prec), axis=(-2, -1), keepdims=True)
            if np.any(np.abs(prec - np.swapaxes(prec, -1, -2)) > 1e-10 * scale):
                raise ValueError("precisions_init must hold symmetric matrices")
        try:
            out["precisions"] = cov.from_precisions(prec)
        except np.linalg.LinAlgError:
            raise ValueError(f"precisions_init must be positive definite ({cov_type} covariances)") from None
    if config.resp_init is not None:
        resp = check_array_of_shape(config.resp_init, "resp_init", (n, k))
        rows = resp.sum(axis=1)
        if np.any(resp < 0) or np.any(~(rows > 0)):
            raise ValueError("resp_init must be non-negative with a positive sum in every row")
        out["resp"] = resp / rows[:, None]
    return out
