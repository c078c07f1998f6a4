"""Checks of the mixture's data and explicit initial values; errors name their argument.

The constructor's scalar arguments are declared next to its signature
(``GaussianMixture._parameter_constraints``) and checked by
:func:`emcore._validation.check_params`: a wrong type is a TypeError, a wrong
value a ValueError. Arrays (``X``, ``sample_weight``, the ``*_init`` values)
are checked here, every error a ValueError naming the argument.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_array_of_shape
from ..gaussian.covariance import covariance_model

__all__ = ["check_inits", "check_n_rows"]

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
    out = {"weights": None, "means": None, "precisions": None, "resp": None}
    if config.weights_init is not None:
        w = check_array_of_shape(config.weights_init, "weights_init", (k,))
        if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights_init must be positive and sum to 1, got {w.tolist()}")
        out["weights"] = w / w.sum()
    if config.means_init is not None:
        out["means"] = check_array_of_shape(config.means_init, "means_init", (k, d))
    if config.precisions_init is not None:
        cov = covariance_model(cov_type)
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
    if config.resp_init is not None:
        resp = check_array_of_shape(config.resp_init, "resp_init", (n, k))
        rows = resp.sum(axis=1)
        if np.any(resp < 0) or np.any(~(rows > 0)):
            raise ValueError("resp_init must be non-negative with a positive sum in every row")
        out["resp"] = resp / rows[:, None]
    return out
