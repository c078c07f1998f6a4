"""Checks shared by every emcore estimator: data, weights, random states and arrays.

Each error is a ValueError (or a TypeError for a wrong type) that names the
argument, and, where it depends on one, the estimator that was called.
"""

from __future__ import annotations

import numpy as np

from ._validation import InstanceOf, Integer, check_params

__all__ = ["RANDOM_STATE", "check_X", "check_array_of_shape", "check_lengths", "check_observed",
           "check_random_state", "check_sample_weight", "nonfinite_message"]

_CHECK_ROWS = 1 << 16


def check_X(X, name: str = "X", n_features: int | None = None, missing: str | None = None,
            estimator: str = "GaussianMixture") -> np.ndarray:
    """A 2-D float array (float32 kept as is, not copied), finite and non-empty.

    ``missing="marginalize"`` allows NaN (a missing entry), not infinity;
    ``missing="raise"`` forbids both and its message names ``missing``.
    ``estimator`` is the name of the calling estimator, for the message on
    a wrong number of features.

    The messages name ``name`` and say what is wrong in emcore's words, and
    also contain scikit-learn's phrases for the same problem ("Expected 2D
    array", "0 sample(s)", "Sparse data", "Complex data not supported",
    "features, but ... is expecting"), which its users and tools search for.
    """
    if X is None:
        raise ValueError(f"{name} must be an array of shape (n_samples, n_features), got None")
    if type(X).__module__.split(".")[:2] == ["scipy", "sparse"]:
        raise TypeError(
            f"Sparse data was passed for {name}, but dense data is required: {name} must be a "
            f"dense array; use {name}.toarray()"
        )
    arr = np.asarray(X)
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} must hold real numbers, got dtype "
                         f"{arr.dtype}")
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{name} must hold real numbers, got dtype {arr.dtype}: "
                            f"{err}") from None
    if arr.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array instead: {name} must be 2-D of shape (n_samples, "
            f"n_features), got shape {arr.shape}. Reshape your data either using "
            f"{name}.reshape(-1, 1) if it has a single feature or {name}.reshape(1, -1) if it "
            f"is a single sample"
        )
    if arr.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {arr.ndim}D array instead: {name} must be 2-D of shape "
            f"(n_samples, n_features), got shape {arr.shape}"
        )
    for size, what in ((arr.shape[0], "sample"), (arr.shape[1], "feature")):
        if size == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={arr.shape}) while a minimum of 1 is "
                f"required: {name} is empty; it needs at least one sample and one feature"
            )
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    allow_nan = missing == "marginalize"
    # The statistics sum, over n rows, d squares of differences of two entries (such as x - mu,
    # at most 2 max|x|); n d (2 limit)^2 is the dtype's largest value, so |x| <= limit keeps them
    # finite (the weaker d limit^2 is not enough: a fit then overflows in its first sums).
    n, d = arr.shape
    limit = np.sqrt(np.finfo(arr.dtype).max / (4.0 * d * n))
    for s in range(0, arr.shape[0], _CHECK_ROWS):
        block = arr[s:s + _CHECK_ROWS]
        if allow_nan:  # fmax and fmin pass over NaN (a missing entry), not over infinity
            hi, lo = np.fmax.reduce(block, axis=None), np.fmin.reduce(block, axis=None)
            bad = np.isinf(hi) or np.isinf(lo)
        else:  # max and min are NaN if the block holds one
            hi, lo = block.max(), block.min()
            bad = not (np.isfinite(hi) and np.isfinite(lo))
        if bad:
            raise ValueError(nonfinite_message(name, missing))
        if hi > limit or -lo > limit:
            raise ValueError(overflow_message(name, max(hi, -lo), limit, arr.dtype))
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but {estimator} is expecting "
                         f"{n_features} features as input: it was fitted to "
                         f"n_features={n_features}")
    return arr


def overflow_message(name: str, top: float, limit: float, dtype) -> str:
    """The error for entries of ``name`` so large that their squares overflow ``dtype``."""
    return (f"Input {name} holds values up to {top:.3g} in absolute value: their squares overflow "
            f"{dtype} (whose largest value is {np.finfo(dtype).max:.3g}), so no log-density of "
            f"{name} can be computed. Rescale {name} (e.g. divide it by its largest absolute value "
            f"or standardise it, as sklearn.preprocessing.StandardScaler does) so that every entry "
            f"is at most {limit:.3g} in absolute value")


def nonfinite_message(name: str, missing: str | None) -> str:
    """The error for NaN or infinity in ``name`` under the estimator's ``missing``."""
    if missing == "marginalize":
        return (f"Input {name} contains infinity: NaN marks a missing entry, but {name} must not "
                "hold infinite values")
    hint = ("; to fit with missing entries (NaN) pass missing='marginalize' "
            f"(got missing={missing!r})" if missing else "")
    return (f"Input {name} contains NaN or infinity: {name} must not hold NaN or infinite "
            f"values{hint}")


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
        raise ValueError("sample_weight is zero everywhere: at least one row needs a "
                         "positive weight")
    return w


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


def check_observed(observed_per_column, name: str = "X") -> None:
    """A ValueError naming ``name`` when nothing, or some column, is never observed."""
    counts = np.asarray(observed_per_column)
    if not counts.any():
        raise ValueError(f"{name} has every entry missing (NaN): there is nothing to fit")
    never = np.flatnonzero(counts == 0)
    if never.size:
        raise ValueError(f"{name} has columns that are never observed (all NaN): {never.tolist()}; "
                         "their mean and variance cannot be estimated: drop them")


def check_lengths(lengths, n: int, name: str = "X") -> np.ndarray:
    """``lengths`` of concatenated sequences: positive integers summing to ``name``'s ``n`` rows.

    None is one sequence of all ``n`` rows.
    """
    if lengths is None:
        return np.array([n], dtype=np.intp)
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise ValueError(f"lengths must be a non-empty 1-D array of integers, got {lengths!r}")
    if np.any(arr <= 0):
        raise ValueError(f"lengths must be positive, got {arr.tolist()}")
    if int(arr.sum()) != n:
        raise ValueError(f"lengths must sum to the number of rows of {name} ({n}), they sum to "
                         f"{int(arr.sum())}")
    return arr.astype(np.intp)
