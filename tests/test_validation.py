"""The shared argument checks: each declared constraint accepts what it says and names what it
rejects."""

import math

import numpy as np
import pytest

from emcore._checks import (Boolean, Integer, Options, Real, as_count_array, as_float_array,
                            as_open_unit, check_params, validated)


@pytest.mark.parametrize("value, expected", [(0, 0), (7, 7), (np.int32(3), 3)])
def test_integer_accepts_integers_in_range_and_converts_to_int(value, expected):
    out = check_params({"k": [Integer(0)]}, {"k": value})["k"]
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value, error", [(2.5, TypeError), (True, TypeError), ("3", TypeError),
                                          (-1, ValueError), (11, ValueError)])
def test_integer_rejects_wrong_type_and_wrong_value_naming_the_argument(value, error):
    with pytest.raises(error, match=r"^n_iter must be an integer >= 0 and <= 10, got"):
        check_params({"n_iter": [Integer(0, 10)]}, {"n_iter": value})


@pytest.mark.parametrize("value, ok", [(0.0, False), (1e-300, True), (1.0, True), (1.5, False),
                                       (math.inf, False), (math.nan, False)])
def test_real_respects_open_and_closed_ends(value, ok):
    constraints = {"tol": [Real(0, 1, low_open=True)]}
    if ok:
        assert check_params(constraints, {"tol": value})["tol"] == value
    else:
        with pytest.raises(ValueError, match="tol must be a finite number > 0 and <= 1"):
            check_params(constraints, {"tol": value})


def test_alternatives_are_listed_and_none_is_accepted_when_declared():
    constraints = {"mode": [None, Options(["a", "b"])], "flag": [Boolean()]}
    assert (check_params(constraints, {"mode": None, "flag": np.bool_(True)})
            == {"mode": None, "flag": True})
    with pytest.raises(ValueError, match=r"mode must be None or one of \{'a', 'b'\}, got 'c'"):
        check_params(constraints, {"mode": "c"})
    with pytest.raises(TypeError, match="flag must be True or False, got int"):
        check_params(constraints, {"flag": 1})


def test_validated_checks_defaults_and_passed_arguments():
    @validated({"k": [Integer(1)]})
    def f(k=1):
        return k

    assert f() == 1 and f(k=4) == 4
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        f(0)


@pytest.mark.parametrize("value, error, match", [
    ([1, 2], ValueError, r"c must have shape \(3,\)"),
    ([1, -2, 3], ValueError, "c must be non-negative"),
    ([1, 2.5, 3], ValueError, "c must be whole numbers"),
    ([1, np.inf, 3], ValueError, "c contains NaN or infinite"),
    ([True, False, True], TypeError, "c must be integers"),
    (["1", "2", "3"], TypeError, "c must be integers"),
])
def test_count_arrays_reject_what_is_not_a_count(value, error, match):
    with pytest.raises(error, match=match):
        as_count_array(value, "c", shape=(3,))


def test_count_arrays_accept_whole_floats_as_int64():
    out = as_count_array([1.0, 0.0, 4.0], "c", shape=(3,))
    assert out.dtype == np.int64 and out.tolist() == [1, 0, 4]


@pytest.mark.parametrize("value", [0.0, 1.0, -0.1, np.nan])
def test_open_unit_rejects_the_ends_and_outside(value):
    with pytest.raises(ValueError, match="p must be a finite number > 0 and < 1"):
        as_open_unit(value, "p")


def test_open_unit_accepts_a_size_one_array():
    assert as_open_unit(np.array([0.25]), "p") == 0.25


@pytest.mark.parametrize("kwargs, value, match", [
    ({"ndim": 1}, [[1.0]], "x must be 1-dimensional"),
    ({}, [], "x must not be empty"),
    ({"positive": True}, [1.0, 0.0], "x must be strictly positive"),
    ({"nonnegative": True}, [1.0, -1.0], "x must be non-negative"),
    ({}, [1.0, np.nan], "x contains NaN"),
])
def test_float_arrays_name_the_argument(kwargs, value, match):
    with pytest.raises(ValueError, match=match):
        as_float_array(value, "x", **kwargs)


def test_one_dimensional_input_offers_both_reshapes():
    from emcore import GaussianMixture

    with pytest.raises(ValueError, match=r"reshape\(-1, 1\).*reshape\(1, -1\)"):
        GaussianMixture(1).fit(np.arange(5.0))
