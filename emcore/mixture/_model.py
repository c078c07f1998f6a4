"""The mixture as an :class:`emcore.EMModel`, and its starting parameters."""

from __future__ import annotations

import numpy as np

from ..em import EMModel
from ._init import initial_responsibilities
from ._mstep import m_step
from ._stats import MixtureData, MixtureParams, e_step, stats_from_resp

__all__ = ["MixtureEM", "initial_params"]


class MixtureEM(EMModel):
    """A Gaussian mixture on fixed data, for :func:`emcore.run_em`.

    Parameters are :class:`._stats.MixtureParams` with means relative to
    ``data.center``. One E-step is one chunked pass over the data that
    returns the log-likelihood and the sufficient statistics together.
    """

    def __init__(self, data: MixtureData, reg_covar: float, prior=None):
        self.data = data
        self.reg_covar = reg_covar
        self.prior = prior

    def data_pass(self, theta, stats=True):
        """``(SufficientStats or None, log-likelihood)``: one pass of :func:`._stats.e_step`."""
        return e_step(self.data, theta, stats=stats)

    def e_step(self, theta):
        return self.data_pass(theta)[0]

    def log_likelihood(self, theta):
        """The log-likelihood, plus ``log p(theta)`` (the log-posterior) with a prior."""
        ll = self.data_pass(theta, stats=False)[1]
        return ll if self.prior is None else ll + self.prior.log_density(theta)

    def e_step_with_log_likelihood(self, theta):
        if self.prior is None:
            return self.data_pass(theta)
        stats, ll = self.data_pass(theta)
        return stats, ll + self.prior.log_density(theta)

    def m_step(self, stats):
        return m_step(stats, self.data.cov_type, self.reg_covar, self.data.variance, self.prior)


def initial_params(data: MixtureData, k: int, method: str, inits: dict, rng, reg_covar: float,
                   prior=None) -> MixtureParams:
    """Starting parameters: explicit values where given, the rest from one M-step.

    With ``resp`` given, the M-step uses it; else, with ``means`` given, the
    assignment of each sample to its nearest given mean; else ``method``.
    Given weights, means and precisions then replace the estimated ones.
    """
    means = None if inits["means"] is None else inits["means"] - data.center
    if all(inits[key] is not None for key in ("weights", "means", "precisions")):
        covariances, chol = inits["precisions"]
        return MixtureParams(inits["weights"].copy(), means, covariances, chol)
    if inits["resp"] is not None:
        resp = inits["resp"]
        stats = stats_from_resp(data, lambda s, e: resp[s:e].T, k)
    else:
        stats = stats_from_resp(data, initial_responsibilities(method, data, k, rng, means), k)
    params = m_step(stats, data.cov_type, reg_covar, data.variance, prior)
    if inits["weights"] is not None:
        params.weights = inits["weights"].copy()
    if means is not None:
        params.means = means
    if inits["precisions"] is not None:
        params.covariances, params.precisions_cholesky = inits["precisions"]
    return params
