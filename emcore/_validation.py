"""Argument checks shared by emcore: declared constraints, and arrays.

Every public entry point declares its scalar arguments next to its signature
as a dict ``name -> list of alternatives`` (in the spirit of scikit-learn's
``_parameter_constraints``) and checks them with :func:`check_params` (or the
:func:`validated` decorator). An alternative is ``None`` (the value None),
``callable``, or a :class:`Constraint`. The error hierarchy is the builtin one:
a value of a type no alternative accepts raises ``TypeError``; a value of an
accepted type outside its range raises ``ValueError``; both name the argument.

>>> check_params({"max_iter": [Integer(0)]}, {"max_iter": 10})
{'max_iter': 10}
>>> check_params({"max_iter": [Integer(0)]}, {"max_iter": 2.5})
Traceback (most recent call last):
...
TypeError: max_iter must be an integer >= 0, got float
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers

import numpy as np

__all__ = ["Boolean", "Constraint", "InstanceOf", "Integer", "Options", "Real", "check_params",
           "validated"]


class Constraint:
    """One accepted kind of value: a type test, a value test, a description and a conversion."""

    description = "a value"

    def accepts_type(self, value) -> bool:
        return True

    def accepts_value(self, value) -> bool:
        return True

    def convert(self, value):
        return value


def _bounds(low, high, low_open, high_open):
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


class Integer(Constraint):
    """An integer (not a bool) in ``[low, high]``."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high
        bounds = _bounds(low, high, False, False)
        self.description = "an integer" + (f" {bounds}" if bounds else "")

    def accepts_type(self, value):
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))

    def accepts_value(self, value):
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def convert(self, value):
        return int(value)


class Real(Constraint):
    """A finite real number (not a bool) between ``low`` and ``high`` (open ends as declared)."""

    def __init__(self, low=None, high=None, *, low_open=False, high_open=False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        bounds = _bounds(low, high, low_open, high_open)
        self.description = "a finite number" + (f" {bounds}" if bounds else "")

    def accepts_type(self, value):
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))

    def accepts_value(self, value):
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def convert(self, value):
        return float(value)


class Options(Constraint):
    """One of the strings ``options``."""

    def __init__(self, options):
        self.options = tuple(options)
        listed = ", ".join(repr(o) for o in self.options)
        self.description = listed if len(self.options) == 1 else f"one of {{{listed}}}"

    def accepts_type(self, value):
        return isinstance(value, str)

    def accepts_value(self, value):
        return value in self.options


class Boolean(Constraint):
    description = "True or False"

    def accepts_type(self, value):
        return isinstance(value, (bool, np.bool_))

    def convert(self, value):
        return bool(value)


class InstanceOf(Constraint):
    """An instance of ``types``, described as ``description``."""

    def __init__(self, types, description):
        self.types, self.description = types, description

    def accepts_type(self, value):
        return isinstance(value, self.types)


class _Callable(Constraint):
    description = "callable"

    def accepts_type(self, value):
        return callable(value)


class _NoneValue(Constraint):
    description = "None"

    def accepts_type(self, value):
        return value is None


def _constraint(alternative) -> Constraint:
    if alternative is None:
        return _NoneValue()
    if alternative is callable:
        return _Callable()
    return alternative


def _check_one(name, value, alternatives):
    constraints = [_constraint(a) for a in alternatives]
    typed = [c for c in constraints if c.accepts_type(value)]
    for c in typed:
        if c.accepts_value(value):
            return c.convert(value)
    described = [c.description for c in constraints]
    expected = (described[0] if len(described) == 1
                else ", ".join(described[:-1]) + " or " + described[-1])
    if typed:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")


def check_params(constraints: dict, values: dict, prefix: str = "") -> dict:
    """``values`` checked against ``constraints`` (converted: int, float, bool);
    names get ``prefix``."""
    return {name: (_check_one(prefix + name, value, constraints[name]) if name in constraints
                   else value)
            for name, value in values.items()}


def validated(constraints: dict):
    """Decorator: check a function's declared arguments (as passed, defaults
    included) on every call."""

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            check_params(constraints, {k: bound.arguments[k] for k in constraints})
            return func(*args, **kwargs)

        wrapper.parameter_constraints = constraints
        return wrapper

    return decorate


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


def as_count_array(value, name: str, *, shape: tuple | None = None) -> np.ndarray:
    """``value`` as an int64 array of non-negative whole numbers, or a
    ValueError/TypeError naming ``name``.

    Integer arrays and floats holding whole numbers are accepted; booleans and
    non-numeric values are a ``TypeError``.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # pragma: no cover - ragged input on old numpy
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}") from None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be integers, got dtype {arr.dtype}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must be whole numbers")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr.astype(np.int64)


def as_count(value, name: str, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``, or a ValueError/TypeError naming ``name``."""
    return _check_one(name, value, [Integer(minimum)])


def as_open_unit(value, name: str) -> float:
    """``value`` as a float in the open interval (0, 1), or a ValueError/TypeError
    naming ``name``."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    return _check_one(name, value, [Real(0, 1, low_open=True, high_open=True)])


def as_positive_scalar(value, name: str) -> float:
    """``value`` as a finite float > 0, or a ValueError/TypeError naming ``name``."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    return _check_one(name, value, [Real(0, low_open=True)])
