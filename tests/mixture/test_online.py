"""Online (stepwise) EM: GaussianMixture.partial_fit and SufficientStats.about."""

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.gaussian.stats import stats_from_resp
from emcore.mixture._data import MixtureData

from .conftest import COV_TYPES, blobs

MEANS = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
WEIGHTS = np.array([0.5, 0.3, 0.2])
SD = 0.8


def stream(n_batches, size, seed=0):
    """Seeded batches from the known, well-separated 2-D three-component mixture."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_batches):
        z = rng.choice(3, size=size, p=WEIGHTS)
        out.append(MEANS[z] + SD * rng.normal(size=(size, 2)))
    return out


def ordered(gm):
    """Parameters with the components in the order of MEANS (nearest true mean)."""
    order = [int(np.argmin(np.sum((gm.means_ - m) ** 2, axis=1))) for m in MEANS]
    assert sorted(order) == [0, 1, 2]
    return gm.weights_[order], gm.means_[order], gm.covariances_[order]


def errors(a, b):
    return [float(np.max(np.abs(x - y))) for x, y in zip(ordered(a), ordered(b))]


@pytest.fixture(scope="module")
def online_run():
    batches = stream(200, 500)
    gm = GaussianMixture(3, random_state=0)
    snapshots = {}
    for t, batch in enumerate(batches, start=1):
        gm.partial_fit(batch)
        if t in (5, 200):
            snapshots[t] = [p.copy() for p in ordered(gm)]
    mle = GaussianMixture(3, random_state=0, tol=1e-10, max_iter=1000).fit(np.concatenate(batches))
    return gm, snapshots, mle


def test_partial_fit_on_a_stream_approaches_the_batch_mle(online_run):
    gm, _, mle = online_run
    assert gm.n_batches_ == 200 and gm.n_samples_seen_ == 100_000
    # With gamma_t = (t + 2)^(-0.6) the running statistics are a weighted average over the
    # last ~1 / gamma_200 = 24 batches (12 000 samples), so they fluctuate about the MLE like
    # an estimate from ~12 000 samples: standard errors ~ sqrt(w (1 - w) / 12 000) <= 0.005
    # for the weights, SD / sqrt(w 12 000) <= 0.016 for the means and
    # SD^2 sqrt(2 / (w 12 000)) <= 0.019 for the covariances. The tolerances are 5 of those.
    err_w, err_m, err_c = errors(gm, mle)
    assert err_w < 0.025 and err_m < 0.08 and err_c < 0.1


def test_partial_fit_error_decreases_with_more_batches(online_run):
    _, snapshots, mle = online_run
    truth = ordered(mle)

    def total(params):
        return sum(float(np.max(np.abs(p - q))) for p, q in zip(params, truth))

    assert total(snapshots[200]) < total(snapshots[5])


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_first_partial_fit_call_is_one_ordinary_em_step(cov_type):
    X = blobs()
    online = GaussianMixture(3, covariance_type=cov_type, random_state=0).partial_fit(X)
    batch = GaussianMixture(3, covariance_type=cov_type, random_state=0, max_iter=1, tol=0).fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(online, name), getattr(batch, name),
                                   rtol=1e-10, atol=1e-12)


def test_second_call_averages_the_batch_statistics_with_gamma_one_half():
    rng = np.random.default_rng(3)
    b1 = MEANS[rng.choice(3, 400, p=WEIGHTS)] + SD * rng.normal(size=(400, 2))
    b2 = MEANS[rng.choice(3, 300, p=WEIGHTS)] + SD * rng.normal(size=(300, 2)) + [0.3, -0.2]
    kw = dict(n_components=3, random_state=0, reg_covar=0.0, learning_decay=1.0,
              learning_offset=0.0)
    theta0 = GaussianMixture(max_iter=0, **kw).fit(b1)          # the start partial_fit uses
    gm = GaussianMixture(**kw).partial_fit(b1)
    theta1 = [gm.weights_.copy(), gm.means_.copy(), gm.covariances_.copy()]
    gm.partial_fit(b2)

    def moments(X, weights, means, covs):
        """Responsibility-weighted sums per unit weight, computed directly with numpy."""
        logp = np.stack([np.log(w) - 0.5 * np.linalg.slogdet(c)[1]
                         - 0.5 * np.einsum("ni,ij,nj->n", X - m, np.linalg.inv(c), X - m)
                         for w, m, c in zip(weights, means, covs)], axis=1)
        r = np.exp(logp - logp.max(axis=1, keepdims=True))
        r /= r.sum(axis=1, keepdims=True)
        return r.sum(0) / len(X), r.T @ X / len(X), np.einsum("nk,ni,nj->kij", r, X, X) / len(X)

    m_a = moments(b1, theta0.weights_, theta0.means_, theta0.covariances_)
    m_b = moments(b2, *theta1)
    n, s1, s2 = [(a + b) / 2 for a, b in zip(m_a, m_b)]       # gamma_2 = (2 + 0)^-1
    means = s1 / n[:, None]
    np.testing.assert_allclose(gm.weights_, n / n.sum(), rtol=1e-9)
    np.testing.assert_allclose(gm.means_, means, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(gm.covariances_,
                               s2 / n[:, None, None] - means[:, :, None] * means[:, None, :],
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_about_reexpresses_statistics_about_another_shift(cov_type):
    X = blobs(n_per=30)
    rng = np.random.default_rng(0)
    resp = rng.dirichlet(np.ones(3), size=len(X)).T
    data = MixtureData(X, None, cov_type, 3)
    stats = stats_from_resp(data, lambda s, e: resp[:, s:e], 3)
    new_shift = rng.normal(size=(3, 3))
    moved = stats.about(new_shift, cov_type)
    diff = (X - data.center)[None, :, :] - new_shift[:, None, :]        # (K, n, d)
    np.testing.assert_allclose(moved.first, np.einsum("kn,knj->kj", resp, diff),
                               rtol=1e-10, atol=1e-10)
    second = np.einsum("kn,kni,knj->kij", resp, diff, diff)
    expected = {"full": second, "tied": second.sum(0), "diag": np.einsum("kii->ki", second),
                "spherical": np.einsum("kii->k", second)}[cov_type]
    np.testing.assert_allclose(moved.second, expected, rtol=1e-10, atol=1e-9)
    back = moved.about(stats.shift, cov_type)
    np.testing.assert_allclose(back.second, stats.second, rtol=1e-10, atol=1e-9)


def test_partial_fit_with_a_prior_keeps_a_collapsing_component_alive():
    X = np.concatenate([np.zeros((3, 1)), np.random.default_rng(0).normal(size=(200, 1))])
    spike = dict(weights_init=[0.5, 0.5], means_init=[[0.0], [0.5]],
                 precisions_init=[[[1e6]], [[1.0]]])
    gm = GaussianMixture(2, reg_covar=0.0, prior="default", **spike)
    for _ in range(5):
        gm.partial_fit(X)
    assert np.all(gm.covariances_ > 1e-3)


@pytest.mark.parametrize("name, value, error", [
    ("learning_decay", 0.5, ValueError), ("learning_decay", 1.1, ValueError),
    ("learning_decay", True, TypeError), ("learning_offset", -1.0, ValueError),
    ("learning_offset", np.inf, ValueError), ("learning_decay", "0.7", TypeError)])
def test_bad_learning_rates_are_rejected_naming_them(name, value, error):
    with pytest.raises(error, match=name):
        GaussianMixture(2, **{name: value}).partial_fit(blobs())


def test_a_batch_with_other_features_is_rejected():
    gm = GaussianMixture(2).partial_fit(blobs())
    with pytest.raises(ValueError, match="features"):
        gm.partial_fit(blobs(d=2))


def test_a_first_batch_with_fewer_weighted_rows_than_components_is_rejected():
    X = blobs(n_per=5, d=2, k=2, seed=0)
    w = np.zeros(len(X))
    w[:2] = 1.0
    with pytest.raises(ValueError,
                       match=r"n_components=3 .* of the first batch \(2 with positive weight\)"):
        GaussianMixture(3).partial_fit(X, sample_weight=w)


def test_fit_after_partial_fit_starts_afresh_and_drops_the_stream_state():
    X = blobs()
    gm = GaussianMixture(3, random_state=0).partial_fit(X)
    gm.fit(X)
    assert not hasattr(gm, "n_batches_") and gm.converged_
    gm.partial_fit(X)
    assert gm.n_batches_ == 1 and not hasattr(gm, "converged_")


def holed(X, fraction, seed):
    out = X.copy()
    out[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return out


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_first_partial_fit_call_with_holes_is_one_em_step_with_holes(cov_type):
    X = holed(blobs(), 0.2, seed=1)
    kw = dict(n_components=3, covariance_type=cov_type, random_state=0, missing="marginalize")
    online = GaussianMixture(**kw).partial_fit(X)
    batch = GaussianMixture(max_iter=1, tol=0, **kw).fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(getattr(online, name), getattr(batch, name),
                                   rtol=1e-10, atol=1e-12)


def test_partial_fit_with_holes_follows_a_stream_and_tolerates_an_unobserved_column():
    """A stream with 20% of its entries missing reaches the holed batch fit's answer.

    Tolerances as in test_partial_fit_on_a_stream_approaches_the_batch_mle,
    doubled for the information the holes take away; one batch has its first
    column entirely missing, which a later batch may (its summaries are about
    the first batch's centre).
    """
    batches = [holed(b, 0.2, seed=t) for t, b in enumerate(stream(200, 500, seed=4))]
    batches[50][:, 0] = np.nan
    gm = GaussianMixture(3, random_state=0, missing="marginalize")
    for batch in batches:
        gm.partial_fit(batch)
    mle = GaussianMixture(3, random_state=0, tol=1e-10, max_iter=1000, missing="marginalize").fit(
        np.concatenate(batches))
    err_w, err_m, err_c = errors(gm, mle)
    assert err_w < 0.05 and err_m < 0.16 and err_c < 0.2
    with pytest.raises(ValueError, match="missing='marginalize'"):
        GaussianMixture(3, random_state=0).partial_fit(batches[0])
    with pytest.raises(ValueError, match="never observed"):  # the first batch sets the centre
        GaussianMixture(3, random_state=0, missing="marginalize").partial_fit(batches[50])
