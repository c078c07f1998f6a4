"""The mixture as an :class:`emcore.EMModel`, its starting parameters, and the best of several runs."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..em import EMModel, EMResult, run_em
from ._init import initial_responsibilities
from ..gaussian.mstep import DegenerateComponentError, m_step
from ._data import MixtureData
from ..gaussian.params import MixtureParams
from ..gaussian.stats import stats_from_resp

__all__ = ["MixtureEM", "best_run", "initial_params"]


class MixtureEM(EMModel):
    """A Gaussian mixture on fixed data, for :func:`emcore.run_em`.

    Parameters are :class:`emcore.gaussian.params.MixtureParams` with means relative to
    ``data.center``. One E-step is one chunked pass over the data that
    returns the log-likelihood and the sufficient statistics together.
    """

    def __init__(self, data: MixtureData, reg_covar: float, prior=None):
        self.data = data
        self.reg_covar = reg_covar
        self.prior = prior

    def data_pass(self, theta, stats=True):
        """``(SufficientStats or None, log-likelihood)``: one pass over the data (:class:`._data.FitData`)."""
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

    #: The :class:`emcore.gaussian.mstep.DegenerateComponentError` that stopped the current run (see :func:`best_run`).
    collapse = None

    def m_step(self, stats):
        try:
            return m_step(stats, self.data.cov_type, self.reg_covar, self.prior)
        except DegenerateComponentError as err:
            # mid-run with reg_covar > 0: keep the current parameters and let best_run stop the run
            if self.reg_covar > 0 and stats.params is not None:
                self.collapse = err
                return stats.params
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


def best_run(model: MixtureEM, starts, *, progress=None, stop, callback=None, **run_em_args):
    """``(EMResult, collapse)``: the :func:`emcore.run_em` run of highest objective, one per start.

    ``starts`` are callables, each called when its run begins, so that the
    random initialisations happen in order. A start that raises
    :class:`emcore.gaussian.mstep.DegenerateComponentError` (possible only with
    ``reg_covar = 0``: :func:`initial_params`) is skipped.

    The collapse rule (the same for data in memory and on dask, which share
    this function): with ``reg_covar > 0``, a run in which a component
    collapses or empties at an M-step stops there, keeping the parameters of
    the iteration before (the best it reached: EM's objective never
    decreases; the start itself when the first M-step collapses), not converged; ``collapse`` is then the error that stopped it,
    for the estimator's ``ConvergenceWarning``. A run without a collapse is
    preferred to any run with one. With ``reg_covar = 0`` a collapse is
    raised (nothing bounds the likelihood: the user asked for no floor).
    When every start or run fails, the last error is raised.
    """
    best, best_collapse, failure = None, None, None
    for i, start in enumerate(starts):
        if progress is not None:
            progress.initialisation(i)
        try:
            theta0 = start()
        except DegenerateComponentError as err:
            failure = err
            continue
        model.collapse = None
        run_callback = callback
        if progress is not None:
            def run_callback(t, theta, value, _user=callback):
                progress.iteration(t, value)
                return None if _user is None else _user(t, theta, value)
        def run_stop(t, old, new, ll_old, ll_new):
            if progress is not None:  # run_em asks before its callback: the change is known there
                progress.previous(ll_old)
            return model.collapse is not None or stop(t, old, new, ll_old, ll_new)

        try:
            result = run_em(model, theta0, callback=run_callback, stop=run_stop, **run_em_args)
        except DegenerateComponentError as err:
            failure = err
            continue
        collapse = model.collapse
        if collapse is not None:  # the last iteration only repeated the parameters before the collapse
            result = dataclasses.replace(
                result, converged=False, message=f"collapse: {collapse}", n_iter=result.n_iter - 1,
                theta_history=result.theta_history[:-1], log_likelihood_history=result.log_likelihood_history[:-1])
        if progress is not None:
            progress.end(result.converged, result.log_likelihood,
                         "" if collapse is None else " A component collapsed; the run stopped.")
        if best is None or (best_collapse is not None, result.log_likelihood) > (
                collapse is not None, best.log_likelihood):
            best, best_collapse = result, collapse
    if best is None:
        raise failure
    return best, best_collapse
