"""emcore.bootstrap_lrt: p-values, reproducibility, power and size on simulations.

The comparison with R's mclust (``mclustBootstrapLRT``) is in ``tests/mclust``.
"""

import numpy as np
import pytest

from emcore import bootstrap_lrt
from emcore.mixture import BootstrapLRT


@pytest.fixture(scope="module")
def two_clusters():
    rng = np.random.default_rng(1)
    return np.r_[rng.normal(-3, 1, 120), rng.normal(3, 1, 80)][:, None]


@pytest.fixture(scope="module")
def result(two_clusters):
    return bootstrap_lrt(two_clusters, "full", 3, n_bootstrap=99, random_state=0, n_jobs=1)


def test_two_components_reject_one_and_are_not_rejected_by_three(result):
    # the 2-component truth: 1 vs 2 rejected with the smallest p-value 99 replicates allow
    # (every replicate below the observed statistic), 2 vs 3 not rejected at 0.05
    assert isinstance(result, BootstrapLRT)
    assert result.n_components.tolist() == [1, 2]
    assert result.p_values[0] == pytest.approx(1 / 100)
    assert result.replicates[:, 0].max() < result.observed[0]
    assert result.p_values[1] > 0.05


def test_p_values_are_the_share_of_replicates_at_least_the_observed(result):
    assert result.replicates.shape == (99, 2)
    assert np.all((result.p_values > 0) & (result.p_values <= 1))
    for j in range(2):
        count = np.sum(result.replicates[:, j] >= result.observed[j])
        assert result.p_values[j] == pytest.approx((1 + count) / 100)


def test_observed_statistic_is_twice_the_log_likelihood_gain(result, two_clusters):
    # the observed statistics against the fitted models' own scores
    n = two_clusters.shape[0]
    lls = [m.score(two_clusters) * n for m in result.models]
    np.testing.assert_allclose(result.log_likelihoods, lls, rtol=1e-12)
    np.testing.assert_allclose(result.observed, 2 * np.diff(lls), rtol=1e-10)


def test_same_result_for_every_n_jobs(result, two_clusters):
    other = bootstrap_lrt(two_clusters, "full", 3, n_bootstrap=99, random_state=0, n_jobs=2)
    np.testing.assert_array_equal(other.replicates, result.replicates)
    np.testing.assert_array_equal(other.p_values, result.p_values)


def test_sequential_rule_stops_at_the_first_non_rejection(two_clusters):
    # without max_components the tests go on while rejected (mclust's maxG = NULL)
    lrt = bootstrap_lrt(two_clusters, "spherical", n_bootstrap=19, random_state=0)
    assert lrt.p_values[:-1].max() <= 0.05 < lrt.p_values[-1]
    assert len(lrt.models) == len(lrt.observed) + 1


def test_an_mclust_name_and_the_summary(two_clusters):
    X = np.c_[two_clusters, np.random.default_rng(2).normal(size=len(two_clusters))]
    lrt = bootstrap_lrt(X, "EEV", 2, n_bootstrap=9, random_state=0)
    assert lrt.models[1].covariances_.shape == (2, 2, 2)
    text = lrt.summary()
    assert "Model = EEV, replicates = 9" in text and "1 vs 2" in text
    assert f"{lrt.observed[0]:.4f}" in text


@pytest.mark.parametrize("kwargs, match", [
    ({"max_components": 1}, "max_components"),
    ({"n_bootstrap": 0}, "n_bootstrap"),
    ({"level": 1.5}, "level"),
    ({"covariance_type": "XYZ"}, "covariance_type"),
])
def test_bad_arguments_are_named(two_clusters, kwargs, match):
    args = {"covariance_type": "full", "max_components": 3, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        bootstrap_lrt(two_clusters, **args)
