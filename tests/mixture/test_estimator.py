"""GaussianMixture as a scikit-learn user meets it: protocol, attributes, warnings, policies."""

import tracemalloc
import warnings

import numpy as np
import pytest

import emcore
from emcore import ConvergenceWarning, GaussianMixture, MonotonicityWarning, _tuning
from emcore.mixture import DegenerateComponentError, MixtureParams, _model

from .conftest import COV_TYPES, blobs, explicit_init


@pytest.fixture
def X():
    return blobs()


def test_clone_gives_an_unfitted_copy_with_equal_parameters(X):
    base = pytest.importorskip("sklearn.base")
    gm = GaussianMixture(3, covariance_type="diag", tol=1e-5, random_state=4,
                         **explicit_init(X, 3, "diag"))
    gm.fit(X)
    copy = base.clone(gm)
    assert not hasattr(copy, "means_")
    for name, value in gm.get_params().items():
        np.testing.assert_array_equal(copy.get_params()[name], value)
    np.testing.assert_allclose(copy.fit(X).means_, gm.means_, rtol=1e-14)


def test_get_params_lists_every_constructor_argument_and_set_params_sets_them():
    gm = GaussianMixture()
    names = set(gm.get_params())
    assert {"n_components", "covariance_type", "tol", "reg_covar", "max_iter", "n_init",
            "init_params", "weights_init", "means_init", "precisions_init", "resp_init",
            "random_state", "warm_start", "callback", "prior", "learning_decay",
            "learning_offset", "verbose", "verbose_interval", "n_jobs", "missing"} == names
    assert gm.set_params(n_components=4, covariance_type="tied") is gm
    assert gm.n_components == 4 and gm.covariance_type == "tied"
    assert repr(gm) == "GaussianMixture(covariance_type='tied', n_components=4)"


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_max_iter_zero_with_explicit_inits_returns_them(X, cov_type):
    init = explicit_init(X, 3, cov_type)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gm = GaussianMixture(3, covariance_type=cov_type, max_iter=0, **init).fit(X)
    assert gm.n_iter_ == 0 and not gm.converged_
    assert gm.log_likelihood_history_.shape == (1,)
    np.testing.assert_allclose(gm.weights_, init["weights_init"], rtol=1e-15)
    np.testing.assert_allclose(gm.means_, init["means_init"], rtol=1e-14)
    np.testing.assert_allclose(gm.precisions_, init["precisions_init"], rtol=1e-12)
    assert gm.score(X) * len(X) == pytest.approx(gm.log_likelihood_history_[0], rel=1e-12)


def test_non_convergence_warns_naming_max_iter_and_tol(X):
    with pytest.warns(ConvergenceWarning, match=r"tol=1e-08.*max_iter=2"):
        gm = GaussianMixture(3, tol=1e-8, max_iter=2, random_state=0).fit(X)
    assert not gm.converged_ and gm.n_iter_ == 2


def test_converged_fit_has_consistent_attributes(X):
    gm = GaussianMixture(3, tol=1e-8, max_iter=500, random_state=0).fit(X)
    assert gm.converged_ and gm.n_iter_ + 1 == gm.log_likelihood_history_.size
    assert gm.lower_bound_ == pytest.approx(gm.score(X), rel=1e-12)
    np.testing.assert_allclose(gm.precisions_, np.linalg.inv(gm.covariances_), rtol=1e-9)
    np.testing.assert_allclose(
        gm.precisions_cholesky_ @ np.swapaxes(gm.precisions_cholesky_, 1, 2),
        gm.precisions_, rtol=1e-12)
    assert gm.weights_.sum() == pytest.approx(1.0, abs=1e-14)
    assert gm.n_features_in_ == 3


def test_predictions_are_consistent_with_each_other(X):
    gm = GaussianMixture(3, random_state=0)
    labels = gm.fit_predict(X)
    proba = gm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(labels, gm.predict(X))
    np.testing.assert_array_equal(labels, proba.argmax(axis=1))
    assert gm.score(X) == pytest.approx(gm.score_samples(X).mean(), rel=1e-14)
    n_params = 3 * 6 + 3 * 3 + 2
    ll = gm.score_samples(X).sum()
    assert gm.bic(X) == pytest.approx(-2 * ll + n_params * np.log(len(X)), rel=1e-14)
    assert gm.aic(X) == pytest.approx(-2 * ll + 2 * n_params, rel=1e-14)


