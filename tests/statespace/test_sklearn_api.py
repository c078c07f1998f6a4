"""LinearGaussianSSM through scikit-learn's check_estimator.

As for the HMMs (``tests/hmm/test_sklearn_api.py``): the estimator's second
argument is ``lengths``, where scikit-learn's checks pass ``y``, so those checks
fail for that reason alone; a variant taking ``y`` second and ``lengths`` by
keyword, and nothing else changed, runs them.
"""

import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, LinearGaussianSSM

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) is not installed")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

NOT_BASE_ESTIMATOR = ".*does not inherit from `sklearn.base.BaseEstimator`"  # see emcore/_base.py
Y_IN_LENGTHS_PLACE = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_pickle", "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1feature", "check_dict_unchanged", "check_fit_idempotent",
    "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d",
]
Y_REASON = "passes y second, where LinearGaussianSSM's fit and score take lengths (as the HMMs)"
NAMED_Y = ("wants the message 'X has 1 features, but ... is expecting'; the data argument of "
           "LinearGaussianSSM is Y (the book's notation), and its message says "
           "'Y has 1 features, ...'")


class KeywordLengthsSSM(LinearGaussianSSM):
    """LinearGaussianSSM with ``lengths`` by keyword (a module-level class, so it pickles)."""

    def fit(self, Y, y=None, *, lengths=None):
        return LinearGaussianSSM.fit(self, Y, lengths)

    def score(self, Y, y=None, *, lengths=None):
        return LinearGaussianSSM.score(self, Y, lengths)


def expected_failed_checks(estimator):
    failing = {}
    if type(estimator) is LinearGaussianSSM:
        failing.update(dict.fromkeys(Y_IN_LENGTHS_PLACE, Y_REASON))
    else:
        failing["check_n_features_in_after_fitting"] = NAMED_Y
    return failing


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
    all_checks = parametrize_with_checks([LinearGaussianSSM(1, max_iter=5),
                                          KeywordLengthsSSM(2, max_iter=5)],
                                         expected_failed_checks=expected_failed_checks)


@all_checks
def test_sklearn_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
        warnings.filterwarnings("ignore", category=ConvergenceWarning)  # tiny data, five iterations
        check(estimator)


def test_the_keyword_lengths_variant_changes_only_the_signature():
    Y = np.random.default_rng(0).normal(size=(30, 2))
    plain = LinearGaussianSSM(1, max_iter=3, tol=0).fit(Y, [10, 20])
    variant = KeywordLengthsSSM(1, max_iter=3, tol=0).fit(Y, lengths=[10, 20])
    assert variant.score(Y, lengths=[10, 20]) == plain.score(Y, [10, 20])
