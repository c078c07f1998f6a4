"""Every bad input raises an error that names the argument at fault: a TypeError for a
value of the wrong type, a ValueError for a wrong value."""

import re
import warnings

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.mixture import NotFittedError

from .conftest import COV_TYPES, blobs, explicit_init

X = blobs(n_per=20)
GOOD = explicit_init(X, 3, "full")


def bad_precisions(cov_type):
    d, k = 3, 3
    if cov_type == "full":
        p = np.stack([np.eye(d)] * k)
        p[1] = np.diag([1.0, -1.0, 1.0])
        return p
    if cov_type == "tied":
        return np.diag([1.0, 0.0, 1.0])
    if cov_type == "diag":
        return np.array([[1.0, 1.0, 1.0], [1.0, -2.0, 1.0], [1.0, 1.0, 1.0]])
    return np.array([1.0, 0.0, 1.0])


CASES = [
    # (constructor kwargs, fit kwargs, data, argument named in the message)
    ({}, {}, np.where(np.arange(60)[:, None] == 5, np.nan, X), "X"),
    ({}, {}, np.where(np.arange(60)[:, None] == 7, np.inf, X), "X"),
    ({}, {}, np.empty((0, 3)), "X"),
    ({}, {}, np.empty((10, 0)), "X"),
    ({}, {}, X[None], "X"),
    ({}, {}, np.array([["a", "b"], ["c", "d"]]), "X"),
    ({"n_components": 61}, {}, X, "n_components"),
    ({"n_components": 3}, {"sample_weight": np.r_[np.ones(2), np.zeros(58)]}, X, "n_components"),
    ({"n_components": 0}, {}, X, "n_components"),
    ({"n_components": -1}, {}, X, "n_components"),
    ({"covariance_type": "banana"}, {}, X, "covariance_type"),
    ({"init_params": "kmedoids"}, {}, X, "init_params"),
    ({"tol": -1.0}, {}, X, "tol"),
    ({"reg_covar": -1e-6}, {}, X, "reg_covar"),
    ({"reg_covar": float("nan")}, {}, X, "reg_covar"),
    ({"max_iter": -1}, {}, X, "max_iter"),
    ({"n_init": 0}, {}, X, "n_init"),
    ({"n_components": 3, "means_init": GOOD["means_init"][:2]}, {}, X, "means_init"),
    ({"n_components": 3, "means_init": GOOD["means_init"][:, :2]}, {}, X, "means_init"),
    ({"n_components": 3, "means_init": np.full((3, 3), np.nan)}, {}, X, "means_init"),
    ({"n_components": 3, "weights_init": [0.5, 0.5]}, {}, X, "weights_init"),
    ({"n_components": 3, "weights_init": [0.5, 0.6, -0.1]}, {}, X, "weights_init"),
    ({"n_components": 3, "weights_init": [0.5, 0.5, 0.5]}, {}, X, "weights_init"),
    ({"n_components": 3, "precisions_init": np.stack([np.eye(2)] * 3)}, {}, X, "precisions_init"),
    ({"n_components": 3, "precisions_init": np.ones((3, 3, 3)) + np.eye(3) * [0, 0, 1]}, {}, X,
     "precisions_init"),
    ({"n_components": 3, "covariance_type": "diag", "precisions_init": np.ones((3, 2))}, {}, X,
     "precisions_init"),
    ({"n_components": 3, "resp_init": np.ones((59, 3))}, {}, X, "resp_init"),
    ({"n_components": 3, "resp_init": -np.ones((60, 3))}, {}, X, "resp_init"),
    ({"n_components": 3, "resp_init": np.zeros((60, 3))}, {}, X, "resp_init"),
    ({}, {"sample_weight": -np.ones(60)}, X, "sample_weight"),
    ({}, {"sample_weight": np.zeros(60)}, X, "sample_weight"),
    ({}, {"sample_weight": np.ones(59)}, X, "sample_weight"),
    ({}, {"sample_weight": np.full(60, np.nan)}, X, "sample_weight"),
]


