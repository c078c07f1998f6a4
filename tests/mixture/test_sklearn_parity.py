"""From the same explicit start, emcore and scikit-learn take identical EM steps.

scikit-learn is a test-only dependency: it is imported here, never by emcore.
"""

import warnings

import numpy as np
import pytest

from emcore import GaussianMixture, _tuning
from emcore.gaussian import covariance as _covariance
from emcore.mixture import _estep

from .conftest import COV_TYPES, blobs, explicit_init

sklearn_mixture = pytest.importorskip("sklearn.mixture")

ATTRIBUTES = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def fit_both(X, k, cov_type, n_iter, **extra):
    kw = dict(covariance_type=cov_type, max_iter=n_iter, tol=0.0,
              **explicit_init(X, k, cov_type), **extra)
    ours = GaussianMixture(k, **kw).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns that tol=0 never converges
        theirs = sklearn_mixture.GaussianMixture(k, **kw).fit(X)
    return ours, theirs


def assert_same_parameters(ours, theirs, rtol=1e-8):
    for name in ATTRIBUTES:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b)), err_msg=name)


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("n_iter", [1, 4, 25])
def test_parameters_equal_scikit_learn_after_k_iterations(cov_type, n_iter):
    X = blobs()
    ours, theirs = fit_both(X, 3, cov_type, n_iter)
    assert ours.n_iter_ == theirs.n_iter_ == n_iter
    assert_same_parameters(ours, theirs)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_history_matches_scikit_learn_lower_bound(cov_type):
    # scikit-learn's lower_bound_ is the mean log-likelihood one iteration before the end
    X = blobs(seed=3)
    ours, theirs = fit_both(X, 3, cov_type, 6)
    assert ours.log_likelihood_history_[-2] / len(X) == pytest.approx(theirs.lower_bound_,
                                                                      rel=1e-10)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_stable_path_also_equals_scikit_learn(cov_type, monkeypatch):
    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", 0.0)  # force the direct path
    ours, theirs = fit_both(blobs(seed=4), 3, cov_type, 8)
    assert_same_parameters(ours, theirs)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_one_dimensional_and_many_components_equal_scikit_learn(cov_type):
    X = blobs(n_per=40, d=1, k=5, seed=5)
    ours, theirs = fit_both(X, 5, cov_type, 10)
    assert_same_parameters(ours, theirs)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_predictions_equal_scikit_learn(cov_type):
    X = blobs(seed=6)
    ours, theirs = fit_both(X, 3, cov_type, 5)
    Y = blobs(n_per=10, seed=7)
    np.testing.assert_allclose(ours.score_samples(Y), theirs.score_samples(Y), rtol=1e-10)
    np.testing.assert_allclose(ours.predict_proba(Y), theirs.predict_proba(Y),
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(Y), theirs.predict(Y))
    assert ours.bic(Y) == pytest.approx(theirs.bic(Y), rel=1e-10)
    assert ours.aic(Y) == pytest.approx(theirs.aic(Y), rel=1e-10)


def test_regularised_steps_never_lower_the_likelihood_where_scikit_learn_does():
    # with a large reg_covar the M-step is far from exact: scikit-learn's log-likelihood falls
    X = blobs(n_per=30, d=2, k=3, seed=0)
    init = explicit_init(X, 3, "spherical", seed=0)
    kw = dict(covariance_type="spherical", tol=0.0, reg_covar=0.3, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = [sklearn_mixture.GaussianMixture(3, max_iter=k, **kw).fit(X) for k in range(1, 25)]
    their_ll = np.array([g.score(X) * len(X) for g in theirs])
    first_drop = int(np.argmax(np.diff(their_ll) < -1e-6)) + 1  # theirs[first_drop] is lower
    assert their_ll[first_drop] < their_ll[first_drop - 1] - 1e-6
    ours = GaussianMixture(3, max_iter=24, **kw).fit(X)
    assert np.all(np.diff(ours.log_likelihood_history_) >= 0)
    same = GaussianMixture(3, max_iter=first_drop, **kw).fit(X)  # identical steps before the drop
    assert_same_parameters(same, theirs[first_drop - 1])


def separated(n_per=100, d=20, k=3, seed=0):
    """Far-apart blobs: almost every sample has one responsibility above 2^-53."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(k, d))
    X = np.concatenate([c + rng.normal(size=(n_per, d))
                        @ (np.eye(d) + 0.2 * rng.normal(size=(d, d)) / np.sqrt(d))
                        for c in centers])
    return X[rng.permutation(len(X))]


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("force_direct", [False, True])
def test_separated_high_dimensional_data_equals_scikit_learn(cov_type, force_direct, monkeypatch):
    # full with d > EXPANDED_MAX_D always takes the direct path; truncated responsibilities
    # let it accumulate each component's moments over its own samples only
    if force_direct:
        monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", 0.0)
    X = separated()
    assert X.shape[1] > _tuning.EXPANDED_MAX_D
    ours, theirs = fit_both(X, 3, cov_type, 6)
    assert_same_parameters(ours, theirs)
