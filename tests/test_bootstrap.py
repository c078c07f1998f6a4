"""The bootstrap, and the coverage of the intervals the standard errors give."""

import numpy as np
import pytest

from emcore import GaussianHMM, GaussianMixture, bootstrap
from emcore.resampling import _match, _permuted


def _mixture_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < 0.3
    return np.where(z, rng.normal(-2.0, 0.7, n), rng.normal(1.5, 1.0, n))[:, None]


def _fit(X):
    return GaussianMixture(2, covariance_type="diag", tol=1e-10, max_iter=3000, reg_covar=0.0,
                           random_state=0).fit(X)


def test_parametric_bootstrap_agrees_with_the_observed_information():
    X = _mixture_data()
    gm = _fit(X)
    boot = bootstrap(gm, X, n_boot=120, kind="parametric", random_state=0)
    se = gm.standard_errors(X)
    assert boot.n_failed == 0 and boot.replicates["means_"].shape == (120, 2, 1)
    # 120 replicates estimate a standard deviation to about 7%: allow 25%
    for key in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(boot.se[key], se[key], rtol=0.25)
    low, high = boot.interval(0.9)["means_"]
    assert np.all(low < gm.means_) and np.all(gm.means_ < high)


def test_replicates_do_not_depend_on_the_number_of_threads():
    X = _mixture_data(n=200)
    gm = _fit(X)
    one = bootstrap(gm, X, n_boot=8, random_state=3, n_jobs=1)
    two = bootstrap(gm, X, n_boot=8, random_state=3, n_jobs=2)
    for key in one.replicates:
        np.testing.assert_array_equal(one.replicates[key], two.replicates[key])


def test_matching_undoes_a_relabelling():
    reference = {"means_": np.array([[0.0], [5.0], [9.0]]), "weights_": np.array([.2, .3, .5]),
                 "transmat_": np.arange(9.0).reshape(3, 3)}
    order = np.array([2, 0, 1])
    relabelled = {"means_": reference["means_"][order] + 0.1,
                  "weights_": reference["weights_"][order],
                  "transmat_": reference["transmat_"][np.ix_(order, order)]}
    back = _permuted(relabelled, _match(reference, relabelled), shared_covariance=False)
    np.testing.assert_allclose(back["means_"], reference["means_"] + 0.1)
    np.testing.assert_array_equal(back["weights_"], reference["weights_"])
    np.testing.assert_array_equal(back["transmat_"], reference["transmat_"])


def test_hmm_bootstrap_resamples_whole_sequences():
    truth = GaussianHMM(2, max_iter=0, startprob_init=[0.5, 0.5],
                        transmat_init=[[0.9, 0.1], [0.2, 0.8]], means_init=[[0.0], [2.0]],
                        covariances_init=[[1.0], [0.5]]).fit(np.zeros((2, 1)))
    lengths = [60, 80, 100, 120]
    X = np.concatenate([truth.sample(n, random_state=i)[0] for i, n in enumerate(lengths)])
    hmm = GaussianHMM(2, tol=1e-6, max_iter=500, random_state=0).fit(X, lengths)
    boot = bootstrap(hmm, X, lengths, n_boot=10, random_state=0)
    assert set(boot.se) == {"startprob_", "transmat_", "means_", "covariances_"}
    assert boot.replicates["transmat_"].shape == (10 - boot.n_failed, 2, 2)
    np.testing.assert_allclose(boot.replicates["transmat_"].sum(axis=2), 1.0)
    assert np.all(np.isfinite(boot.se["means_"])) and np.all(boot.se["means_"] > 0)


def test_bad_arguments_are_named():
    X = _mixture_data(n=100)
    with pytest.raises(TypeError, match="fitted"):
        bootstrap(GaussianMixture(2), X)
    gm = _fit(X)
    with pytest.raises(ValueError, match="kind"):
        bootstrap(gm, X, kind="jackknife")
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(gm, X, n_boot=1)
    with pytest.raises(ValueError, match="level"):
        bootstrap(gm, X, n_boot=3, random_state=0).interval(1.5)


