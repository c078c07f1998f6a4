"""The Gaussian core that mixtures and HMMs share.

* ``covariance`` -- the covariance types (``full``, ``tied``, ``diag``,
  ``spherical``): parameter algebra, log-densities, the M-step's covariances
  from sufficient statistics, sampling; one object per type. A package: the
  abstract base (``base``) with its second-moment algebra (``moments``), the names
  (``registry``), the types (``full``, ``diag``) and their prior shapes (``prior_shapes``);
* ``mclust``, ``mclust_iterative`` -- R mclust's 14 models (``EII`` ... ``VVV``):
  ``full``'s storage with a constrained M-step each, closed form or iterative;
* ``reference`` -- the textbook E-step in plain numpy (log-densities,
  log-sum-exp, responsibilities, statistics): what the book shows and what
  the tests trust;
* ``fast`` -- the optional fast paths: the chunk kernels of the four built-in
  types (expanded and direct), mixed into their objects, and the expanded
  path's one round-off bound; a type without them runs on the reference;
* ``expanded`` -- an HMM's log-densities on the expanded path where it is safe;
* ``stats`` -- the parameters (``MixtureParams``: weights, means, covariances) and
  the sufficient statistics, and their algebra;
* ``mstep`` -- the M-step with its safeguards (the check that ``Q`` does not
  fall, the collapse rule);
* ``holes`` -- rows with missing entries grouped by their pattern of holes, and the
  per-pattern conditional algebra that mixtures and HMMs share;
* ``_conditional`` -- each type's conditional-Gaussian algebra for rows with
  missing entries, mixed into the covariance objects.
"""

from .covariance import COVARIANCE_TYPES, CovarianceType, covariance_model
from .mclust import MCLUST_MODELS

__all__ = ["COVARIANCE_TYPES", "MCLUST_MODELS", "CovarianceType", "covariance_model"]
