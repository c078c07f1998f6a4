"""GaussianMixture in scikit-learn's machinery: check_estimator, Pipeline, GridSearchCV, clone,
tags."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, GaussianMixture
from emcore.mixture import NotFittedError

from .conftest import blobs

pytest.importorskip("sklearn", reason="scikit-learn (the test extra) is not installed")
from scipy.special import logsumexp  # noqa: E402
from scipy.stats import multivariate_normal  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


def expected_failed_checks(estimator):
    """The checks GaussianMixture cannot pass, each with its reason (and nothing else)."""
    failing = {
        "check_estimators_unfitted": (
            "needs scikit-learn's own NotFittedError class; emcore's NotFittedError subclasses "
            "ValueError and AttributeError as scikit-learn's does, but emcore cannot import "
            "scikit-learn to subclass it"
        ),
    }
    if estimator.n_components > 1:
        failing["check_sample_weight_equivalence_on_dense_data"] = (
            "the seeded random start (k-means++) draws rows in proportion to their weight, which "
            "cannot use the same random numbers as drawing among repeated rows: the start, hence "
            "the local maximum, depends on row multiplicity"
        )
    return failing


# a choice: see emcore/_base.py
NOT_BASE_ESTIMATOR = ".*does not inherit from `sklearn.base.BaseEstimator`"

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
    # n_components=1 has no random start; 2 exercises the initialisation; missing="marginalize"
    # is tagged allow_nan, which changes the checks run
    all_checks = parametrize_with_checks(
        [GaussianMixture(random_state=0), GaussianMixture(2, random_state=0),
         GaussianMixture(2, missing="marginalize", random_state=0)],
        expected_failed_checks=expected_failed_checks)


@all_checks
def test_sklearn_check_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NOT_BASE_ESTIMATOR)
        # the checks' tiny data sets make some 2-component fits collapse: the rule's warning
        warnings.filterwarnings("ignore", message=".*collapsed onto a point",
                                category=ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def X():
    return blobs(n_per=40, d=2, k=2, seed=1)


def test_tags_say_density_estimator_on_dense_real_arrays():
    tags = GaussianMixture().__sklearn_tags__()
    assert tags.estimator_type == "density_estimator"
    assert not tags.target_tags.required
    assert (tags.input_tags.two_d_array and not tags.input_tags.sparse
            and not tags.input_tags.allow_nan)


@pytest.mark.parametrize("missing", ["raise", "marginalize"])
def test_allow_nan_tag_says_whether_fit_accepts_nan(X, missing):
    from sklearn.utils import get_tags

    gm = GaussianMixture(2, missing=missing, random_state=0)
    holed = X.copy()
    holed[::7, 1] = np.nan
    try:
        gm.fit(holed)
        accepted = True
    except ValueError as err:
        assert "NaN" in str(err)
        accepted = False
    assert get_tags(gm).input_tags.allow_nan is accepted is (missing == "marginalize")


def test_import_emcore_and_a_fit_do_not_import_sklearn():
    code = ("import sys, numpy as np, emcore\n"
            "X = np.random.default_rng(0).normal(size=(50, 2))\n"
            "emcore.GaussianMixture(2, random_state=0, verbose=1).fit(X).score(X)\n"
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False"


def test_pipeline_scales_then_fits(X):
    pipe = make_pipeline(StandardScaler(), GaussianMixture(2, random_state=0)).fit(X)
    scaled = StandardScaler().fit_transform(X)
    alone = GaussianMixture(2, random_state=0).fit(scaled)
    np.testing.assert_allclose(pipe[-1].means_, alone.means_, rtol=1e-12)
    assert pipe.score(X) == pytest.approx(alone.score(scaled), rel=1e-12)
    np.testing.assert_array_equal(pipe.predict(X), alone.predict(scaled))


@pytest.mark.parametrize("transform", ["default", "pandas"])
def test_pipeline_set_output_passes_through(X, transform):
    # GaussianMixture transforms nothing: set_output configures the scaler and leaves the mixture be
    if transform == "pandas":
        pytest.importorskip("pandas")
    pipe = make_pipeline(StandardScaler(),
                         GaussianMixture(2, random_state=0)).set_output(transform=transform)
    scaled = (X - X.mean(axis=0)) / X.std(axis=0)  # StandardScaler, by hand
    alone = GaussianMixture(2, random_state=0).fit(scaled)
    score = pipe.fit(X).score(X)
    gm = pipe[-1]
    np.testing.assert_allclose(gm.means_, alone.means_, rtol=1e-10, atol=1e-12)
    # the mean log-density of the scaled rows, by scipy, from the fitted parameters
    log_joint = [np.log(w) + multivariate_normal(m, c).logpdf(scaled)
                 for w, m, c in zip(gm.weights_, gm.means_, gm.covariances_)]
    assert score == pytest.approx(np.mean(logsumexp(log_joint, axis=0)), rel=1e-12)


def test_grid_search_picks_the_number_of_components_by_score(X):
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(GaussianMixture(random_state=0), {"n_components": [1, 2, 3]},
                          cv=cv).fit(X)
    # the default scoring is GaussianMixture.score, the held-out mean log-likelihood
    for k, mean in zip([1, 2, 3], search.cv_results_["mean_test_score"]):
        folds = [GaussianMixture(k, random_state=0).fit(X[tr]).score(X[te])
                 for tr, te in cv.split(X)]
        assert mean == pytest.approx(np.mean(folds), rel=1e-10)
    assert search.best_params_["n_components"] == 1 + int(
        np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.n_components == search.best_params_["n_components"]


def test_grid_search_goes_on_past_a_collapsing_grid_point():
    # 4 repeated points: with 3 components one start sits on them and collapses (a warning,
    # not an error)
    X = np.concatenate([blobs(n_per=30, d=2, k=2, seed=2), np.full((4, 2), 9.0)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        search = GridSearchCV(GaussianMixture(random_state=0), {"n_components": [1, 2, 3]},
                              cv=KFold(2, shuffle=True, random_state=0), error_score="raise").fit(X)
    assert any("collapsed onto a point" in str(w.message) for w in caught)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_cross_val_score_is_the_held_out_score(X):
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(GaussianMixture(2, random_state=0), X, cv=cv)
    want = [GaussianMixture(2, random_state=0).fit(X[tr]).score(X[te]) for tr, te in cv.split(X)]
    np.testing.assert_allclose(scores, want, rtol=1e-12)


def test_clone_copies_parameters_not_the_fit(X):
    gm = GaussianMixture(2, covariance_type="diag", reg_covar=1e-4, random_state=0,
                         verbose=0).fit(X)
    copy = clone(gm)
    assert copy.get_params() == gm.get_params() and not hasattr(copy, "means_")
    np.testing.assert_array_equal(copy.fit(X).means_, gm.means_)
    again = pickle.loads(pickle.dumps(gm))
    np.testing.assert_array_equal(again.predict(X), gm.predict(X))


def test_not_fitted_error_is_caught_as_value_error_and_attribute_error(X):
    for caught in (ValueError, AttributeError, NotFittedError):
        with pytest.raises(caught, match="is not fitted yet"):
            GaussianMixture(2).predict(X)


@pytest.mark.parametrize(("bad", "phrase", "kind"), [
    (np.zeros((0, 2)), r"0 sample\(s\) \(shape=\(0, 2\)\) while a minimum of 1 is required",
     ValueError),
    (np.zeros((5, 0)), r"0 feature\(s\)", ValueError),
    (np.arange(5.0), r"Expected 2D array, got 1D array instead.*X\.reshape\(-1, 1\)", ValueError),
    (np.ones((5, 2)) * 1j, "Complex data not supported.*X must hold real numbers", ValueError),
    (np.array([[1.0, {}], [2.0, 3.0], [4.0, 5.0]], dtype=object),
     "X must hold real numbers.*argument must be", TypeError),
    (np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]]), "X contains NaN or infinity", ValueError),
    (np.array([[1.0, 2.0]]), "n_samples=1.*at least 2 samples", ValueError),
])
def test_input_errors_name_x_and_contain_scikit_learns_phrases(bad, phrase, kind):
    with pytest.raises(kind, match=phrase):
        GaussianMixture(1).fit(bad)


def test_sparse_input_is_refused_naming_x():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="Sparse data was passed for X.*toarray"):
        GaussianMixture(1).fit(sparse.csr_matrix(np.eye(4)))


def test_wrong_feature_count_says_what_scikit_learn_says(X):
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError,
                       match="X has 1 features, but GaussianMixture is expecting 2 features"):
        gm.score_samples(X[:, :1])
    online = GaussianMixture(2, random_state=0).partial_fit(X)
    with pytest.raises(ValueError,
                       match="X has 1 features, but GaussianMixture is expecting 2 features"):
        online.partial_fit(X[:, :1])


def test_verbose_parameters_are_checked(X):
    with pytest.raises(ValueError, match="verbose must be an integer >= 0 and <= 2"):
        GaussianMixture(verbose=3).fit(X)
    with pytest.raises(ValueError, match="verbose_interval must be an integer >= 1"):
        GaussianMixture(verbose_interval=0).fit(X)


def test_silent_by_default(X, capsys):
    GaussianMixture(2, n_init=2, random_state=0).fit(X)
    GaussianMixture(2, random_state=0).partial_fit(X)
    assert capsys.readouterr().out == ""


def test_verbose_1_prints_each_initialisation_and_its_end(X, capsys):
    GaussianMixture(2, n_init=3, tol=1e-6, max_iter=500, random_state=0, verbose=1).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [line for i in range(3) for line in (f"Initialization {i}",
                                                         "Initialization converged.")]


def test_verbose_2_prints_every_interval_with_time_and_change(X, capsys):
    gm = GaussianMixture(2, tol=0, max_iter=7, random_state=0, verbose=2, verbose_interval=3).fit(X)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Initialization 0" and len(lines) == 4
    iterations = [line for line in lines if line.startswith("  Iteration")]
    assert [line.split("\t")[0] for line in iterations] == ["  Iteration 3", "  Iteration 6"]
    # as scikit-learn's, the change printed is that of the mean log-likelihood in that iteration
    h = gm.log_likelihood_history_ / len(X)
    assert float(iterations[1].split("ll change")[1]) == pytest.approx(h[6] - h[5], abs=1e-5)
    assert ("time lapse" in iterations[0]
            and lines[-1].startswith("Initialization did not converge."))
    assert float(lines[-1].split("lower bound")[1]) == pytest.approx(gm.lower_bound_, abs=1e-5)


def test_verbose_2_in_partial_fit_prints_one_line_per_batch(X, capsys):
    gm = GaussianMixture(2, random_state=0, verbose=2)
    for batch in np.array_split(X, 4):
        gm.partial_fit(batch)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Initialization 0" and len(lines) == 5
    assert [line.split("\t")[0] for line in lines[1:]] == [f"  Batch {t}" for t in range(1, 5)]


def test_verbose_2_first_iteration_shows_the_change_from_the_start(X, capsys):
    gm = GaussianMixture(2, tol=0, max_iter=2, random_state=0, verbose=2, verbose_interval=1).fit(X)
    first = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("  Iteration 1\t")]
    h = gm.log_likelihood_history_ / len(X)
    change = float(first[0].split("ll change")[1])
    assert change == pytest.approx(h[1] - h[0], abs=1e-5) and change >= 0
