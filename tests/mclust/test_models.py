"""The 14 mclust covariance models as covariance types: M-steps, EM, counts, bad input."""

import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, GaussianMixture
from emcore.gaussian.covariance import covariance_model
from emcore.gaussian.mclust import MCLUST_MODELS

from ..mixture.conftest import blobs

#: mclust's ``nVarParams(model, d = 4, G = 3)`` (mclust 6.0), the covariances' free parameters.
NVARPARAMS_D4_G3 = {"EII": 1, "VII": 3, "EEI": 4, "VEI": 6, "EVI": 10, "VVI": 12, "EEE": 10,
                    "VEE": 12, "EVE": 16, "VVE": 18, "EEV": 22, "VEV": 24, "EVV": 28, "VVV": 30}
#: Every model's constraints hold in the models after it in these chains.
NESTED = [("EII", "VII", "VEI", "VVI", "VVE", "VVV"), ("EII", "EEI", "EVI", "EVE", "EVV", "VVV"),
          ("EEI", "EEE", "VEE", "VEV", "VVV"), ("EEE", "EEV", "VEV"), ("EVE", "VVE"),
          ("EEI", "VEI", "VEE"), ("EVI", "VVI")]


def scatters(k=3, d=3, seed=0):
    """Random scatter matrices W_k (positive definite, different orientations) and weights."""
    rng = np.random.default_rng(seed)
    n = rng.uniform(20, 80, size=k)
    a = rng.normal(size=(k, d, d + 2))
    return np.einsum("kij,klj->kil", a, a) * n[:, None, None] / (d + 2), n


def q(cov, scatter, n):
    """The covariance part of Q: -1/2 sum_k [n_k log det S_k + tr(S_k^-1 W_k)]."""
    return -0.5 * float(np.sum(n * np.linalg.slogdet(cov)[1]
                               + np.trace(np.linalg.solve(cov, scatter), axis1=1, axis2=2)))


def decompose(cov):
    """Volumes, shapes (sorted) and eigenvectors of each covariance."""
    values, vectors = np.linalg.eigh(cov)
    volumes = np.exp(np.mean(np.log(values), axis=1))
    return volumes, values / volumes[:, None], vectors


def test_parameter_counts_are_mclusts():
    for name, count in NVARPARAMS_D4_G3.items():
        model = covariance_model(name)
        assert model.n_cov_parameters(3, 4) == count
        assert model.n_parameters(3, 4) == count + 3 * 4 + 2


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_m_step_keeps_the_models_constraints(name):
    scatter, n = scatters()
    cov = covariance_model(name).fit_scatter(scatter, n)
    volumes, shapes, vectors = decompose(cov)
    volume, shape, orientation = name
    if volume == "E":
        np.testing.assert_allclose(volumes, volumes[0], rtol=1e-10)
    if shape == "I":
        np.testing.assert_allclose(shapes, 1.0, rtol=1e-10)
    if shape == "E":
        np.testing.assert_allclose(shapes, np.broadcast_to(shapes[0], shapes.shape), rtol=1e-8)
    if orientation == "I":
        np.testing.assert_allclose(cov, np.einsum("kii,ij->kij", cov, np.eye(3)), atol=1e-12)
    if orientation == "E":  # the matrices commute: one set of eigenvectors for all
        for j in range(1, 3):
            np.testing.assert_allclose(cov[0] @ cov[j], cov[j] @ cov[0], atol=1e-8)
    covariance_model(name).check_form(cov)  # its own result is of its form


@pytest.mark.parametrize("chain", NESTED, ids=["-".join(c) for c in NESTED])
def test_a_larger_model_reaches_at_least_the_q_of_a_smaller_one(chain):
    for seed in range(3):
        scatter, n = scatters(seed=seed)
        values = [q(covariance_model(m).fit_scatter(scatter, n), scatter, n) for m in chain]
        assert np.all(np.diff(values) >= -1e-9 * abs(values[0])), (chain, values)


