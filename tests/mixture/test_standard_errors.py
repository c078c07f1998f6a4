"""Standard errors of a fitted GaussianMixture: on the simplex, checked three ways."""

import numpy as np
import pytest

from emcore import GaussianMixture, em_rate, standard_errors
from emcore.mixture._problem import mclust_span


def _two_components(n=400, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < 0.3
    return np.where(z, rng.normal(-2.0, 0.7, n), rng.normal(1.5, 1.0, n))[:, None]


@pytest.fixture(scope="module")
def fitted():
    X = _two_components()
    gm = GaussianMixture(2, covariance_type="diag", tol=1e-12, max_iter=5000, reg_covar=0.0,
                         random_state=0).fit(X)
    return gm, X


def _logit_standard_errors(gm, X):
    """The same SEs by another route: a logit weight, log-variances, own differences."""
    model, _ = gm.em_problem(X)

    def theta(u):
        w0 = 1 / (1 + np.exp(-u[0]))
        return np.r_[w0, 1 - w0, u[1:3], np.exp(u[3:5])]

    w = gm.weights_
    u_hat = np.r_[np.log(w[0] / w[1]), gm.means_[:, 0], np.log(gm.covariances_[:, 0])]
    f = lambda u: model.log_likelihood(theta(u))
    h, p = 1e-4, u_hat.size
    hess = np.array([[(f(u_hat + a + b) - f(u_hat + a - b) - f(u_hat - a + b) + f(u_hat - a - b))
                      / (4 * h * h) for b in np.eye(p) * h] for a in np.eye(p) * h])
    jac = np.column_stack([(theta(u_hat + e) - theta(u_hat - e)) / (2 * h)
                           for e in np.eye(p) * h])
    return np.sqrt(np.diag(jac @ np.linalg.inv(-hess) @ jac.T))


def test_standard_errors_equal_those_of_a_logit_parametrisation(fitted):
    gm, X = fitted
    se = gm.standard_errors(X)
    flat = np.r_[se["weights_"], se["means_"].ravel(), se["covariances_"].ravel()]
    np.testing.assert_allclose(flat, _logit_standard_errors(gm, X), rtol=2e-3)
    assert se["weights_"][0] == pytest.approx(se["weights_"][1], rel=1e-9)
    assert se["boundary"] == []


def test_standard_errors_agree_with_a_parametric_bootstrap(fitted):
    gm, X = fitted
    se = gm.standard_errors(X)["means_"][:, 0]
    order = np.argsort(gm.means_[:, 0])
    means = []
    for seed in range(100):
        Xb = gm.sample(len(X), random_state=seed)[0]
        fit = GaussianMixture(2, covariance_type="diag", tol=1e-8, max_iter=2000,
                              means_init=gm.means_, weights_init=gm.weights_,
                              precisions_init=1 / gm.covariances_).fit(Xb)
        means.append(np.sort(fit.means_[:, 0]))
    boot = np.std(means, axis=0, ddof=1)
    # 100 replicates estimate a standard deviation to about 7%: allow 25%
    np.testing.assert_allclose(boot, se[order], rtol=0.25)


def test_one_full_component_gives_the_normal_standard_errors():
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([0.0, 1.0], [[2.0, 0.6], [0.6, 1.0]], size=500)
    gm = GaussianMixture(1, covariance_type="full", reg_covar=0.0).fit(X)
    s = gm.covariances_[0]
    se = gm.standard_errors(X)
    np.testing.assert_allclose(se["means_"][0], np.sqrt(np.diag(s) / 500), rtol=1e-5)
    expected = np.sqrt((s**2 + np.outer(np.diag(s), np.diag(s))) / 500)
    np.testing.assert_allclose(se["covariances_"][0], expected, rtol=1e-4)


@pytest.mark.parametrize("covariance_type", ["spherical", "diag", "tied", "full"])
def test_every_covariance_type_has_finite_standard_errors_in_its_shape(covariance_type):
    X = np.column_stack([_two_components(seed=1)[:, 0], _two_components(seed=2)[:, 0]])
    gm = GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0, tol=1e-10,
                         max_iter=3000, random_state=0).fit(X)
    se = gm.standard_errors(X)
    assert se["covariances_"].shape == np.shape(gm.covariances_)
    assert all(np.isfinite(se[key]).all() for key in ("weights_", "means_", "covariances_"))
    result = standard_errors(*gm.em_problem(X))
    assert result.parametrization == "free"
    assert 0 < em_rate(*gm.em_problem(X)).rate < 1


def test_the_problem_refuses_points_outside_the_parameter_space(fitted):
    gm, X = fitted
    model, theta = gm.em_problem(X)
    off = theta.copy()
    off[0] *= 1.05
    with pytest.raises(ValueError, match="sum to 1"):
        model.log_likelihood(off)
    with pytest.raises(ValueError, match="NaN"):
        gm.em_problem(np.where(np.arange(len(X))[:, None] == 3, np.nan, X))


