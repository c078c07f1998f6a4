"""Standard errors of a fitted HMM: taken on the simplex, right where they can be checked."""

import numpy as np
import pytest

from emcore import CategoricalHMM, GaussianHMM, standard_errors
from emcore._free import FreeCoordinates


def _two_state_sequences(n_sequences=10, length=100):
    truth = GaussianHMM(2, max_iter=0, startprob_init=[0.5, 0.5],
                        transmat_init=[[0.9, 0.1], [0.2, 0.8]], means_init=[[0.0], [2.0]],
                        covariances_init=[[1.0], [0.5]]).fit(np.zeros((2, 1)))
    parts = [truth.sample(length, random_state=seed)[0] for seed in range(n_sequences)]
    return np.concatenate(parts), [length] * n_sequences


@pytest.fixture(scope="module")
def fitted():
    X, lengths = _two_state_sequences()
    hmm = GaussianHMM(2, tol=1e-12, max_iter=5000, random_state=0).fit(X, lengths)
    return hmm, X, lengths


def _logit_standard_errors(hmm, X, lengths):
    """The same SEs by another route: logits and log-variances, own differences, delta method."""
    model, _ = hmm.em_problem(X, lengths)

    def theta(u):
        p0, a00, a11 = 1 / (1 + np.exp(-u[:3]))
        return np.r_[p0, 1 - p0, a00, 1 - a00, 1 - a11, a11, u[3:5], np.exp(u[5:7])]

    s, a = hmm.startprob_, hmm.transmat_
    u_hat = np.r_[np.log(s[0] / s[1]), np.log(a[0, 0] / a[0, 1]), np.log(a[1, 1] / a[1, 0]),
                  hmm.means_[:, 0], np.log(hmm.covariances_[:, 0])]
    f = lambda u: model.log_likelihood(theta(u))
    h, p = 1e-4, u_hat.size
    hess = np.empty((p, p))
    for i in range(p):
        for j in range(p):
            ei, ej = np.eye(p)[i] * h, np.eye(p)[j] * h
            hess[i, j] = (f(u_hat + ei + ej) - f(u_hat + ei - ej) - f(u_hat - ei + ej)
                          + f(u_hat - ei - ej)) / (4 * h * h)
    jac = np.column_stack([(theta(u_hat + e) - theta(u_hat - e)) / (2 * h)
                           for e in np.eye(p) * h])
    return np.sqrt(np.diag(jac @ np.linalg.inv(-hess) @ jac.T))


def test_standard_errors_equal_those_of_a_logit_parametrisation(fitted):
    hmm, X, lengths = fitted
    se = hmm.standard_errors(X, lengths)
    flat = np.r_[se["startprob_"], se["transmat_"].ravel(), se["means_"].ravel(),
                 se["covariances_"].ravel()]
    np.testing.assert_allclose(flat, _logit_standard_errors(hmm, X, lengths), rtol=2e-3)
    # the two entries of a two-state probability vector move together
    assert se["startprob_"][0] == pytest.approx(se["startprob_"][1], rel=1e-9)
    np.testing.assert_allclose(se["transmat_"][:, 0], se["transmat_"][:, 1], rtol=1e-9)
    assert se["boundary"] == []


def test_the_function_on_em_problem_agrees_and_says_which_coordinates(fitted):
    hmm, X, lengths = fitted
    result = standard_errors(*hmm.em_problem(X, lengths))
    assert result.parametrization == "free" and not result.boundary.any()
    assert result.information.shape == (7, 7)  # 1 + 2 start/transition, 2 means, 2 variances
    np.testing.assert_allclose(result.se[:2], hmm.standard_errors(X, lengths)["startprob_"])


def test_the_log_likelihood_is_not_extended_off_the_simplex(fitted):
    hmm, X, lengths = fitted
    model, theta = hmm.em_problem(X, lengths)
    off = theta.copy()
    off[2] *= 1.05  # one transition entry scaled: its row no longer sums to 1
    with pytest.raises(ValueError, match="sum to 1"):
        model.log_likelihood(off)


