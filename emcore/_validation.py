"""Argument checks shared by emcore's models, so each error names its argument."""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name: str, *, ndim: int | None = None, positive: bool = False,
                   nonnegative: bool = False, allow_empty: bool = False) -> np.ndarray:
    """``value`` as a float64 array, or a ValueError/TypeError naming ``name``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be strictly positive")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def as_count(value, name: str, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``, or a ValueError/TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_positive_scalar(value, name: str) -> float:
    """``value`` as a finite float > 0, or a ValueError/TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating)):
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value