def _model_moves(name, cov):
    """A map from a parameter vector (zero: ``cov``) to covariances of model ``name``.

    Each letter adds its own free moves: a log-volume (one, or one per component), a log-shape
    with zero sum, a rotation ``expm(S)`` of the orientation with ``S`` skew-symmetric.
    """
    from scipy.linalg import expm

    k, d, _ = cov.shape
    volume, shape, orientation = name
    base = np.eye(d) if orientation == "I" else np.linalg.eigh(cov[0])[1]
    vectors = (np.stack([np.linalg.eigh(c)[1] for c in cov]) if orientation == "V"
               else np.broadcast_to(base, cov.shape))
    diagonals = np.einsum("kji,kjl,kli->ki", vectors, cov, vectors)
    count = {"E": 1, "V": k, "I": 0}
    sizes = [count[volume], count[shape] * (d - 1), count[orientation] * d * (d - 1) // 2]
    iu = np.triu_indices(d, 1)

    def covariances(theta):
        v, a, r = np.split(theta, np.cumsum(sizes)[:2])
        log_diag = np.log(diagonals) + np.reshape(v, (-1, 1))
        if a.size:
            a = a.reshape(-1, d - 1)
            log_diag = log_diag + np.hstack([a, -a.sum(axis=1, keepdims=True)])
        rotations = np.zeros((max(count[orientation], 1), d, d))
        rotations[:, iu[0], iu[1]] = r.reshape(-1, len(iu[0])) if r.size else 0.0
        rotations = np.stack([expm(s - s.T) for s in rotations])
        turned = rotations @ vectors
        return np.einsum("kij,kj,klj->kil", turned, np.exp(log_diag), turned)

    return covariances, sum(sizes)


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_no_move_inside_the_model_raises_q_above_the_m_steps(name):
    from scipy.optimize import minimize

    scatter, n = scatters(seed=6)
    best = covariance_model(name).fit_scatter(scatter, n)
    covariances, size = _model_moves(name, best)
    np.testing.assert_allclose(covariances(np.zeros(size)), best, rtol=1e-10, atol=1e-12)
    found = minimize(lambda t: -q(covariances(t), scatter, n), np.zeros(size),
                     method="L-BFGS-B", options={"maxfun": 300})
    assert -found.fun - q(best, scatter, n) <= 1e-10 * abs(found.fun)


@pytest.mark.parametrize(("name", "twin"), [("VII", "spherical"), ("VVI", "diag"),
                                            ("EEE", "tied"), ("VVV", "full")])
def test_the_four_scikit_learn_types_are_their_mclust_twins(name, twin):
    X = blobs(seed=2)
    kwargs = dict(tol=1e-8, max_iter=300, random_state=0)  # default reg_covar: it matches too
    a = GaussianMixture(3, covariance_type=name, **kwargs).fit(X)
    b = GaussianMixture(3, covariance_type=twin, **kwargs).fit(X)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.log_likelihood_history_, b.log_likelihood_history_, rtol=1e-10)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-8, atol=1e-10)
    full = np.stack([np.diag(c) for c in b.covariances_]) if twin == "diag" else (
        b.covariances_[:, None, None] * np.eye(3) if twin == "spherical" else b.covariances_)
    np.testing.assert_allclose(a.covariances_, np.broadcast_to(full, (3, 3, 3)), rtol=1e-8,
                               atol=1e-12)
    assert a.bic(X) == pytest.approx(b.bic(X), rel=1e-10)


@pytest.mark.parametrize("name", MCLUST_MODELS)
def test_em_never_lowers_the_log_likelihood(name):
    for seed in range(4):
        X = blobs(n_per=50, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm = GaussianMixture(3, covariance_type=name, tol=1e-9, max_iter=200,
                                 init_params="random", random_state=seed, reg_covar=0).fit(X)
        history = gm.log_likelihood_history_
        assert len(history) > 5
        assert np.all(np.diff(history) >= -1e-10 * abs(history[-1])), (name, seed)
        assert gm.covariances_.shape == gm.precisions_.shape == (3, 3, 3)
        np.testing.assert_allclose(gm.precisions_ @ gm.covariances_,
                                   np.broadcast_to(np.eye(3), (3, 3, 3)), atol=1e-8)


def test_iterative_m_step_starts_from_the_current_covariances():
    # from the converged point one more M-step changes nothing: warm, it stops at once
    scatter, n = scatters(seed=5)
    for name in ("VEI", "VEE", "VEV", "EVE", "VVE"):
        model = covariance_model(name)
        assert model.iterative
        cold = model.fit_scatter(scatter, n)
        warm = model.fit_scatter(scatter, n, start=cold)
        np.testing.assert_allclose(warm, cold, rtol=1e-7, atol=1e-9)


def test_fit_predict_sample_on_an_mclust_model():
    X = blobs(seed=1)
    gm = GaussianMixture(3, covariance_type="EVE", random_state=0).fit(X)
    assert gm.predict(X).shape == (len(X),)
    Y, labels = gm.sample(3000, random_state=0)
    spread = np.cov((Y[labels == 0] - gm.means_[0]).T)
    np.testing.assert_allclose(spread, gm.covariances_[0], atol=0.25 * np.abs(
        gm.covariances_[0]).max())


def test_unknown_model_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="covariance_type.*'EVE'.*'VVV'"):
        GaussianMixture(2, covariance_type="XYZ").fit(blobs())


