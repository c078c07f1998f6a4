"""The generic EM driver: one loop that every model in emcore runs on.

A model supplies three things (see :class:`EMModel`): an E-step, an M-step and
its observed-data log-likelihood. :func:`run_em` does everything else:
iterating, stopping, recording the history, calling back, and checking that
the log-likelihood never decreases. The stopping rules it knows by name, and
:class:`LoglikChange`, are in ``_stopping``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np

from ._stopping import STOP_RULES, LoglikChange, has_converged
from ._checks import Integer, Options, Real, validated
from .acceleration import parameter_kind, squarem_cycle
from .exceptions import EndRun, MonotonicityWarning

__all__ = ["EMModel", "EMResult", "EndRun", "LoglikChange", "run_em"]

#: Relative size of a log-likelihood decrease that is still taken as round-off.
MONOTONICITY_RTOL = 1e-10


class EMModel(ABC):
    """Base class of a model that EM can fit.

    A model holds its own data and implements three methods. Parameters
    ``theta`` may be a float, a tuple, a numpy array or a small dataclass;
    the model decides, and :func:`run_em` passes them through untouched.

    Subclasses implement

    * :meth:`e_step` -- from the current parameters, whatever the M-step
      needs: usually the expected complete-data sufficient statistics;
    * :meth:`m_step` -- from those statistics, the new parameters;
    * :meth:`log_likelihood` -- the observed-data log-likelihood (a float).

    A model whose E-step computes the log-likelihood as a by-product (a
    mixture does) may override :meth:`e_step_with_log_likelihood`, so that
    each EM iteration costs one pass over the data instead of two.

    The contract :func:`run_em`, :func:`emcore.em_rate`,
    :func:`emcore.standard_errors` and SQUAREM rely on:

    * **Leaving the parameter space raises ValueError.** ``log_likelihood``
      (and ``e_step``, where it would divide by zero or take the log of a
      negative number) must raise :class:`ValueError` for parameters outside
      the space (a negative variance, weights off the simplex), never return
      NaN or extend the formula beyond it. SQUAREM's safeguard catches the
      ValueError and falls back to the plain EM point; the numerical
      derivatives of ``standard_errors`` would otherwise differentiate a
      function that is not the likelihood.
    * **The log-likelihood belongs to the same model as the two steps**: EM
      never decreases it, and :func:`run_em` warns
      (:class:`emcore.MonotonicityWarning`) when it does by more than round-off.
    * **Stopping** is :func:`run_em`'s: ``tol=0`` runs exactly ``max_iter``
      iterations, as the estimators do; a callable ``stop`` rule such as
      :class:`emcore.em.LoglikChange` replaces the named rules. An M-step may
      raise :class:`emcore.exceptions.EndRun` to end the run where it is.
    * For :func:`emcore.standard_errors` the parameters must be a float or a
      1-D array, and a model whose parameters live on a constrained set
      should offer ``free_coordinates(theta)`` (an
      :class:`emcore._free.FreeCoordinates`).

    Optional analytic hooks, used by :func:`emcore.standard_errors` when a
    model defines them (parameters a float or a 1-D array of length ``p``):

    * ``complete_information(theta)`` -- the expected complete-data
      information :math:`\\mathbb{E}[-\\partial^2 \\log p(x, z \\mid \\theta) \\mid x, \\theta]`,
      a ``(p, p)`` array; needed by ``method="sem"`` and ``method="louis"``;
    * ``complete_score_outer(theta)`` -- the conditional second moment of the
      complete-data score, :math:`\\mathbb{E}[S_c S_c^\\top \\mid x, \\theta]`, a
      ``(p, p)`` array; needed by ``method="louis"``.

    :class:`emcore.models.ExponentialMissing` and
    :class:`emcore.models.MixingProportion` show both.

    See Also
    --------
    emcore.run_em : Runs EM on a model.
    emcore.EMResult : What a run returns.
    emcore.models.ExponentialMissing : A complete model with the analytic hooks.

    Examples
    --------
    The mean of a normal sample with known unit variance needs no latent
    variable, so EM converges in one step:

    >>> import numpy as np
    >>> from emcore import EMModel, run_em
    >>> class NormalMean(EMModel):
    ...     def __init__(self, x):
    ...         self.x = np.asarray(x, dtype=float)
    ...     def e_step(self, theta):
    ...         return self.x.sum()
    ...     def m_step(self, total):
    ...         return total / self.x.size
    ...     def log_likelihood(self, theta):
    ...         return float(-0.5 * np.sum((self.x - theta) ** 2)
    ...                      - 0.5 * self.x.size * np.log(2 * np.pi))
    >>> result = run_em(NormalMean([1.0, 2.0, 6.0]), theta0=0.0)
    >>> print(result.theta, result.n_iter, result.converged)
    3.0 2 True
    """

    @abstractmethod
    def e_step(self, theta: Any) -> Any:
        """Compute what the M-step needs under parameters ``theta``.

        Parameters
        ----------
        theta : object
            The current parameters, in the model's own form.

        Returns
        -------
        object
            The expected complete-data statistics (any form the M-step reads).
        """

    @abstractmethod
    def m_step(self, stats: Any) -> Any:
        """The parameters that maximise Q given the E-step's ``stats``.

        Parameters
        ----------
        stats : object
            What :meth:`e_step` returned.

        Returns
        -------
        object
            The new parameters.
        """

    @abstractmethod
    def log_likelihood(self, theta: Any) -> float:
        """The observed-data log-likelihood at ``theta``.

        Parameters
        ----------
        theta : object
            Parameters inside the parameter space (outside it, raise ValueError).

        Returns
        -------
        float
            The log-likelihood of the observed data (not of the complete data).
        """

    def e_step_with_log_likelihood(self, theta: Any) -> tuple[Any, float]:
        """Both ``e_step(theta)`` and ``log_likelihood(theta)``.

        Override when both come out of one pass over the data.

        Parameters
        ----------
        theta : object
            The current parameters.

        Returns
        -------
        stats : object
            What :meth:`e_step` returns.
        log_likelihood : float
            What :meth:`log_likelihood` returns.
        """
        return self.e_step(theta), self.log_likelihood(theta)


@dataclasses.dataclass
class EMResult:
    """What :func:`run_em` returns.

    Attributes
    ----------
    theta : object
        The last parameters, of the same kind the model uses.
    log_likelihood : float
        The observed-data log-likelihood at ``theta``.
    n_iter : int
        Number of EM iterations (M-steps) performed.
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    theta_history : list
        ``theta0`` followed by the parameters after each iteration
        (``n_iter + 1`` entries).
    log_likelihood_history : numpy.ndarray
        The log-likelihood at each entry of ``theta_history``.
    message : str
        Why the run stopped: ``"converged"``, ``"max_iter reached"``,
        ``"stopped by callback"`` or ``"ended by the model: ..."``.
    n_e_steps, n_m_steps : int
        How many times the model's E-step and M-step were evaluated.
    ended_by : EndRun or None
        What the model's M-step raised to end the run, if it did.

    See Also
    --------
    emcore.run_em : Returns it.
    emcore.em_rate : The rate of convergence at the result's ``theta``.
    emcore.standard_errors : Standard errors at the result's ``theta``.

    Examples
    --------
    >>> from emcore import run_em
    >>> from emcore.models import ExponentialMissing
    >>> result = run_em(ExponentialMissing([5.0], n_missing=1), theta0=1.0, tol=1e-12)
    >>> print(result.converged, result.message, len(result.theta_history) == result.n_iter + 1)
    True converged True
    """

    theta: Any
    log_likelihood: float
    n_iter: int
    converged: bool
    theta_history: list
    log_likelihood_history: np.ndarray
    message: str
    n_e_steps: int
    n_m_steps: int
    ended_by: EndRun | None = None


def _check_model(model):
    for name in ("e_step", "m_step", "log_likelihood"):
        if not callable(getattr(model, name, None)):
            raise TypeError(
                f"model must provide e_step, m_step and log_likelihood "
                f"(subclass emcore.EMModel); {type(model).__name__} has no {name}()"
            )


def _loglik(value, where: str) -> float:
    try:
        ll = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"log_likelihood must return a float; {where} it returned {type(value).__name__}"
        ) from None
    if math.isnan(ll) or ll == math.inf:
        raise FloatingPointError(
            f"the log-likelihood is {ll} {where}: the parameters have left the "
            "parameter space or the model's E-/M-step produced invalid values"
        )
    return ll


@validated({
    "tol": [Real(0)],
    "max_iter": [Integer(0)],
    "callback": [None, callable],
    "stop": [Options(STOP_RULES), callable],
    "accelerate": [None, Options(("squarem",))],
})
def run_em(
    model: EMModel,
    theta0: Any,
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
    callback: Callable[[int, Any, float], bool | None] | None = None,
    stop: str | Callable = "both",
    accelerate: str | None = None,
) -> EMResult:
    """Run the EM algorithm on ``model`` from ``theta0``.

    Each iteration ``t = 1, 2, ...`` performs one M-step on the statistics of
    the previous E-step and one E-step (with the log-likelihood) at the new
    parameters, so every iterate's log-likelihood is known and recorded.

    Parameters
    ----------
    model : EMModel
        The model, holding its data.
    theta0 : object
        Starting parameters, of the kind the model uses.
    tol : float, default 1e-8
        Tolerance of the named stopping rules; ``tol=0`` never stops them, so
        the run makes exactly ``max_iter`` iterations (as the estimators'
        ``tol=0`` does). A callable rule (such as ``emcore.em.LoglikChange``)
        carries its own and ignores ``tol``.
    max_iter : int, default 1000
        Largest number of iterations. ``max_iter=0`` returns the start.
    callback : callable, optional
        ``callback(iteration, theta, log_likelihood)`` is called after every
        iteration; returning ``True`` stops the run.
    stop : {"both", "loglik", "params"} or callable, default "both"
        The stopping rule, tested after each iteration with
        ``s = max(1, |value|)`` as scale:

        * ``"loglik"``: ``|l_t - l_{t-1}| <= tol * max(1, |l_t|)``;
        * ``"params"``: ``max_i |theta_t,i - theta_{t-1},i| <= tol * max(1, max_i |theta_t,i|)``
          over all parameters flattened into one vector;
        * ``"both"``: both of the above.

        A callable ``stop(t, theta_old, theta_new, ll_old, ll_new)``
        returning ``True`` when converged (a function, or a rule object such as
        ``emcore.em.LoglikChange``) replaces the rule.
    accelerate : {None, "squarem"}, default None
        ``"squarem"`` makes each iteration one SQUAREM cycle (Varadhan &
        Roland 2008, step length SqS3; see :mod:`emcore.acceleration`): two EM
        steps, an extrapolation along them and one stabilising EM step. When
        the extrapolated point's log-likelihood is lower than the current one
        (or the point leaves the parameter space) the cycle falls back to the
        two plain EM steps, so the log-likelihood still never decreases. Needs
        parameters that are a float or a 1-D numpy array. The history then
        holds one entry per cycle; ``n_e_steps`` and ``n_m_steps`` count the
        model evaluations, the cost to compare with plain EM.

    Returns
    -------
    EMResult
        The last parameters and their log-likelihood, the history of both, the
        number of iterations and why the run stopped.

    Raises
    ------
    TypeError, ValueError
        For invalid arguments.
    FloatingPointError
        When the log-likelihood becomes NaN or ``+inf``.

    Warns
    -----
    emcore.MonotonicityWarning
        When the log-likelihood decreases by more than round-off
        (``1e-10`` relative): EM never does that, so the model is wrong.
        The warning names the iteration.

    See Also
    --------
    emcore.EMModel : The three methods a model implements.
    emcore.EMResult : What the run returns.
    emcore.em_rate : The rate of convergence at the fixed point.
    emcore.standard_errors : Standard errors at the fixed point.

    Examples
    --------
    >>> from emcore import run_em
    >>> from emcore.models import ExponentialMissing
    >>> result = run_em(ExponentialMissing([5.0], n_missing=1), theta0=1.0, tol=1e-12)
    >>> print(f"{result.theta:.10f} after {result.n_iter} iterations")
    0.2000000000 after 38 iterations

    SQUAREM gets there with far fewer M-steps:

    >>> fast = run_em(ExponentialMissing([5.0], n_missing=1), theta0=1.0, tol=1e-12,
    ...               accelerate="squarem")
    >>> print(f"{fast.theta:.10f} after {fast.n_m_steps} M-steps")
    0.2000000000 after 15 M-steps
    """
    _check_model(model)
    scalar = parameter_kind(theta0) if accelerate else None
    stats, ll = model.e_step_with_log_likelihood(theta0)
    ll = _loglik(ll, "at theta0")
    theta = theta0
    thetas, lls = [theta0], [ll]
    n_e, n_m = 1, 0
    message = "max_iter reached"
    converged, ended_by = False, None
    for t in range(1, max_iter + 1):
        try:
            if accelerate:
                cycle = squarem_cycle(model, theta, stats, ll, scalar)
                theta_new, stats, ll_new = cycle.theta, cycle.stats, cycle.log_likelihood
                n_e, n_m = n_e + cycle.n_e, n_m + cycle.n_m
            else:
                theta_new = model.m_step(stats)
                n_m += 1
                stats, ll_new = model.e_step_with_log_likelihood(theta_new)
                n_e += 1
        except EndRun as end:
            ended_by, message = end, f"ended by the model: {end}"
            break
        ll_new = _loglik(ll_new, f"at iteration {t}")
        if ll_new < ll - MONOTONICITY_RTOL * max(1.0, abs(ll)):
            warnings.warn(
                f"EM decreased the log-likelihood at iteration {t} "
                f"(from {ll:.12g} to {ll_new:.12g}); the model's E-step, "
                "M-step or log_likelihood is inconsistent",
                MonotonicityWarning,
                stacklevel=2,
            )
        thetas.append(theta_new)
        lls.append(ll_new)
        done = has_converged(stop, tol, t, theta, theta_new, ll, ll_new)
        theta, ll = theta_new, ll_new
        halt = callback is not None and callback(t, theta, ll) is True
        if done:
            converged, message = True, "converged"
            break
        if halt:
            message = "stopped by callback"
            break
    return EMResult(
        theta=theta,
        log_likelihood=ll,
        n_iter=len(thetas) - 1,
        converged=converged,
        theta_history=thetas,
        log_likelihood_history=np.asarray(lls),
        message=message,
        n_e_steps=n_e,
        n_m_steps=n_m,
        ended_by=ended_by,
    )
