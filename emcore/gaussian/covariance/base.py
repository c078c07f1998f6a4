"""The abstract base of the covariance types: what a new type must provide, and what it gets.

:class:`CovarianceType` is the whole interface: its docstring lists what a type must
define (the abstract methods) and may set (the attributes), with a worked example of a
type of one's own. The second-moment methods it inherits are declared in
:mod:`.moments` (to keep each module short); the package's docstring
(:mod:`emcore.gaussian.covariance`) gives the four built-in types' shapes and the algebra.
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from .moments import SecondMoments

__all__ = ["CovarianceType"]


class CovarianceType(SecondMoments):
    """Base of the covariance types: the methods a type must provide, and what it gets.

    The thirteen abstract methods are all that the reference E-step
    (:mod:`emcore.gaussian.reference`), the M-step (:func:`emcore.gaussian.mstep.m_step`)
    and sampling need: shapes (``cov_shape``, ``n_cov_parameters``), the parameter
    algebra (``precision_cholesky``, ``from_precisions``, ``precisions``,
    ``half_log_det``, ``whiten``), the second moments and the M-step (``add_centred``,
    ``outer``, ``covariances``, ``scatter_trace``, ``relative_spread``, declared in
    ``emcore.gaussian.covariance.moments``) and sampling (``scaled_noise``). The
    base builds ``n_parameters``, ``log_gaussian``, ``empty_second``, ``sample``,
    ``is_shared`` and ``is_matrix`` on them.

    A type of one's own is passed as an object, ``GaussianMixture(covariance_type=
    MyType())``, and runs end to end on the reference E-step (fit, score, predict,
    sample, BIC); it needs no registration (the registry holds only the four built-in
    types); standard errors (:meth:`emcore.GaussianMixture.standard_errors`) take every
    entry of its covariances as a free coordinate. ``GaussianHMM`` takes only the four
    built-in names. The built-in types add the conjugate prior's shapes
    (:class:`emcore.gaussian.covariance.PriorShapes`), the algebra of rows
    with missing entries and the optional fast kernels, which is why ``prior=`` and
    ``missing="marginalize"`` need a built-in type.

    Every array shaped ``cov_shape(K, d)`` -- covariances, the precisions' Cholesky
    factors ``U`` (``Sigma^(-1) = U U^T``) and the second moments -- has the type's
    shape (the package's docstring gives the four built-in shapes). A *shared* type,
    one covariance for all components (``tied``), keeps one array: its second moments
    are sums over the components, every method that takes a component ``j`` ignores
    it, and its M-step divides by the total weight.

    Attributes
    ----------
    name : str
        The name that error messages quote; a built-in type's is the string
        :func:`emcore.gaussian.covariance_model` takes. A type of one's own may leave
        it empty (the default); names are looked up only for the built-ins.
    is_shared : bool
        Whether one covariance serves every component. Derived from the shapes: true
        when ``cov_shape(k, d)`` does not depend on ``k``. It decides whether
        :func:`emcore.bootstrap` and an HMM's state reordering permute the covariances
        with the components (a shared one stays as it is) and what the collapse
        message names. Leave it to the base; a type that sets it must agree with its
        shapes, else :func:`emcore.gaussian.covariance_model` (hence ``fit``) raises
        ``TypeError``.
    is_matrix : bool
        Whether the covariances are symmetric ``d x d`` matrices (``full``, ``tied``)
        rather than variances. Derived from the shapes, and checked like ``is_shared``.
        A matrix type's ``precisions_init`` must be symmetric, ``from_params`` inverts
        its ``covariances`` as matrices (else ``1 / covariances``), and its free
        coordinates for :func:`emcore.standard_errors` are the upper triangles
        (else every entry).
    has_expanded_path : bool
        Whether the type has the fast chunk kernels of ``emcore.gaussian.fast``
        (default False: the reference E-step runs). Only the built-in types set it.
    needs_data_second : bool
        With the fast kernels: whether they need the data's own second moments
        (default False).
    warm_m_step : bool
        Whether ``covariances`` takes the current covariances as a keyword
        ``start=`` (an iterative M-step, as some of mclust's models, starts there;
        the M-step passes them). Default False.

    See Also
    --------
    emcore.gaussian.covariance_model : The object of a covariance type's name.
    emcore.GaussianMixture : Takes one (or its name) as ``covariance_type``.
    emcore.gaussian.mclust.MclustModel : The models of R's mclust, subclasses of ``full``.

    Notes
    -----
    The test ``tests/gaussian/test_new_covariance_type.py`` checks a type like the one
    below against a hand computation: fit, score, predict, sample and BIC.

    Examples
    --------
    A type of one's own: mclust's ``EII``, one variance ``s`` for every feature and
    every component, ``Sigma_k = s I``, stored as one number (shape ``()``). It is
    shared, so ``add_centred`` adds every component into the one number and
    ``outer`` and ``covariances`` sum over the components:

    >>> import numpy as np
    >>> from emcore import GaussianMixture
    >>> from emcore.gaussian import CovarianceType
    >>> class OneVariance(CovarianceType):
    ...     def cov_shape(self, k, d):
    ...         return ()                          # one number, whatever k and d
    ...     def n_cov_parameters(self, k, d):
    ...         return 1
    ...     def precision_cholesky(self, cov):
    ...         if not cov > 0:
    ...             raise np.linalg.LinAlgError("the variance is not positive")
    ...         return np.asarray(cov**-0.5)      # U = s^(-1/2) I, stored as one number
    ...     def from_precisions(self, prec):
    ...         return np.asarray(1 / prec), np.sqrt(prec)
    ...     def precisions(self, chol):
    ...         return chol**2
    ...     def half_log_det(self, chol, k, d):
    ...         return np.full(k, d * np.log(chol))
    ...     def whiten(self, diff, chol, j):
    ...         return diff * chol
    ...     def add_centred(self, second, j, diff, r):
    ...         second += r @ np.sum(diff**2, axis=0)
    ...     def outer(self, a, b):
    ...         return np.sum(a * b)
    ...     def covariances(self, m2, n, n_guarded, delta, reg):
    ...         scatter = m2 - (2 * n_guarded - n) @ np.sum(delta**2, axis=1)
    ...         bare = scatter / (n_guarded.sum() * delta.shape[1])
    ...         return np.asarray(bare + reg), np.asarray(bare)
    ...     def relative_spread(self, bare, means):
    ...         return np.full(len(means), bare / (bare + np.max(np.mean(means**2, axis=1))))
    ...     def scatter_trace(self, chol, n, first, m2, delta):
    ...         d2 = np.sum(delta**2, axis=1)
    ...         return float(chol**2 * (m2 - 2 * np.sum(delta * first) + n @ d2))
    ...     def scaled_noise(self, z, covariances, j):
    ...         return z * np.sqrt(covariances)
    >>> one = OneVariance()
    >>> one.is_shared, one.is_matrix                   # derived from cov_shape
    (True, False)
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(6, 1, (200, 2))])
    >>> gm = GaussianMixture(2, covariance_type=one, random_state=0).fit(X)
    >>> print(np.sort(gm.means_[:, 0]).round(1), gm.covariances_.round(1))
    [-0.1  6. ] 1.0
    >>> eii = GaussianMixture(2, covariance_type="EII", random_state=0).fit(X)  # mclust's own
    >>> bool(np.isclose(gm.bic(X), eii.bic(X), rtol=1e-9))
    True
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
    def scaled_noise(self, z, covariances, j):
        """Standard normal rows ``z`` times a square root of component ``j``'s covariance.

        Any root ``A`` with ``A A^T = Sigma_j`` will do (the built-in matrix types take the
        Cholesky factor, the variance types ``sqrt``); :meth:`sample` adds the means.

        Parameters
        ----------
        z : ndarray of shape (m, d)
            Standard normal draws, one row per sample of component ``j``.
        covariances : ndarray of shape ``cov_shape(k, d)``
            The covariances (a shared type ignores ``j``).
        j : int
            The component.

        Returns
        -------
        ndarray of shape (m, d)
            Each row ``z_i`` mapped to ``A z_i`` (``z @ A.T``): normal with mean 0 and
            covariance ``Sigma_j``.
        """

    # What each attribute changes: the class docstring's Attributes section.
    name = ""
    has_expanded_path = False
    needs_data_second = False
    warm_m_step = False

    def __repr__(self):
        # what an estimator's repr and select_n_components' rows show for the type
        return repr(self.name) if self.name else f"{type(self).__name__}()"

    @property
    def is_shared(self):
        """Whether one covariance serves every component: ``cov_shape`` ignores ``k``.

        Returns
        -------
        bool
            True for a shared type such as ``tied``.
        """
        return tuple(self.cov_shape(2, 3)) == tuple(self.cov_shape(1, 3))

    @property
    def is_matrix(self):
        """Whether the covariances are ``d x d`` matrices: ``cov_shape`` ends in ``(d, d)``.

        Returns
        -------
        bool
            True for ``full`` and ``tied``, False for the variance types.
        """
        return tuple(self.cov_shape(2, 3))[-2:] == (3, 3)

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

    def sample(self, means, covariances, labels, z):
        """Samples ``means[labels] + Sigma^(1/2) z``, given standard normal draws ``z``.

        Each label's rows are scaled by :meth:`scaled_noise`.

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
            out[rows] = means[j] + self.scaled_noise(z[rows], covariances, j)
        return out

