"""Warnings and errors that emcore raises."""

__all__ = ["ConvergenceWarning", "EndRun", "HeywoodWarning", "MonotonicityWarning",
           "NotAMaximumWarning", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at ``max_iter`` before meeting its tolerance.

    See Also
    --------
    emcore.GaussianMixture : Warns so when ``max_iter`` is reached or a component collapses.
    emcore.run_em : Reports the same in :attr:`emcore.EMResult.converged` instead.

    Examples
    --------
    >>> import warnings
    >>> from emcore import ConvergenceWarning, GaussianMixture
    >>> from emcore.datasets import load_faithful
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     gm = GaussianMixture(2, max_iter=2, random_state=0).fit(load_faithful())
    >>> [w.category is ConvergenceWarning for w in caught], gm.converged_
    ([True], False)
    """


class HeywoodWarning(UserWarning):
    """A factor analysis ended with a uniqueness near zero (a Heywood case).

    The maximum of the likelihood lies on the boundary ``psi_j = 0`` (or
    the run is heading there): the variable is explained entirely by the
    factors. EM approaches such a point slowly, and the usual asymptotics do
    not hold there. The warning names the variables.

    See Also
    --------
    emcore.FactorAnalysis : Warns so, and lists the variables in ``heywood_``.
    emcore.factor.FactorModel.zero_uniqueness_gain : The likelihood gained at ``psi_j = 0``.

    Examples
    --------
    Three variables whose correlations need a loading above 1 on the first
    (``0.8 * 0.8 / 0.5 = 1.28``): the one-factor maximum has ``psi_0 = 0``.

    >>> import warnings
    >>> import numpy as np
    >>> from emcore import FactorAnalysis, HeywoodWarning
    >>> R = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    >>> Z = np.random.default_rng(0).standard_normal((200, 3))
    >>> Z -= Z.mean(axis=0)
    >>> X = Z @ np.linalg.inv(np.linalg.cholesky(Z.T @ Z / 200)).T @ np.linalg.cholesky(R).T
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fa = FactorAnalysis(1).fit(X)
    >>> HeywoodWarning in [w.category for w in caught], fa.heywood_.tolist()
    (True, [0])
    """


class MonotonicityWarning(UserWarning):
    """The log-likelihood decreased during EM by more than round-off.

    EM can never decrease the observed-data log-likelihood (the book's chapter on
    Jensen's inequality and the ELBO proves it), so this warning means a model's
    E-step, M-step or ``log_likelihood`` is inconsistent with the others.

    See Also
    --------
    emcore.run_em : Warns so, naming the iteration.
    emcore.EMModel : The contract the three methods of a model keep.

    Examples
    --------
    An M-step that overshoots the maximiser of ``Q``:

    >>> import warnings
    >>> from emcore import MonotonicityWarning, run_em
    >>> from emcore.models import ExponentialMissing
    >>> class Overshoot(ExponentialMissing):
    ...     def m_step(self, stats):
    ...         return 3.0 * super().m_step(stats)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = run_em(Overshoot([5.0], n_missing=1), theta0=0.2, max_iter=1)
    >>> [w.category is MonotonicityWarning for w in caught]
    [True]
    """


class NotAMaximumWarning(UserWarning):
    """The observed information is not positive definite at the given point.

    The Hessian of the log-likelihood is not negative definite there, so the
    point is not a strict local maximum (EM may have stopped at a saddle point
    or on a flat ridge) and standard errors computed there are meaningless.

    See Also
    --------
    emcore.standard_errors : Warns so, also when the gradient is not near zero.
    emcore.GaussianMixture.standard_errors : The same check for a fitted mixture.

    Examples
    --------
    The exponential toy's maximum is at ``theta = 0.2``, not at 1:

    >>> import warnings
    >>> from emcore import NotAMaximumWarning, standard_errors
    >>> from emcore.models import ExponentialMissing
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = standard_errors(ExponentialMissing([5.0], n_missing=1), 1.0)
    >>> [w.category is NotAMaximumWarning for w in caught]
    [True]
    """


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``.

    A subclass of both :class:`ValueError` and :class:`AttributeError`, like
    scikit-learn's ``NotFittedError``.

    See Also
    --------
    emcore.GaussianMixture.from_params : A fitted mixture from given parameters, without ``fit``.

    Examples
    --------
    >>> from emcore import GaussianMixture
    >>> GaussianMixture().predict([[0.0]])
    Traceback (most recent call last):
    ...
    emcore.exceptions.NotFittedError: this GaussianMixture is not fitted yet: call fit first
    """


class EndRun(Exception):
    """Raised by a model's M-step to end the run where it is (the parameters it was given stay).

    For a state the model cannot step from without leaving what it models,
    such as a mixture component that collapses onto a point: :func:`emcore.run_em`
    then returns the current parameters, not converged, with the exception
    as :attr:`emcore.EMResult.ended_by` (its ``__cause__`` the model's own error).

    See Also
    --------
    emcore.run_em : Ends the run where it is when an M-step raises it.
    emcore.EMResult : Records it in ``ended_by``.

    Examples
    --------
    An M-step that ends the run rather than return a rate above 0.3; from
    ``theta0 = 1`` the first step would give 0.33, so the run keeps the start:

    >>> from emcore import run_em
    >>> from emcore.exceptions import EndRun
    >>> from emcore.models import ExponentialMissing
    >>> class Bounded(ExponentialMissing):
    ...     def m_step(self, stats):
    ...         theta = super().m_step(stats)
    ...         if theta > 0.3:
    ...             raise EndRun(f"theta would be {theta:.2f}")
    ...         return theta
    >>> result = run_em(Bounded([5.0], n_missing=1), theta0=1.0)
    >>> print(result.theta, result.n_iter, result.converged, type(result.ended_by).__name__)
    1.0 0 False EndRun
    >>> result.message
    'ended by the model: theta would be 0.33'
    """
