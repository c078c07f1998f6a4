"""scikit-learn's parameter protocol: ``get_params``, ``set_params`` and a short ``repr``.

An estimator's parameters are its constructor's keyword arguments, stored
unchanged as attributes of the same names; this is what lets
``sklearn.base.clone`` copy an emcore estimator.
"""

from __future__ import annotations

import inspect

__all__ = ["ParamsMixin"]


class ParamsMixin:
    """``get_params``/``set_params`` from the constructor's signature; a repr of the non-defaults."""

    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep=True):
        """The constructor arguments as a dict (``deep`` is accepted for compatibility)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor arguments by name; returns ``self``."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (isinstance(v, type(defaults[k])) and _same(v, defaults[k]))]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
