"""The four covariance types of a Gaussian mixture: everything about one type in one object.

``covariance_model(name)`` returns the object of type ``name``; no other module
branches on the name (a test greps). A fifth type is a subclass of
:class:`CovarianceType` registered in ``_MODELS``; R mclust's 14 models
(:mod:`.mclust`) are subclasses of ``full`` with their own M-steps. The interface (``K``
components, ``d`` features; pure functions of their arguments, so HMM
emissions can share them):

*Shapes.* ``cov_shape(k, d)`` of ``covariances`` and ``precisions_cholesky``
(scikit-learn's: ``full`` (K, d, d), ``tied`` (d, d), ``diag`` (K, d),
``spherical`` (K,)); ``n_cov_parameters(k, d)``, ``n_parameters(k, d)`` (the
mixture's); ``is_shared`` (one covariance for all), ``is_matrix``.

*Parameter algebra.* ``U = precisions_cholesky`` with precision ``P = U U^T``;
from ``S = L L^T`` it is ``U = L^{-T}``, so the Mahalanobis distance is
``|U^T (x - mu)|^2`` and ``log det P^{1/2} = sum(log diag U)``.
``precision_cholesky(S)`` (LinAlgError unless positive definite),
``from_precisions(P)`` -> (S, U), ``precisions(U)``, ``half_log_det(U, k, d)``,
``log_gaussian(X, means, U)`` -> (n, K) ``log N(x | mu_k, Sigma_k)``.

*Second moments* ``M2``, sums of ``r (x - s)(x - s)^T`` about shifts ``s``,
have the covariances' shape (``tied``: summed over components, ``diag``:
diagonals, ``spherical``: traces). ``outer(a, b)`` (``a_k b_k^T`` so shaped),
``empty_second(k, d)``, ``add_centred(M2, j, diff, r)`` (component ``j``'s
moments of ``diff = x - s_j``, (d, m)); ``covariances(M2, n, n_guarded, delta,
reg)`` -> the M-step's (covariances, the same before ``reg``), ``delta``
the new means minus ``s``; ``scatter_trace(U, n, first, M2, delta)`` ->
``sum_k tr(P_k S_k)``, the trace term of ``Q``; ``relative_spread(S, means)`` -> each
covariance's least variance in any direction relative to its round-off there (the collapse
rule of :mod:`.mstep`).

*Fast kernels*, optional: the chunk kernels of the expanded and direct paths
(:mod:`.fast`), mixed into the four built-in types; a type without them
(``has_expanded_path`` false) runs on the reference E-step.

*Prior shapes* (:mod:`._prior`): ``scale_shape(d)`` and ``scale_from_number(scale, d)``
of the scale ``Psi``, ``zero_scale(d)``, ``prior_exponent(nu, c, k, d)`` (the
``p`` of the M-step's denominator), ``per_component(Psi, k)`` (shaped as
``M2``), ``default_scale(second, n, k, d)``.

*Missing entries*: the conditional-Gaussian methods mixed in from :mod:`._conditional`.

*Sampling.* ``sample(means, covariances, labels, z)``: ``means[labels]`` plus
the standard normal ``z`` (n, d) scaled by each label's covariance root.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod

import numpy as np

from ._conditional import DiagConditional, FullConditional, SphericalConditional, TiedConditional
from .fast import DiagKernels, FullKernels, SphericalKernels, TiedKernels

__all__ = ["COVARIANCE_TYPES", "CovarianceType", "covariance_model"]


def _positive_root(cov, what):
    if np.any(~(cov > 0)):
        raise np.linalg.LinAlgError(f"a {what} is not positive")
    return np.sqrt(cov)


def _least_eigenvalue_ratio(bare, mu2):
    """Smallest eigenvalue of ``D^{-1} S D^{-1}``, ``D^2 = diag(S) + mu^2``, per matrix (k,);
    0 where some ``D_i`` is 0 (no spread and no offset), NaN where ``S`` is not finite."""
    out = np.full(bare.shape[0], np.nan)
    finite = np.all(np.isfinite(bare), axis=(1, 2))
    if not finite.any():
        return out
    s = bare[finite]
    d2 = np.maximum(np.diagonal(s, axis1=1, axis2=2), 0.0) + mu2[finite]
    with np.errstate(divide="ignore"):
        inv = np.where(d2 > 0, 1.0 / np.sqrt(d2), 0.0)
    out[finite] = np.linalg.eigvalsh(inv[:, :, None] * s * inv[:, None, :])[:, 0]
    return out


class CovarianceType(ABC):
    """Base of the covariance types; the interface is in the module docstring.

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
        from .reference import log_densities  # the reference builds on this module

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

    def zero_scale(self, d):
        """The zero of a prior's scale parameter (its shape for this type).

        Parameters
        ----------
        d : int
            Number of features.

        Returns
        -------
        float or ndarray
            A zero of the scale's shape.
        """
        shape = self.scale_shape(d)
        return np.zeros(shape) if shape else 0.0

    def per_component(self, psi, k):
        """A prior's scale ``psi`` repeated for each of ``k`` components.

        Parameters
        ----------
        psi : float or ndarray
            The scale.
        k : int
            Number of components.

        Returns
        -------
        ndarray
            Shaped as the second moments.
        """
        return np.broadcast_to(psi, (k,) + np.shape(psi))

    def default_scale(self, second, n, k, d):
        """mclust's default prior scale from the data's second moments ``second``.

        Parameters
        ----------
        second : ndarray of shape ``cov_shape(1, d)``
            The data's second moments about their mean, as one component's.
        n : int
            Number of samples.
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        float or ndarray
            The scale ``Psi``, shaped as this type's scale.
        """
        return second[0] / n / k ** (2.0 / d)

    def prior_exponent(self, nu, c, k, d):
        """The exponent of the conjugate prior's determinant term for this type.

        Parameters
        ----------
        nu : float or None
            The prior's degrees of freedom (None: no covariance prior).
        c : float
            1 when the prior has a mean (its normal part adds one), else 0.
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        float
            The exponent ``p`` of the M-step's denominator.
        """
        return (0.0 if nu is None else self._nu_part(nu, d)) + c

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


