"""GaussianMixture(missing="marginalize"): NaN entries integrated out, for all four covariance
types."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emcore import GaussianMixture, _tuning, run_em
from emcore.models import MVNMissing

from .conftest import COV_TYPES, blobs, explicit_init


def with_holes(X, fraction, seed, empty_rows=0):
    """A copy of ``X`` with about ``fraction`` of its entries NaN (and ``empty_rows`` rows all
    NaN)."""
    rng = np.random.default_rng(seed)
    out = X.copy()
    out[rng.random(X.shape) < fraction] = np.nan
    out[:empty_rows] = np.nan
    return out


def dense_covariances(gm):
    """(K, d, d) covariance matrices of a fitted mixture, whatever its type."""
    k, d = gm.means_.shape
    cov = np.asarray(gm.covariances_)
    if gm.covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if gm.covariance_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    if gm.covariance_type == "spherical":
        return np.stack([np.eye(d) * c for c in cov])
    return cov


def observed_loglik(gm, X):
    """Per row ``log sum_k w_k N(x_o | mu_ko, S_k,oo)``, row by row with scipy (0 for an empty
    row)."""
    covs = dense_covariances(gm)
    out = np.zeros(len(X))
    for i, x in enumerate(X):
        o = np.flatnonzero(~np.isnan(x))
        if o.size:
            out[i] = logsumexp([np.log(w) + multivariate_normal(m[o], c[np.ix_(o, o)]).logpdf(x[o])
                                for w, m, c in zip(gm.weights_, gm.means_, covs)])
    return out


def fit(X, cov_type, **kw):
    args = dict(n_components=3, covariance_type=cov_type, random_state=0, tol=1e-8, max_iter=300,
                missing="marginalize")
    return GaussianMixture(**(args | kw)).fit(X)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_reported_log_likelihood_equals_scipy_pattern_by_pattern(cov_type):
    X = with_holes(blobs(), 0.2, seed=1, empty_rows=2)
    gm = fit(X, cov_type)
    want = observed_loglik(gm, X)
    np.testing.assert_allclose(gm.log_likelihood_history_[-1], want.sum(), rtol=1e-10)
    np.testing.assert_allclose(gm.score_samples(X), want, rtol=1e-10, atol=1e-10)
    assert gm.score(X) == pytest.approx(want.mean(), rel=1e-10)


@pytest.mark.parametrize("cov_type", ["full", "tied"])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_scores_of_correlated_and_far_rows_equal_scipy(cov_type, offset, monkeypatch):
    """The quadratic form as a Schur-complement difference, and its fallback for rows far away.

    Features correlated at 0.999 make ``d_o^T P_oo d_o`` about 500 times the
    form it is reduced to; rows shifted by ``offset`` (1e4 standard
    deviations) push it past the round-off bound, where the squares are used.
    """
    from emcore.gaussian import _conditional

    rng = np.random.default_rng(7)
    cov = np.array([[1.0, 0.999, 0.5], [0.999, 1.0, 0.5], [0.5, 0.5, 1.0]])
    X = rng.multivariate_normal(np.zeros(3), cov, size=400)
    X[200:] += 4.0
    gm = fit(with_holes(X, 0.2, seed=3), cov_type)
    new = with_holes(X[:60] + offset, 0.3, seed=4)
    squares = []
    for name in ("whitened_sq", "_whitened_entries"):
        cls = _conditional.TiedConditional if cov_type == "tied" and name != "whitened_sq" else \
            _conditional.FullConditional
        plain = getattr(cls, name)
        monkeypatch.setattr(cls, name, lambda self, *a, plain=plain, name=name:
                            squares.append(name) or plain(self, *a))
    np.testing.assert_allclose(gm.score_samples(new), observed_loglik(gm, new),
                               rtol=1e-10, atol=1e-10)
    assert bool(squares) == bool(offset)  # the fallback ran exactly for the far rows
    if offset:  # and for some entries only: a few rows far, the rest near
        near = with_holes(X[:200], 0.3, seed=5)
        near[:3] += offset
        squares.clear()
        np.testing.assert_allclose(gm.score_samples(near), observed_loglik(gm, near),
                                   rtol=1e-10, atol=1e-10)
        assert squares == ["_whitened_entries"] * len(squares) and squares


def correlated(n=600, seed=7):
    """Three features, two of them correlated at 0.999, in two clusters."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.999, 0.5], [0.999, 1.0, 0.5], [0.5, 0.5, 1.0]])
    X = rng.multivariate_normal(np.zeros(3), cov, size=n)
    X[n // 2:] += 4.0
    return X


@pytest.mark.parametrize("frequent", ["all", "first"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("data", ["blobs", "correlated"])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_expanded_and_direct_paths_of_holed_rows_agree(cov_type, data, weighted, frequent,
                                                       monkeypatch):
    """The holed rows' E-step by the marginals' expanded features equals the one about each mean.

    Slices of 50 rows, so that patterns span slices and their sums are
    added across them; the path taken is asserted. With ``frequent="first"``
    only each group's most frequent pattern has its own coefficients, the
    others' rows go direct within the expanded path (as rare patterns do).
    """
    from emcore.mixture import _missing
    from emcore.mixture._model import MixtureData

    monkeypatch.setattr(_tuning, "GROUP_ROWS", 50)
    if frequent == "first":
        monkeypatch.setattr(_missing.IncompleteRows, "frequent",
                            lambda self, *a: [1] * len(self.groups))
    X = with_holes(blobs(n_per=200) if data == "blobs" else correlated(), 0.3, seed=8, empty_rows=1)
    w = np.random.default_rng(9).uniform(0.2, 3.0, size=len(X)) if weighted else None
    gm = fit(X, cov_type, max_iter=5, tol=0)
    holes = MixtureData(X, w, cov_type, 3, missing=True).incomplete
    params = gm._params().moved(-MixtureData(X, w, cov_type, 3, missing=True).center)
    calls = []
    plain = _missing.IncompleteRows._expanded_partial
    monkeypatch.setattr(_missing.IncompleteRows, "_expanded_partial",
                        lambda self, *a: calls.append(1) or plain(self, *a))
    direct = []
    plain_direct = _missing.IncompleteRows._direct_partial
    monkeypatch.setattr(_missing.IncompleteRows, "_direct_partial",
                        lambda self, *a: direct.append(1) or plain_direct(self, *a))
    fast, ll_fast = holes.e_step(params)
    assert len(calls) > len(holes.groups)  # the frequent patterns' slices took the expanded path
    assert bool(direct) == (frequent == "first")
    calls.clear()
    slow, ll_slow = holes.e_step(params, radius2=1e300)  # beyond the expanded path's bound
    assert not calls
    assert ll_fast == pytest.approx(ll_slow, rel=1e-12)
    fast = fast.about(slow.shift, cov_type)
    for a, b in [(fast.n, slow.n), (fast.first, slow.first), (fast.second, slow.second)]:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max())
    fitted = fit(X, cov_type, tol=1e-10, max_iter=500)
    np.testing.assert_allclose(fitted.log_likelihood_history_[-1],
                               observed_loglik(fitted, X).sum(), rtol=1e-10)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_rare_patterns_go_direct_and_the_maps_stay_within_the_rows_memory(cov_type, monkeypatch):
    """2000 rows with 3 of 12 entries missing at random (220 patterns, about 9 rows each) and
    1000 rows missing entry 0: the frequent pattern is mapped, the maps take no more memory than
    the rows with holes, and the E-step equals the direct one."""
    from emcore.mixture import _missing
    from emcore.mixture._model import MixtureData

    rng = np.random.default_rng(11)
    X = rng.normal(size=(3000, 12)) + np.repeat([[0.0], [3.0]], 1500, axis=0)
    rng.shuffle(X)
    for row in X[:2000]:
        row[rng.choice(12, size=3, replace=False)] = np.nan
    X[2000:, 0] = np.nan
    gm = fit(X, cov_type, max_iter=3, tol=0)
    data = MixtureData(X, None, cov_type, 3, missing=True)
    holes, params = data.incomplete, gm._params().moved(-data.center)
    maps_floats = {}
    plain = _missing.covariance_model(cov_type).hole_maps

    def recording(chol, means, base, mis, c, half_mm):
        out = plain(chol, means, base, mis, c, half_mm)
        maps_floats[mis.shape[1]] = (mis.shape[0], sum(np.size(a) for a in out.values()))
        return out

    monkeypatch.setattr(_missing.covariance_model(cov_type), "hole_maps", recording)
    fast, ll_fast = holes.e_step(params)
    monkeypatch.undo()
    slow, ll_slow = holes.e_step(params, radius2=1e300)
    sizes = {g.mis.shape[1]: (g.mis.shape[0], g.x0.size) for g in holes.groups}
    assert maps_floats[1][0] >= 1  # the pattern of 1000 rows
    assert maps_floats.get(3, (0,))[0] < sizes[3][0]  # not every one of the rare patterns
    map_total = sum(floats for _, floats in maps_floats.values())
    assert map_total <= 2 * sum(size for _, size in sizes.values())
    assert ll_fast == pytest.approx(ll_slow, rel=1e-12)
    fast = fast.about(slow.shift, cov_type)
    for a, b in [(fast.n, slow.n), (fast.first, slow.first), (fast.second, slow.second)]:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * np.abs(b).max())


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_history_never_decreases_with_holes(cov_type):
    gm = fit(with_holes(blobs(), 0.3, seed=2), cov_type, tol=0, max_iter=40)
    h = gm.log_likelihood_history_
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), fraction=st.floats(0.0, 0.6), cov=st.sampled_from(COV_TYPES),
       k=st.integers(1, 3))
