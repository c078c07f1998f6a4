r"""How fast EM converges and how sure its answer is: :func:`emcore.em_rate` and
:func:`emcore.standard_errors`.

Both work for any :class:`emcore.EMModel` whose parameters are a float or a
1-D array, by numerical differentiation of the model's own methods. A model
may supply optional *analytic hooks* that some methods need:

``complete_information(theta)``
    The expected complete-data information
    :math:`I_{\text{com}}(\theta) = \mathbb{E}[-\partial^2 \log p(x, z \mid \theta) /
    \partial\theta\,\partial\theta^\top \mid x, \theta]`, a ``(p, p)`` array
    (``p`` = number of parameters). Needed by ``method="sem"`` and
    ``method="louis"``.
``complete_score_outer(theta)``
    The conditional second moment of the complete-data score,
    :math:`\mathbb{E}[S_c S_c^\top \mid x, \theta]` with
    :math:`S_c = \partial \log p(x, z \mid \theta) / \partial\theta`, a
    ``(p, p)`` array. Needed by ``method="louis"``.

Louis's formula (1982) is
:math:`I_{\text{obs}} = I_{\text{com}} - \mathbb{E}[S_c S_c^\top \mid x] + S_{obs} S_{obs}^\top`,
where the observed score :math:`S_{obs} = \mathbb{E}[S_c \mid x]` (zero at the
maximum) is taken by central differences of ``log_likelihood``.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from ._differences import OnFace, gradient, hessian
from ._rate import (JACOBIAN_STEP, STEP_CONSTRAINTS, RateResult, as_parameter_vector,
                    check_model, em_rate, raw_jacobian, relative_steps)
from ._checks import Options, validated
from .exceptions import NotAMaximumWarning

__all__ = ["RateResult", "StandardErrors", "em_rate", "standard_errors"]

#: Default relative step of the second differences of the log-likelihood, :math:`\epsilon^{1/4}`.
HESSIAN_STEP = float(np.finfo(float).eps ** (1 / 4))

_METHODS = ("hessian", "sem", "louis")

#: The largest Newton distance, :math:`\sqrt{g^\top I_{\text{obs}}^{-1} g}` with :math:`g` the
#: gradient of the log-likelihood (in free coordinates where the model offers them), at which a
#: point still counts as a maximum. It measures how far a Newton step would move the point, in
#: standard errors: below 0.1, the distance to the maximum is a tenth of the estimate's own
#: uncertainty. Scale-free: rescaling a parameter rescales its gradient and its standard error
#: alike.
MAX_NEWTON_DISTANCE = 0.1


@dataclasses.dataclass
class StandardErrors:
    """What :func:`standard_errors` returns.

    Attributes
    ----------
    cov : numpy.ndarray of shape (p, p)
        The estimated covariance matrix of :math:`\\hat\\theta`, the inverse of
        the observed information.
    se : numpy.ndarray of shape (p,)
        Standard errors, the square roots of the diagonal of ``cov``
        (NaN where that diagonal is not positive).
    information : numpy.ndarray
        The observed information :math:`I_{\text{obs}}` the method computed, in the
        coordinates ``parametrization`` names: (p, p), or (q, q) in free coordinates.
    method : str
        ``"hessian"``, ``"sem"`` or ``"louis"``.
    parametrization : str
        ``"as given"`` (the model's own vector), or ``"free"``: the model offered
        free coordinates (``free_coordinates(theta)``, see
        :class:`emcore._free.FreeCoordinates`), the information was taken in them,
        and ``cov`` mapped back by the delta method.
    boundary : numpy.ndarray of shape (p,), bool
        The parameters on the boundary of the parameter space (a probability of
        0): fixed while the others are differentiated, their ``se`` is NaN.

    See Also
    --------
    emcore.standard_errors : Returns it.
    emcore.bootstrap : Standard errors by refitting resampled data instead.

    Examples
    --------
    >>> from emcore import standard_errors
    >>> from emcore.models import ExponentialMissing
    >>> result = standard_errors(ExponentialMissing([5.0], n_missing=1), 0.2)
    >>> print(result.method, result.parametrization, result.cov.shape, f"{result.se[0]:.6f}")
    hessian as given (1, 1) 0.200000
    """

    cov: np.ndarray
    se: np.ndarray
    information: np.ndarray
    method: str
    parametrization: str = "as given"
    boundary: np.ndarray | None = None


def _hook(model, name: str, method: str, vec, scalar) -> np.ndarray:
    hook = getattr(model, name, None)
    if not callable(hook):
        raise TypeError(
            f'method="{method}" needs the model method {name}(theta); '
            f"{type(model).__name__} does not provide it (see emcore.inference)"
        )
    value = np.atleast_2d(np.asarray(hook(float(vec[0]) if scalar else vec.copy()), dtype=float))
    if value.shape != (vec.size, vec.size):
        raise ValueError(
            f"{name}(theta) must return a ({vec.size}, {vec.size}) array, "
            f"got shape {value.shape}"
        )
    return value


@validated({"method": [Options(_METHODS)], **STEP_CONSTRAINTS})
def standard_errors(model, theta_hat, method: str = "hessian", *,
                    step: float | None = None) -> StandardErrors:
    r"""Standard errors of a maximum-likelihood estimate found by EM.

    The covariance is the inverse of the observed information
    :math:`I_{\text{obs}} = -\partial^2 \ell / \partial\theta\,\partial\theta^\top` at
    :math:`\hat\theta`, obtained in one of three ways:

    * ``"hessian"``: second central differences of ``model.log_likelihood``
      (relative step :math:`\epsilon^{1/4} \approx 10^{-4}` by default);
    * ``"sem"``: the SEM method of Meng & Rubin (1991),
      :math:`I_{\text{obs}}^{-1} = (I - DM)^{-1} I_{\text{com}}^{-1}`, with :math:`DM` from
      :func:`em_rate` (central differences instead of Meng & Rubin's sequence of
      forward differences) and :math:`I_{\text{com}}` from the model hook
      ``complete_information(theta)``;
    * ``"louis"``: Louis's (1982) formula
      :math:`I_{\text{obs}} = I_{\text{com}} - \mathbb{E}[S_c S_c^\top \mid x]
      + S_{obs} S_{obs}^\top`,
      from the hooks ``complete_information(theta)`` and ``complete_score_outer(theta)``
      (see :mod:`emcore.inference`).

    Parameters
    ----------
    model : EMModel
        A model whose parameters are a float or a 1-D array.
    theta_hat : float or array_like of shape (p,)
        The maximum-likelihood estimate.
    method : {"hessian", "sem", "louis"}, default "hessian"
        How the observed information is obtained (the three ways above).
    step : float, optional
        Relative difference step in (0, 1) for the numerical derivatives.

    Returns
    -------
    StandardErrors
        With ``cov`` (p, p), ``se`` (p,), ``information`` and ``method``.

    Raises
    ------
    TypeError
        When the method needs a hook the model does not provide (the message
        names it), or for arguments of the wrong type.
    ValueError
        For an unknown ``method`` or a malformed ``theta_hat``.

    Warns
    -----
    emcore.NotAMaximumWarning
        When the observed information is not positive definite (the Hessian
        of the log-likelihood is not negative definite): ``theta_hat`` is not
        a strict local maximum and the standard errors are meaningless. Also
        when the gradient :math:`g` of the log-likelihood (central differences,
        in free coordinates where the model offers them) is not near zero: when
        the Newton distance :math:`\sqrt{g^\top I_{\text{obs}}^{-1} g}`, how many
        standard errors a Newton step would move ``theta_hat``, exceeds
        ``MAX_NEWTON_DISTANCE`` (0.1). An EM run stopped too early (a large
        ``tol``) is the usual cause: refit with a smaller one.

    See Also
    --------
    emcore.StandardErrors : What it returns.
    emcore.em_rate : The rate of convergence from the same EM map.
    emcore.bootstrap : Standard errors of an estimator by resampling.

    Notes
    -----
    A model whose parameters live on a constrained set may offer
    ``free_coordinates(theta)`` (a :class:`emcore._free.FreeCoordinates`: drop-one
    probabilities, the upper triangle of symmetric matrices), as the HMMs' and
    the mixture's ``em_problem`` models do. The ``"hessian"`` method then
    differentiates in those coordinates, where the estimate is a maximum, and
    maps the covariance back by the delta method; a probability on the boundary
    (0) is held fixed and gets a NaN standard error (``boundary`` says which).

    The numerical derivatives evaluate the model a few steps (about
    :math:`10^{-4}` relative) on both sides of ``theta_hat``; those points must
    lie inside the parameter space. For an estimate closer than that to a
    boundary, pass a smaller ``step`` (or report that the estimate is on the
    boundary, where these standard errors do not apply).

    Examples
    --------
    In the exponential toy, :math:`I_{\text{obs}} = n_{obs}/\hat\theta^2`, so the
    standard error is :math:`\hat\theta/\sqrt{n_{obs}} = 0.2`:

    >>> from emcore import standard_errors
    >>> from emcore.models import ExponentialMissing
    >>> model = ExponentialMissing([5.0], n_missing=1)
    >>> for method in ["hessian", "sem", "louis"]:
    ...     print(method, f"{standard_errors(model, 0.2, method).se[0]:.6f}")
    hessian 0.200000
    sem 0.200000
    louis 0.200000
    """
    check_model(model)
    vec, scalar = as_parameter_vector(theta_hat)
    p = vec.size
    free = getattr(model, "free_coordinates", None)
    if method == "hessian" and callable(free) and not scalar:
        return _free_standard_errors(model, free(vec), step)
    s_obs = gradient(model, vec, scalar, relative_steps(vec, step, JACOBIAN_STEP))
    if method == "hessian":
        info = -hessian(model, vec, scalar, relative_steps(vec, step, HESSIAN_STEP))
    else:
        i_com = _hook(model, "complete_information", method, vec, scalar)
        if method == "sem":
            dm = raw_jacobian(model, vec, scalar, step)   # I_com is in the vector's terms
            info = i_com @ (np.eye(p) - dm)
        else:
            outer = _hook(model, "complete_score_outer", method, vec, scalar)
            info = i_com - outer + np.outer(s_obs, s_obs)
    info, cov = _covariance(info, method)
    _check_stationary(s_obs, cov)
    return StandardErrors(cov=cov, se=_se(cov), information=info, method=method,
                          boundary=np.zeros(p, dtype=bool))


def _covariance(info: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The symmetrised information and its inverse; a NotAMaximumWarning if it is not
    positive definite."""
    info = (info + info.T) / 2
    if info.size == 0:  # every parameter on the boundary: nothing to differentiate
        return info, info.copy()
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:  # singular information: no finite covariance exists
        cov = np.full(info.shape, np.nan)
    cov = (cov + cov.T) / 2
    smallest = float(np.min(np.linalg.eigvalsh(info))) if np.all(np.isfinite(info)) else np.nan
    if not smallest > 0:
        warnings.warn(
            f"the observed information ({method}) is not positive definite "
            f"(smallest eigenvalue {smallest:.3g}): the log-likelihood's Hessian is not "
            "negative definite, so theta_hat is not a strict local maximum and the "
            "standard errors are meaningless",
            NotAMaximumWarning,
            stacklevel=3,
        )
    return info, cov


def _check_stationary(gradient: np.ndarray, cov: np.ndarray) -> None:
    """A NotAMaximumWarning when a Newton step from the point would move it by more than
    ``MAX_NEWTON_DISTANCE`` standard errors (skipped when ``cov`` is not finite: the
    information has been reported as not positive definite already)."""
    if gradient.size == 0 or not np.all(np.isfinite(cov)):
        return
    distance = float(np.sqrt(max(gradient @ cov @ gradient, 0.0)))
    if distance > MAX_NEWTON_DISTANCE:
        warnings.warn(
            f"the gradient of the log-likelihood is not zero at theta_hat: a Newton step "
            f"would move it by {distance:.3g} standard errors (more than "
            f"{MAX_NEWTON_DISTANCE}), so theta_hat is not a maximum (has EM converged? "
            "refit with a smaller tol) and the standard errors describe another point",
            NotAMaximumWarning,
            stacklevel=3,
        )


def _se(cov: np.ndarray) -> np.ndarray:
    diag = np.diag(cov)
    return np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)


