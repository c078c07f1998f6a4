"""Where a fit runs: on ``X`` in memory, or on a dask array (dask imported only then).

:func:`fit_problem` turns ``fit``'s input into the data, the
:class:`emcore.EMModel` and the starting parameters that the estimator's
restarts and :func:`emcore.run_em` use, whichever the data; :func:`rowwise`
lets ``predict``-like methods take a dask array. A dask array is recognised
by its type's module, so ``import emcore`` never imports dask.
"""

from __future__ import annotations

import functools

import numpy as np

from .._checks import check_sample_weight, check_X
from ._config import check_inits, check_n_rows
from ._data import MixtureData
from ._model import MixtureEM, initial_params
from ._prior import resolve_prior

__all__ = ["fit_problem", "is_dask", "rowwise"]


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
    prior = resolve_prior(config.prior, data, k)

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