def test_a_start_probability_at_zero_gets_no_standard_error():
    X, _ = _two_state_sequences(n_sequences=1, length=300)
    hmm = GaussianHMM(2, tol=1e-10, max_iter=2000, random_state=0).fit(X)
    assert hmm.startprob_.min() < 1e-8  # one sequence: the start is certain
    se = hmm.standard_errors(X)
    assert np.isnan(se["startprob_"]).all()
    assert set(se["boundary"]) == {("startprob_", (0,)), ("startprob_", (1,))}
    assert np.isfinite(se["transmat_"]).all() and np.isfinite(se["means_"]).all()


def test_one_state_categorical_hmm_gives_the_multinomial_standard_errors():
    rng = np.random.default_rng(4)
    p = np.array([0.5, 0.3, 0.2])
    X = rng.choice(3, size=400, p=p)[:, None]
    hmm = CategoricalHMM(1, max_iter=5).fit(X)
    p_hat = hmm.emissionprob_[0]
    se = hmm.standard_errors(X)["emissionprob_"][0]
    np.testing.assert_allclose(se, np.sqrt(p_hat * (1 - p_hat) / 400), rtol=1e-5)


def test_one_state_full_gaussian_gives_the_normal_covariance_standard_errors():
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([0.0, 1.0], [[2.0, 0.6], [0.6, 1.0]], size=500)
    hmm = GaussianHMM(1, covariance_type="full", max_iter=3).fit(X)
    s = hmm.covariances_[0]
    se = hmm.standard_errors(X)
    np.testing.assert_allclose(se["means_"][0], np.sqrt(np.diag(s) / 500), rtol=1e-5)
    expected = np.sqrt((s ** 2 + np.outer(np.diag(s), np.diag(s))) / 500)
    np.testing.assert_allclose(se["covariances_"][0], expected, rtol=1e-4)


def test_free_coordinates_round_trip_and_refuse_a_bad_layout():
    theta = np.r_[0.7, 0.3, 0.0, 1.0, 2.0, 0.5, 0.5, 3.0]
    coords = FreeCoordinates([("simplex", (2, 2)), ("symmetric", (1, 2, 2))], theta)
    np.testing.assert_array_equal(coords.from_free(coords.to_free()), theta)
    assert coords.n_free == 1 + 3  # one weight; the upper triangle of a 2 x 2 matrix
    np.testing.assert_array_equal(coords.boundary, [0, 0, 1, 1, 0, 0, 0, 0])
    moved = coords.from_free(coords.to_free() + 0.1)
    assert moved[0] + moved[1] == pytest.approx(1.0) and moved[5] == moved[6]
    assert coords.jacobian().shape == (8, 4)
    with pytest.raises(ValueError, match="kind"):
        FreeCoordinates([("simplexes", (2, 2))], theta[:4])
    with pytest.raises(ValueError, match="8"):
        FreeCoordinates([("free", (3,))], theta)


@pytest.mark.parametrize("make", ["gaussian", "gmm"])
def test_a_hand_built_model_gives_the_standard_errors_of_em_problem(make):
    # an HMMModel built directly is never frozen by an estimator, so it has no emission
    # names; its free coordinates must still describe every emission block
    from emcore import GMMHMM
    from emcore.hmm import GMMEmissions, HMMModel
    from emcore.hmm._gaussian import GaussianEmissions

    X, lengths = _two_state_sequences(n_sequences=4, length=60)
    if make == "gaussian":
        hmm = GaussianHMM(2, tol=1e-10, max_iter=2000, random_state=0).fit(X, lengths)
        emissions = GaussianEmissions("diag", 2, 1, reg_covar=hmm.reg_covar)
    else:
        hmm = GMMHMM(2, n_mix=2, covariance_type="diag", tol=1e-10, max_iter=2000,
                     random_state=0).fit(X, lengths)
        emissions = GMMEmissions("diag", 2, 2, 1, reg_covar=hmm.reg_covar)
    model, theta = hmm.em_problem(X, lengths)
    hand = HMMModel(X, np.array(lengths), emissions)
    assert hand.log_likelihood(theta) == pytest.approx(model.log_likelihood(theta), rel=1e-12)
    free, hand_free = model.free_coordinates(theta), hand.free_coordinates(theta)
    assert hand_free.n_free == free.n_free and hand_free.n_free < theta.size - 2
    got, want = standard_errors(hand, theta), standard_errors(model, theta)
    np.testing.assert_allclose(got.se, want.se, rtol=1e-5)
    assert np.all(np.isfinite(want.se[2 + 4:]))  # the emissions have theirs