def test_monotone_history_property(seed, fraction, cov, k):
    X = with_holes(blobs(n_per=20, seed=seed % 7), fraction, seed)
    X = X[~np.isnan(X).all(axis=1)]
    assume(not np.isnan(X).all(axis=0).any())  # a column never observed is refused by fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        warnings.simplefilter("error", category=__import__("emcore").MonotonicityWarning)
        gm = GaussianMixture(k, covariance_type=cov, random_state=seed, tol=0, max_iter=15,
                             missing="marginalize", reg_covar=1e-3).fit(X)
    h = gm.log_likelihood_history_
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("extra", [{}, {"prior": "default"},
                                   {"n_init": 2, "init_params": "k-means++"}])
def test_no_hole_gives_exactly_the_ordinary_fit(cov_type, extra):
    X = blobs()
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(X))
    a = GaussianMixture(3, covariance_type=cov_type, random_state=0, **extra)
    a.fit(X, sample_weight=w)
    b = GaussianMixture(3, covariance_type=cov_type, random_state=0, missing="marginalize",
                        **extra).fit(X, sample_weight=w)
    for name in ("weights_", "means_", "covariances_", "log_likelihood_history_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_one_component_agrees_with_mvn_missing():
    X = with_holes(blobs(k=1, n_per=80), 0.25, seed=4)
    model = MVNMissing(X)
    run = run_em(model, model.initial_params(), tol=1e-12, max_iter=10_000)
    mean, cov = model.unpack(run.theta)
    gm = GaussianMixture(1, tol=1e-12, max_iter=10_000, reg_covar=0, missing="marginalize").fit(X)
    np.testing.assert_allclose(gm.means_[0], mean, atol=1e-6)
    np.testing.assert_allclose(gm.covariances_[0], cov, atol=1e-6)
    assert gm.log_likelihood_history_[-1] == pytest.approx(run.log_likelihood, abs=1e-7)
    np.testing.assert_allclose(gm.impute(X), model.impute(run.theta), atol=1e-5)


def test_direct_optimiser_started_at_em_answer_cannot_improve_it():
    from scipy.optimize import minimize

    X = with_holes(blobs(n_per=30, d=2, k=2), 0.3, seed=5)
    gm = GaussianMixture(2, tol=1e-13, max_iter=20_000, reg_covar=0, random_state=0,
                         missing="marginalize").fit(X)
    il = np.tril_indices(2)

    def unpack(v):
        logits, means, tri = v[:2], v[2:6].reshape(2, 2), v[6:].reshape(2, 3)
        chol = np.zeros((2, 2, 2))
        chol[:, il[0], il[1]] = tri
        chol[:, [0, 1], [0, 1]] = np.exp(chol[:, [0, 1], [0, 1]])
        return logits, means, chol @ chol.transpose(0, 2, 1)

    def neg_loglik(v):
        logits, means, covs = unpack(v)
        fake = type("G", (), {"weights_": np.exp(logits - logsumexp(logits)), "means_": means,
                              "covariances_": covs, "covariance_type": "full"})
        return -observed_loglik(fake, X).sum()

    chol = np.linalg.cholesky(gm.covariances_)
    chol[:, [0, 1], [0, 1]] = np.log(chol[:, [0, 1], [0, 1]])
    v0 = np.concatenate([np.log(gm.weights_), gm.means_.ravel(), chol[:, il[0], il[1]].ravel()])
    start = neg_loglik(v0)
    assert start == pytest.approx(-gm.log_likelihood_history_[-1], rel=1e-10)
    best = minimize(neg_loglik, v0, method="BFGS", options={"gtol": 1e-10})
    assert best.fun > start - 1e-7


def test_impute_equals_a_hand_computation():
    X = with_holes(blobs(), 0.3, seed=6, empty_rows=1)
    gm = fit(X, "full")
    covs, got = gm.covariances_, gm.impute(X)
    for i, x in enumerate(X[:40]):
        o, m = np.flatnonzero(~np.isnan(x)), np.flatnonzero(np.isnan(x))
        if o.size == 0:
            want = gm.weights_ @ gm.means_
        else:
            joint = np.array([np.log(w) + multivariate_normal(mu[o], c[np.ix_(o, o)]).logpdf(x[o])
                              for w, mu, c in zip(gm.weights_, gm.means_, covs)])
            resp = np.exp(joint - logsumexp(joint))
            cond = [mu[m] + c[np.ix_(m, o)] @ np.linalg.solve(c[np.ix_(o, o)], x[o] - mu[o])
                    for mu, c in zip(gm.means_, covs)]
            want = x.copy()
            want[m] = resp @ np.array(cond)
        np.testing.assert_allclose(got[i], want, rtol=1e-10, atol=1e-10)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(got[~np.isnan(X)], X[~np.isnan(X)])


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_rows_with_nothing_observed_add_nothing(cov_type):
    X = with_holes(blobs(), 0.2, seed=7)
    init = explicit_init(np.nan_to_num(X), 3, cov_type)
    args = dict(covariance_type=cov_type, tol=0, max_iter=20, missing="marginalize", **init)
    a = GaussianMixture(3, **args).fit(X)
    b = GaussianMixture(3, **args).fit(np.vstack([np.full((5, 3), np.nan), X]))
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.log_likelihood_history_, a.log_likelihood_history_, rtol=1e-12)
    empty = np.full((2, 3), np.nan)
    assert np.all(b.score_samples(empty) == 0.0)
    np.testing.assert_allclose(b.predict_proba(empty), np.tile(b.weights_, (2, 1)), rtol=1e-12)
    assert np.all(b.predict(empty) == np.argmax(b.weights_))


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_integer_weights_equal_repeated_rows(cov_type):
    X = with_holes(blobs(n_per=20), 0.25, seed=8)
    w = np.random.default_rng(8).integers(1, 4, len(X))
    init = explicit_init(np.nan_to_num(X), 3, cov_type)
    args = dict(covariance_type=cov_type, tol=0, max_iter=15, missing="marginalize", **init)
    a = GaussianMixture(3, **args).fit(X, sample_weight=w)
    b = GaussianMixture(3, **args).fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_map_with_holes_climbs_the_log_posterior(cov_type):
    gm = fit(with_holes(blobs(), 0.3, seed=9), cov_type, prior="default", tol=0, max_iter=30)
    h = gm.log_posterior_history_
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_dask_equals_numpy_with_holes(cov_type):
    da = pytest.importorskip("dask.array")
    X = with_holes(blobs(), 0.2, seed=10, empty_rows=3)
    init = explicit_init(np.nan_to_num(X), 3, cov_type)
    args = dict(covariance_type=cov_type, tol=0, max_iter=10, missing="marginalize", **init)
    a = GaussianMixture(3, **args).fit(X)
    b = GaussianMixture(3, **args).fit(da.from_array(X, chunks=(47, 3)))
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.log_likelihood_history_, a.log_likelihood_history_, rtol=1e-12)
    np.testing.assert_allclose(b.predict_proba(da.from_array(X, chunks=(50, 3))).compute(),
                               a.predict_proba(X), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.impute(da.from_array(X, chunks=(50, 3))).compute(), a.impute(X),
                               rtol=1e-12)


