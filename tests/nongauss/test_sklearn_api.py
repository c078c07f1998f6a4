"""StudentTMixture and BernoulliMixture in scikit-learn's machinery: check_estimator, clone,
pipelines. (BernoulliMixture refuses the real-valued data of check_estimator by design.)"""

import warnings

import numpy as np
import pytest

from emcore import BernoulliMixture, ConvergenceWarning, StudentTMixture

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) is not installed")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

NOT_BASE_ESTIMATOR = ".*does not inherit from `sklearn.base.BaseEstimator`"


def expected_failed_checks(estimator):
    """The checks StudentTMixture cannot pass, with their reasons (GaussianMixture's own)."""
    failing = {"check_estimators_unfitted": (
        "needs scikit-learn's own NotFittedError class, which emcore cannot import to subclass")}
    if estimator.n_components > 1:
        failing["check_sample_weight_equivalence_on_dense_data"] = (
            "the seeded k-means++ start draws rows in proportion to their weight, which cannot "
            "use the same random numbers as drawing among repeated rows")
    return failing


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
    all_checks = parametrize_with_checks(
        [StudentTMixture(random_state=0), StudentTMixture(2, random_state=0)],
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
