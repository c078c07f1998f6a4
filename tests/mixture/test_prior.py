"""MAP-EM: GaussianMixture(prior=...) maximises the log-posterior, monotonically."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emcore import GaussianMixture
from emcore.datasets import load_faithful
from emcore.mixture import DegenerateComponentError, MixturePrior

from .conftest import COV_TYPES, blobs

stats = pytest.importorskip("scipy.stats")
optimize = pytest.importorskip("scipy.optimize")
special = pytest.importorskip("scipy.special")


def small_data(d, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(2, size=40 if d == 1 else 60)
    return rng.normal(size=(z.size, d)) * np.where(z == 0, 0.7, 1.2)[:, None] + 3.0 * z[:, None]


def explicit_prior(cov_type, d):
    scale = 0.5 if cov_type == "spherical" else (np.linspace(0.4, 0.8, d) if cov_type == "diag"
                                                  else np.eye(d) * 0.5 + 0.1 * (1 - np.eye(d)))
    return MixturePrior(weight_concentration=3.0, mean=np.full(d, 1.0), mean_precision=0.5,
                        degrees_of_freedom=d + 1.5, scale=scale)


def covariance_matrices(cov, cov_type, k, d):
    """Every component's covariance as a (d, d) matrix, from any covariance type."""
    cov = np.asarray(cov)
    if cov_type == "full":
        return cov
    if cov_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if cov_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([np.eye(d) * c for c in cov])


def log_posterior(X, weights, means, cov, cov_type, prior):
    """log p(theta | X) up to a constant, from scipy's densities of the stated priors."""
    k, d = means.shape
    covs = covariance_matrices(cov, cov_type, k, d)
    comp = [np.log(weights[j]) + stats.multivariate_normal.logpdf(X, means[j], covs[j])
            for j in range(k)]
    out = float(np.sum(special.logsumexp(np.column_stack(comp).reshape(len(X), k), axis=1)))
    out += stats.dirichlet.logpdf(weights, np.full(k, prior.weight_concentration))
    m0, kappa, nu, psi = prior.mean, prior.mean_precision, prior.degrees_of_freedom, prior.scale
    if cov_type in ("full", "tied"):
        for j in range(k if cov_type == "full" else 1):
            out += stats.invwishart.logpdf(covs[j], df=nu, scale=psi) if d > 1 else \
                stats.invgamma.logpdf(covs[j][0, 0], nu / 2, scale=psi[0, 0] / 2)
        out += sum(stats.multivariate_normal.logpdf(means[j], m0, covs[j] / kappa)
                   for j in range(k))
    elif cov_type == "diag":
        out += float(np.sum(stats.invgamma.logpdf(cov, nu / 2, scale=np.asarray(psi) / 2)))
        out += float(np.sum(stats.norm.logpdf(means, m0, np.sqrt(cov / kappa))))
    else:
        out += float(np.sum(stats.invgamma.logpdf(cov, nu / 2, scale=psi / 2)))
        out += float(np.sum(stats.norm.logpdf(means, m0, np.sqrt(cov / kappa)[:, None])))
    return out


def unpack(v, cov_type, k, d):
    """Unconstrained vector -> (weights, means, covariances): softmax, raw, log-Cholesky / log."""
    weights = special.softmax(np.concatenate([[0.0], v[:k - 1]]))
    means = v[k - 1:k - 1 + k * d].reshape(k, d)
    rest = v[k - 1 + k * d:]
    if cov_type in ("full", "tied"):
        m = k if cov_type == "full" else 1
        tri = np.tril_indices(d)
        covs = []
        for j in range(m):
            L = np.zeros((d, d))
            L[tri] = rest[j * len(tri[0]):(j + 1) * len(tri[0])]
            L[np.diag_indices(d)] = np.exp(np.diag(L))
            covs.append(L @ L.T)
        cov = np.stack(covs) if cov_type == "full" else covs[0]
    elif cov_type == "diag":
        cov = np.exp(rest).reshape(k, d)
    else:
        cov = np.exp(rest)
    return weights, means, cov


