"""HMM Gaussian emissions on states far apart next to their spread: sums about each state's mean.

Three states 1e5 apart in every feature and 1e-3 wide (d = 3): second moments about one
common origin are about 1e10 where the states' variances are 1e-6, so covariances taken
from them (``S / N - m m^T``) cancel 16 digits. The emissions' statistics are then taken
about each state's current mean (``GaussianEmissions.accumulate``). The M-step's
covariances from given posteriors are compared with an independent computation (each
weighted mean by ``math.fsum``, then ``math.fsum`` of the weighted products of the exact
differences ``x - mean``), and each test is shown to fail with the statistics forced about
the common origin (``cancels`` patched to False, or its round-off guard at infinity).
"""

import math

import numpy as np
import pytest

from emcore import GMMHMM, GaussianHMM, _tuning
from emcore.gaussian.covariance import COVARIANCE_TYPES
from emcore.hmm import DegenerateStateError
from emcore.hmm._gaussian import GaussianEmissions, data_origin
from emcore.hmm._missing import MissingGaussianEmissions

K, D, SD = 3, 3, 1e-3
CENTRES = np.array([[0.5, -0.25, 0.125]]) + 1e5 * np.arange(K)[:, None]
RTOL = 1e-9


def _sequence(seed=0, n=600, sd=SD):
    """A sticky chain over the three states (runs of 20 steps) and its observations."""
    rng = np.random.default_rng(seed)
    states = np.repeat(rng.permutation(np.resize(np.arange(K), n // 20)), 20)
    return CENTRES[states] + rng.normal(0.0, sd, size=(n, D)), states


def _posteriors(states, seed=1):
    """Posteriors near the true states, each step lending a random 1e-20 or less to the
    others: weighted, with weight far away that counts at 1e-4."""
    rng = np.random.default_rng(seed)
    post = rng.uniform(0.0, 1e-20, size=(states.size, K))
    post[np.arange(states.size), states] = 0.0
    post[np.arange(states.size), states] = 1.0 - post.sum(axis=1)
    return post


def _weighted_scatter(X, w):
    """``sum_n w_n (x_n - m)(x_n - m)^T`` about the weighted mean ``m`` and ``sum_n w_n``,
    every sum by ``math.fsum`` (``x - m`` is exact here: ``x`` within a factor 2 of ``m``)."""
    total = math.fsum(w)
    mean = np.array([math.fsum(w * X[:, f]) / total for f in range(X.shape[1])])
    diff = X - mean
    return np.array([[math.fsum(w * diff[:, i] * diff[:, j]) for j in range(X.shape[1])]
                     for i in range(X.shape[1])]), total


def _independent_covariances(X, post, cov_type):
    """The M-step's covariances (no ``reg_covar``) for the posteriors, computed independently."""
    scatters, totals = zip(*(_weighted_scatter(X, post[:, j]) for j in range(K)))
    scatters, totals = np.array(scatters), np.array(totals)
    full = scatters / totals[:, None, None]
    if cov_type == "full":
        return full
    if cov_type == "tied":
        return scatters.sum(axis=0) / math.fsum(totals)
    diag = np.diagonal(full, axis1=1, axis2=2)
    return diag if cov_type == "diag" else diag.mean(axis=1)


def _m_step_covariances(em, X, post, params):
    return em.unpack(em.m_step(em.accumulate(X, post, params), params))[1]


def _relative(got, want):
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def _start(em, cov_type, sd=SD):
    """Current parameters: the true centres moved by 1e-4, variances ``sd**2``."""
    means = CENTRES + np.random.default_rng(2).normal(0.0, 1e-4, size=CENTRES.shape)
    one = {"full": np.tile(np.eye(D), (K, 1, 1)), "tied": np.eye(D),
           "diag": np.ones((K, D)), "spherical": np.ones(K)}[cov_type]
    return em.pack(means, sd**2 * one)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_the_m_step_covariances_equal_an_independent_computation(cov_type):
    X, states = _sequence()
    post = _posteriors(states)
    em = GaussianEmissions(cov_type, K, D, center=data_origin(X))
    assert em.cancels(em.about_center(X, post))  # so the sums are taken about the means
    got = _m_step_covariances(em, X, post, _start(em, cov_type))
    assert _relative(got, _independent_covariances(X, post, cov_type)) < RTOL


def _mutate(monkeypatch, how):
    """The statistics about the common origin always: ``cancels`` answering False, or
    the round-off guard it shares with the log-densities at infinity (then only the states
    whose covariance the sums about the origin make non-positive are taken again)."""
    if how == "cancels":
        monkeypatch.setattr(GaussianEmissions, "cancels", lambda self, stats: False)
    else:
        monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", math.inf)


def _error(em, X, post, params, want):
    """:func:`_relative` of the M-step's covariances; infinite where the M-step refuses them
    (a covariance that is not positive definite)."""
    try:
        return _relative(_m_step_covariances(em, X, post, params), want)
    except DegenerateStateError:
        return math.inf


#: The mutations, each on data where it shows: with the guard at infinity, sums about the
#: origin that cancel to a non-positive variance are still taken again, so states 1e-2
#: wide, whose variances those sums keep positive but wrong in the fourth digit.
MUTATIONS = [("cancels", SD), ("guard", 1e-2)]


@pytest.mark.parametrize("how, sd", MUTATIONS)
@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_about_one_origin_the_same_covariances_lose_their_digits(cov_type, how, sd,
                                                                  monkeypatch):
    X, states = _sequence(sd=sd)
    post = _posteriors(states)
    em = GaussianEmissions(cov_type, K, D, center=data_origin(X))
    params = _start(em, cov_type, sd)
    want = _independent_covariances(X, post, cov_type)
    assert _error(em, X, post, params, want) < RTOL
    _mutate(monkeypatch, how)
    assert _error(em, X, post, params, want) > 1e-6


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_ordinary_data_keep_the_product_of_quadratic_features(cov_type):
    # the same states 3 apart with unit spread: the fast sums about the origin are kept,
    # and give the independent covariances too
    rng = np.random.default_rng(3)
    states = np.repeat(rng.permutation(np.resize(np.arange(K), 30)), 20)
    X = 3.0 * CENTRES[states] / 1e5 + rng.normal(size=(states.size, D))
    post = _posteriors(states) * 0.5 + 0.5 * rng.dirichlet(np.ones(K), size=states.size)
    em = GaussianEmissions(cov_type, K, D, center=data_origin(X))
    assert not em.cancels(em.about_center(X, post))
    params = em.pack(3.0 * CENTRES / 1e5, _start(em, cov_type)[K * D:] * 1e6)
    got = _m_step_covariances(em, X, post, params)
    assert _relative(got, _independent_covariances(X, post, cov_type)) < 1e-12


def _fitted_covariances(model, cov_type):
    """The fit's covariances less ``reg_covar``, its states ordered as the true ones."""
    order = np.argsort(model.means_[:, 0])
    if cov_type == "tied":
        return model.covariances_ - model.reg_covar * np.eye(D)
    cov = model.covariances_[order]
    return cov - model.reg_covar * (np.eye(D) if cov_type == "full" else 1.0)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_a_fit_recovers_the_states_and_their_covariances(cov_type):
    X, states = _sequence()
    model = GaussianHMM(K, covariance_type=cov_type, reg_covar=1e-9, random_state=0).fit(X)
    order = np.argsort(model.means_[:, 0])
    assert np.max(np.abs(model.means_[order] - CENTRES)) < 5 * SD
    # at convergence the posteriors are the true states to 1e-300: the last M-step's
    # covariances are the states' own sample covariances
    one_hot = np.eye(K)[states]
    want = _independent_covariances(X, one_hot, cov_type)
    assert _relative(_fitted_covariances(model, cov_type), want) < RTOL


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_a_gmmhmm_with_one_component_per_state_fits_the_same(cov_type):
    X, states = _sequence()
    model = GMMHMM(K, n_mix=1, covariance_type=cov_type, reg_covar=1e-9,
                   random_state=0).fit(X)
    order = np.argsort(model.means_[:, 0, 0])
    assert np.max(np.abs(model.means_[order, 0] - CENTRES)) < 5 * SD
    cov = model.covariances_
    if cov_type == "tied":  # one shared matrix per state: each state's own scatter
        got = cov[order] - 1e-9 * np.eye(D)
        want = _independent_covariances(X, np.eye(K)[states], "full")
    else:
        got = cov[order, 0] - (1e-9 * np.eye(D) if cov_type == "full" else 1e-9)
        want = _independent_covariances(X, np.eye(K)[states], cov_type)
    assert _relative(got, want) < RTOL


def _holed(X, seed=4):
    rng = np.random.default_rng(seed)
    X = X.copy()
    X[rng.random(X.shape) < 0.15] = np.nan
    X[np.isnan(X).all(axis=1), 0] = CENTRES[0, 0]  # no step wholly missing
    return X


def _completed_diag_variances(X, post, means, variances):
    """The diag M-step with holes, independently: a missing entry of state ``j`` counts its
    current mean with its current variance added (the conditional moments of a diagonal
    Gaussian), each sum by ``math.fsum``."""
    out = np.empty((K, D))
    for j in range(K):
        w = post[:, j]
        for f in range(D):
            seen = ~np.isnan(X[:, f])
            x = np.where(seen, X[:, f], means[j, f])
            total = math.fsum(w)
            mean = math.fsum(w * x) / total
            out[j, f] = (math.fsum(w * (x - mean) ** 2)
                         + math.fsum(w[~seen]) * variances[j, f]) / total
    return out


@pytest.mark.parametrize("how, sd", MUTATIONS)
def test_holed_rows_complete_about_each_state_mean(how, sd, monkeypatch):
    X, states = _sequence(sd=sd)
    X = _holed(X)
    post = _posteriors(states)
    em = MissingGaussianEmissions("diag", K, D, center=data_origin(X))
    params = _start(em, "diag", sd)
    means, variances = em.unpack(params)
    want = _completed_diag_variances(X, post, means, variances)
    assert _error(em, X, post, params, want) < RTOL
    # the mutation: the complete rows' sums about the origin, the holed rows' moved there
    _mutate(monkeypatch, how)
    assert _error(em, X, post, params, want) > 1e-6


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_a_fit_with_holes_recovers_the_states(cov_type):
    X, _ = _sequence()
    model = GaussianHMM(K, covariance_type=cov_type, missing="marginalize", reg_covar=1e-9,
                        random_state=0).fit(_holed(X))
    order = np.argsort(model.means_[:, 0])
    assert np.max(np.abs(model.means_[order] - CENTRES)) < 5 * SD
    variances = _fitted_covariances(model, cov_type)
    if cov_type in ("full", "tied"):
        variances = np.diagonal(variances, axis1=-2, axis2=-1)
    assert np.all(variances > 0.3 * SD**2) and np.all(variances < 3 * SD**2)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_a_gmmhmm_with_the_clusters_as_one_state_mixture_components(cov_type):
    # one state, its three components the three clusters: the sums about each component's mean
    X, states = _sequence()
    model = GMMHMM(1, n_mix=K, covariance_type=cov_type, reg_covar=1e-9,
                   random_state=0).fit(X)
    order = np.argsort(model.means_[0, :, 0])
    assert np.max(np.abs(model.means_[0, order] - CENTRES)) < 5 * SD
    cov = model.covariances_[0]
    reg = 1e-9 * (np.eye(D) if cov_type in ("full", "tied") else 1.0)
    got = (cov if cov_type == "tied" else cov[order]) - reg
    assert _relative(got, _independent_covariances(X, np.eye(K)[states], cov_type)) < RTOL


def test_a_covariance_type_with_the_base_methods_alone_takes_the_sums_about_the_means():
    # mclust's EII (tests/gaussian/test_new_covariance_type.py) has no fast kernels: its
    # statistics are the reference's, about each state's mean, on these data too
    from tests.gaussian.test_new_covariance_type import EqualSpherical

    X, states = _sequence()
    post = _posteriors(states)
    em = GaussianEmissions(EqualSpherical(), K, D, center=data_origin(X))
    params = em.pack(CENTRES, np.asarray(SD**2))
    got = _m_step_covariances(em, X, post, params)
    want = np.trace(_independent_covariances(X, post, "tied")) / D
    assert abs(float(got) - want) < RTOL * want
