"""The covariance types of a Gaussian mixture: everything about one type in one object.

``covariance_model(name)`` returns the object of type ``name``; no module outside
this package branches on the name (a test greps). A type of one's own is a subclass
of :class:`emcore.gaussian.CovarianceType`, whose docstring lists what it must define
and may set, with a worked example; pass an instance as ``covariance_type=``
(``GaussianMixture(covariance_type=MyType())``). It is never registered:
``registry._MODELS`` holds only the four built-in types. R mclust's 14 models
(:mod:`emcore.gaussian.mclust`) are subclasses of ``full`` with their own M-steps.
The package's modules, each read top to bottom:

* ``base`` -- :class:`emcore.gaussian.CovarianceType`, the abstract base: the dozen
  methods a type must provide, the attributes it may set, what it gets from them;
  start here to write a new type;
* ``moments`` -- the base's second-moment methods (accumulation, the M-step's
  covariances, the trace term of ``Q``, the collapse rule's spread), declared apart
  to keep each module short;
* ``registry`` -- ``covariance_model`` and ``COVARIANCE_TYPES``: names to objects;
* ``full`` -- the matrix types, ``full`` and ``tied`` (one matrix shared);
* ``diag`` -- the variance types, ``diag`` and ``spherical`` (one variance each);
* ``prior_shapes`` -- the conjugate prior's scale in each built-in type's shape.

The interface (``K`` components, ``d`` features; pure functions of their arguments,
so HMM emissions can share them):

*Shapes.* ``cov_shape(K, d)`` of ``covariances``, ``precisions_cholesky`` and the
second moments (scikit-learn's: ``full`` (K, d, d), ``tied`` (d, d), ``diag`` (K, d),
``spherical`` (K,)); ``n_cov_parameters(K, d)``, ``n_parameters(K, d)`` (the
mixture's). ``is_shared`` (one covariance for all: ``cov_shape`` ignores ``K``) and
``is_matrix`` (``d x d`` matrices) follow from ``cov_shape``.

*Parameter algebra.* ``U = precisions_cholesky`` with precision ``P = U U^T``;
from ``S = L L^T`` it is ``U = L^{-T}``, so the Mahalanobis distance is
``|U^T (x - mu)|^2`` and ``log det P^{1/2} = sum(log diag U)``.
``precision_cholesky(S)`` (LinAlgError unless positive definite),
``from_precisions(P)`` -> (S, U), ``precisions(U)``, ``half_log_det(U, k, d)``,
``whiten(diff, U, j)``, ``log_gaussian(X, means, U)`` -> (n, K)
``log N(x | mu_k, Sigma_k)``.

*Second moments* ``M2``, sums of ``r (x - s_k)(x - s_k)^T`` about shifts ``s_k``
(usually the current means), have the covariances' shape: one per component
(``full``: matrices, ``diag``: their diagonals, ``spherical``: their traces) or, for
a shared type, one array summed over the components (``tied``). ``outer(a, b)``
(``a_k b_k^T`` so reduced), ``empty_second(K, d)``, ``add_centred(M2, j, diff, r)``
(component ``j``'s moments of ``diff = x - s_j``, (d, m); a shared type adds into
its one array whatever ``j``); ``covariances(M2, n, n_guarded, delta, reg)`` -> the
M-step's (covariances, the same before ``reg``), ``delta`` the new means minus the
shifts; ``scatter_trace(U, n, first, M2, delta)`` -> ``sum_k tr(P_k S_k)``, the trace
term of ``Q``; ``relative_spread(S, means)`` -> each covariance's least variance in
any direction relative to its round-off there (the collapse rule,
:func:`emcore.gaussian.mstep.collapsed_components`).

*Sampling.* ``sample(means, covariances, labels, z)``: ``means[labels]`` plus
``scaled_noise(z, covariances, j)``, the standard normal rows ``z`` (n, d) times a
root of component ``j``'s covariance.

*Only in the built-in types:* the fast chunk kernels of the expanded and direct
paths (``emcore.gaussian.fast``; a type without them, ``has_expanded_path`` false,
runs on the reference E-step); the conjugate prior's shapes (``prior_shapes``, for
``emcore.mixture._prior``); the conditional-Gaussian methods of rows with missing
entries (``emcore.gaussian._conditional``).
"""

from .base import CovarianceType
from .prior_shapes import PriorShapes
from .registry import COVARIANCE_TYPES, covariance_model

# The built-in classes stay importable from here: objects pickled when this package
# was one module name them ``emcore.gaussian.covariance._Full`` and so on.
from .diag import _Diag, _Spherical
from .full import _Full, _Tied

__all__ = ["COVARIANCE_TYPES", "CovarianceType", "PriorShapes", "covariance_model"]
