"""Argument checks shared by emcore: declared constraints, data, weights, random states, arrays.

Every public entry point declares its scalar arguments next to its signature
as a dict ``name -> list of alternatives`` (in the spirit of scikit-learn's
``_parameter_constraints``) and checks them with :func:`check_params` (or the
:func:`validated` decorator). An alternative is ``None`` (the value None),
``callable``, or a :class:`Constraint`. Data, sample weights, random states and
arrays have their own checks (:func:`check_X`, :func:`check_sample_weight`,
:func:`check_random_state`, :func:`as_float_array`, ...). The error hierarchy is the
builtin one: a value of a type no alternative accepts raises ``TypeError``; a value of an
accepted type outside its range raises ``ValueError``; both name the argument and, where
it depends on one, the estimator that was called.

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

__all__ = ["Boolean", "Constraint", "InstanceOf", "Integer", "Options", "RANDOM_STATE", "Real",
           "check_X", "check_array_of_shape", "check_lengths", "check_observed", "check_params",
           "check_random_state", "check_sample_weight", "nonfinite_message", "validated"]


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


def check_array_of_shape(value, name: str, shape: tuple, why: str = "") -> np.ndarray:
    """A finite float64 array of exactly ``shape``; a ValueError naming ``name`` otherwise
    (with ``why``, what sets the shape, in the message about a wrong one)."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array of shape {shape}") from None
    if arr.shape != shape:
        because = f" ({why})" if why else ""
        raise ValueError(f"{name} must have shape {shape}{because}, got {arr.shape}")
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
