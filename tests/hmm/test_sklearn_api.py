"""GaussianHMM, CategoricalHMM, PoissonHMM and GMMHMM through scikit-learn's check_estimator.

The checks run twice. First on the estimators as they are: there every check
that passes ``y`` fails, because an HMM's second argument is ``lengths``
(hmmlearn's signature). Then on a variant whose ``fit``, ``score`` and
prediction methods take ``y`` second and ``lengths`` by keyword, and nothing
else changed: that run shows that those checks fail for this reason alone.
"""

import warnings

import numpy as np
import pytest

from emcore import GMMHMM, CategoricalHMM, ConvergenceWarning, GaussianHMM, PoissonHMM

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) is not installed")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

NOT_BASE_ESTIMATOR = ".*does not inherit from `sklearn.base.BaseEstimator`"  # see emcore/_base.py

UNFITTED = (
    "needs scikit-learn's own NotFittedError class; emcore's NotFittedError subclasses ValueError "
    "and AttributeError as scikit-learn's does, but emcore cannot import scikit-learn to "
    "subclass it"
)

#: Checks that call fit, score or predict with y in the second place, where an HMM takes lengths.
Y_IN_LENGTHS_PLACE = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1feature", "check_dict_unchanged",
    "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
    "check_fit2d_predict1d",
]
Y_REASON = (
    "passes y second, where an HMM's fit/score/predict take lengths (hmmlearn's signature, kept so "
    "that fit(X, lengths) runs unchanged); y's labels are refused as sequence lengths. The same "
    "check runs on the keyword-lengths variant below"
)

#: Checks whose data have several columns, while a CategoricalHMM models one column of symbols.
SEVERAL_COLUMNS = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_dict_unchanged",
    "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
    "check_fit2d_predict1d",
]
COLUMNS_REASON = (
    "feeds X with several columns; a CategoricalHMM models one column of symbols (as hmmlearn's) "
    "and refuses more with scikit-learn's 'X has 3 features, but CategoricalHMM is expecting 1 "
    "features as input'"
)


def expected_failed_checks(estimator):
    """The checks each HMM cannot pass, each with its reason (and nothing else)."""
    failing = {"check_estimators_unfitted": UNFITTED}
    if isinstance(estimator, CategoricalHMM):
        failing.update(dict.fromkeys(SEVERAL_COLUMNS, COLUMNS_REASON))
        if type(estimator) is CategoricalHMM:
            failing["check_fit2d_1feature"] = Y_REASON  # its data are one column
    elif type(estimator) in (GaussianHMM, PoissonHMM, GMMHMM):
        failing.update(dict.fromkeys(Y_IN_LENGTHS_PLACE, Y_REASON))
    if type(estimator) is PoissonHMM:
        failing.pop("check_positive_only_tag_during_fit")  # its data are made >= 0: counts
        failing["check_fit2d_1sample"] = COUNTS_REASON
    if type(estimator) is KeywordLengthsPoissonHMM:
        failing.update(dict.fromkeys(
            ["check_positive_only_tag_during_fit", "check_fit_non_negative"],
            "checks that negative X is refused, but this variant turns every value into a count "
            "first; the plain PoissonHMM above passes it"))
    return failing


COUNTS_REASON = (
    "feeds X with negative and fractional values; a PoissonHMM models counts and refuses them "
    "('Negative values in data passed to X: X must hold counts'). The keyword-lengths variant "
    "below is fed the checks' data as counts"
)


def _y_second(cls, data=lambda X: X):
    """``cls`` whose methods take ``(X, y=None, *, lengths=None)``, scikit-learn's order,
    and see ``data(X)``."""

    def fit(self, X, y=None, *, lengths=None):
        return cls.fit(self, data(X), lengths)

    def method(name):
        def call(self, X, y=None, *, lengths=None, **states):
            return getattr(cls, name)(self, data(X), lengths, **states)
        call.__name__ = name
        return call

    names = ("score", "predict", "predict_proba", "decode", "bic", "aic")
    body = {"fit": fit, "__module__": __name__, **{name: method(name) for name in names}}
    return type(cls.__name__, (cls,), body)


class KeywordLengthsGaussianHMM(_y_second(GaussianHMM)):
    """GaussianHMM with ``lengths`` by keyword (a module-level class, so it pickles)."""


class KeywordLengthsCategoricalHMM(_y_second(CategoricalHMM)):
    """CategoricalHMM with ``lengths`` by keyword (a module-level class, so it pickles)."""


def _as_counts(X):
    """The checks' real numbers as counts: ``round(3 |x|)`` (NaN and inf stay, strings fail)."""
    if not hasattr(X, "dtype") and not isinstance(X, list):
        return X  # sparse matrices and the like: refused by the estimator as they are
    arr = np.asarray(X)
    if arr.dtype.kind not in "fiuO":
        return X
    try:
        return np.round(3.0 * np.abs(arr.astype(np.float64)))
    except (TypeError, ValueError):
        return X


class KeywordLengthsPoissonHMM(_y_second(PoissonHMM, _as_counts)):
    """PoissonHMM with ``lengths`` by keyword, fed the checks' data as counts (a module-level
    class, so it pickles)."""


class KeywordLengthsGMMHMM(_y_second(GMMHMM)):
    """GMMHMM with ``lengths`` by keyword (a module-level class, so it pickles)."""


ESTIMATORS = [GaussianHMM(2, covariance_type="full", random_state=0),
              CategoricalHMM(2, random_state=0), KeywordLengthsGaussianHMM(random_state=0),
              KeywordLengthsGaussianHMM(2, covariance_type="full", random_state=0),
              KeywordLengthsCategoricalHMM(2, random_state=0),
              KeywordLengthsGaussianHMM(2, missing="marginalize", random_state=0),
              PoissonHMM(2, random_state=0), KeywordLengthsPoissonHMM(2, random_state=0),
              GMMHMM(2, n_mix=2, random_state=0),
              KeywordLengthsGMMHMM(2, n_mix=2, covariance_type="full", random_state=0)]

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
    all_checks = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)


@all_checks
def test_sklearn_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
        # the checks' few iterations on tiny data sets do not converge
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        check(estimator)


def test_the_keyword_lengths_variant_changes_only_the_signature():
    X = [[0.0], [1.0], [0.5], [3.0], [3.5], [2.9]]
    plain = GaussianHMM(2, max_iter=5, random_state=0).fit(X, [4, 2])
    variant = KeywordLengthsGaussianHMM(2, max_iter=5, random_state=0).fit(X, lengths=[4, 2])
    assert variant.score(X, lengths=[4, 2]) == plain.score(X, [4, 2])
    assert variant.predict(X, None, lengths=[3, 3]).tolist() == plain.predict(X, [3, 3]).tolist()


def test_pickles_naming_the_old_module_of_the_discrete_hmms_still_load():
    import pickle

    X = np.array([[0], [1], [1], [0], [2], [1]])
    for model in (CategoricalHMM(2, random_state=0).fit(X),
                  PoissonHMM(2, random_state=0).fit(X.astype(float))):
        data = pickle.dumps(model, protocol=2)  # the class by module and name, as text
        old = data.replace(b"emcore.hmm._discrete", b"emcore.hmm._estimator")
        assert old != data
        back = pickle.loads(old)
        assert type(back) is type(model)
        np.testing.assert_array_equal(back.transmat_, model.transmat_)
