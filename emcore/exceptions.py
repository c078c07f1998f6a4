"""Warnings and errors that emcore raises."""

__all__ = ["ConvergenceWarning", "EndRun", "HeywoodWarning", "MonotonicityWarning",
           "NotAMaximumWarning", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at ``max_iter`` before meeting its tolerance."""


class HeywoodWarning(UserWarning):
    """A factor analysis ended with a uniqueness near zero (a Heywood case).

    The maximum of the likelihood lies on the boundary ``psi_j = 0`` (or
    the run is heading there): the variable is explained entirely by the
    factors. EM approaches such a point slowly, and the usual asymptotics do
    not hold there. The warning names the variables.
    """


class MonotonicityWarning(UserWarning):
    """The log-likelihood decreased during EM by more than round-off.

    EM can never decrease the observed-data log-likelihood (the book's chapter on
    Jensen's inequality and the ELBO proves it), so this warning means a model's
    E-step, M-step or ``log_likelihood`` is inconsistent with the others.
    """


class NotAMaximumWarning(UserWarning):
    """The observed information is not positive definite at the given point.

    The Hessian of the log-likelihood is not negative definite there, so the
    point is not a strict local maximum (EM may have stopped at a saddle point
    or on a flat ridge) and standard errors computed there are meaningless.
    """


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``."""


class EndRun(Exception):
    """Raised by a model's M-step to end the run where it is (the parameters it was given stay).

    For a state the model cannot step from without leaving what it models,
    such as a mixture component that collapses onto a point: :func:`emcore.run_em`
    then returns the current parameters, not converged, with the exception
    as :attr:`emcore.EMResult.ended_by` (its ``__cause__`` the model's own error).
    """
