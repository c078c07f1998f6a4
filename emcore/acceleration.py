r"""Making EM faster: one SQUAREM cycle (used by
``run_em(..., accelerate="squarem")``) and Aitken's Δ².

SQUAREM (Varadhan & Roland 2008) treats EM as a fixed-point map :math:`M` and,
from two EM steps :math:`\theta_1 = M(\theta_0)`, :math:`\theta_2 = M(\theta_1)`,
extrapolates along the "squared" polynomial

.. math::

   \theta' = \theta_0 - 2\alpha r + \alpha^2 v, \qquad
   r = \theta_1 - \theta_0, \quad v = \theta_2 - 2\theta_1 + \theta_0,

with the SqS3 step length :math:`\alpha = -\lVert r\rVert / \lVert v\rVert`,
clipped to :math:`\alpha \le -1` (:math:`\alpha = -1` gives back :math:`\theta_2`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from .exceptions import EndRun

__all__ = ["aitken"]


@dataclasses.dataclass
class _Cycle:
    """The outcome of one SQUAREM cycle."""

    theta: object
    stats: object
    log_likelihood: float
    n_e: int
    n_m: int


def parameter_kind(theta) -> bool:
    """Whether ``theta`` is a scalar (True) or a 1-D array (False); TypeError otherwise."""
    if isinstance(theta, (numbers.Real, np.floating, np.integer)) and not isinstance(theta, bool):
        return True
    if isinstance(theta, np.ndarray) and theta.ndim == 1 and theta.size > 0:
        return False
    raise TypeError(
        'accelerate="squarem" needs parameters that are a float or a 1-D numpy array; '
        f"theta0 is {type(theta).__name__}"
        + (f" of shape {theta.shape}" if isinstance(theta, np.ndarray) else "")
    )


def _pack(vec: np.ndarray, scalar: bool):
    return float(vec[0]) if scalar else vec


def squarem_cycle(model, theta0, stats0, ll0: float, scalar: bool) -> _Cycle:
    """One SqS3 cycle from ``theta0`` (whose E-step ``stats0`` and log-likelihood
    ``ll0`` are known).

    Two EM steps, the extrapolation, one stabilising EM step from the
    extrapolated point (as in Varadhan & Roland's SQUAREM software), then the
    safeguard: if that point's log-likelihood is lower than ``ll0``, or it
    cannot be evaluated (it left the parameter space), the cycle falls back to
    the plain EM point :math:`\\theta_2`, whose log-likelihood is never lower.
    """
    n_e = n_m = 0
    p0 = np.atleast_1d(np.asarray(theta0, dtype=float))
    theta1 = model.m_step(stats0)
    stats1 = model.e_step(theta1)
    theta2 = model.m_step(stats1)
    n_e, n_m = 1, 2
    p1 = np.atleast_1d(np.asarray(theta1, dtype=float))
    p2 = np.atleast_1d(np.asarray(theta2, dtype=float))
    r, v = p1 - p0, p2 - 2 * p1 + p0
    norm_v = float(np.linalg.norm(v))
    alpha = -float(np.linalg.norm(r)) / norm_v if norm_v > 0 else -1.0
    alpha = min(alpha, -1.0)
    if alpha < -1.0:
        try:
            extrapolated = _pack(p0 - 2 * alpha * r + alpha**2 * v, scalar)
            n_e += 1
            theta_new = model.m_step(model.e_step(extrapolated))
            n_m += 1
            n_e += 1
            stats_new, ll_new = model.e_step_with_log_likelihood(theta_new)
            ll_new = float(ll_new)
            if math.isfinite(ll_new) and ll_new >= ll0:
                return _Cycle(theta_new, stats_new, ll_new, n_e, n_m)
        except (ValueError, FloatingPointError, ZeroDivisionError, EndRun):
            pass  # the extrapolated point left the parameter space (or what the model models)
    # alpha == -1 means theta' == theta2: plain EM (two steps), never lower.
    stats2, ll2 = model.e_step_with_log_likelihood(theta2)
    return _Cycle(theta2, stats2, ll2, n_e + 1, n_m)


def aitken(sequence) -> np.ndarray:
    r"""Extrapolate the limit of a linearly converging scalar sequence (Aitken's :math:`\Delta^2`).

    For scalar sequences only (a one-parameter EM run): it raises for a run whose
    parameters are vectors, where componentwise extrapolation is not Aitken's
    method; use :func:`emcore.run_em` with ``accelerate="squarem"`` there.

    For :math:`x_t \to x^*` with :math:`x_{t+1} - x^* \approx \lambda (x_t - x^*)`,

    .. math::

       \hat x_t = x_t - \frac{(x_{t+1} - x_t)^2}{x_{t+2} - 2x_{t+1} + x_t}

    converges to :math:`x^*` faster than :math:`x_t`, and is exact when the error
    is exactly geometric. Where the second difference vanishes (the sequence has
    stopped moving) the value :math:`x_{t+2}` is returned.

    Parameters
    ----------
    sequence : array_like of shape (T,) or EMResult
        A scalar sequence with ``T >= 3``, or an :class:`emcore.EMResult`
        whose ``theta_history`` holds scalars (floats or 1-element arrays).

    Returns
    -------
    numpy.ndarray of shape (T - 2,)
        The extrapolated sequence; its last entry is the best estimate of the limit.

    Raises
    ------
    TypeError, ValueError
        When ``sequence`` is not a scalar sequence of at least three finite values.

    See Also
    --------
    emcore.run_em : Its ``accelerate="squarem"`` speeds up the run itself.
    emcore.em_rate : The linear rate that makes the extrapolation work.

    Examples
    --------
    Four EM iterations of the exponential toy (error ratio
    :math:`1/(5\theta^{(t)} + 1)`, not quite constant): the last iterate is
    0.0105 from :math:`\hat\theta = 0.2`, the extrapolation five times closer.

    >>> from emcore import aitken, run_em
    >>> from emcore.models import ExponentialMissing
    >>> run = run_em(ExponentialMissing([5.0], n_missing=1), theta0=1.0, max_iter=4)
    >>> print(f"{run.theta:.4f} {aitken(run)[-1]:.4f}")
    0.2105 0.2020
    """
    if hasattr(sequence, "theta_history"):
        sequence = sequence.theta_history
    try:
        x = np.array([np.asarray(s, dtype=float).item() for s in sequence])
    except (TypeError, ValueError):
        raise TypeError("sequence must hold scalars (floats or 1-element arrays); "
                        "aitken is for scalar problems") from None
    if x.size < 3:
        raise ValueError(f"sequence must have at least 3 values, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError("sequence contains NaN or infinite values")
    d1 = x[1:-1] - x[:-2]
    d2 = x[2:] - 2 * x[1:-1] + x[:-2]
    safe = d2 != 0  # a zero second difference: the sequence is exactly linear or has stopped
    out = x[2:].copy()
    out[safe] = x[:-2][safe] - d1[safe] ** 2 / d2[safe]
    return out
