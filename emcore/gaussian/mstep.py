"""The M-step: new parameters from the sufficient statistics, and its safeguards.

Everything here works on the statistics of :mod:`.stats` alone, without a
pass over the data: the regularised maximiser of ``Q``, the checks for
degenerate components, and the check that the step does not lower ``Q``.
"""

from __future__ import annotations

import numpy as np

from .covariance import covariance_model
from .stats import MixtureParams, SufficientStats

__all__ = ["DegenerateComponentError", "collapsed_components", "m_step"]

_EPS = np.finfo(np.float64).eps


class DegenerateComponentError(ValueError):
    """A mixture component lost all its weight or collapsed onto a point.

    The likelihood of a Gaussian mixture is unbounded: a component that
    shrinks onto a single point (or a set of repeated points) can make it as
    large as ``reg_covar`` allows, and a component without weight is not a
    component. :meth:`emcore.GaussianMixture.fit` does not re-seed a component
    whose total responsibility becomes zero to working precision, or whose
    variance (before ``reg_covar``) along some direction is no larger than the
    round-off of a variance computed where the component sits -- it has
    collapsed onto a point, onto repeated points, or onto a line (a covariance
    of rank below the number of features), where the likelihood is unbounded
    (:func:`~emcore.gaussian.mstep.collapsed_components`). The rule is the
    component's own, free of the data's scale and of each feature's units: two
    clusters 0.01 wide and 3e4 apart are two components, not two collapses.
    One rule, the same for data in memory and on dask. With ``reg_covar > 0``
    (the default) a collapse at an M-step stops that run and keeps the
    parameters of the iteration before it (the start, if the first M-step
    collapses), the best the run reached; a run without a collapse is preferred
    to any run with one; if the kept run collapsed, ``converged_`` is False and
    ``fit`` warns with a :class:`~emcore.ConvergenceWarning` saying which
    component and what to change. A fit that stopped with an error at one grid
    point would lose a whole grid search; the warning keeps it going, and a
    grid search scores such a fit like any other. With ``reg_covar=0`` nothing
    bounds the likelihood and the user asked for no floor: a collapse, or a
    covariance that is not positive definite, raises
    :class:`DegenerateComponentError` (a ValueError) saying which component and
    what to change; a restart that raises is skipped, and the error is raised
    only when every restart does. ``partial_fit`` raises it at any collapse;
    :func:`emcore.select_n_components` records a collapsed fit, warned or
    raised, with its ``error``.

    See Also
    --------
    emcore.GaussianMixture.fit : Raises it when ``reg_covar=0``.
    emcore.hmm.DegenerateStateError : The same failure in an HMM's M-step.
    emcore.ConvergenceWarning : What ``fit`` warns with instead when ``reg_covar > 0``.

    Examples
    --------
    Three repeated points draw a component onto them; with no ``reg_covar`` its variance is 0:

    >>> import numpy as np
    >>> from emcore import GaussianMixture
    >>> from emcore.mixture import DegenerateComponentError
    >>> X = np.array([[0.0], [0.0], [0.0], [5.0], [6.0], [7.0]])
    >>> try:
    ...     GaussianMixture(2, reg_covar=0, means_init=[[0.0], [6.0]]).fit(X)
    ... except DegenerateComponentError as err:
    ...     print(str(err)[:39])
    component 0 collapsed onto a point: its
    """


#: A component is empty when its weight is below this fraction of the total weight.
EMPTY_FRACTION = 100 * _EPS
#: A component has collapsed when, in some direction, its variance is at most this many float64
#: epsilons times its second moment about the origin of the coordinates (the data's centre
#: inside a fit) in that direction: the round-off of a variance computed from moments about
#: that origin (``CovarianceType.relative_spread``).
COLLAPSE_ULPS = 64


def collapsed_components(cov_type, bare, means) -> np.ndarray:
    """Indices of the components whose covariance is singular to working precision.

    A covariance ``bare`` (before ``reg_covar``) has collapsed when its variance
    in some direction is round-off: its :meth:`~emcore.gaussian.CovarianceType.relative_spread`,
    the variance along the worst direction relative to the second moment about
    the fit's origin there, is at most ``COLLAPSE_ULPS`` epsilons. That holds on
    a point, on repeated points, and on fewer than ``d + 1`` points in general
    position (a covariance of rank below ``d``), wherever the component sits and
    whatever the units of each feature: the rule compares the component with
    itself, never with the rest of the data.

    Parameters
    ----------
    cov_type : str or CovarianceType
        The covariance type.
    bare : numpy.ndarray
        The covariances before ``reg_covar``, shaped as the type's.
    means : numpy.ndarray of shape (K, d)
        The means, relative to the fit's origin.

    Returns
    -------
    numpy.ndarray of int
        The collapsed components (every component when a shared covariance collapses).

    See Also
    --------
    emcore.gaussian.CovarianceType.relative_spread : The ratio it compares with ``eps``.
    DegenerateComponentError : What a fit raises, or warns about, for such a component.

    Examples
    --------
    Two components far from the origin, one 0.01 wide, one on a line (rank one):

    >>> import numpy as np
    >>> from emcore.gaussian.mstep import collapsed_components
    >>> tight = 1e-4 * np.eye(2)
    >>> line = np.array([[1.0, 2.0], [2.0, 4.0]])
    >>> collapsed_components("full", np.stack([tight, line]), np.array([[3e4, 0.0], [3e4, 1.0]]))
    array([1])
    """
    ratio = covariance_model(cov_type).relative_spread(bare, means)
    return np.flatnonzero(~(ratio > COLLAPSE_ULPS * _EPS))