def _free_standard_errors(model, coords, step) -> StandardErrors:
    """The Hessian in free coordinates, mapped back by the delta method."""
    phi = coords.to_free()
    # two steps of a cross difference must not take a small probability below 0
    h = np.minimum(relative_steps(phi, step, HESSIAN_STEP), coords.room() / 4)
    on_face = OnFace(model, coords)
    info, cov_free = _covariance(-hessian(on_face, phi, False, h), "hessian")
    h_grad = np.minimum(relative_steps(phi, step, JACOBIAN_STEP), coords.room() / 4)
    _check_stationary(gradient(on_face, phi, False, h_grad), cov_free)
    jac = coords.jacobian()
    cov = jac @ cov_free @ jac.T
    cov[coords.boundary] = cov[:, coords.boundary] = np.nan
    return StandardErrors(cov=cov, se=_se(cov), information=info, method="hessian",
                          parametrization="free", boundary=coords.boundary.copy())


def standard_errors_by_attribute(model, theta, as_attributes) -> dict:
    """:func:`standard_errors` of a fitted estimator, keyed and shaped like its attributes.

    ``as_attributes(vector)`` splits a vector laid out as ``theta`` into the
    estimator's fitted attributes (``{"weights_": ..., ...}``). A parameter on the
    boundary gets NaN, and ``"boundary"`` lists those as ``(attribute, index)``.
    """
    result = standard_errors(model, theta)
    out = {key: np.array(value, dtype=float) for key, value in as_attributes(result.se).items()}
    on_boundary = as_attributes(result.boundary)
    out["boundary"] = [(key, tuple(int(i) for i in index))
                       for key, mask in on_boundary.items() for index in np.argwhere(mask)]
    return out
