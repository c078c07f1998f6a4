"""The abstract base of the covariance types: what a new type must provide, and what it gets.

:class:`CovarianceType` lists as abstract methods the dozen operations that the
reference E-step, the M-step and sampling need (shapes, parameter algebra, second
moments, the M-step's covariances, the collapse rule's spread); it provides the rest
on top of them (``n_parameters``, ``log_gaussian``, ``empty_second``, ``sample``).
A type that implements only these runs end to end on the reference E-step; it is
passed as an object, or registered by name in :mod:`.registry`. The package's
docstring (:mod:`emcore.gaussian.covariance`) describes the whole interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["CovarianceType"]


class CovarianceType(ABC):
    """Base of the covariance types; the interface is in ``emcore.gaussian.covariance``'s docstring.

    The abstract methods below are what any covariance type must provide:
    they are all the reference E-step (:mod:`.reference`), the M-step
    (:func:`emcore.gaussian.mstep.m_step`) and sampling need. The four built-in
    types add the prior shapes, the missing entries' algebra (``._conditional``)
    and, as an optional hook, the fast chunk kernels (``emcore.gaussian.fast``).

    See Also
    --------
    emcore.gaussian.covariance_model : The object of a covariance type's name.
    emcore.GaussianMixture : Takes one (or its name) as ``covariance_type``.
    emcore.gaussian.mclust.MclustModel : The models of R's mclust, subclasses of ``full``.

    Examples
    --------
    A ``diag`` type holds each component's variances; ``U`` is the Cholesky factor of the
    precision, here ``1 / sqrt(variance)``:

    >>> import numpy as np
    >>> from emcore.gaussian import CovarianceType, covariance_model
    >>> diag = covariance_model("diag")
    >>> isinstance(diag, CovarianceType), diag.cov_shape(3, 2), diag.n_cov_parameters(3, 2)
    (True, (3, 2), 6)
    >>> U = diag.precision_cholesky(np.array([[4.0, 1.0]]))   # one component
    >>> print(U)
    [[0.5 1. ]]
    >>> print(np.exp(diag.log_gaussian(np.zeros((1, 2)), np.zeros((1, 2)), U)).round(6))
    [[0.079577]]
    """

    @abstractmethod
    def cov_shape(self, k, d):
        """Shape of ``covariances`` (and of the second moments) for ``k`` components.

        Parameters
        ----------
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        tuple of int
            The shape, e.g. ``(k, d, d)`` for ``full``.
        """

    @abstractmethod
    def n_cov_parameters(self, k, d):
        """Free parameters of the ``k`` covariances.

        Parameters
        ----------
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        int
            The number of free parameters of the covariances.
        """

    @abstractmethod
    def precision_cholesky(self, cov):
        """Factors ``U`` with ``Sigma^(-1) = U U^T``; LinAlgError unless positive definite.

        Parameters
        ----------
        cov : ndarray of shape ``cov_shape(k, d)``
            Covariances.

        Returns
        -------
        ndarray of shape ``cov_shape(k, d)``
            The factors ``U``.
        """

    @abstractmethod
    def from_precisions(self, prec):
        """``(covariances, U)`` from precisions; LinAlgError unless positive definite.

        Parameters
        ----------
        prec : ndarray of shape ``cov_shape(k, d)``
            Precisions (inverse covariances).

        Returns
        -------
        covariances, chol : ndarray of shape ``cov_shape(k, d)``
            The covariances and the Cholesky factors ``U`` of the precisions.
        """

    @abstractmethod
    def precisions(self, chol):
        """The precisions ``U U^T``.

        Parameters
        ----------
        chol : ndarray of shape ``cov_shape(k, d)``
            The factors ``U``.

        Returns
        -------
        ndarray of shape ``cov_shape(k, d)``
            The precisions, shaped as the covariances.
        """

    @abstractmethod
    def half_log_det(self, chol, k, d):
        """``log det U_k`` for each of the ``k`` components, shape (k,).

        Parameters
        ----------
        chol : ndarray of shape ``cov_shape(k, d)``
            The factors ``U``.
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        ndarray of shape (k,)
            ``sum(log diag U_k)``, one per component.
        """

    @abstractmethod
    def whiten(self, diff, chol, j):
        """``U_j^T (x - mu_j)`` for each row of ``diff`` (n, d): the rows times ``U_j``.

        Parameters
        ----------
        diff : ndarray of shape (n, d)
            Rows ``x - mu_j``.
        chol : ndarray of shape ``cov_shape(k, d)``
            The factors ``U``.
        j : int
            The component.

        Returns
        -------
        ndarray of shape (n, d)
            The whitened rows.
        """

    @abstractmethod
    def add_centred(self, second, j, diff, r):
        """Add component ``j``'s second moments ``sum r diff diff^T`` (``diff``
        (d, m)) to ``second``.

        Parameters
        ----------
        second : ndarray of shape ``cov_shape(k, d)``
            Second moments, updated in place.
        j : int
            The component.
        diff : ndarray of shape (d, m)
            Deviations ``x - s_j`` of ``m`` samples, as columns.
        r : ndarray of shape (m,)
            The samples' responsibilities for component ``j``.
        """

    @abstractmethod
    def outer(self, a, b):
        """``a_k b_k^T`` for each component, in the shape of the second moments.

        Parameters
        ----------
        a, b : ndarray of shape (k, d)
            One vector per component.

        Returns
        -------
        ndarray of shape ``cov_shape(k, d)``
            The outer products, summed or reduced as the type's second moments.
        """

    @abstractmethod
    def covariances(self, m2, n, n_guarded, delta, reg):
        """The M-step's covariances from second moments, and each one's mean variance.

        Parameters
        ----------
        m2 : ndarray of shape ``cov_shape(k, d)``
            Second moments about the shifts ``s``.
        n : ndarray of shape (k,)
            The components' total responsibilities.
        n_guarded : ndarray of shape (k,)
            ``n`` kept away from zero (the divisor).
        delta : ndarray of shape (k, d)
            The new means minus the shifts.
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

        Parameters
        ----------
        bare : ndarray of shape ``cov_shape(k, d)``
            Covariances before ``reg_covar``, as :meth:`covariances` returns them.
        means : ndarray of shape (k, d)
            The means, relative to the fit's origin.

        Returns
        -------
        ndarray of shape (k,)
            Between 0 and 1 (NaN for a non-finite covariance); a shared covariance
            gives every component its value.

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

    @abstractmethod
    def _scaled_noise(self, z, covariances, j):
        """Standard normal rows ``z`` scaled by component ``j``'s covariance root."""

    name = ""
    is_shared = False
    is_matrix = False
    #: The fast hook: whether the type has the chunk kernels of ``emcore.gaussian.fast`` (else the
    #: reference E-step is used), and whether they need the data's own second moments.
    has_expanded_path = False
    needs_data_second = False
    #: Whether ``covariances`` takes the current covariances as ``start=`` (an iterative
    #: M-step starts there; :func:`emcore.gaussian.mstep.m_step` passes them).
    warm_m_step = False

    def n_parameters(self, k, d):
        """Free parameters of a ``k``-component mixture in ``d`` dimensions.

        Parameters
        ----------
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        int
            Covariance parameters, ``k * d`` means and ``k - 1`` weights.
        """
        return self.n_cov_parameters(k, d) + k * d + k - 1

    def log_gaussian(self, X, means, chol):
        """(n, K) log-densities of the rows of ``X`` under every component.

        Parameters
        ----------
        X : ndarray of shape (n, d)
            Samples.
        means : ndarray of shape (K, d)
            Component means.
        chol : ndarray of shape ``cov_shape(K, d)``
            The factors ``U``.

        Returns
        -------
        ndarray of shape (n, K)
            ``log N(x_n | mu_k, Sigma_k)``.
        """
        from ..reference import log_densities  # the reference builds on this package

        return log_densities(X, means, chol, self)

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


    def sample(self, means, covariances, labels, z):
        """Samples ``means[labels] + Sigma^(1/2) z``, given standard normal draws ``z``.

        Parameters
        ----------
        means : ndarray of shape (K, d)
            Component means.
        covariances : ndarray of shape ``cov_shape(K, d)``
            Component covariances.
        labels : ndarray of shape (n,)
            Each sample's component.
        z : ndarray of shape (n, d)
            Standard normal draws.

        Returns
        -------
        ndarray of shape (n, d)
            The samples, one row per label.
        """
        out = np.empty(z.shape)
        for j in range(means.shape[0]):
            rows = labels == j
            out[rows] = means[j] + self._scaled_noise(z[rows], covariances, j)
        return out

