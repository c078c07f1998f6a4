"""The four covariance types of a Gaussian mixture: everything about one type in one object.

``covariance_model(name)`` returns the object of type ``name``; no module outside
this package branches on the name (a test greps). A fifth type is a subclass of
:class:`CovarianceType` registered in ``registry._MODELS``, or passed as an object;
R mclust's 14 models (:mod:`emcore.gaussian.mclust`) are subclasses of ``full`` with
their own M-steps. The package's modules, each read top to bottom:

* ``base`` -- :class:`CovarianceType`, the abstract base: the dozen methods a type
  must provide and the few it gets from them; start here to write a new type;
* ``registry`` -- ``covariance_model`` and ``COVARIANCE_TYPES``: names to objects;
* ``full`` -- the matrix types, ``full`` and ``tied`` (one matrix shared);
* ``diag`` -- the variance types, ``diag`` and ``spherical`` (one variance each);
* ``prior_shapes`` -- the conjugate prior's scale in each built-in type's shape.

The interface (``K`` components, ``d`` features; pure functions of their arguments,
so HMM emissions can share them):

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
rule of :mod:`emcore.gaussian.mstep`).

*Fast kernels*, optional: the chunk kernels of the expanded and direct paths
(:mod:`emcore.gaussian.fast`), mixed into the four built-in types; a type without them
(``has_expanded_path`` false) runs on the reference E-step.

*Prior shapes* (``prior_shapes``, for :mod:`emcore.mixture._prior`): ``scale_shape(d)``
and ``scale_from_number(scale, d)`` of the scale ``Psi``, ``zero_scale(d)``,
``prior_exponent(nu, c, k, d)`` (the ``p`` of the M-step's denominator),
``per_component(Psi, k)`` (shaped as ``M2``), ``default_scale(second, n, k, d)``.

*Missing entries*: the conditional-Gaussian methods mixed in from
:mod:`emcore.gaussian._conditional`.

*Sampling.* ``sample(means, covariances, labels, z)``: ``means[labels]`` plus
the standard normal ``z`` (n, d) scaled by each label's covariance root.
"""

from .base import CovarianceType
from .registry import COVARIANCE_TYPES, covariance_model

# The built-in classes stay importable from here: objects pickled when this package
# was one module name them ``emcore.gaussian.covariance._Full`` and so on.
from .diag import _Diag, _Spherical
from .full import _Full, _Tied

__all__ = ["COVARIANCE_TYPES", "CovarianceType", "covariance_model"]
