"""The mixture's fit problem: the data, the mixture as an :class:`emcore.EMModel` (its M-step's
collapse rule) and its starting parameters.

:func:`fit_problem` turns ``fit``'s input into the data, the model and the starting
parameters that the estimator's restarts and :func:`emcore.run_em` use, whichever the data:
in memory here, or on a dask array by :mod:`._dask`; :func:`rowwise` lets ``predict``-like
methods take a dask array. A dask array is recognised by its type's module, so
``import emcore`` never imports dask.
"""

from __future__ import annotations

import functools

import numpy as np

from .._checks import check_sample_weight, check_X
from ..em import EMModel
from ..exceptions import EndRun
from ..gaussian.mstep import DegenerateComponentError, m_step
from ..gaussian.stats import MixtureParams, stats_from_resp
from ._config import check_inits, check_n_rows
from ._data import MixtureData
from ._init import initial_responsibilities
from ._prior import resolve_prior

__all__ = ["MixtureEM", "fit_problem", "initial_params", "is_dask", "rowwise"]


class MixtureEM(EMModel):
    """A Gaussian mixture on fixed data, for :func:`emcore.run_em`.

    Parameters are :class:`emcore.gaussian.stats.MixtureParams` with means relative to
    ``data.center``. One E-step is one chunked pass over the data that
    returns the log-likelihood and the sufficient statistics together.
    """

    def __init__(self, data: MixtureData, reg_covar: float, prior=None):
        self.data = data
        self.reg_covar = reg_covar
        self.prior = prior

    def data_pass(self, theta, stats=True):
        """``(SufficientStats or None, log-likelihood)``: one pass over the data
        (:class:`._data.FitData`)."""
        return self.data.e_step(theta, stats=stats)

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
        """The core's M-step (:func:`emcore.gaussian.mstep.m_step`); the collapse rule on failure.

        With ``reg_covar > 0``, a component that collapses or empties mid-run
        ends the run (:class:`emcore.EndRun`) at the current parameters, the
        best it reached (EM's objective never decreases); with ``reg_covar =
        0`` nothing bounds the likelihood and the user asked for no floor, so
        the :class:`DegenerateComponentError` is raised.
        """
        try:
            return m_step(stats, self.data.cov_type, self.reg_covar, self.prior)
        except DegenerateComponentError as err:
            if self.reg_covar > 0 and stats.params is not None:
                raise EndRun(str(err)) from err
            raise


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
    # with reg_covar > 0 a degenerate start is kept: the run's first M-step stops it (see best_run)
    params = m_step(stats, data.cov_type, reg_covar, prior, strict=reg_covar == 0)
    if inits["weights"] is not None:
        params.weights = inits["weights"].copy()
    if means is not None:
        params.means = means
    if inits["precisions"] is not None:
        params.covariances, params.precisions_cholesky = inits["precisions"]
    return params


def is_dask(X) -> bool:
    """Whether ``X`` is a dask collection, decided without importing dask."""
    return type(X).__module__.split(".")[0] == "dask"


def fit_problem(config, X, sample_weight):
    """``(data, model, start)`` for ``fit`` with a :class:`._config.FitConfig`:
    ``start(rng)`` gives theta0."""
    if is_dask(X):
        from ._dask import dask_problem

        return dask_problem(config, X, sample_weight)
    X = check_X(X, missing=config.missing)
    n, d = X.shape
    w = check_sample_weight(sample_weight, n)
    k = config.n_components
    check_n_rows(n if w is None else int(np.count_nonzero(w)), k, weighted=w is not None)
    inits = check_inits(config, n, d)
    data = MixtureData(X, w, config.covariance_type, k, n_jobs=config.jobs,
                       missing=config.missing == "marginalize")
    prior = None if config.prior is None else resolve_prior(config.prior, data, k)

    def start(rng):
        return initial_params(data, k, config.init_params, inits, rng, config.reg_covar, prior)

    return data, MixtureEM(data, config.reg_covar, prior), start


def rowwise(method):
    """Let ``method(self, X)`` take a dask array: it is then mapped lazily over
    the blocks of rows."""

    @functools.wraps(method)
    def wrapper(self, X):
        if is_dask(X):
            from ._dask import map_rows

            self._params()  # not fitted: raise now, not when computed
            return map_rows(self, method.__name__, X)
        return method(self, X)

    return wrapper