class _Full(FullConditional, FullKernels, CovarianceType):
    name = "full"
    is_matrix = True

    cov_shape = staticmethod(lambda k, d: (k, d, d))
    scale_shape = staticmethod(lambda d: (d, d))
    scale_from_number = staticmethod(lambda scale, d: np.eye(d) * scale)
    n_cov_parameters = staticmethod(lambda k, d: k * d * (d + 1) // 2)

    def precision_cholesky(self, cov):
        """``L^{-T}`` for ``cov = L L^T`` (batched); LinAlgError if not positive definite."""
        eye = np.broadcast_to(np.eye(cov.shape[-1]), cov.shape)
        return np.swapaxes(np.linalg.solve(np.linalg.cholesky(cov), eye), -1, -2)

    def from_precisions(self, prec):
        chol = np.linalg.cholesky(prec)
        inv = np.linalg.solve(chol, np.broadcast_to(np.eye(prec.shape[-1]), prec.shape))
        return np.swapaxes(inv, -1, -2) @ inv, chol

    def precisions(self, chol):
        return chol @ np.swapaxes(chol, -1, -2)

    def whiten(self, diff, chol, j):
        return diff @ chol[j]

    def half_log_det(self, chol, k, d):
        return np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)

    def covariances(self, m2, n, n_guarded, delta, reg):
        scatter = m2 - (2 * n_guarded - n)[:, None, None] * delta[:, :, None] * delta[:, None, :]
        bare = scatter / n_guarded[:, None, None]
        cov = bare.copy()
        cov[:, np.arange(cov.shape[1]), np.arange(cov.shape[1])] += reg
        return cov, bare

    def relative_spread(self, bare, means):
        bare = np.reshape(bare, (-1,) + bare.shape[-2:])
        mu2 = means**2
        if self.is_shared:  # pooled moments: the round-off of the farthest component's
            mu2 = mu2.max(axis=0, keepdims=True)
        return np.broadcast_to(_least_eigenvalue_ratio(bare, mu2), means.shape[:1]).copy()

    def scatter_trace(self, chol, n, first, m2, delta):
        prec = self.precisions(chol)
        pd = np.einsum("kij,kj->ki", prec, delta)
        return float(np.einsum("kij,kij->", prec, m2) - 2 * np.einsum("ki,ki->", pd, first)
                     + np.einsum("k,ki,ki->", n, pd, delta))

    def outer(self, a, b):
        return a[:, :, None] * b[:, None, :]

    def add_centred(self, second, j, diff, r):
        b = diff * np.sqrt(r)
        second[j] += np.dot(b, b.T)  # numpy computes B B^T with a symmetric rank-k update

    def _nu_part(self, nu, d):
        """Inverse-Wishart: ``nu + d + 1``, defined for ``nu > d - 1``."""
        if nu <= d - 1:
            raise ValueError(f"prior.degrees_of_freedom must be > n_features - 1 = {d - 1} for "
                             f"an inverse-Wishart prior, got {nu}")
        return nu + d + 1

    def _scaled_noise(self, z, covariances, j):
        return z @ np.linalg.cholesky(covariances[j]).T


