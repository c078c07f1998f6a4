"""What the non-Gaussian mixtures share: declared checks, starts, restarts, the not-fitted error.

An estimator's parameters are its constructor's keyword arguments, stored
unchanged (``emcore._base.ParamsMixin``); ``fit`` checks them against the
class's ``_parameter_constraints``, draws ``n_init`` starts (explicit
responsibilities ``resp_init``, or random hard labels), runs EM from each
through ``emcore._base.best_run`` and keeps the best.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._base import (
    DensityEstimatorMixin,
    ParamsMixin,
    Progress,
    best_run,
    warn_if_not_converged,
)
from .._checks import (Integer, check_array_of_shape, check_params, check_random_state,
                       check_sample_weight)
from ..em import LoglikChange
from ..exceptions import ConvergenceWarning, NotFittedError
from ..gaussian.mstep import DegenerateComponentError
from ..gaussian.reference import log_sum_exp

__all__ = ["DensityMixtureEstimator", "MixtureEstimator", "log_sum_exp", "random_labels",
           "responsibilities_from"]

#: Iterations between progress lines at ``verbose=2`` (GaussianMixture's default).
VERBOSE_INTERVAL = 10


def random_labels(n: int, k: int, rng) -> np.ndarray:
    """Hard responsibilities (n, K) of labels drawn uniformly (flexmix's default start).

    Every component gets at least one row when ``n >= K``: the labels are a
    random permutation of ``0, 1, ..., K-1`` repeated.
    """
    labels = rng.permutation(np.arange(n) % k)
    return (labels[:, None] == np.arange(k)).astype(float)


def responsibilities_from(resp_init, n: int, k: int) -> np.ndarray:
    """``resp_init`` checked (shape (n, K), non-negative, positive rows) and row-normalised."""
    resp = check_array_of_shape(resp_init, "resp_init", (n, k))
    if np.any(resp < 0) or not np.all(resp.sum(axis=1) > 0):
        raise ValueError("resp_init must be non-negative with a positive sum in every row")
    return resp / resp.sum(axis=1, keepdims=True)


class MixtureEstimator(ParamsMixin):
    """The shared parameter checks, restarts and not-fitted error of the mixtures here."""

    _parameter_constraints: dict = {}
    #: Errors of an M-step that end one start, not the fit (another start may succeed).
    _skip: tuple = (DegenerateComponentError,)

    def _checked_params(self) -> dict:
        constraints = type(self)._parameter_constraints
        return check_params(constraints, {name: getattr(self, name) for name in constraints})

    def _rng(self, random_state=None) -> np.random.Generator:
        return check_random_state(self.random_state if random_state is None else random_state)

    def _best_run(self, model, start, params: dict, total_weight: float):
        """EM from ``start(i)`` for each of ``n_init`` starts (``resp_init``: one); the best run.

        Stops when the mean log-likelihood per unit weight changes by less
        than ``tol``; progress at ``verbose`` 1 and 2 as GaussianMixture
        prints it; a :class:`emcore.ConvergenceWarning` when the best run did
        not converge, or when it was ended by the model (:class:`emcore.exceptions.EndRun`: a
        collapse that the model stops at, keeping the parameters before it). A start whose
        M-step raises one of ``_skip`` is passed over; if all do, the last error is raised.
        """
        n_starts = 1 if params.get("resp_init") is not None else params["n_init"]
        progress = Progress(params["verbose"], VERBOSE_INTERVAL, total_weight)
        starts = [lambda i=i: start(i) for i in range(n_starts)]
        best = best_run(model, starts, stop=LoglikChange(params["tol"] * total_weight),
                        max_iter=params["max_iter"], skip=self._skip,
                        progress=progress if params["verbose"] else None)
        if best.ended_by is not None:
            warnings.warn(f"{type(self).__name__} stopped its best run at iteration "
                          f"{best.n_iter + 1}, keeping the parameters of iteration {best.n_iter}: "
                          f"{best.ended_by}", ConvergenceWarning, stacklevel=3)
        else:
            warn_if_not_converged(type(self).__name__, best, params["tol"], params["max_iter"],
                                  objective="the mean log-likelihood", stacklevel=4)
        return best

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _set_run(self, best) -> None:
        """The fit's record: history, iterations, convergence."""
        self.log_likelihood_history_ = np.asarray(best.log_likelihood_history, dtype=float).copy()
        self.n_iter_, self.converged_ = int(best.n_iter), bool(best.converged)


class DensityMixtureEstimator(DensityEstimatorMixin, MixtureEstimator):
    """A mixture of densities of ``X`` alone: scikit-learn's density-estimator tags too."""

    def score(self, X, y=None, *, sample_weight=None) -> float:
        """The mean (weighted) log-likelihood per row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        float
            The weighted mean of :meth:`score_samples` over the rows.
        """
        ll = self.score_samples(X)
        w = check_sample_weight(sample_weight, ll.size)
        return float(ll.mean() if w is None else ll @ w / w.sum())

    def fit_predict(self, X, y=None, *, sample_weight=None) -> np.ndarray:
        """Fit, then return the most probable component of each row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; integer weight ``m`` counts as ``m`` repeated rows.

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of largest responsibility.
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        float
            With ``p`` the model's free parameters (the t mixture counts each estimated
            ``nu_k``) and ``n`` the number of rows.
        """
        ll = self.score_samples(X)
        return -2.0 * float(ll.sum()) + self._n_parameters * math.log(ll.size)

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        float
            With ``p`` the model's free parameters.
        """
        return -2.0 * float(self.score_samples(X).sum()) + 2.0 * self._n_parameters

    def _draw_labels(self, n_samples, random_state):
        """``(rng, labels)``: the generator and ``n_samples`` components drawn by the weights,
        the first step of ``sample``."""
        self._check_fitted("means_")
        n = check_params({"n_samples": [Integer(1)]}, {"n_samples": n_samples})["n_samples"]
        rng = self._rng(random_state)
        return rng, rng.choice(self.n_components, size=n, p=self.weights_ / self.weights_.sum())