def test_information_intervals_cover_the_truth_about_95_percent_of_the_time():
    # 200 data sets from a known mixture: the Monte Carlo standard error of a coverage
    # of 0.95 is 0.015, so 0.90-0.99 is three of them either side
    truth = GaussianMixture(2, covariance_type="diag", max_iter=0, weights_init=[0.3, 0.7],
                            means_init=[[-2.0], [1.5]], precisions_init=[[2.0], [1.0]],
                            random_state=0).fit(np.zeros((4, 1)))
    covered = []
    for seed in range(200):
        X = truth.sample(300, random_state=seed)[0]
        gm = GaussianMixture(2, covariance_type="diag", tol=1e-8, max_iter=2000, reg_covar=0.0,
                             means_init=[[-2.0], [1.5]]).fit(X)
        se = gm.standard_errors(X)["means_"][:, 0]
        covered.append(np.abs(gm.means_[:, 0] - [-2.0, 1.5]) < 1.96 * se)
    coverage = np.mean(covered, axis=0)
    assert np.all((0.90 <= coverage) & (coverage <= 0.99)), coverage


def test_hmm_information_intervals_cover_the_truth_about_95_percent_of_the_time():
    truth = GaussianHMM(2, max_iter=0, startprob_init=[0.5, 0.5],
                        transmat_init=[[0.9, 0.1], [0.2, 0.8]], means_init=[[0.0], [2.0]],
                        covariances_init=[[1.0], [0.5]]).fit(np.zeros((2, 1)))
    start = dict(startprob_init=[0.5, 0.5], transmat_init=[[0.9, 0.1], [0.2, 0.8]],
                 means_init=[[0.0], [2.0]], covariances_init=[[1.0], [0.5]])
    covered = []
    for seed in range(200):
        X = truth.sample(400, random_state=seed)[0]
        hmm = GaussianHMM(2, tol=1e-5, max_iter=2000, **start).fit(X)
        se = hmm.standard_errors(X)
        covered.append(np.r_[np.abs(hmm.means_[:, 0] - [0.0, 2.0]) < 1.96 * se["means_"][:, 0],
                             abs(hmm.transmat_[0, 0] - 0.9) < 1.96 * se["transmat_"][0, 0]])
    coverage = np.mean(covered, axis=0)
    assert np.all((0.90 <= coverage) & (coverage <= 0.99)), coverage


@pytest.mark.parametrize("kind", ["nonparametric", "parametric"])
def test_an_emission_hmm_bootstraps_as_its_built_in_twin(kind):
    # EmissionHMM(PoissonEmissions) fits as PoissonHMM does (tests/hmm/test_emission_api.py), so
    # with the same seeds its replicates, matched and reordered by the emission's own permuted,
    # give the same standard errors; a flat emission vector must be matched as K blocks
    from emcore import PoissonHMM
    from emcore.hmm import EmissionHMM, PoissonEmissions

    truth = PoissonHMM.from_params(startprob=[0.7, 0.3], transmat=[[0.9, 0.1], [0.2, 0.8]],
                                   lambdas=[[1.0, 5.0], [6.0, 0.5]])
    X, _ = truth.sample(300, random_state=4)
    lengths = [100, 100, 100]
    start = dict(startprob_init=[0.5, 0.5], transmat_init=[[0.6, 0.4], [0.3, 0.7]])
    rates = np.array([[2.0, 3.0], [4.0, 1.0]])
    ours = EmissionHMM(PoissonEmissions(2, 2), tol=1e-9, max_iter=200,
                       emission_params_init=rates.ravel(), **start).fit(X, lengths)
    twin = PoissonHMM(2, tol=1e-9, max_iter=200, lambdas_init=rates, **start).fit(X, lengths)
    a = bootstrap(ours, X, lengths, n_boot=12, kind=kind, random_state=3, n_jobs=1)
    b = bootstrap(twin, X, lengths, n_boot=12, kind=kind, random_state=3, n_jobs=1)
    assert a.n_failed == b.n_failed == 0
    np.testing.assert_allclose(a.se["emission_params_"], b.se["lambdas_"].ravel(), rtol=1e-6)
    np.testing.assert_allclose(a.se["transmat_"], b.se["transmat_"], rtol=1e-6)
    # every replicate's states in the original's order: rates near the fit's, not swapped
    for replicate in a.replicates["emission_params_"]:
        assert np.abs(replicate - ours.emission_params_).max() < 2.5


def test_a_flat_emission_vector_is_matched_as_k_blocks():
    reference = {"transmat_": np.eye(2), "emission_params_": np.array([1.0, 2.0, 9.0, 8.0])}
    swapped = {"transmat_": np.eye(2), "emission_params_": np.array([9.1, 8.1, 1.1, 2.1])}
    order = _match(reference, swapped)
    np.testing.assert_array_equal(order, [1, 0])
    back = _permuted(swapped, order, False,
                     lambda v, o: v.reshape(2, -1)[o].ravel())
    np.testing.assert_allclose(back["emission_params_"], [1.1, 2.1, 9.1, 8.1])
