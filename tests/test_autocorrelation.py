"""The sample autocorrelations shared by data augmentation's thinning check and the Monte
Carlo errors' autocorrelation times, against statsmodels' acf and against AR(1) theory."""

import numpy as np
import pytest

from emcore._autocorrelation import autocorrelations

acf = pytest.importorskip("statsmodels.tsa.stattools").acf


def ar1(phi, n, d, seed):
    """``d`` independent AR(1) series x_t = phi x_{t-1} + e_t, started in the stationary law."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(n, d))
    x = np.empty_like(noise)
    x[0] = noise[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, -0.6])
def test_columns_match_statsmodels_acf(phi):
    x = ar1(phi, 3000, 3, seed=int(10 * abs(phi)) + (phi < 0))
    rho = autocorrelations(x, 60)
    assert rho.shape == (61, 3)
    for j in range(3):
        expected = acf(x[:, j], nlags=60, fft=False)     # the direct sums, no FFT
        assert np.allclose(rho[:, j], expected, rtol=0, atol=1e-12)


def test_one_series_and_every_lag_of_a_short_one_match_statsmodels():
    x = ar1(0.7, 9, 1, seed=3)[:, 0]
    rho = autocorrelations(x, 8)                          # lags up to n - 1: no wrap-around
    assert rho.shape == (9,)
    assert np.allclose(rho, acf(x, nlags=8, fft=False), rtol=0, atol=1e-12)


@pytest.mark.parametrize("phi", [0.5, 0.9])
def test_ar1_autocorrelations_are_near_phi_to_the_k(phi):
    # rho_k = phi^k; with n = 40000 the estimate's standard error is below
    # sqrt((1 + phi^2) / ((1 - phi^2) n)) <= 0.023 for phi = 0.9: 0.1 is over 4 of them
    x = ar1(phi, 40_000, 2, seed=4)
    lags = np.arange(11)
    rho = autocorrelations(x, 10)
    assert np.all(np.abs(rho - phi ** lags[:, None]) < 0.1), rho


def test_lags_without_pairs_and_constant_series_give_zero():
    x = np.column_stack([ar1(0.5, 20, 1, seed=5)[:, 0], np.full(20, 3.0)])
    rho = autocorrelations(x, 30)
    assert np.array_equal(rho[20:], np.zeros((11, 2)))   # lags >= n have no pairs
    assert np.array_equal(rho[:, 1], np.r_[1.0, np.zeros(30)])
    assert np.allclose(rho[:20, 0], acf(x[:, 0], nlags=19, fft=False), rtol=0, atol=1e-12)
