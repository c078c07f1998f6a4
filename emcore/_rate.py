r"""How fast EM converges: the EM map :math:`M(\theta)`, its Jacobian by central
differences, and :func:`emcore.em_rate` (re-exported by :mod:`emcore.inference`).

The checks of a model and of its parameter vector here are shared with
:func:`emcore.standard_errors`, whose ``method="sem"`` needs the same Jacobian.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from ._checks import Real, check_params, validated

__all__ = ["JACOBIAN_STEP", "STEP_CONSTRAINTS", "RateResult", "as_parameter_vector",
           "central_differences", "check_model", "em_rate", "raw_jacobian",
           "relative_steps"]

#: Default relative step of the central differences of the EM map, :math:`\epsilon^{1/3}`.
JACOBIAN_STEP = float(np.finfo(float).eps ** (1 / 3))


@dataclasses.dataclass
class RateResult:
    """What :func:`em_rate` returns.

    Attributes
    ----------
    jacobian : numpy.ndarray of shape (p, p)
        The Jacobian of the EM map, ``jacobian[i, j]`` = :math:`\\partial M_i / \\partial\\theta_j`
        (the transpose of Meng & Rubin's row-vector convention for DM).
    rate : float
        The largest modulus of its eigenvalues: EM's linear rate of convergence.
    eigenvalues : numpy.ndarray of shape (p,)
        All eigenvalues, sorted by decreasing modulus.
    step : numpy.ndarray of shape (p,)
        The difference step used for each parameter.
    fixed_point_residual : float
        :math:`\\max_i |M(\\hat\\theta)_i - \\hat\\theta_i|`: how far ``theta_hat`` is
        from a fixed point (the rate describes EM only near one), in the model's own vector.
    parametrization : str
        ``"as given"`` (``jacobian`` and ``step`` in the model's own vector, shape (p, p)
        and (p,)), or ``"free"``: the model offered free coordinates
        (``free_coordinates(theta)``), and ``jacobian`` is the EM map's in them, (q, q)
        with q their number, and ``step`` (q,).

    See Also
    --------
    emcore.em_rate : Returns it.
    emcore.standard_errors : The SEM method's standard errors use the same Jacobian.

    Examples
    --------
    >>> from emcore import em_rate
    >>> from emcore.models import ExponentialMissing
    >>> result = em_rate(ExponentialMissing([5.0], n_missing=1), 0.2)
    >>> print(result.jacobian.shape, f"{result.rate:.6f}", result.fixed_point_residual < 1e-12)
    (1, 1) 0.500000 True
    """

    jacobian: np.ndarray
    rate: float
    eigenvalues: np.ndarray
    step: np.ndarray
    fixed_point_residual: float
    parametrization: str = "as given"


def as_parameter_vector(theta, name: str = "theta_hat") -> tuple[np.ndarray, bool]:
    """``theta`` as a float vector, and whether it was a scalar."""
    if isinstance(theta, bool) or isinstance(theta, (str, bytes)):
        raise TypeError(f"{name} must be a float or a 1-D array, got {type(theta).__name__}")
    if isinstance(theta, (numbers.Real, np.floating, np.integer)):
        vec, scalar = np.array([float(theta)]), True
    else:
        try:
            vec = np.asarray(theta, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a float or a 1-D array, got {type(theta).__name__}"
            ) from None
        if vec.ndim != 1 or vec.size == 0:
            raise ValueError(
                f"{name} must be a float or a non-empty 1-D array, got shape {vec.shape}"
            )
        vec, scalar = vec.copy(), False
    if not np.all(np.isfinite(vec)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return vec, scalar


def check_model(model) -> None:
    for name in ("e_step", "m_step", "log_likelihood"):
        if not callable(getattr(model, name, None)):
            raise TypeError(
                f"model must provide e_step, m_step and log_likelihood "
                f"(subclass emcore.EMModel); {type(model).__name__} has no {name}()"
            )


#: The accepted values of the ``step`` arguments (None: the method's default).
STEP_CONSTRAINTS = {"step": [None, Real(0, 1, low_open=True, high_open=True)]}


def relative_steps(vec: np.ndarray, step, default: float) -> np.ndarray:
    step = check_params(STEP_CONSTRAINTS, {"step": step})["step"]
    return (default if step is None else step) * np.maximum(1.0, np.abs(vec))


def _em_map(model, vec: np.ndarray, scalar: bool) -> np.ndarray:
    theta = float(vec[0]) if scalar else vec.copy()
    out = np.asarray(model.m_step(model.e_step(theta)), dtype=float).ravel()
    if out.shape != vec.shape:
        raise ValueError(f"the model's M-step returned {out.size} parameters, expected {vec.size}")
    return out


@validated(STEP_CONSTRAINTS)
def em_rate(model, theta_hat, *, step: float | None = None) -> RateResult:
    r"""The Jacobian of the EM map at a fixed point, and EM's linear rate.

    The EM map is one EM iteration, :math:`M(\theta) =` ``model.m_step(model.e_step(theta))``.
    Near a fixed point :math:`\hat\theta` the error obeys
    :math:`\theta^{(t+1)} - \hat\theta \approx DM\,(\theta^{(t)} - \hat\theta)`, so EM
    converges linearly with rate the spectral radius of :math:`DM`, which equals
    the largest fraction of missing information, an eigenvalue of
    :math:`I_{\text{com}}^{-1} I_{\text{mis}}` (Dempster, Laird & Rubin 1977).

    The Jacobian is taken by central differences, column ``j`` being
    :math:`(M(\hat\theta + h_j e_j) - M(\hat\theta - h_j e_j)) / (2 h_j)` with
    :math:`h_j = \text{step} \cdot \max(1, |\hat\theta_j|)`. The default step
    :math:`\epsilon^{1/3} \approx 6 \cdot 10^{-6}` balances the truncation error
    :math:`O(h^2)` against the round-off :math:`O(\epsilon/h)`, so the rate is
    accurate to about :math:`10^{-10}` for a smooth map. A smaller step is needed
    only when :math:`\hat\theta` lies within a step of the parameter boundary.

    Parameters
    ----------
    model : EMModel
        A model whose parameters are a float or a 1-D array.
    theta_hat : float or array_like of shape (p,)
        The point to differentiate at, normally the end of a converged
        :func:`emcore.run_em` run.
    step : float, optional
        Relative difference step in (0, 1); default :math:`\epsilon^{1/3}`.

    Returns
    -------
    RateResult
        With ``jacobian``, ``rate``, ``eigenvalues``, ``step``,
        ``fixed_point_residual`` and ``parametrization``. Costs ``2 p + 1`` EM maps
        (``2 q + 1`` in free coordinates).

    Raises
    ------
    TypeError, ValueError
        For a model without the EM methods, parameters that are not a float
        or a 1-D array, or a bad ``step``.

    See Also
    --------
    emcore.RateResult : What it returns.
    emcore.run_em : Finds the fixed point ``theta_hat``.
    emcore.aitken : Extrapolates a linearly converging sequence to its limit.
    emcore.standard_errors : Standard errors at the same point.

    Notes
    -----
    A model whose parameters live on a constrained set may offer
    ``free_coordinates(theta)`` (see :func:`standard_errors`); the Jacobian is then
    taken in those coordinates :math:`\phi`: column ``j`` is the central difference of
    :math:`M(\theta(\phi))` along :math:`\phi_j`, a tangent vector of the set, written
    in free coordinates by least squares against :math:`\partial\theta/\partial\phi`.
    In the model's own vector a difference step may leave the set (weights that do not
    sum to 1, covariances with different shapes in a common-shape model), where the map
    need not be smooth: the iterative M-steps of mclust's curved models start from the
    current covariances, and off the set the rate computed there depends on the step and
    may exceed 1 at a maximum. The steps are capped at half the room a coordinate has
    (a small weight's value).

    Examples
    --------
    The exponential toy: half of the data are missing, so the rate is 1/2.

    >>> from emcore import em_rate
    >>> from emcore.models import ExponentialMissing
    >>> result = em_rate(ExponentialMissing([5.0], n_missing=1), 0.2)
    >>> print(f"{result.rate:.8f}")
    0.50000000
    """
    check_model(model)
    vec, scalar = as_parameter_vector(theta_hat)
    residual = float(np.max(np.abs(_em_map(model, vec, scalar) - vec)))
    free = getattr(model, "free_coordinates", None)
    if callable(free) and not scalar:
        jac, h = _free_jacobian(model, free(vec), step)
        parametrization = "free"
    else:
        jac, h = raw_jacobian(model, vec, scalar, step), relative_steps(vec, step, JACOBIAN_STEP)
        parametrization = "as given"
    eig = np.linalg.eigvals(jac)
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    if np.all(np.abs(eig.imag) <= 1e-12 * max(1.0, float(np.max(np.abs(eig), initial=0.0)))):
        eig = eig.real
    return RateResult(jacobian=jac, rate=float(np.max(np.abs(eig), initial=0.0)),
                      eigenvalues=eig, step=h, fixed_point_residual=residual,
                      parametrization=parametrization)


def central_differences(em_map, point: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Central differences of ``em_map`` at ``point``, column ``j`` along coordinate ``j``
    with step ``h[j]`` (the EM map here; the M-step for the Monte Carlo errors)."""
    columns = []
    for j, h_j in enumerate(h):
        e = np.zeros(point.size)
        e[j] = h_j
        columns.append((em_map(point + e) - em_map(point - e)) / (2 * h_j))
    return np.column_stack(columns)


def raw_jacobian(model, vec: np.ndarray, scalar: bool, step) -> np.ndarray:
    """The EM map's Jacobian in the model's own vector."""
    return central_differences(lambda v: _em_map(model, v, scalar), vec,
                            relative_steps(vec, step, JACOBIAN_STEP))


def _free_jacobian(model, coords, step) -> tuple[np.ndarray, np.ndarray]:
    """The EM map's Jacobian in free coordinates, and the steps taken.

    The map runs from ``theta`` = ``coords.from_free(phi)`` through one EM iteration; its
    image stays in the parameter set, so each derivative is a tangent vector there, which
    ``coords.tangent_coordinates`` writes in free coordinates."""
    phi = coords.to_free()
    if phi.size == 0:  # every parameter on the boundary: nothing moves
        return np.zeros((0, 0)), phi
    h = np.minimum(relative_steps(phi, step, JACOBIAN_STEP), coords.room() / 2)
    changes = central_differences(lambda c: _em_map(model, coords.from_free(c), False), phi, h)
    return coords.tangent_coordinates(changes), h
