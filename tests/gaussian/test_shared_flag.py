"""``is_shared`` follows from a type's shapes, so a type of one's own cannot get it wrong silently.

A shared covariance (one for all components) must stay in place when the bootstrap
reorders a replicate's components to match the fit's; reordering a shared diagonal
(d,) with ``d == K`` would swap its features instead, without an error. ``SharedDiag``
(mclust's EEI stored as one (d,) vector) leaves ``is_shared`` at the base's default.
"""

import numpy as np
import pytest

import emcore
from emcore import GaussianMixture, resampling
from emcore.gaussian import CovarianceType, covariance_model
from emcore.gaussian.covariance import COVARIANCE_TYPES


class SharedDiag(CovarianceType):
    """One diagonal covariance (d,) for every component; ``is_shared`` not set."""

    def cov_shape(self, k, d):
        return (d,)

    def n_cov_parameters(self, k, d):
        return d

    def precision_cholesky(self, cov):
        if np.any(~(cov > 0)):
            raise np.linalg.LinAlgError("a variance is not positive")
        return 1.0 / np.sqrt(cov)

    def from_precisions(self, prec):
        return 1.0 / prec, self.precision_cholesky(1.0 / prec)

    def precisions(self, chol):
        return chol**2

    def half_log_det(self, chol, k, d):
        return np.full(k, np.sum(np.log(chol)))

    def whiten(self, diff, chol, j):
        return diff * chol

    def add_centred(self, second, j, diff, r):
        second += (diff * diff) @ r

    def outer(self, a, b):
        return np.sum(a * b, axis=0)

    def covariances(self, m2, n, n_guarded, delta, reg):
        bare = (m2 - (2 * n_guarded - n) @ delta**2) / n_guarded.sum()
        return bare + reg, bare

    def relative_spread(self, bare, means):
        ratio = bare / (np.maximum(bare, 0.0) + np.max(means**2, axis=0))
        return np.full(len(means), np.min(np.where(bare > 0, ratio, 0.0)))

    def scatter_trace(self, chol, n, first, m2, delta):
        return float(chol**2 @ (m2 - 2 * np.sum(delta * first, axis=0) + n @ delta**2))

    def scaled_noise(self, z, covariances, j):
        return z * np.sqrt(covariances)


def _data():
    rng = np.random.default_rng(0)
    sd = np.array([1.0, 0.5])
    return np.vstack([rng.normal([0, 0], sd, (150, 2)), rng.normal([4, 2], sd, (100, 2))])


def test_the_flags_follow_from_the_shapes():
    assert SharedDiag().is_shared and not SharedDiag().is_matrix
    expected = {"full": (False, True), "tied": (True, True), "diag": (False, False),
                "spherical": (False, False)}
    assert {name: (covariance_model(name).is_shared, covariance_model(name).is_matrix)
            for name in COVARIANCE_TYPES} == expected
    assert not covariance_model("EEI").is_shared  # mclust's models store one matrix each


@pytest.mark.parametrize("flag", ["is_shared", "is_matrix"])
def test_a_flag_set_against_the_shapes_is_refused_by_name(flag):
    wrong = type("Wrong", (SharedDiag,), {flag: not getattr(SharedDiag(), flag)})()
    with pytest.raises(TypeError, match=f"Wrong sets {flag} = "):
        GaussianMixture(2, covariance_type=wrong).fit(_data())
    consistent = type("Stated", (SharedDiag,), {flag: getattr(SharedDiag(), flag)})()
    assert covariance_model(consistent) is consistent


def test_bootstrap_keeps_a_shared_covariance_in_place_when_it_reorders(monkeypatch):
    # white-box: every replicate's components matched in reverse order
    monkeypatch.setattr(resampling, "_match", lambda reference, values: np.array([1, 0]))
    X = _data()
    gm = GaussianMixture(2, covariance_type=SharedDiag(), random_state=0).fit(X)
    assert gm.covariances_[0] > 2 * gm.covariances_[1]  # sd 1 and 0.5 within the clusters
    boot = emcore.bootstrap(gm, X, n_boot=5, random_state=0)
    means, covs = boot.replicates["means_"], boot.replicates["covariances_"]
    order = np.argsort(gm.means_[:, 0])
    assert np.all(means[:, order[1], 0] < means[:, order[0], 0])  # the means were reversed
    assert np.all(covs[:, 0] > 2 * covs[:, 1])  # the shared variances were not


def test_bootstrap_standard_errors_equal_those_of_mclusts_eei():
    # numerical: from the same fitted values, the replicates refit the same model as EEI
    # (one diagonal matrix per component, all equal), whose covariances the bootstrap may
    # reorder harmlessly; this fit's two components nearly coincide, so the matching of a
    # replicate's components to the fit's reorders them
    X = _data()
    gm = GaussianMixture(2, covariance_type=SharedDiag(), init_params="random",
                         random_state=0).fit(X)
    eei = GaussianMixture(2, covariance_type="EEI", weights_init=gm.weights_,
                          means_init=gm.means_,
                          precisions_init=np.array([np.diag(1 / gm.covariances_)] * 2)).fit(X)
    np.testing.assert_allclose(np.diag(eei.covariances_[0]), gm.covariances_, rtol=1e-4)
    se = emcore.bootstrap(gm, X, n_boot=10, random_state=1).se["covariances_"]
    se_eei = emcore.bootstrap(eei, X, n_boot=10, random_state=1).se["covariances_"]
    np.testing.assert_allclose(se, np.diag(se_eei[0]), rtol=0.02)
    assert se[0] > 2 * se[1]  # the features' errors differ, so a swap cannot pass