def pack(weights, means, cov, cov_type):
    head = [np.log(weights[1:] / weights[0]), means.ravel()]
    if cov_type in ("full", "tied"):
        mats = cov if cov_type == "full" else cov[None]
        d = mats.shape[-1]
        for m in mats:
            L = np.linalg.cholesky(m)
            L[np.diag_indices(d)] = np.log(np.diag(L))
            head.append(L[np.tril_indices(d)])
    else:
        head.append(np.log(np.ravel(cov)))
    return np.concatenate(head)


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_map_fit_equals_a_direct_numerical_maximum_of_the_log_posterior(cov_type, d):
    X = small_data(d)
    prior = explicit_prior(cov_type, d)
    gm = GaussianMixture(2, covariance_type=cov_type, prior=prior, reg_covar=0.0, tol=1e-13,
                         max_iter=20000, random_state=0).fit(X)
    start = pack(gm.weights_, gm.means_, gm.covariances_, cov_type)
    start += np.random.default_rng(1).normal(scale=0.2, size=start.size)   # not at the answer
    res = optimize.minimize(lambda v: -log_posterior(X, *unpack(v, cov_type, 2, d),
                                                     cov_type, prior),
                            start, method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
    w, m, c = unpack(res.x, cov_type, 2, d)
    # EM stops when the mean log-posterior moves by < 1e-13 per iteration and BFGS when the
    # gradient is < 1e-9: at a well-conditioned mode (curvature O(n) = O(50)) both leave
    # parameter errors far below 1e-5; 1e-5 still catches any wrong term of the M-step,
    # which moves the mode by O(1 / n) = O(1e-2).
    np.testing.assert_allclose(gm.weights_, w, atol=1e-5)
    np.testing.assert_allclose(gm.means_, m, atol=1e-5)
    np.testing.assert_allclose(gm.covariances_, c, atol=1e-5)
    assert log_posterior(X, w, m, c, cov_type, prior) <= log_posterior(
        X, gm.weights_, gm.means_, gm.covariances_, cov_type, prior) + 1e-8


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_monitored_objective_is_the_log_posterior_up_to_a_constant(cov_type):
    X = small_data(2, seed=3)
    prior = explicit_prior(cov_type, 2)
    gaps = []
    GaussianMixture(2, covariance_type=cov_type, prior=prior, tol=0, max_iter=8, random_state=0,
                    callback=lambda t, p, value: gaps.append(value - log_posterior(
                        X, p.weights, p.means, p.covariances, cov_type, prior))).fit(X)
    assert len(gaps) == 8 and np.ptp(gaps) < 1e-8


def test_default_prior_cures_the_spike_collapse_of_chapter_6():
    waiting = load_faithful()[:, [1]]
    spike = dict(weights_init=[0.99, 0.01], means_init=[[waiting.mean()], [waiting.max()]],
                 precisions_init=[[[1 / waiting.var()]], [[1.0]]])
    with pytest.raises(DegenerateComponentError):
        GaussianMixture(2, max_iter=50, tol=1e-14, reg_covar=0.0, **spike).fit(waiting)
    gm = GaussianMixture(2, max_iter=1000, tol=1e-12, reg_covar=0.0, prior="default",
                         **spike).fit(waiting)
    # every MAP variance is (Psi + scatter) / (N_k + p) >= Psi / (N + p), with the default
    # Psi = var / K^2 (d = 1) and p = nu + d + 2 = 6
    floor = waiting.var() / 4 / (len(waiting) + 6)
    assert gm.converged_ and np.all(gm.covariances_ >= floor)
    assert np.all(np.diff(gm.log_posterior_history_)
                  >= -1e-10 * np.abs(gm.log_posterior_history_[1:]))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), cov_type=st.sampled_from(COV_TYPES), k=st.integers(1, 4),
       strength=st.floats(0.01, 100.0), alpha=st.floats(1.0, 5.0))
