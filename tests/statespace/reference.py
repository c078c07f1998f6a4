"""Independent references for the state-space tests: statsmodels' Kalman filter and dense linear
algebra."""

import numpy as np

from emcore.statespace import SSMParams


def random_params(k, p, rng, *, diagonal_r=False, radius=0.9):
    """A stable model with well-conditioned random covariances."""
    A = rng.normal(size=(k, k))
    A *= radius / max(abs(np.linalg.eigvals(A)))
    B, D, E = rng.normal(size=(k, k)), rng.normal(size=(p, p)), rng.normal(size=(k, k))
    R = np.diag(rng.uniform(0.5, 2.0, size=p)) if diagonal_r else D @ D.T + 0.5 * np.eye(p)
    return SSMParams(A, B @ B.T + 0.2 * np.eye(k), rng.normal(size=(p, k)), R,
                     rng.normal(size=k), E @ E.T + np.eye(k))


def with_holes(Y, rng, fraction=0.2, whole=((5, 9),)):
    """``Y`` with a ``fraction`` of its entries and the whole steps in ``whole`` set to NaN."""
    Y = Y.copy()
    Y[rng.random(Y.shape) < fraction] = np.nan
    for a, b in whole:
        Y[a:b] = np.nan
    return Y


def statsmodels_ssm(Y, params, tolerance=None):
    """statsmodels' representation of the same model; ``initialize_known`` is the first step's
    state."""
    from statsmodels.tsa.statespace.mlemodel import MLEModel

    k = params.n_states
    mod = MLEModel(np.asarray(Y), k_states=k)
    mod.ssm["design"] = params.observation
    mod.ssm["obs_cov"] = params.observation_cov
    mod.ssm["transition"] = params.transition
    mod.ssm["selection"] = np.eye(k)
    mod.ssm["state_cov"] = params.transition_cov
    mod.ssm.initialize_known(params.initial_mean, params.initial_cov)
    if tolerance is not None:
        mod.ssm.tolerance = tolerance
    return mod.ssm


def statsmodels_loglike(Y, params, lengths=None):
    """statsmodels' log-likelihood, summed over the sequences."""
    lengths = [len(Y)] if lengths is None else lengths
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return sum(statsmodels_ssm(Y[a:b], params).loglike() for a, b in zip(bounds[:-1], bounds[1:]))


def dense_conditional(Y, params):
    """Mean (n, k) and covariance (n k, n k) of all states given the seen entries, by dense algebra.

    The states are a linear map of (x_1, w_2, ..., w_n), the observations a linear map of the
    states plus noise: one joint Gaussian, conditioned with a linear solve. Also returns the
    log-density of the seen entries.
    """
    from scipy.stats import multivariate_normal

    n, p = Y.shape
    k = params.n_states
    A, C = params.transition, params.observation
    T = np.zeros((n * k, n * k))
    for t in range(n):
        for s in range(t + 1):
            T[t * k:(t + 1) * k, s * k:(s + 1) * k] = np.linalg.matrix_power(A, t - s)
    W = np.kron(np.eye(n), params.transition_cov)
    W[:k, :k] = params.initial_cov
    Sxx = T @ W @ T.T
    mx = T @ np.concatenate([params.initial_mean, np.zeros((n - 1) * k)])
    Cb = np.kron(np.eye(n), C)
    Syy = Cb @ Sxx @ Cb.T + np.kron(np.eye(n), params.observation_cov)
    seen = ~np.isnan(Y.ravel())
    Soo, Sxo = Syy[np.ix_(seen, seen)], (Sxx @ Cb.T)[:, seen]
    resid = Y.ravel()[seen] - (Cb @ mx)[seen]
    mean = mx + Sxo @ np.linalg.solve(Soo, resid)
    cov = Sxx - Sxo @ np.linalg.solve(Soo, Sxo.T)
    loglik = multivariate_normal(np.zeros(seen.sum()), Soo).logpdf(resid)
    return mean.reshape(n, k), cov, loglik
