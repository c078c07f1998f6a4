"""What the factor estimators share: scikit-learn's parameter protocol, checks, the fit loop.

An estimator's parameters are its constructor's keyword arguments, stored
unchanged under the same names (so ``sklearn.base.clone`` can copy it);
``fit`` checks them against the class's declared ``_parameter_constraints``.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np

from .._validation import InstanceOf, Integer, check_params
from ..em import LoglikChange, run_em
from ..exceptions import ConvergenceWarning
from ..mixture import NotFittedError

__all__ = ["EstimatorParams", "RANDOM_STATE"]

#: The accepted values of ``random_state``: None, a seed, or a Generator.
RANDOM_STATE = [None, Integer(0), InstanceOf(np.random.Generator, "a numpy Generator")]


class EstimatorParams:
    """``get_params``, ``set_params``, the declared checks and the not-fitted error."""

    _parameter_constraints: dict = {}
    #: scikit-learn's ``estimator_type`` tag ("density_estimator", or None for a transformer).
    _estimator_type_tag: str | None = None

    @classmethod
    def _param_names(cls):
        return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")

    def get_params(self, deep=True):
        """The constructor arguments as a dict (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor arguments by name; returns ``self``."""
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid: {names}")
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self):
        """scikit-learn's tags: dense real 2-D input, unsupervised (imports sklearn when called)."""
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type=self._estimator_type_tag,
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags() if hasattr(self, "transform") else None,
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
            requires_fit=True,
            non_deterministic=False,
        )

    def _checked_params(self) -> dict:
        constraints = type(self)._parameter_constraints
        return check_params(constraints, {name: getattr(self, name) for name in constraints})

    def _rng(self, random_state=None) -> np.random.Generator:
        state = self.random_state if random_state is None else random_state
        check_params({"random_state": RANDOM_STATE}, {"random_state": state})
        return np.random.default_rng(state)

    def _best_run(self, model, start, params: dict):
        """EM from ``start(i)`` for ``i < n_init``; the run with the highest log-likelihood.

        Stops when the mean log-likelihood per row changes by less than
        ``tol``; prints progress at ``verbose`` 1 and 2; warns
        (:class:`emcore.ConvergenceWarning`) when the best run did not converge.
        """
        n, verbose = model.n, params["verbose"]
        callback = None
        if verbose >= 2:
            def callback(t, theta, ll):
                if t % 10 == 0:
                    print(f"  Iteration {t}\t mean log-likelihood {ll / n:.8f}")
        best = None
        for i in range(params["n_init"]):
            if verbose:
                print(f"Initialization {i}")
            run = run_em(model, start(i), max_iter=params["max_iter"],
                         stop=LoglikChange(params["tol"] * n), callback=callback)
            if verbose:
                print(f"Initialization {'converged' if run.converged else 'did not converge'}: "
                      f"mean log-likelihood {run.log_likelihood / n:.8f}")
            if best is None or run.log_likelihood > best.log_likelihood:
                best = run
        if not best.converged and params["max_iter"] > 0 and params["tol"] > 0:
            warnings.warn(f"{type(self).__name__} did not converge in "
                          f"max_iter={params['max_iter']} iterations (tol={params['tol']:g}); "
                          "increase max_iter",
                          ConvergenceWarning, stacklevel=3)
        return best

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