class _Tied(TiedConditional, TiedKernels, _Full):
    name = "tied"
    is_shared = True

    cov_shape = staticmethod(lambda k, d: (d, d))
    n_cov_parameters = staticmethod(lambda k, d: d * (d + 1) // 2)

    def half_log_det(self, chol, k, d):
        return np.full(k, np.sum(np.log(np.diag(chol))))

    def whiten(self, diff, chol, j):
        return diff @ chol

    def covariances(self, m2, n, n_guarded, delta, reg):
        scatter = m2 - np.einsum("k,ki,kj->ij", 2 * n_guarded - n, delta, delta)
        bare = scatter / n_guarded.sum()
        cov = bare.copy()
        cov[np.diag_indices_from(cov)] += reg
        return cov, bare

    def scatter_trace(self, chol, n, first, m2, delta):
        prec = chol @ chol.T
        pd = delta @ prec
        return float(np.sum(prec * m2) - 2 * np.sum(pd * first)
                     + np.einsum("k,ki,ki->", n, pd, delta))

    def outer(self, a, b):
        return a.T @ b

    def add_centred(self, second, j, diff, r):
        b = diff * np.sqrt(r)
        second += np.dot(b, b.T)

    def per_component(self, psi, k):
        return psi

    def prior_exponent(self, nu, c, k, d):
        return ((0.0 if nu is None else self._nu_part(nu, d)) + c * k) / k

    def default_scale(self, second, n, k, d):
        return second / n / k ** (2.0 / d)

    def _scaled_noise(self, z, covariances, j):
        return z @ np.linalg.cholesky(covariances).T


class _Diag(DiagConditional, DiagKernels, CovarianceType):
    name = "diag"

    cov_shape = staticmethod(lambda k, d: (k, d))
    scale_shape = staticmethod(lambda d: (d,))
    scale_from_number = staticmethod(lambda scale, d: np.broadcast_to(scale, (d,)))
    n_cov_parameters = staticmethod(lambda k, d: k * d)

    def precision_cholesky(self, cov):
        return 1.0 / _positive_root(cov, "variance")

    def from_precisions(self, prec):
        root = _positive_root(prec, "precision")
        return 1.0 / prec, root

    def precisions(self, chol):
        return chol**2

    def whiten(self, diff, chol, j):
        return diff * chol[j]

    def half_log_det(self, chol, k, d):
        return np.sum(np.log(chol), axis=1)

    def covariances(self, m2, n, n_guarded, delta, reg):
        cov = (m2 - (2 * n_guarded - n)[:, None] * delta**2) / n_guarded[:, None]
        return cov + reg, cov

    def relative_spread(self, bare, means):
        """Per feature ``S_i / (S_i + mu_i^2)``, the least over the features."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = bare / (np.maximum(bare, 0.0) + means**2)
        return np.min(np.where(bare > 0, ratio, np.where(np.isnan(bare), np.nan, 0.0)), axis=1)

    def scatter_trace(self, chol, n, first, m2, delta):
        return float(np.sum(chol**2 * (m2 - 2 * delta * first + n[:, None] * delta**2)))

    def outer(self, a, b):
        return a * b

    def add_centred(self, second, j, diff, r):
        second[j] += np.dot(diff * diff, r)

    def _nu_part(self, nu, d):
        """Inverse-gamma: ``nu + 2``."""
        return nu + 2

    def _scaled_noise(self, z, covariances, j):
        return z * np.sqrt(covariances[j])


class _Spherical(SphericalConditional, SphericalKernels, _Diag):
    name = "spherical"

    cov_shape = staticmethod(lambda k, d: (k,))
    scale_shape = staticmethod(lambda d: ())
    scale_from_number = staticmethod(lambda scale, d: scale)
    n_cov_parameters = staticmethod(lambda k, d: k)

    def half_log_det(self, chol, k, d):
        return d * np.log(chol)

    def covariances(self, m2, n, n_guarded, delta, reg):
        d = delta.shape[1]
        cov = (m2 - (2 * n_guarded - n) * np.einsum("kj,kj->k", delta, delta)) / (n_guarded * d)
        return cov + reg, cov

    def relative_spread(self, bare, means):
        """``s / (s + |mu|^2 / d)``: one variance, the features' mean (and so its round-off)."""
        rms = np.sqrt(np.mean(means**2, axis=1, keepdims=True))
        return _Diag.relative_spread(self, bare[:, None], rms)

    def scatter_trace(self, chol, n, first, m2, delta):
        dd = np.einsum("kj,kj->k", delta, delta)
        return float(np.sum(chol**2 * (m2 - 2 * np.einsum("kj,kj->k", delta, first) + n * dd)))

    def outer(self, a, b):
        return np.einsum("kj,kj->k", a, b)

    def add_centred(self, second, j, diff, r):
        second[j] += np.dot(np.einsum("ij,ij->j", diff, diff), r)

    def prior_exponent(self, nu, c, k, d):
        return (0.0 if nu is None else self._nu_part(nu, d)) / d + c

    def default_scale(self, second, n, k, d):
        return float(second[0] / n / k ** (2.0 / d)) / d


_MODELS = {m.name: m for m in (_Full(), _Tied(), _Diag(), _Spherical())}
#: The names of the covariance types, in the order the documentation lists them.
COVARIANCE_TYPES = tuple(_MODELS)


def covariance_model(name) -> CovarianceType:
    """The object of covariance type ``name`` (one of ``COVARIANCE_TYPES`` or of mclust's
    ``MCLUST_MODELS``, :mod:`.mclust`), or ``name`` itself.

    A :class:`CovarianceType` instance of one's own passes through: it needs
    only the abstract methods, and runs on the reference E-step.

    Parameters
    ----------
    name : str or CovarianceType
        A name of ``COVARIANCE_TYPES`` or ``MCLUST_MODELS``, or a covariance type object.

    Returns
    -------
    CovarianceType
        The covariance type's object (shared: it holds no data).

    Raises
    ------
    KeyError
        When ``name`` is neither a covariance type nor one of mclust's models.

    See Also
    --------
    emcore.gaussian.CovarianceType : What the object provides.
    emcore.GaussianMixture : Takes the same names as ``covariance_type``.

    Examples
    --------
    >>> from emcore.gaussian import covariance_model
    >>> covariance_model("full").cov_shape(3, 2), covariance_model("spherical").cov_shape(3, 2)
    ((3, 2, 2), (3,))
    >>> covariance_model("VVV").cov_shape(3, 2)           # mclust's name for full
    (3, 2, 2)
    >>> covariance_model("tied").is_shared
    True
    """
    if isinstance(name, CovarianceType):
        return name
    return _MODELS[name] if name in _MODELS else _mclust_models()[name]


@functools.cache
def _mclust_models():
    """mclust's 14 models (:mod:`.mclust`), imported on first use: they build on ``_Full``."""
    from .mclust import CLOSED_FORM
    from .mclust_iterative import ITERATIVE

    return {m.name: m for m in CLOSED_FORM + ITERATIVE}
