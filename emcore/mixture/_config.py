"""What the fitting helpers know of the estimator: :class:`FitConfig`, its checked arguments,
and the checks of the explicit initial values and sample counts against the data.

``GaussianMixture`` declares the constraints of its constructor arguments
next to its signature (``_parameter_constraints``, checked by
:func:`emcore._checks.check_params`); :meth:`FitConfig.of` checks them
and freezes the result. The helpers (:mod:`._model`, :mod:`._dask`,
:mod:`._online`, :func:`check_inits`) receive this value, never the
estimator, and return values; only the estimator writes fitted state.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import check_array_of_shape, check_params
from ..gaussian.covariance import CovarianceType, covariance_model
from ._pool import resolve_n_jobs

__all__ = ["FitConfig", "check_inits", "check_n_rows", "precisions_of_covariances"]


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


def check_n_rows(n_rows: int, k: int, weighted: bool, of: str = "") -> None:
    """At least 2 samples, and at least ``n_components`` (with positive weight) ``of`` something."""
    of = " of " + of if of else ""
    positive = " with positive weight" if weighted else ""
    if n_rows < 2:
        raise ValueError(
            f"n_samples={n_rows}{positive}{of}: a Gaussian mixture needs at least 2 samples "
            "(a single sample has no variance)"
        )
    if n_rows < k:
        raise ValueError(
            f"n_components={k} must not exceed the number of samples{of} ({n_rows}{positive})"
        )


def check_inits(config, n: int, d: int) -> dict:
    """The explicit initial values of a :class:`._config.FitConfig`, checked
    against (n_samples, n_features) = (n, d)."""
    k, cov_type = config.n_components, config.covariance_type
    cov = covariance_model(cov_type)
    out = {"weights": None, "means": None, "precisions": None, "resp": None}
    if config.weights_init is not None:
        w = check_array_of_shape(config.weights_init, "weights_init", (k,))
        if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights_init must be positive and sum to 1, got {w.tolist()}")
        out["weights"] = w / w.sum()
    if config.means_init is not None:
        out["means"] = check_array_of_shape(config.means_init, "means_init", (k, d))
    if config.precisions_init is not None:
        prec = check_array_of_shape(config.precisions_init, "precisions_init", cov.cov_shape(k, d))
        if cov.is_matrix:
            scale = np.max(np.abs(prec), axis=(-2, -1), keepdims=True)
            if np.any(np.abs(prec - np.swapaxes(prec, -1, -2)) > 1e-10 * scale):
                raise ValueError("precisions_init must hold symmetric matrices")
        try:
            out["precisions"] = cov.from_precisions(prec)
        except np.linalg.LinAlgError:
            raise ValueError(f"precisions_init must be positive definite ({cov_type} "
                             "covariances)") from None
        if callable(getattr(cov, "check_form", None)):  # a constrained model (mclust's)
            cov.check_form(out["precisions"][0])
    if callable(getattr(cov, "min_samples", None)) and n < cov.min_samples(k, d):
        raise ValueError(
            f"covariance_type={cov.name!r} with n_components={k} in {d} dimensions has "
            f"{cov.n_parameters(k, d)} free parameters: it needs at least "
            f"{cov.min_samples(k, d)} samples, got n_samples={n}")
    if config.resp_init is not None:
        resp = check_array_of_shape(config.resp_init, "resp_init", (n, k))
        rows = resp.sum(axis=1)
        if np.any(resp < 0) or np.any(~(rows > 0)):
            raise ValueError("resp_init must be non-negative with a positive sum in every row")
        out["resp"] = resp / rows[:, None]
    return out


def precisions_of_covariances(covariances, k, d, settings):
    """``from_params``'s ``covariances`` as the ``precisions_init`` they stand for."""
    cov = covariance_model(settings.get("covariance_type", "full"))
    c = check_array_of_shape(covariances, "covariances", cov.cov_shape(k, d))
    if not cov.is_matrix:
        if np.any(c <= 0):
            raise ValueError("covariances must be positive (variances)")
        return 1.0 / c
    try:
        return np.linalg.inv(c)
    except np.linalg.LinAlgError:
        raise ValueError("covariances must be positive definite") from None
