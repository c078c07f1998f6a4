"""What the factor estimators share: emcore's parameter protocol, checks and restart loop.

An estimator's parameters are its constructor's keyword arguments, stored
unchanged under the same names (so ``sklearn.base.clone`` can copy it);
``fit`` checks them against the class's declared ``_parameter_constraints``.
"""

from __future__ import annotations

import numpy as np

from .._base import ParamsMixin, Progress, best_run, warn_if_not_converged
from .._checks import RANDOM_STATE, check_params, check_random_state
from ..em import LoglikChange
from ..exceptions import NotFittedError

__all__ = ["EstimatorParams", "RANDOM_STATE"]

#: Iterations between progress lines at ``verbose=2`` (GaussianMixture's default).
_VERBOSE_INTERVAL = 10


class EstimatorParams(ParamsMixin):
    """The shared parameter protocol, tags, declared checks, restarts and not-fitted error."""

    _parameter_constraints: dict = {}
    #: scikit-learn's ``estimator_type`` tag ("density_estimator", or None for a transformer).
    _estimator_type_tag: str | None = None

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
        return check_random_state(self.random_state if random_state is None else random_state)

    def _best_run(self, model, start, params: dict):
        """EM from ``start(i)`` for ``i < n_init``; the best run (``emcore._base.best_run``).

        Stops when the mean log-likelihood per row changes by less than
        ``tol``; prints progress at ``verbose`` 1 and 2 as GaussianMixture does;
        warns (:class:`emcore.ConvergenceWarning`) when the best run did not converge.
        """
        n = model.n
        progress = Progress(params["verbose"], _VERBOSE_INTERVAL, float(n))
        starts = [lambda i=i: start(i) for i in range(params["n_init"])]
        best = best_run(model, starts, stop=LoglikChange(params["tol"] * n),
                        max_iter=params["max_iter"],
                        progress=progress if params["verbose"] else None)
        warn_if_not_converged(type(self).__name__, best, params["tol"], params["max_iter"],
                              objective="the mean log-likelihood", stacklevel=4)
        return best

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