@pytest.mark.parametrize("curved", ["VEI", "EVI", "VEE", "EVE", "VVE", "EEV", "VEV", "EVV"])
def test_curved_mclust_models_have_standard_errors(curved):
    # their agreement with a Hessian in another chart: tests/mclust/test_standard_errors_iterative
    X = np.column_stack([_two_components(seed=1)[:, 0], _two_components(seed=2)[:, 0]])
    gm = GaussianMixture(2, covariance_type=curved, reg_covar=0, tol=1e-10, max_iter=2000,
                         random_state=0).fit(X)
    se = gm.standard_errors(X)
    assert np.all(np.isfinite(se["means_"])) and np.all(se["weights_"] > 0)
    assert np.all(np.diagonal(se["covariances_"], axis1=1, axis2=2) > 0)
    with pytest.raises(ValueError, match="curved"):
        mclust_span(curved, 2, 2)
    default = GaussianMixture(2, covariance_type=curved, random_state=0).fit(X)
    assert 0 < em_rate(*default.em_problem(X)).rate < 1     # em_problem itself works


def _compact_to_full(cov, covariance_type, k, d):
    """scikit-learn's compact covariances (or their SEs) as (K, d, d) stacks."""
    cov = np.asarray(cov)
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([c * np.eye(d) for c in cov])


@pytest.mark.parametrize("name, sklearn_name", [("VVV", "full"), ("EEE", "tied"),
                                                ("VVI", "diag"), ("VII", "spherical")])
def test_linear_mclust_models_have_the_standard_errors_of_their_sklearn_twins(name,
                                                                           sklearn_name):
    X = np.column_stack([_two_components(seed=1)[:, 0], _two_components(seed=2)[:, 0]])
    twin = GaussianMixture(2, covariance_type=sklearn_name, reg_covar=0.0, tol=1e-12,
                           max_iter=5000, random_state=0).fit(X)
    twin_se = twin.standard_errors(X)
    # the same fitted point, in mclust's storage: (K, d, d) covariances
    model, _ = GaussianMixture(2, covariance_type=name).fit(X).em_problem(X)
    full = _compact_to_full(twin.covariances_, sklearn_name, 2, 2)
    result = standard_errors(model, model.pack(twin.weights_, twin.means_, full))
    se = model.as_attributes(result.se)
    np.testing.assert_allclose(se["weights_"], twin_se["weights_"], rtol=1e-5)
    np.testing.assert_allclose(se["means_"], twin_se["means_"], rtol=1e-5)
    expected = _compact_to_full(twin_se["covariances_"], sklearn_name, 2, 2)
    allowed = np.abs(_compact_to_full(np.ones_like(twin.covariances_), sklearn_name, 2, 2)) > 0
    np.testing.assert_allclose(se["covariances_"][allowed], expected[allowed], rtol=1e-4)
    assert np.all(np.isnan(se["covariances_"][~allowed]))   # structural zeros: not estimated


@pytest.fixture(scope="module")
def eii_fit():
    rng = np.random.default_rng(4)          # two round clusters, as EII assumes
    z = rng.random(400) < 0.4
    X = np.where(z[:, None], [-1.5, 0.0], [1.5, 1.0]) + rng.normal(size=(400, 2))
    gm = GaussianMixture(2, covariance_type="EII", reg_covar=0.0, tol=1e-12, max_iter=5000,
                         random_state=0).fit(X)
    return gm, X


def test_eii_standard_errors_equal_a_hessian_in_logit_and_log_variance(eii_fit):
    gm, X = eii_fit
    model, _ = gm.em_problem(X)

    def theta(u):   # logit weight, the means, one log-variance for every component
        w0 = 1 / (1 + np.exp(-u[0]))
        return model.pack([w0, 1 - w0], u[1:5].reshape(2, 2),
                          np.broadcast_to(np.exp(u[5]) * np.eye(2), (2, 2, 2)))

    w = gm.weights_
    u_hat = np.r_[np.log(w[0] / w[1]), gm.means_.ravel(), np.log(gm.covariances_[0, 0, 0])]
    f = lambda u: model.log_likelihood(theta(u))
    h, p = 1e-4, u_hat.size
    hess = np.array([[(f(u_hat + a + b) - f(u_hat + a - b) - f(u_hat - a + b) + f(u_hat - a - b))
                      / (4 * h * h) for b in np.eye(p) * h] for a in np.eye(p) * h])
    jac = np.column_stack([(theta(u_hat + e) - theta(u_hat - e)) / (2 * h) for e in np.eye(p) * h])
    ours = model.as_attributes(np.sqrt(np.abs(np.diag(jac @ np.linalg.inv(-hess) @ jac.T))))
    se = gm.standard_errors(X)
    np.testing.assert_allclose(se["weights_"], ours["weights_"], rtol=1e-3)
    np.testing.assert_allclose(se["means_"], ours["means_"], rtol=1e-3)
    diagonal = np.broadcast_to(np.eye(2, dtype=bool), (2, 2, 2))
    np.testing.assert_allclose(se["covariances_"][diagonal], ours["covariances_"][diagonal],
                               rtol=1e-3)


def test_eii_standard_errors_agree_with_the_parametric_bootstrap(eii_fit):
    from emcore import bootstrap

    gm, X = eii_fit
    se = gm.standard_errors(X)
    boot = bootstrap(gm, X, n_boot=80, kind="parametric", random_state=3)
    # 80 replicates estimate a standard deviation to about 8 %: allow 30 %
    for key in ("weights_", "means_"):
        np.testing.assert_allclose(boot.se[key], se[key], rtol=0.3)
    np.testing.assert_allclose(boot.se["covariances_"][0, 0, 0], se["covariances_"][0, 0, 0],
                               rtol=0.3)