def test_dask_with_holes_and_default_initialisation_fits():
    da = pytest.importorskip("dask.array")
    X = with_holes(blobs(), 0.2, seed=11)
    gm = GaussianMixture(3, random_state=0, missing="marginalize")
    gm.fit(da.from_array(X, chunks=(60, 3)))
    assert gm.score(X) == pytest.approx(observed_loglik(gm, X).mean(), rel=1e-10)


BAD = [
    ({"missing": "drop"}, blobs(), ValueError, "missing"),
    ({"missing": "marginalize"}, np.full((5, 2), np.nan), ValueError, "every entry missing"),
    ({"missing": "marginalize"}, np.column_stack([np.arange(5.0), np.full(5, np.nan)]), ValueError,
     "never observed"),
    ({"missing": "marginalize"}, np.array([[1.0, np.inf], [2.0, 3.0], [0.0, 1.0]]),
     ValueError, "infinit"),
    ({}, with_holes(blobs(), 0.1, seed=0), ValueError, "missing='marginalize'"),
]


@pytest.mark.parametrize("kwargs, X, error, match", BAD)
def test_bad_input_is_a_clear_error(kwargs, X, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(2, **kwargs).fit(X)


def test_nan_in_sample_weight_is_a_clear_error():
    w = np.ones(180)
    w[3] = np.nan
    with pytest.raises(ValueError, match="sample_weight"):
        X = with_holes(blobs(), 0.1, seed=0)
        GaussianMixture(2, missing="marginalize").fit(X, sample_weight=w)


def test_nan_at_predict_needs_marginalize_and_names_it():
    gm = GaussianMixture(2, random_state=0).fit(blobs())
    with pytest.raises(ValueError, match="missing='marginalize'"):
        gm.predict(with_holes(blobs(), 0.1, seed=0))
    assert not np.isnan(gm.impute(with_holes(blobs(), 0.1, seed=0))).any()


def test_impute_needs_a_fitted_mixture():
    from emcore.mixture import NotFittedError

    with pytest.raises(NotFittedError):
        GaussianMixture(missing="marginalize").impute(np.array([[1.0, np.nan]]))
