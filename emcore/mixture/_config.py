"""What the fitting helpers know of the estimator: :class:`FitConfig`, its checked arguments.

``GaussianMixture`` declares the constraints of its constructor arguments
next to its signature (``_parameter_constraints``, checked by
:func:`emcore._validation.check_params`); :meth:`FitConfig.of` checks them
and freezes the result. The helpers (:mod:`._backend`, :mod:`._dask`,
:mod:`._online`, :func:`._checks.check_inits`) receive this value, never the
estimator, and return values; only the estimator writes fitted state.
"""

from __future__ import annotations

import dataclasses

from .._validation import check_params
from ..gaussian.covariance import CovarianceType, covariance_model
from ._pool import resolve_n_jobs

__all__ = ["FitConfig"]


@dataclasses.dataclass(frozen=True, eq=False)
class FitConfig:
    """The constructor arguments of a :class:`GaussianMixture`, checked (ints,
    floats, bools converted)."""

    n_components: int
    covariance_type: str
    tol: float
    reg_covar: float
    max_iter: int
    n_init: int
    init_params: str
    weights_init: object
    means_init: object
    precisions_init: object
    resp_init: object
    random_state: object
    warm_start: bool
    callback: object
    prior: object
    learning_decay: float
    learning_offset: float
    verbose: int
    verbose_interval: int
    n_jobs: object
    missing: str

    @classmethod
    def of(cls, est) -> FitConfig:
        """``est``'s parameters checked against its declared ``_parameter_constraints``."""
        values = check_params(type(est)._parameter_constraints, est.get_params())
        cov = covariance_model(values["covariance_type"])
        needs = {"missing": (values["missing"] == "marginalize", "complete_rows",
                             "the conditional-Gaussian methods of rows with missing entries"),
                 "prior": (values["prior"] is not None, "scale_shape",
                           "the conjugate prior's shapes")}
        for name, (asked, method, what) in needs.items():
            if asked and not callable(getattr(cov, method, None)):
                raise ValueError(f"{name}={values[name]!r} needs {what}, which covariance_type "
                                 f"{type(cov).__name__} does not define; use a built-in type")
        return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls)})

    @property
    def jobs(self) -> int:
        """The number of threads ``n_jobs`` asks for (:func:`._pool.resolve_n_jobs`)."""
        return resolve_n_jobs(self.n_jobs)

    @property
    def cov(self) -> CovarianceType:
        """The object of ``covariance_type`` (:mod:`emcore.gaussian.covariance`)."""
        return covariance_model(self.covariance_type)

    @property
    def explicit_start(self) -> bool:
        """Whether weights, means and precisions are all given (no initialisation runs)."""
        return all(v is not None
                   for v in (self.weights_init, self.means_init, self.precisions_init))