def test_log_posterior_history_never_decreases(seed, cov_type, k, strength, alpha):
    X = blobs(n_per=25, d=2, seed=seed % 1000)
    prior = MixturePrior(weight_concentration=alpha, mean=np.zeros(2), mean_precision=strength,
                         degrees_of_freedom=3.0, scale=strength)
    gm = GaussianMixture(k, covariance_type=cov_type, prior=prior, tol=0, max_iter=30,
                         init_params="random", random_state=seed).fit(X)
    h = gm.log_posterior_history_
    assert h.size == 31 and np.all(np.diff(h) >= -1e-10 * np.abs(h[1:]))


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_flat_prior_gives_the_maximum_likelihood_fit(cov_type):
    X = blobs()
    ml = GaussianMixture(3, covariance_type=cov_type, random_state=0, tol=1e-8).fit(X)
    flat = GaussianMixture(3, covariance_type=cov_type, random_state=0, tol=1e-8,
                           prior=MixturePrior()).fit(X)
    np.testing.assert_allclose(flat.means_, ml.means_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(flat.covariances_, ml.covariances_, rtol=1e-12)
    np.testing.assert_array_equal(ml.log_posterior_history_, ml.log_likelihood_history_)


def test_with_a_prior_lower_bound_and_bic_use_the_log_likelihood():
    X = blobs()
    gm = GaussianMixture(3, prior="default", random_state=0).fit(X)
    assert gm.lower_bound_ == pytest.approx(gm.score(X), rel=1e-12)
    assert gm.log_likelihood_history_[-1] == pytest.approx(gm.score(X) * len(X), rel=1e-12)
    assert gm.log_posterior_history_[-1] != pytest.approx(gm.log_likelihood_history_[-1], rel=1e-6)
    n_params = 3 * 6 + 3 * 3 + 2
    assert gm.bic(X) == pytest.approx(-2 * gm.score(X) * len(X) + n_params * np.log(len(X)),
                                      rel=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(weight_concentration=0.5), "weight_concentration"),
    (dict(weight_concentration=np.nan), "weight_concentration"),
    (dict(mean_precision=-1.0, mean=[0.0]), "mean_precision"),
    (dict(mean=[0.0]), "mean"),
    (dict(mean=[[0.0]], mean_precision=1.0), "mean"),
    (dict(degrees_of_freedom=3.0), "scale"),
    (dict(degrees_of_freedom=0.0, scale=1.0), "degrees_of_freedom"),
    (dict(degrees_of_freedom=3.0, scale=-1.0), "scale"),
    (dict(degrees_of_freedom=3.0, scale=[np.inf]), "scale"),
])
def test_bad_prior_arguments_are_rejected_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MixturePrior(**kwargs)


@pytest.mark.parametrize("cov_type, prior, match", [
    ("full", "flat", "prior must be"),
    ("full", MixturePrior(mean=[0.0, 0.0], mean_precision=1.0), r"prior\.mean"),
    ("full", MixturePrior(degrees_of_freedom=3.0, scale=np.eye(2)), r"prior\.scale"),
    ("full", MixturePrior(degrees_of_freedom=3.0, scale=-np.eye(3) + 2), r"prior\.scale"),
    ("tied", MixturePrior(degrees_of_freedom=1.5, scale=1.0), r"prior\.degrees_of_freedom"),
    ("diag", MixturePrior(degrees_of_freedom=3.0, scale=[1.0, 2.0]), r"prior\.scale"),
    ("spherical", MixturePrior(degrees_of_freedom=3.0, scale=[1.0, 2.0, 3.0]), r"prior\.scale"),
])
def test_prior_that_does_not_fit_the_data_is_rejected_at_fit(cov_type, prior, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(2, covariance_type=cov_type, prior=prior).fit(blobs())


def test_get_params_and_clone_carry_the_prior():
    base = pytest.importorskip("sklearn.base")
    prior = explicit_prior("full", 3)
    gm = GaussianMixture(3, prior=prior, random_state=0)
    assert gm.get_params()["prior"] is prior
    copy = base.clone(gm)
    assert copy.prior == prior and "prior=" in repr(gm)
    np.testing.assert_allclose(copy.fit(blobs()).means_, gm.fit(blobs()).means_, rtol=1e-14)