@pytest.mark.parametrize("kwargs, fit_kwargs, data, name", CASES)
def test_bad_input_raises_value_error_naming_the_argument(kwargs, fit_kwargs, data, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        GaussianMixture(**kwargs).fit(data, **fit_kwargs)


TYPE_CASES = [
    # (constructor kwargs, argument named in the message)
    ({"n_components": 2.5}, "n_components"),
    ({"n_components": True}, "n_components"),
    ({"covariance_type": 3}, "covariance_type"),
    ({"tol": "small"}, "tol"),
    ({"max_iter": 10.0}, "max_iter"),
    ({"random_state": "seed"}, "random_state"),
    ({"warm_start": "yes"}, "warm_start"),
    ({"callback": 3}, "callback"),
    ({"prior": 1.0}, "prior"),
    ({"learning_decay": "fast"}, "learning_decay"),
]


@pytest.mark.parametrize("kwargs, name", TYPE_CASES)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_argument_of_the_wrong_type_raises_type_error_naming_it(kwargs, name, method):
    with pytest.raises(TypeError, match=re.escape(name)) as info:
        getattr(GaussianMixture(**kwargs), method)(X)
    assert not isinstance(info.value, ValueError)


@pytest.mark.parametrize("kwargs, name", [({"learning_decay": 0.5}, "learning_decay"),
                                          ({"learning_offset": -1.0}, "learning_offset"),
                                          ({"max_iter": -1}, "max_iter")])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_fit_and_partial_fit_check_every_constructor_argument(kwargs, name, method):
    with pytest.raises(ValueError, match=re.escape(name)):
        getattr(GaussianMixture(**kwargs), method)(X)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_non_positive_definite_precisions_init_is_rejected(cov_type):
    with pytest.raises(ValueError, match="precisions_init.*positive definite"):
        GaussianMixture(3, covariance_type=cov_type,
                        precisions_init=bad_precisions(cov_type)).fit(X)


def test_one_dimensional_array_error_explains_the_n_by_1_shape():
    with pytest.raises(ValueError, match=r"1D array.*shape \(\d+,\).*reshape\(-1, 1\)"):
        GaussianMixture(2).fit(X[:, 0])


def test_scoring_data_with_other_feature_count_names_x():
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 2 features"):
        gm.predict(X[:, :2])


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score",
                                    "bic", "aic"])
def test_methods_before_fit_raise_not_fitted(method):
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(GaussianMixture(2), method)(X)


def test_sample_needs_a_positive_integer_count():
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="n_samples"):
        gm.sample(0)
    with pytest.raises(TypeError, match="n_samples"):
        gm.sample(2.0)
    with pytest.raises(TypeError, match="random_state"):
        gm.sample(2, random_state="seed")


def test_set_params_rejects_unknown_names():
    with pytest.raises(ValueError, match="n_clusters"):
        GaussianMixture().set_params(n_clusters=3)


OVERFLOW = r"Input X holds values up to .* their squares overflow float64.*Rescale X"


@pytest.mark.parametrize("missing", ["raise", "marginalize"])
def test_data_whose_squares_overflow_is_refused_by_fit_and_score_samples(missing):
    huge = X * 1e200
    huge[0, 0] = np.nan if missing == "marginalize" else huge[0, 0]
    with pytest.raises(ValueError, match=OVERFLOW):
        GaussianMixture(2, random_state=0, missing=missing).fit(huge)
    gm = GaussianMixture(2, random_state=0, missing=missing).fit(X)
    with pytest.raises(ValueError, match=OVERFLOW):
        gm.score_samples(huge)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_data_just_inside_the_overflow_limit_fits_without_overflow(dtype, cov_type):
    # the limit: n rows of d squared differences of two entries (2 |x| at most) sum to the
    # dtype's largest value; 1% inside it nothing overflows, 1% outside the data are refused
    n, d = X.shape
    limit = np.sqrt(np.finfo(dtype).max / (4.0 * d * n))
    scaled = X / np.abs(X).max()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in numpy would be a RuntimeWarning
        gm = GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(
            (scaled * (0.99 * limit)).astype(dtype))
        assert np.all(np.isfinite(gm.score_samples((scaled * (0.99 * limit)).astype(dtype))))
    with pytest.raises(ValueError, match="squares overflow"):
        gm.fit((scaled * (1.01 * limit)).astype(dtype))
