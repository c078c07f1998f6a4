"""Sample autocorrelations of Markov chain output: the one computation behind the thinning
check of data augmentation (:mod:`emcore.imputation`) and the autocorrelation times of the
Monte Carlo errors (:mod:`emcore.montecarlo`)."""

from __future__ import annotations

import numpy as np

__all__ = ["autocorrelations"]


def autocorrelations(series, max_lag: int) -> np.ndarray:
    r"""The sample autocorrelations :math:`\hat\rho_0, \dots, \hat\rho_L` (L = ``max_lag``) of
    ``series``, one series (n,) or one per column (n, d); the result has shape (L + 1,) or
    (L + 1, d).

    :math:`\hat\rho_k = \hat c_k / \hat c_0` with
    :math:`\hat c_k = \frac1n \sum_{t=1}^{n-k} (x_t - \bar x)(x_{t+k} - \bar x)`, the usual
    (biased) estimate; lags from n on have no pairs and get 0, and so does every lag
    :math:`k \ge 1` of a constant series (:math:`\hat\rho_0` is always 1). The sums come from
    one FFT of the zero-padded series, O(n log n) for all lags at once."""
    x = np.asarray(series, dtype=float)
    x = x - x.mean(axis=0)
    n = x.shape[0]
    # zero padding to at least n + L rows keeps lags up to L free of wrap-around; a power of
    # two makes the FFT fast
    size = 1 << (n + max_lag - 1).bit_length()
    spectrum = np.fft.rfft(x, size, axis=0)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=0)[:min(n, max_lag + 1)]
    variance = acov[0]
    rho = np.where(variance > 0, acov / np.where(variance > 0, variance, 1.0), 0.0)
    rho[0] = 1.0
    missing = max_lag + 1 - rho.shape[0]
    return np.concatenate([rho, np.zeros((missing,) + rho.shape[1:])]) if missing else rho