def test_float32_input_is_computed_in_float64(X):
    X32 = X.astype(np.float32)
    a = GaussianMixture(3, random_state=0, tol=1e-8).fit(X32)
    b = GaussianMixture(3, random_state=0, tol=1e-8).fit(X32.astype(np.float64))
    assert a.means_.dtype == a.covariances_.dtype == np.float64
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.log_likelihood_history_, b.log_likelihood_history_)


def test_callback_sees_every_iteration_in_data_coordinates_and_can_stop(X):
    seen = []
    gm = GaussianMixture(3, tol=0.0, max_iter=6, random_state=0,
                         callback=lambda t, p, ll: seen.append((t, p, ll))).fit(X)
    assert [t for t, _, _ in seen] == list(range(1, 7))
    assert isinstance(seen[-1][1], MixtureParams)
    np.testing.assert_allclose(seen[-1][1].means, gm.means_, rtol=1e-15)
    assert seen[-1][2] == gm.log_likelihood_history_[-1]
    gm = GaussianMixture(3, tol=0.0, max_iter=6, random_state=0,
                         callback=lambda t, p, ll: t == 2).fit(X)
    assert gm.n_iter_ == 2


def test_n_init_keeps_the_run_with_the_highest_log_likelihood(X):
    finals = []
    gm = GaussianMixture(4, n_init=5, init_params="random_from_data", tol=1e-6, max_iter=300,
                         random_state=1, callback=lambda t, p, ll: finals.append((t, ll))).fit(X)
    ends = [ll for (t, ll), nxt in zip(finals, finals[1:] + [(1, None)]) if nxt[0] == 1]
    assert len(ends) == 5
    assert gm.log_likelihood_history_[-1] == max(ends)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_warm_start_continues_where_the_last_fit_stopped(X, cov_type):
    init = explicit_init(X, 3, cov_type)
    once = GaussianMixture(3, covariance_type=cov_type, max_iter=6, tol=0.0, **init).fit(X)
    warm = GaussianMixture(3, covariance_type=cov_type, max_iter=2, tol=0.0,
                           warm_start=True, **init)
    for _ in range(3):
        warm.fit(X)
    np.testing.assert_allclose(warm.means_, once.means_, rtol=1e-10)
    np.testing.assert_allclose(warm.covariances_, once.covariances_, rtol=1e-10)


def test_samples_follow_the_fitted_mixture(X):
    gm = GaussianMixture(3, random_state=0).fit(X)
    a, la = gm.sample(20000, random_state=5)
    b, lb = gm.sample(20000, random_state=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (20000, 3) and set(np.unique(la)) <= {0, 1, 2}
    np.testing.assert_allclose(np.bincount(la) / 20000, gm.weights_, atol=0.015)
    for j in range(3):
        np.testing.assert_allclose(a[la == j].mean(axis=0), gm.means_[j], atol=0.1)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_fast_and_stable_paths_agree(X, cov_type, monkeypatch):
    init = explicit_init(X, 3, cov_type)
    fits = []
    for limit in (0.0, np.inf):
        monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", limit)
        fits.append(GaussianMixture(3, covariance_type=cov_type, max_iter=10, tol=0.0,
                                    **init).fit(X))
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(fits[0], name), getattr(fits[1], name), rtol=1e-10)
    np.testing.assert_allclose(fits[0].log_likelihood_history_,
                               fits[1].log_likelihood_history_, rtol=1e-13)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_fit_is_translation_invariant_even_far_from_the_origin(X, cov_type):
    shift = np.array([1e6, -3e5, 2e6])
    init = explicit_init(X, 3, cov_type)
    a = GaussianMixture(3, covariance_type=cov_type, max_iter=10, tol=0.0, **init).fit(X)
    init["means_init"] = init["means_init"] + shift
    b = GaussianMixture(3, covariance_type=cov_type, max_iter=10, tol=0.0, **init).fit(X + shift)
    np.testing.assert_allclose(b.means_ - shift, a.means_, atol=1e-8)
    np.testing.assert_allclose(b.covariances_, a.covariances_, rtol=1e-7)


def test_history_never_decreases_and_no_monotonicity_warning(X):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonotonicityWarning)
        for cov_type in COV_TYPES:
            gm = GaussianMixture(5, covariance_type=cov_type, tol=1e-12, max_iter=400,
                                 random_state=2).fit(X)
            assert np.all(np.diff(gm.log_likelihood_history_) >= 0)


def collapsing_start(X):
    """Data with 5 repeated points and an explicit start that puts component 2 on them."""
    data = np.concatenate([X, np.tile([[20.0, 20.0, 20.0]], (5, 1))])
    init = explicit_init(data, 3, "full")
    init["means_init"][2] = [20.0, 20.0, 20.0]
    return data, init