def test_precisions_init_of_the_wrong_shape_or_form():
    X = blobs()
    with pytest.raises(ValueError, match="precisions_init"):
        GaussianMixture(3, covariance_type="EII", precisions_init=np.ones(3)).fit(X)
    # three different full matrices are not EII's lambda I
    prec = np.stack([np.eye(3) * s + 0.1 for s in (1.0, 2.0, 3.0)])
    with pytest.raises(ValueError, match="not of the form of model EII"):
        GaussianMixture(3, covariance_type="EII", precisions_init=prec).fit(X)
    GaussianMixture(3, covariance_type="VVV", precisions_init=prec, tol=1.0).fit(X)
    GaussianMixture(3, covariance_type="EII", precisions_init=np.stack([np.eye(3) * 2] * 3),
                    tol=1.0).fit(X)


def test_too_few_samples_for_a_model():
    X = blobs()[:12]
    with pytest.raises(ValueError, match="'VVV' with n_components=3 in 3 dimensions has 29"):
        GaussianMixture(3, covariance_type="VVV").fit(X)
    GaussianMixture(3, covariance_type="EII", max_iter=5, tol=1.0).fit(X)  # 12 parameters


def test_prior_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="prior"):
        GaussianMixture(2, covariance_type="VEV", prior="default").fit(blobs())


def test_rotation_sweeps_never_raise_f_and_reach_at_least_where_mm_steps_go():
    from emcore.gaussian.mclust_iterative import _rotation_sweep

    from .test_parity import _mm_orientation

    scatter, n = scatters(k=3, d=4, seed=7)
    b = 1.0 / np.random.default_rng(2).uniform(0.2, 3.0, size=(3, 4))

    def f(orientation):
        return float(np.einsum("kij,il,kl,jl->", scatter, orientation, b, orientation))

    start = np.linalg.qr(np.random.default_rng(3).normal(size=(4, 4)))[0]
    swept, values = start, [f(start)]
    for _ in range(30):
        swept = _rotation_sweep(scatter, swept, b)
        values.append(f(swept))
    assert np.all(np.diff(values) <= 1e-12 * values[0])
    np.testing.assert_allclose(swept.T @ swept, np.eye(4), atol=1e-12)
    mm, largest = start, np.linalg.eigvalsh(scatter)[:, -1]
    for _ in range(500):
        mm = _mm_orientation(scatter, mm, b, largest)
    assert values[-1] <= f(mm) + 1e-12 * values[0]


def test_missing_entries_with_an_mclust_model_equal_its_built_in_twin():
    X = blobs(seed=3)
    X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    kwargs = dict(missing="marginalize", tol=1e-8, max_iter=300, random_state=0)
    a = GaussianMixture(3, covariance_type="EEE", **kwargs).fit(X)
    b = GaussianMixture(3, covariance_type="tied", **kwargs).fit(X)
    np.testing.assert_allclose(a.log_likelihood_history_, b.log_likelihood_history_, rtol=1e-10)
    np.testing.assert_allclose(a.covariances_, np.broadcast_to(b.covariances_, (3, 3, 3)),
                               rtol=1e-8)
    c = GaussianMixture(3, covariance_type="VEV", **kwargs).fit(X)
    assert np.all(np.diff(c.log_likelihood_history_) >= -1e-10 * abs(c.log_likelihood_history_[-1]))
    assert np.isfinite(c.impute(X)).all()


@pytest.mark.parametrize("name", ["EVV", "VVE", "VVV"])
def test_a_component_on_a_line_is_a_clear_error_without_reg_covar(name):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(50, 2)), np.tile([[5.0, 5.0], [6.0, 6.0]], (5, 1))])
    start = dict(means_init=[[0.0, 0.0], [5.5, 5.5]], reg_covar=0)
    # the constrained M-steps stop at the singular scatter; VVV's covariance is singular
    with pytest.raises(ValueError, match="reg_covar|component 1 collapsed onto a point"):
        GaussianMixture(2, covariance_type=name, **start).fit(X)
    # with the default reg_covar the line has a little width, and the fit runs; where the
    # model lets the component's own covariance be singular (a free volume and shape), that
    # is a collapse, reported as for a component on a point: a warning, the run ended
    fit = lambda: GaussianMixture(2, covariance_type=name, means_init=[[0.0, 0.0], [5.5, 5.5]],
                                  ).fit(X)
    if name == "EVV":          # one volume for both: the line cannot shrink
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert fit().converged_
    else:
        with pytest.warns(ConvergenceWarning, match="component 1 collapsed onto a point"):
            assert not fit().converged_
