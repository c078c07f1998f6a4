"""The RTS smoother equals the exact conditional distribution of the states (dense algebra) and
statsmodels."""

import numpy as np
import pytest

from emcore import LinearGaussianSSM

from .reference import dense_conditional, random_params, statsmodels_ssm, with_holes


def _fixed(params):
    names = ("transition", "transition_cov", "observation", "observation_cov", "initial_mean",
             "initial_cov")
    inits = {f"{n}_init": getattr(params, n) for n in names}
    return LinearGaussianSSM(params.n_states, max_iter=0, diagonal=(), **inits)


@pytest.mark.parametrize("k,p", [(1, 1), (2, 3), (3, 2)])
def test_smoother_equals_the_dense_conditional(k, p):
    rng = np.random.default_rng(10 * k + p)
    params = random_params(k, p, rng)
    Y = with_holes(rng.normal(size=(12, p)), rng, whole=((4, 6),))
    ssm = _fixed(params).fit(Y)
    result = ssm.smooth(Y)
    mean, cov, loglik = dense_conditional(Y, params)
    blocks = cov.reshape(12, k, 12, k)
    np.testing.assert_allclose(result.means, mean, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.covariances, [blocks[t, :, t] for t in range(12)], atol=1e-10)
    np.testing.assert_allclose(result.cross_covariances[1:],
                               [blocks[t, :, t - 1] for t in range(1, 12)], atol=1e-10)
    assert np.all(np.isnan(result.cross_covariances[0]))
    assert ssm.score(Y) == pytest.approx(loglik, rel=1e-10)


def test_smoother_of_several_sequences_is_each_sequence_alone():
    rng = np.random.default_rng(21)
    params = random_params(2, 2, rng)
    Y = with_holes(rng.normal(size=(20, 2)), rng, whole=((3, 5),))
    ssm = _fixed(params).fit(Y)
    both = ssm.smooth(Y, lengths=[8, 12])
    np.testing.assert_allclose(both.means[:8], dense_conditional(Y[:8], params)[0], atol=1e-10)
    np.testing.assert_allclose(both.means[8:], dense_conditional(Y[8:], params)[0], atol=1e-10)
    assert np.all(np.isnan(both.cross_covariances[[0, 8]]))


def test_smoother_equals_statsmodels_on_a_long_series():
    rng = np.random.default_rng(22)
    params = random_params(3, 2, rng)
    Y = with_holes(rng.normal(size=(2000, 2)), rng, fraction=0.01, whole=((500, 520),))
    result = _fixed(params).fit(Y).smooth(Y)
    ref = statsmodels_ssm(Y, params, tolerance=0).smooth()
    np.testing.assert_allclose(result.means, ref.smoothed_state.T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.covariances, np.moveaxis(ref.smoothed_state_cov, -1, 0),
                               rtol=1e-9, atol=1e-12)
    # statsmodels' smoothed_state_autocov[..., t] is Cov(x_{t+1}, x_t | Y)
    np.testing.assert_allclose(result.cross_covariances[1:],
                               np.moveaxis(ref.smoothed_state_autocov[..., :-1], -1, 0),
                               rtol=1e-9, atol=1e-12)
