"""StudentTMixture, BernoulliMixture and RegressionMixture in scikit-learn's machinery:
check_estimator, clone, pipelines. BernoulliMixture refuses real-valued data by design, so it
meets check_estimator's real data with ``binarize=0.0`` (as scikit-learn's BernoulliNB does)."""

import warnings

import numpy as np
import pytest

from emcore import BernoulliMixture, ConvergenceWarning, RegressionMixture, StudentTMixture

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) is not installed")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

NOT_BASE_ESTIMATOR = ".*does not inherit from `sklearn.base.BaseEstimator`"


NEEDS_Y = ("predict_proba and score_samples of a mixture of regressions are posteriors and "
           "densities of (x, y) pairs: they take y, which the check does not pass")
#: What RegressionMixture cannot pass, by design, with the reason.
REGRESSION_FAILS = {
    **dict.fromkeys(["check_n_features_in_after_fitting", "check_estimators_dtypes",
                     "check_estimators_pickle", "check_methods_sample_order_invariance",
                     "check_methods_subset_invariance", "check_dict_unchanged",
                     "check_fit_idempotent", "check_fit2d_predict1d"], NEEDS_Y),
    **dict.fromkeys(["check_sample_weights_shape", "check_sample_weights_not_overwritten",
                     "check_regressors_no_decision_function"], (
        "the check's y is an exact linear function of X: a Gaussian regression component "
        "fits its rows exactly and the likelihood is unbounded (DegenerateComponentError)")),
    "check_sample_weight_equivalence_on_dense_data": (
        "30 regressors on 27 distinct rows: the design has collinear columns (a ValueError)"),
    "check_regressors_train": "score is the mean log-likelihood, not R^2 (the check asks R^2)",
    "check_supervised_y_2d": "y of shape (n, 1) is refused for the Gaussian family, not raveled",
}
REGRESSION_FAILS_K2 = dict.fromkeys(
    ["check_sample_weights_pandas_series", "check_sample_weights_not_an_array"],
    "two Gaussian components on the check's tiny exact-fit data: a component fits its rows "
    "exactly (DegenerateComponentError)")


def expected_failed_checks(estimator):
    """The checks an estimator here cannot pass, with their reasons."""
    failing = {"check_estimators_unfitted": (
        "needs scikit-learn's own NotFittedError class, which emcore cannot import to subclass")}
    if isinstance(estimator, RegressionMixture):
        failing.update(REGRESSION_FAILS)
        if estimator.n_components > 1:
            failing.update(REGRESSION_FAILS_K2)
        return failing
    if isinstance(estimator, StudentTMixture) and estimator.n_components > 1:
        failing["check_sample_weight_equivalence_on_dense_data"] = (
            "the seeded k-means++ start draws rows in proportion to their weight, which cannot "
            "use the same random numbers as drawing among repeated rows")
    return failing


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
    all_checks = parametrize_with_checks(
        [StudentTMixture(random_state=0), StudentTMixture(2, random_state=0),
         BernoulliMixture(binarize=0.0, random_state=0),
         BernoulliMixture(2, binarize=0.0, random_state=0),
         RegressionMixture(1, random_state=0), RegressionMixture(2, random_state=0)],
        expected_failed_checks=expected_failed_checks)


@all_checks
def test_sklearn_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        check(estimator)


def test_grid_search_chooses_the_number_of_bernoulli_components():
    rng = np.random.default_rng(0)
    prototypes = np.array([[0.9] * 4 + [0.1] * 4, [0.1] * 4 + [0.9] * 4, [0.9, 0.1] * 4])
    X = (rng.uniform(size=(600, 8)) < prototypes[rng.integers(3, size=600)]).astype(int)
    search = GridSearchCV(BernoulliMixture(n_init=2, random_state=0),
                          {"n_components": [1, 2, 3]}).fit(X)
    assert search.best_params_ == {"n_components": 3}
    assert clone(search.best_estimator_).get_params()["n_components"] == 3


def test_binarize_thresholds_real_rows_like_bernoulli_nb():
    from sklearn.naive_bayes import BernoulliNB

    rng = np.random.default_rng(1)
    X_real = rng.normal(size=(300, 6)) + np.repeat([[1.0] * 3 + [-1.0] * 3], 300, axis=0)
    X_binary = (X_real > 0.5).astype(int)
    threshold = BernoulliMixture(2, binarize=0.5, n_init=2, random_state=0).fit(X_real)
    binary = BernoulliMixture(2, n_init=2, random_state=0).fit(X_binary)
    np.testing.assert_array_equal(threshold.means_, binary.means_)
    assert threshold.score(X_real) == binary.score(X_binary)
    # the same thresholding as scikit-learn's BernoulliNB (above the value is 1)
    nb = BernoulliNB(binarize=0.5).fit(X_real, np.arange(300) % 2)
    nb_ones = nb.feature_count_.sum(axis=0)
    np.testing.assert_array_equal(nb_ones, X_binary.sum(axis=0))
    with pytest.raises(ValueError, match="binary"):
        BernoulliMixture(2).fit(X_real)


def test_regression_mixture_says_y_is_required():
    with pytest.raises(ValueError, match="requires y to be passed"):
        RegressionMixture(2).fit(np.ones((10, 1)), None)
