"""scikit-learn's parameter protocol for the factor estimators, and their shared argument checks.

An estimator's parameters are its constructor's keyword arguments, stored
unchanged under the same names (so ``sklearn.base.clone`` can copy it);
``fit`` checks them against the class's declared ``_parameter_constraints``.
"""

from __future__ import annotations

import inspect

import numpy as np

from .._validation import InstanceOf, Integer, check_params
from ..mixture import NotFittedError

__all__ = ["EstimatorParams", "RANDOM_STATE"]

#: The accepted values of ``random_state``: None, a seed, or a Generator.
RANDOM_STATE = [None, Integer(0), InstanceOf(np.random.Generator, "a numpy Generator")]


class EstimatorParams:
    """``get_params``, ``set_params``, the declared checks and the not-fitted error."""

    _parameter_constraints: dict = {}

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

    def _checked_params(self) -> dict:
        constraints = type(self)._parameter_constraints
        return check_params(constraints, {name: getattr(self, name) for name in constraints})

    def _rng(self, random_state=None) -> np.random.Generator:
        state = self.random_state if random_state is None else random_state
        check_params({"random_state": RANDOM_STATE}, {"random_state": state})
        return np.random.default_rng(state)

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
