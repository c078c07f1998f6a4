"""A covariance type written against the abstract base alone runs end to end on the reference path.

``EqualSpherical`` is mclust's EII: one variance shared by every component
and every feature. It defines the dozen abstract methods of
:class:`emcore.gaussian.covariance.CovarianceType` and nothing else.
"""

import math

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.gaussian import reference
from emcore.gaussian.covariance import CovarianceType


class EqualSpherical(CovarianceType):
    """``Sigma_k = s I`` for every component: one number, stored with shape ()."""

    is_shared = True

    def cov_shape(self, k, d):
        return ()

    def n_cov_parameters(self, k, d):
        return 1

    def precision_cholesky(self, cov):
        if not cov > 0:
            raise np.linalg.LinAlgError("the variance is not positive")
        return np.asarray(1.0 / math.sqrt(cov))

    def from_precisions(self, prec):
        return np.asarray(1.0 / prec), self.precision_cholesky(1.0 / prec)

    def precisions(self, chol):
        return chol**2

    def half_log_det(self, chol, k, d):
        return np.full(k, d * math.log(chol))

    def whiten(self, diff, chol, j):
        return diff * chol

    def add_centred(self, second, j, diff, r):
        second += np.dot(np.einsum("ij,ij->j", diff, diff), r)

    def outer(self, a, b):
        return np.einsum("kj,kj->", a, b)

    def covariances(self, m2, n, n_guarded, delta, reg):
        d = delta.shape[1]
        scatter = m2 - np.einsum("k,kj,kj->", 2 * n_guarded - n, delta, delta)
        cov = scatter / (n_guarded.sum() * d)
        return np.asarray(cov + reg), np.asarray(cov)

    def relative_spread(self, bare, means):
        # one variance for every feature and component: round-off of the farthest mean's
        return np.full(len(means), bare / (bare + np.mean(means**2, axis=1).max()))

    def scatter_trace(self, chol, n, first, m2, delta):
        cross = np.einsum("k,kj,kj->", n, delta, delta)
        return float(chol**2 * (m2 - 2 * np.sum(delta * first) + cross))

    def scaled_noise(self, z, covariances, j):
        return z * math.sqrt(covariances)


def _data():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(c, 1.0, size=(150, 2)) for c in ([0, 0], [5, 1], [1, 6])])


def test_fit_score_predict_sample_and_bic_run_on_the_reference_path():
    X = _data()
    gm = GaussianMixture(3, covariance_type=EqualSpherical(), tol=1e-10, max_iter=500,
                         random_state=0)
    gm.fit(X)
    assert "covariance_type=EqualSpherical()" in repr(gm)  # not <... object at 0x...>
    assert gm.converged_ and np.all(np.diff(gm.log_likelihood_history_) >= -1e-9)
    assert np.shape(gm.covariances_) == ()
    # the fitted point is EM's fixed point: the shared variance is the pooled scatter
    resp, log_px = reference.responsibilities(X, gm.weights_, gm.means_, gm.precisions_cholesky_,
                                              EqualSpherical())
    means = resp.T @ X / resp.sum(axis=0)[:, None]
    pooled = sum(resp[:, j] @ np.sum((X - means[j]) ** 2, axis=1) for j in range(3)) / (2 * len(X))
    np.testing.assert_allclose(gm.means_, means, rtol=1e-6, atol=1e-6)
    assert float(gm.covariances_) == pytest.approx(pooled + 1e-6, rel=1e-6)
    assert gm.score(X) == pytest.approx(log_px.mean(), rel=1e-12)
    np.testing.assert_allclose(gm.predict_proba(X), resp, atol=1e-12)
    np.testing.assert_array_equal(gm.predict(X), resp.argmax(axis=1))
    n_parameters = 2 + 3 * 2 + 1  # weights, means, one variance
    want = -2 * log_px.sum() + n_parameters * math.log(len(X))
    assert gm.bic(X) == pytest.approx(want, rel=1e-12)
    Y, labels = gm.sample(2000)
    assert Y.shape == (2000, 2) and set(labels) <= {0, 1, 2}
    spread = np.mean([np.var(Y[labels == j] - gm.means_[j]) for j in range(3)])
    assert spread == pytest.approx(float(gm.covariances_), rel=0.1)


def test_missing_entries_and_priors_need_the_built_in_methods():
    X = _data()
    with pytest.raises(ValueError, match="missing='marginalize' needs"):
        GaussianMixture(3, covariance_type=EqualSpherical(), missing="marginalize").fit(X)
    with pytest.raises(ValueError, match="prior='default' needs"):
        GaussianMixture(3, covariance_type=EqualSpherical(), prior="default").fit(X)


def test_standard_errors_of_a_type_of_ones_own_equal_the_built_in_model_it_restates():
    # EqualSpherical is mclust's EII: from the same fitted values, the observed-information
    # standard errors must agree (its one variance is a free coordinate as it stands)
    X = _data()
    ours = GaussianMixture(3, covariance_type=EqualSpherical(), tol=1e-12, max_iter=2000,
                           reg_covar=0.0, random_state=0).fit(X)
    start = dict(weights_init=ours.weights_, means_init=ours.means_,
                 precisions_init=np.stack([np.eye(2) / float(ours.covariances_)] * 3))
    eii = GaussianMixture(3, covariance_type="EII", tol=1e-12, max_iter=2000, reg_covar=0.0,
                          **start).fit(X)
    np.testing.assert_allclose(eii.means_, ours.means_, rtol=1e-5)  # the same maximum
    got, want = ours.standard_errors(X), eii.standard_errors(X)
    for name in ("weights_", "means_"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5)
    assert float(np.ravel(got["covariances_"])[0]) == pytest.approx(
        float(np.ravel(want["covariances_"])[0]), rel=1e-5)
