"""scikit-learn's estimator protocol: ``get_params``, ``set_params``, a short ``repr`` and the tags.

An estimator's parameters are its constructor's keyword arguments, stored
unchanged as attributes of the same names; this is what lets
``sklearn.base.clone`` copy an emcore estimator.
"""

from __future__ import annotations

import inspect

__all__ = ["DensityEstimatorMixin", "ParamsMixin", "density_estimator_tags"]


class ParamsMixin:
    """``get_params``/``set_params`` from the constructor's signature; a repr of
    the non-defaults."""

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
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default
                    for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (isinstance(v, type(defaults[k])) and _same(v, defaults[k]))]
        return f"{type(self).__name__}({', '.join(changed)})"


class DensityEstimatorMixin(ParamsMixin):
    """The parameter protocol and the tags of a density estimator (scikit-learn's
    ``__sklearn_tags__``)."""

    def __sklearn_tags__(self):
        """scikit-learn's tags: a density estimator on dense real 2-D arrays (imports sklearn)."""
        return density_estimator_tags()


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def density_estimator_tags(*, allow_nan: bool = False):
    """scikit-learn's ``Tags`` of an unsupervised density estimator on dense 2-D real arrays.

    Called only by scikit-learn (``estimator.__sklearn_tags__()``), so it may
    import ``sklearn.utils``; ``import emcore`` never does. scikit-learn's
    developer guide lets a third-party estimator either inherit from
    ``BaseEstimator`` or implement the protocol itself (``get_params``,
    ``set_params``, ``__sklearn_tags__``); emcore does the latter because it
    must import with numpy alone. Sample weights are declared by ``fit``'s
    signature, which is where scikit-learn looks for them.
    """
    from sklearn.utils import InputTags, Tags, TargetTags

    return Tags(
        estimator_type="density_estimator",
        target_tags=TargetTags(required=False),
        input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=allow_nan),
        requires_fit=True,
        non_deterministic=False,
    )