def m_step(stats: SufficientStats, cov_type: str, reg_covar: float, prior=None, *,
           strict: bool = True) -> MixtureParams:
    """The parameters that maximise Q given the statistics, plus ``reg_covar`` on the diagonal.

    With a ``prior`` (a :class:`._prior.ResolvedPrior`) they maximise
    ``Q + log p(theta)`` instead -- the posterior mode -- and the acceptance
    check below compares that penalised ``Q``.

    Raises :class:`DegenerateComponentError` for a component whose weight is
    zero to working precision (below ``EMPTY_FRACTION`` of the total), whose
    covariance (before ``reg_covar``) is singular to working precision in some
    direction (:func:`collapsed_components`) -- it sits on a point, on repeated
    points or on a line -- or whose covariance is not positive definite.
    ``strict=False`` (the mixture's starting point: one M-step from the initial
    responsibilities, with ``reg_covar > 0``) skips the first two checks: ``reg_covar``
    keeps such parameters finite, and EM's first M-step judges them.

    With ``reg_covar > 0`` the result is not the exact maximiser of ``Q``, so
    the observed-data log-likelihood could fall. When ``stats.params`` (the
    current parameters) is known, the step is therefore accepted only if
    ``Q(new | current) >= Q(current | current)`` -- evaluated from the
    statistics, no pass over the data -- which by EM's inequality
    guarantees that the log-likelihood does not decrease. Otherwise the
    current parameters are returned unchanged: near the fixed point the
    regularised step no longer improves the likelihood, and the fit has
    converged as far as ``reg_covar`` allows. (Away from that point the
    check always passes, and the steps are exactly the regularised ones.)
    """
    cov = covariance_model(cov_type)
    n = stats.n
    total = float(n.sum())
    counts = n if prior is None else prior.counts(n)
    empty = np.flatnonzero(~(counts > EMPTY_FRACTION * total))
    if empty.size and strict:
        j = int(empty[0])
        raise DegenerateComponentError(
            f"component {j} lost all its weight (its total responsibility is {n[j]:.3g} "
            f"of {total:.6g}): no sample is near it; use fewer components or another initialisation"
        )
    # n_guarded keeps every division finite: an underflowed n_k is reported above,
    # and the 10 eps shift is far below the round-off of any n_k that passes.
    if prior is None:
        n_guarded = n + 10 * _EPS
        delta = stats.first / n_guarded[:, None]
        start = ({"start": stats.params.covariances}
                 if cov.warm_m_step and stats.params is not None else {})
        covariances, bare = cov.covariances(stats.second, n, n_guarded, delta, reg_covar,
                                            **start)
        weights = n_guarded / n_guarded.sum()
    else:
        weights, delta, covariances, bare = prior.m_step(cov, stats, reg_covar)
    collapsed = collapsed_components(cov, bare, stats.shift + delta)
    if collapsed.size and strict:
        j = int(collapsed[0])
        what = "the shared covariance" if cov.is_shared else f"component {j}"
        ratio = cov.relative_spread(bare, stats.shift + delta)[j]
        onto = "a point" if delta.shape[1] == 1 else "a point or a line"
        raise DegenerateComponentError(
            f"{what} collapsed onto {onto}: its variance along some direction is "
            f"round-off ({ratio:.2g} of its second moment about the data's centre there, at "
            f"most {COLLAPSE_ULPS} eps); the likelihood is unbounded there. Use fewer "
            "components, another initialisation, remove repeated points, or drop a feature "
            "that is a linear function of the others"
        )
    try:
        chol = cov.precision_cholesky(covariances)
    except np.linalg.LinAlgError:
        raise DegenerateComponentError(
            f"a covariance matrix is not positive definite (reg_covar={reg_covar:g}): some "
            "component has fewer distinct samples than dimensions; increase reg_covar"
        ) from None
    new = MixtureParams(weights, stats.shift + delta, covariances, chol)
    current = stats.params
    if current is not None:  # current weights None: the weights are not EM's to compare (an HMM's)
        weighted = current.weights is not None
        q_new, scale = _q_value(cov, stats, new, prior, weighted)
        q_old, _ = _q_value(cov, stats, current, prior, weighted)
        if q_new < q_old - Q_RTOL * scale:
            return current
    return new


#: Round-off allowance of the ``Q`` comparison in :func:`m_step`, relative to
#: the magnitude of ``Q``'s terms: smaller differences are round-off, not a decrease.
Q_RTOL = 1000 * _EPS


def _q_value(cov, stats: SufficientStats, params: MixtureParams, prior=None,
             weighted: bool = True) -> tuple[float, float]:
    """``Q(params | stats.params)`` (plus ``log p(params)``) up to a constant,
    and the size of its terms.

    Without ``weighted``, the Gaussian terms alone (the weights' term left out).
    """
    k, d = params.means.shape
    chol = params.precisions_cholesky
    delta = params.means - stats.shift
    trace = cov.scatter_trace(chol, stats.n, stats.first, stats.second, delta)
    with np.errstate(divide="ignore"):
        log_w = np.log(params.weights) if weighted else 0.0
    linear = stats.n * (log_w + cov.half_log_det(chol, k, d))
    q, scale = float(linear.sum()) - 0.5 * trace, float(np.abs(linear).sum()) + 0.5 * abs(trace)
    if prior is not None:
        log_prior = prior.log_density(params)
        q, scale = q + log_prior, scale + abs(log_prior)
    return q, scale
