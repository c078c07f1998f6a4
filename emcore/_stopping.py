"""When EM stops: the named rules of :func:`emcore.run_em` and :class:`LoglikChange`.

A rule is asked after each iteration, with the iteration ``t``, the parameters and
log-likelihoods before and after it, and answers whether the run has converged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["STOP_RULES", "LoglikChange", "has_converged"]

#: The rules :func:`emcore.run_em` knows by name.
STOP_RULES = ("both", "loglik", "params")


def as_vector(theta: Any) -> np.ndarray:
    """Flatten parameters of any supported kind into one float vector."""
    if dataclasses.is_dataclass(theta) and not isinstance(theta, type):
        parts = [getattr(theta, f.name) for f in dataclasses.fields(theta)]
        return as_vector(tuple(parts))
    if isinstance(theta, (tuple, list)):
        if not theta:
            return np.zeros(0)
        return np.concatenate([as_vector(p) for p in theta])
    if isinstance(theta, dict):
        return as_vector(tuple(theta[k] for k in sorted(theta)))
    return np.asarray(theta, dtype=float).ravel()


@dataclasses.dataclass(frozen=True)
class LoglikChange:
    """A stopping rule for :func:`emcore.run_em`: stop once the log-likelihood changes
    by less than ``tol``.

    An absolute change (``tol >= 0``; 0 never stops), unlike ``run_em``'s own
    ``stop="loglik"``, which is relative to ``max(1, |l|)``. Any callable
    ``stop(t, theta_old, theta_new, ll_old, ll_new)`` is a rule; this one is a
    value, so an estimator can pass its own rule without a dummy ``tol``.

    Parameters
    ----------
    tol : float
        Stop when ``|ll_new - ll_old| < tol``.

    See Also
    --------
    emcore.run_em : Takes it as ``stop``.

    Examples
    --------
    >>> from emcore.em import LoglikChange
    >>> LoglikChange(0.5)(1, None, None, -10.0, -9.7)
    True
    """

    tol: float

    def __call__(self, t, theta_old, theta_new, ll_old, ll_new) -> bool:
        return abs(ll_new - ll_old) < self.tol


def has_converged(stop, tol, t, theta_old, theta_new, ll_old, ll_new) -> bool:
    if callable(stop):
        return bool(stop(t, theta_old, theta_new, ll_old, ll_new))
    if tol == 0:  # the estimators' convention: tol=0 runs exactly max_iter iterations
        return False
    ll_ok = abs(ll_new - ll_old) <= tol * max(1.0, abs(ll_new))
    if stop == "loglik":
        return ll_ok
    old, new = as_vector(theta_old), as_vector(theta_new)
    scale = max(1.0, float(np.max(np.abs(new)))) if new.size else 1.0
    params_ok = new.size == 0 or float(np.max(np.abs(new - old))) <= tol * scale
    if stop == "params":
        return params_ok
    return ll_ok and params_ok
