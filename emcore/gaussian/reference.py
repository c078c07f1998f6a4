"""The E-step of a Gaussian mixture as a textbook writes it, in plain numpy.

This is the E-step the book shows and the one the tests trust: every faster
path in ``emcore.mixture`` is compared with it. It holds an ``(n, K)``
array of responsibilities and makes no attempt at speed. Notation as in the
book: weights :math:`\\pi_k`, means :math:`\\mu_k`, covariances
:math:`\\Sigma_k`, responsibilities :math:`\\gamma_{nk}`.

1. **Log-densities.** :math:`\\log \\mathcal N(x_n \\mid \\mu_k, \\Sigma_k) =
   -\\tfrac12 |U_k^\\top (x_n - \\mu_k)|^2 + \\log\\det U_k - \\tfrac D2 \\log 2\\pi`,
   with :math:`U_k` the Cholesky factor of the precision,
   :math:`\\Sigma_k^{-1} = U_k U_k^\\top`. The difference :math:`x_n - \\mu_k` is
   taken first, so a sample close to a mean far from the origin keeps every
   digit of its distance to it.
2. **Log-sum-exp.** :math:`\\log p(x_n) = \\log \\sum_k \\pi_k \\mathcal N(x_n \\mid
   \\mu_k, \\Sigma_k)`, computed with the largest term factored out so that no
   exponential overflows or underflows to a zero sum.
3. **Responsibilities.** :math:`\\gamma_{nk} = \\pi_k \\mathcal N(x_n \\mid \\mu_k,
   \\Sigma_k) / p(x_n)`, the exponential of the difference of the two logs.
4. **Statistics.** :math:`N_k = \\sum_n \\gamma_{nk}`, the first moments
   :math:`\\sum_n \\gamma_{nk} (x_n - \\mu_k)` and the second moments
   :math:`\\sum_n \\gamma_{nk} (x_n - \\mu_k)(x_n - \\mu_k)^\\top`, taken about the
   current means and shaped as the covariance type needs them; the M-step
   (:func:`emcore.gaussian.mstep.m_step`) turns them into new parameters.

Examples
--------
>>> import numpy as np
>>> from emcore.gaussian import reference
>>> from emcore.gaussian import covariance_model
>>> cov = covariance_model("spherical")
>>> X = np.array([[0.0], [1.0], [3.0], [4.0]])
>>> means, variances = np.array([[0.0], [4.0]]), np.array([1.0, 1.0])
>>> resp, log_px = reference.responsibilities(X, np.array([0.5, 0.5]), means,
...                                           cov.precision_cholesky(variances), cov)
>>> print(resp[:, 0].round(3))  # the responsibility of the component at 0
[1.    0.982 0.018 0.   ]
"""

from __future__ import annotations

import math

import numpy as np

from .stats import MixtureParams, SufficientStats

__all__ = ["e_step", "log_densities", "log_sum_exp", "responsibilities", "statistics"]

_LOG_2PI = math.log(2 * math.pi)


def log_densities(X, means, precisions_cholesky, cov) -> np.ndarray:
    """``log N(x_n | mu_k, Sigma_k)`` for every sample and component, shape (n, K).

    ``cov`` is the covariance type's object (:func:`emcore.gaussian.covariance_model`)
    and ``precisions_cholesky`` its factors ``U``.
    """
    X = np.asarray(X, dtype=np.float64)
    k, d = means.shape
    log_det = cov.half_log_det(precisions_cholesky, k, d)  # log det U_k = log det Sigma_k^(-1/2)
    out = np.empty((X.shape[0], k))
    for j in range(k):
        # U_j^T (x_n - mu_j), row by row
        whitened = cov.whiten(X - means[j], precisions_cholesky, j)
        out[:, j] = -0.5 * np.sum(whitened**2, axis=1) + log_det[j] - 0.5 * d * _LOG_2PI
    return out


def log_sum_exp(a) -> np.ndarray:
    """``log sum_k exp(a[n, k])`` for each row, with the row's largest term factored out."""
    top = np.max(a, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)  # a row of -inf stays -inf, not NaN
    with np.errstate(divide="ignore"):
        return (top + np.log(np.sum(np.exp(a - top), axis=1, keepdims=True)))[:, 0]


def responsibilities(X, weights, means, precisions_cholesky, cov):
    """Responsibilities ``gamma_nk`` (n, K) and ``log p(x_n)`` (n,)."""
    with np.errstate(divide="ignore"):  # a weight of 0 is a log-weight of -inf
        log_joint = log_densities(X, means, precisions_cholesky, cov) + np.log(weights)
    log_px = log_sum_exp(log_joint)
    return np.exp(log_joint - log_px[:, None]), log_px


def statistics(X, resp, means, cov, sample_weight=None) -> SufficientStats:
    """``N_k``, first and second moments about ``means``, weighted by ``resp``
    (and ``sample_weight``)."""
    X = np.asarray(X, dtype=np.float64)
    if sample_weight is not None:
        resp = resp * np.asarray(sample_weight, dtype=np.float64)[:, None]
    k, d = means.shape
    n_k, first, second = resp.sum(axis=0), np.zeros((k, d)), cov.empty_second(k, d)
    for j in range(k):
        diff = X - means[j]
        first[j] = resp[:, j] @ diff
        cov.add_centred(second, j, diff.T, resp[:, j])
    return SufficientStats(n_k, first, second, np.array(means, dtype=np.float64))


def e_step(X, params: MixtureParams, cov, sample_weight=None):
    """The whole E-step: statistics about the current means, and ``sum_n w_n log p(x_n)``.

    The statistics carry ``params`` (as the fast E-step's do), so that the
    M-step can check that ``Q`` does not fall.
    """
    resp, log_px = responsibilities(X, params.weights, params.means, params.precisions_cholesky,
                                    cov)
    stats = statistics(X, resp, params.means, cov, sample_weight)
    stats.params = params
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return stats, float(log_px.sum() if w is None else log_px @ w)
