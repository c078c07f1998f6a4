"""Starting points: k-means, k-means++, random, explicit values and responsibilities."""

import numpy as np
import pytest

from emcore import GaussianMixture

from .conftest import COV_TYPES, explicit_init

TRUE_MEANS = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]])


@pytest.fixture
def separated():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(50, 2)) * 0.7 + m for m in TRUE_MEANS])
    return X[rng.permutation(len(X))]


def sorted_means(gm):
    """The fitted means in the order of TRUE_MEANS (each matched to its nearest)."""
    nearest = [int(np.argmin(np.sum((gm.means_ - m) ** 2, axis=1))) for m in TRUE_MEANS]
    assert sorted(nearest) == list(range(len(TRUE_MEANS)))
    return gm.means_[nearest]


@pytest.mark.parametrize("method", ["kmeans", "k-means++"])
def test_hard_inits_on_separated_clusters_start_near_the_cluster_means(separated, method):
    # Lloyd's iterations, or one k-means++ seed per cluster, label each cluster as a whole
    gm = GaussianMixture(4, init_params=method, max_iter=0, random_state=3).fit(separated)
    np.testing.assert_allclose(sorted_means(gm), TRUE_MEANS, atol=0.3)


def test_random_from_data_start_is_refined_by_em_to_the_cluster_means(separated):
    gm = GaussianMixture(4, init_params="random_from_data", max_iter=0,
                         random_state=3).fit(separated)
    start = gm.means_.copy()
    gm.set_params(max_iter=200, tol=1e-8).fit(separated)
    assert gm.converged_ and not np.allclose(start, gm.means_)
    np.testing.assert_allclose(sorted_means(gm), TRUE_MEANS, atol=0.3)


@pytest.mark.parametrize("method", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_init_method_reaches_the_separated_solution_with_restarts(separated, method):
    gm = GaussianMixture(4, init_params=method, n_init=4, tol=1e-8, max_iter=1000,
                         random_state=0).fit(separated)
    np.testing.assert_allclose(sorted_means(gm), TRUE_MEANS, atol=0.3)


def test_random_init_starts_all_means_near_the_data_mean(separated):
    gm = GaussianMixture(4, init_params="random", max_iter=0, random_state=0).fit(separated)
    np.testing.assert_allclose(gm.means_, np.broadcast_to(separated.mean(0), (4, 2)), atol=1.0)


@pytest.mark.parametrize("method", ["kmeans", "k-means++", "random", "random_from_data"])
def test_same_seed_same_fit(separated, method):
    a = GaussianMixture(3, init_params=method, random_state=7).fit(separated)
    b = GaussianMixture(3, init_params=method, random_state=7).fit(separated)
    np.testing.assert_array_equal(a.means_, b.means_)


@pytest.mark.parametrize("method", ["kmeans", "k-means++", "random", "random_from_data"])
def test_a_generator_is_drawn_from_like_its_seed(separated, method):
    # max_iter=0 keeps the random start, which differs from seed to seed
    def start(random_state):
        return GaussianMixture(3, init_params=method, max_iter=0,
                               random_state=random_state).fit(separated)

    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    from_rng = start(rng).means_
    assert rng.bit_generator.state != state  # the draws came from the Generator passed
    np.testing.assert_array_equal(from_rng, start(np.random.default_rng(1)).means_)
    np.testing.assert_array_equal(from_rng, start(1).means_)  # an int seeds default_rng
    assert not np.array_equal(from_rng, start(np.random.default_rng(2)).means_)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_resp_init_is_turned_into_parameters_by_one_m_step(separated, cov_type):
    rng = np.random.default_rng(1)
    resp = rng.uniform(size=(len(separated), 3))
    resp /= resp.sum(1, keepdims=True)
    gm = GaussianMixture(3, covariance_type=cov_type, resp_init=resp * 5, max_iter=0,
                         reg_covar=1e-4).fit(separated)
    n_k = resp.sum(0)
    means = resp.T @ separated / n_k[:, None]
    np.testing.assert_allclose(gm.weights_, n_k / n_k.sum(), rtol=1e-13)
    np.testing.assert_allclose(gm.means_, means, rtol=1e-12)
    scatter = np.stack([(resp[:, j, None] * (separated - means[j])).T @ (separated - means[j])
                        for j in range(3)])
    full = scatter / n_k[:, None, None] + 1e-4 * np.eye(2)
    expected = {"full": full, "tied": scatter.sum(0) / n_k.sum() + 1e-4 * np.eye(2),
                "diag": np.diagonal(full, axis1=1, axis2=2),
                "spherical": np.diagonal(full, axis1=1, axis2=2).mean(1)}[cov_type]
    np.testing.assert_allclose(gm.covariances_, expected, rtol=1e-12)


def test_means_init_alone_assigns_samples_to_the_nearest_mean(separated):
    gm = GaussianMixture(4, means_init=TRUE_MEANS + 0.5, max_iter=0).fit(separated)
    np.testing.assert_allclose(gm.means_, TRUE_MEANS + 0.5)
    np.testing.assert_allclose(gm.weights_, 0.25, atol=1e-12)  # 50 samples in each cluster
    assert np.all(np.abs(gm.covariances_ - 0.49 * np.eye(2)) < 0.25)


def test_given_inits_override_estimated_ones(separated):
    init = explicit_init(separated, 4, "diag")
    gm = GaussianMixture(4, covariance_type="diag", weights_init=init["weights_init"],
                         precisions_init=init["precisions_init"], max_iter=0,
                         random_state=0).fit(separated)
    np.testing.assert_allclose(gm.weights_, init["weights_init"])
    np.testing.assert_allclose(gm.precisions_, init["precisions_init"])


def test_weighted_kmeans_start_equals_the_start_on_repeated_rows(separated):
    w = np.random.default_rng(2).integers(1, 4, size=len(separated))
    a = GaussianMixture(4, max_iter=0, random_state=5).fit(separated, sample_weight=w)
    b = GaussianMixture(4, max_iter=0, random_state=5).fit(np.repeat(separated, w, axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)


def test_zero_weight_rows_are_absent_even_from_the_kmeans_start(separated):
    junk = np.full((30, 2), 1e3)
    w = np.r_[np.ones(len(separated)), np.zeros(30)]
    a = GaussianMixture(4, random_state=5, tol=1e-8).fit(np.concatenate([separated, junk]),
                                                         sample_weight=w)
    b = GaussianMixture(4, random_state=5, tol=1e-8).fit(separated)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    np.testing.assert_allclose(a.log_likelihood_history_, b.log_likelihood_history_, rtol=1e-12)


def test_random_start_does_not_depend_on_the_chunking(separated, monkeypatch):
    from emcore.mixture import _data

    X = np.tile(separated, (30, 1))  # 6000 rows: more than one block of random responsibilities
    a = GaussianMixture(4, init_params="random", max_iter=0, random_state=3).fit(X)
    data = _data.MixtureData(X, None, "full", 4)
    assert data.chunk_size < len(X)
    real = _data.MixtureData.__init__

    def one_chunk(self, *args, **kwargs):
        real(self, *args, **kwargs)
        self.chunk_size = self.max_chunk = len(X)

    monkeypatch.setattr(_data.MixtureData, "__init__", one_chunk)
    b = GaussianMixture(4, init_params="random", max_iter=0, random_state=3).fit(X)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-12)
