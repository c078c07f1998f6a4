"""The second moments and the M-step's covariances: half of :class:`.CovarianceType`.

:class:`SecondMoments` declares the abstract methods of a covariance type that the
statistics (:mod:`emcore.gaussian.stats`) and the M-step
(:func:`emcore.gaussian.mstep.m_step`) call: how a component's second moments are
accumulated and reduced to the type's shape, how the M-step turns them into
covariances, the trace term of ``Q`` and the collapse rule's spread.
:class:`.CovarianceType` inherits them, so a new type defines them with the rest of
the interface; they live here only to keep each module short.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["SecondMoments"]


class SecondMoments(ABC):
    """The second-moment methods of :class:`emcore.gaussian.CovarianceType`, declared here.

    Second moments ``M2`` are sums of ``r (x - s_k)(x - s_k)^T`` about shifts ``s_k``,
    kept in the covariances' shape ``cov_shape(k, d)``: ``full`` keeps the matrices,
    ``diag`` their diagonals, ``spherical`` their traces, and a shared type (``tied``)
    their sum over the components.

    See Also
    --------
    emcore.gaussian.CovarianceType : The base that inherits these, documented with them.
    emcore.gaussian.mstep.m_step : The M-step that calls them.

    Examples
    --------
    ``diag`` keeps each component's diagonal; ``tied`` sums over the components:

    >>> import numpy as np
    >>> from emcore.gaussian import covariance_model
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> print(covariance_model("diag").outer(a, a))
    [[ 1.  4.]
     [ 9. 16.]]
    >>> print(covariance_model("tied").outer(a, a))
    [[10. 14.]
     [14. 20.]]
    """

    def empty_second(self, k, d):
        """Zero second moments: they have the shape of the covariances.

        Parameters
        ----------
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        ndarray of shape ``cov_shape(k, d)``
            Zeros.
        """
        return np.zeros(self.cov_shape(k, d))

    @abstractmethod
    def add_centred(self, second, j, diff, r):
        """Add component ``j``'s second moments ``sum r diff diff^T`` to ``second``.

        In the type's shape: ``full`` adds the matrix to ``second[j]``, ``diag`` its
        diagonal, ``spherical`` its trace. A shared type adds it into its one array
        (``tied``: ``second += ...``), whatever ``j``, so ``second`` ends as the sum over
        the components.

        Parameters
        ----------
        second : ndarray of shape ``cov_shape(k, d)``
            Second moments, updated in place.
        j : int
            The component.
        diff : ndarray of shape (d, m)
            Deviations ``x - s_j`` of ``m`` samples, as columns.
        r : ndarray of shape (m,)
            The samples' responsibilities for component ``j`` (times their weights).
        """

    @abstractmethod
    def outer(self, a, b):
        """``a_k b_k^T`` for each component, in the shape of the second moments.

        Reduced as :meth:`add_centred` reduces: ``full`` keeps the ``k`` matrices,
        ``diag`` their diagonals ``a_k * b_k``, ``spherical`` their traces
        ``a_k . b_k``; a shared type sums over ``k`` (``tied``: ``a^T b``, one matrix).
        The statistics use it to move second moments from one shift to another.

        Parameters
        ----------
        a, b : ndarray of shape (k, d)
            One vector per component.

        Returns
        -------
        ndarray of shape ``cov_shape(k, d)``
            The outer products, shaped and reduced as the type's second moments.
        """

    @abstractmethod
    def covariances(self, m2, n, n_guarded, delta, reg):
        """The M-step's covariances from the second moments, before and after ``reg``.

        The shifts ``s_k`` are ``stats.shift``, the points the E-step took the moments
        about (usually the current means): ``m2`` sums ``r (x - s_k)(x - s_k)^T`` and
        the first moments are ``first_k = n_guarded_k delta_k``. The scatter about the
        new means ``s_k + delta_k`` is then
        ``m2_k - delta_k first_k^T - first_k delta_k^T + n_k delta_k delta_k^T
        = m2_k - (2 n_guarded_k - n_k) delta_k delta_k^T``, and the bare covariance is
        that divided by ``n_guarded_k`` (``full``; ``diag`` takes its diagonal,
        ``spherical`` its trace over ``d``). A shared type sums the scatter over the
        components and divides by ``n_guarded.sum()``. The covariances add ``reg`` to
        the variances (the diagonal).

        Parameters
        ----------
        m2 : ndarray of shape ``cov_shape(k, d)``
            Second moments about the shifts ``s_k``.
        n : ndarray of shape (k,)
            The components' total responsibilities ``N_k``.
        n_guarded : ndarray of shape (k,)
            ``n`` kept away from zero (``n + 10 eps``): the divisor.
        delta : ndarray of shape (k, d)
            The new means minus the shifts: ``first / n_guarded``.
        reg : float
            Added to the diagonal (``reg_covar``).

        Returns
        -------
        covariances : ndarray of shape ``cov_shape(k, d)``
            The new covariances, ``reg`` added.
        bare : ndarray of shape ``cov_shape(k, d)``
            The same before ``reg`` is added (what :meth:`relative_spread` judges).
        """

    @abstractmethod
    def relative_spread(self, bare, means):
        """Each covariance's least variance in any direction, relative to its round-off there.

        With ``D`` the diagonal of the second moments about the fit's origin,
        ``D_i^2 = S_ii + mu_i^2``, it is the smallest eigenvalue of ``D^{-1} S D^{-1}``,
        that is the minimum over directions ``w`` of ``w^T S w / w^T D^2 w``. A
        variance computed from moments about the origin carries round-off of a
        few ``eps`` times ``D_i D_j`` in entry ``(i, j)`` (Cauchy-Schwarz), so the
        ratio is the variance in units of its own resolution along the worst
        direction: free of the data's scale, feature by feature, and 0 up to
        round-off exactly when the covariance is singular (a component on a point,
        on repeated points, or on fewer than ``d + 1`` points in general position).

        A shared covariance pools moments taken about every component's mean, so it is
        judged against the round-off of the farthest one, ``D_i^2 = S_ii + max_k
        mu_ki^2`` (``tied``), and every component gets that one value.

        Parameters
        ----------
        bare : ndarray of shape ``cov_shape(k, d)``
            Covariances before ``reg_covar``, as :meth:`covariances` returns them.
        means : ndarray of shape (k, d)
            The means, relative to the fit's origin.

        Returns
        -------
        ndarray of shape (k,)
            Between 0 and 1 (NaN for a non-finite covariance).

        See Also
        --------
        emcore.gaussian.mstep.collapsed_components : The collapse rule built on it.

        Examples
        --------
        New units for a feature change nothing; a rank-one covariance gives 0:

        >>> import numpy as np
        >>> from emcore.gaussian import covariance_model
        >>> full, S = covariance_model("full"), np.array([[[2.0, 1.0], [1.0, 2.0]]])
        >>> mu, units = np.ones((1, 2)), np.array([1e-3, 1e5])
        >>> a = full.relative_spread(S, mu)
        >>> b = full.relative_spread(units[:, None] * S * units, mu * units)
        >>> bool(np.isclose(a[0], b[0])), bool(full.relative_spread(np.ones((1, 2, 2)), mu) < 1e-15)
        (True, True)
        """

    @abstractmethod
    def scatter_trace(self, chol, n, first, m2, delta):
        """``sum_k tr(P_k S_k)``, the trace term of ``Q`` (:func:`emcore.gaussian.mstep.m_step`).

        Parameters
        ----------
        chol : ndarray of shape ``cov_shape(k, d)``
            The factors ``U``.
        n : ndarray of shape (k,)
            The components' total responsibilities.
        first : ndarray of shape (k, d)
            First moments about the shifts.
        m2 : ndarray of shape ``cov_shape(k, d)``
            Second moments about the shifts.
        delta : ndarray of shape (k, d)
            The means minus the shifts.

        Returns
        -------
        float
            The trace term.
        """
