"""Known maximum-likelihood fits of the Old Faithful data.

Anchors from the "Known values" table of emcore/data/README.md:
maximum likelihood found from several starts with a tight tolerance.
"""

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.datasets import load_faithful


def fit(X, **kw):
    return GaussianMixture(2, tol=1e-12, max_iter=2000, n_init=3, random_state=0, **kw).fit(X)


def test_waiting_two_components_reproduces_the_known_fit():
    waiting = load_faithful()[:, [1]]
    gm = fit(waiting)
    order = np.argsort(gm.means_.ravel())
    assert gm.log_likelihood_history_[-1] == pytest.approx(-1034.0017, abs=1e-3)
    np.testing.assert_allclose(gm.weights_[order], [0.36089, 0.63911], atol=1e-5)
    np.testing.assert_allclose(gm.means_.ravel()[order], [54.6149, 80.0911], atol=1e-4)
    np.testing.assert_allclose(np.sqrt(gm.covariances_.ravel()[order]), [5.8713, 5.8677], atol=1e-4)


@pytest.mark.parametrize("cov_type", ["full", "diag", "spherical"])
def test_one_dimensional_fit_is_the_same_for_every_per_component_type(cov_type):
    gm = fit(load_faithful()[:, [1]], covariance_type=cov_type)
    assert gm.log_likelihood_history_[-1] == pytest.approx(-1034.0017, abs=1e-3)


def test_both_columns_full_covariances_reproduce_the_known_log_likelihood():
    gm = fit(load_faithful())
    assert gm.log_likelihood_history_[-1] == pytest.approx(-1130.2640, abs=1e-3)
    assert gm.lower_bound_ * 272 == pytest.approx(gm.log_likelihood_history_[-1], rel=1e-14)
    assert gm.converged_