def test_collapse_with_reg_covar_warns_and_keeps_the_parameters_before_it(X):
    data, init = collapsing_start(X)
    with pytest.warns(ConvergenceWarning, match="component 2 collapsed onto a point"):
        gm = GaussianMixture(3, max_iter=50, **init).fit(data)
    assert not gm.converged_ and gm.n_iter_ + 1 == len(gm.log_likelihood_history_)
    assert gm._collapse is not None and "component 2" in gm._collapse
    # the kept parameters are those a fit stopped just before the collapsing M-step returns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        before = GaussianMixture(3, max_iter=gm.n_iter_, **init).fit(data)
    np.testing.assert_array_equal(gm.means_, before.means_)
    np.testing.assert_array_equal(gm.covariances_, before.covariances_)
    assert np.isfinite(gm.score(data))


def test_collapse_without_reg_covar_raises(X):
    data, init = collapsing_start(X)
    with pytest.raises(DegenerateComponentError, match="component 2 collapsed onto a point"):
        GaussianMixture(3, max_iter=50, reg_covar=0.0, **init).fit(data)


def test_component_that_loses_all_weight_warns_with_reg_covar_and_raises_without(X):
    init = explicit_init(X, 3, "diag")
    init["means_init"][1] = [1e4, 1e4, 1e4]
    with pytest.warns(ConvergenceWarning, match="component 1 lost all its weight"):
        gm = GaussianMixture(3, covariance_type="diag", **init).fit(X)
    assert not gm.converged_ and np.all(np.isfinite(gm.covariances_))
    with pytest.raises(DegenerateComponentError, match="component 1 lost all its weight"):
        GaussianMixture(3, covariance_type="diag", reg_covar=0.0, **init).fit(X)


def test_singular_covariance_is_a_collapse_naming_the_redundant_feature():
    rng = np.random.default_rng(0)
    t = rng.normal(size=50)
    line = np.column_stack([t, 2 * t])  # all samples on a line: the covariance is singular
    with pytest.raises(DegenerateComponentError, match="onto a point or a line.*drop a feature"):
        GaussianMixture(1, reg_covar=0.0).fit(line)
    # reg_covar is added after the check: the fit runs and warns, as for any collapse
    with pytest.warns(ConvergenceWarning, match="component 0 collapsed onto a point or a line"):
        gm = GaussianMixture(1).fit(line)
    np.testing.assert_allclose(gm.covariances_[0], np.cov(line.T, bias=True) + 1e-6 * np.eye(2),
                               rtol=1e-9)
    with pytest.raises(ValueError) as info:  # documented as a ValueError: callers may catch that
        GaussianMixture(1, reg_covar=0.0).fit(line)
    assert type(info.value) is DegenerateComponentError


def test_a_degenerate_restart_is_skipped_when_another_succeeds(X, monkeypatch):
    real = _model.initial_params  # what fit's start calls
    calls = []

    def first_one_degenerate(*args):
        calls.append(1)
        if len(calls) == 1:
            raise DegenerateComponentError("first start degenerate")
        return real(*args)

    monkeypatch.setattr(_model, "initial_params", first_one_degenerate)
    gm = GaussianMixture(3, n_init=2, random_state=0).fit(X)
    assert len(calls) == 2 and gm.converged_


def test_fit_memory_stays_below_twice_the_data():
    X = np.random.default_rng(0).normal(size=(150_000, 8))
    X[:, 0] += np.repeat([0.0, 6.0, 12.0], 50_000)
    for cov_type in COV_TYPES:
        tracemalloc.start()
        GaussianMixture(3, covariance_type=cov_type, max_iter=3, tol=0.0, random_state=0).fit(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= 2 * X.nbytes, (cov_type, peak / X.nbytes)


def test_public_names_are_exported_from_their_homes():
    from emcore.gaussian import stats as _params
    from emcore.mixture import _estimator, _hierarchical, _lrt, _select

    assert set(emcore.mixture.__all__) == {"DegenerateComponentError", "GaussianMixture",
                                           "MixtureParams", "MixturePrior", "ModelSelection",
                                           "NotFittedError", "select_n_components", "BootstrapLRT",
                                           "bootstrap_lrt", "hierarchical_partitions"}
    assert emcore.bootstrap_lrt is _lrt.bootstrap_lrt
    assert emcore.hierarchical_partitions is _hierarchical.hierarchical_partitions
    assert emcore.GaussianMixture is _estimator.GaussianMixture
    assert emcore.select_n_components is _select.select_n_components
    assert emcore.mixture.MixtureParams is _params.MixtureParams
    assert {"GaussianMixture", "select_n_components"} <= set(emcore.__all__)
