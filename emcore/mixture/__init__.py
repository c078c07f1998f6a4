"""Gaussian mixtures fitted by EM: :class:`GaussianMixture` and model selection.

``_estimator`` holds the scikit-learn-style class, ``_backend`` whether a fit runs
in memory or on a dask array (``_dask``: map-reduce EM), ``_model`` the mixture as
an :class:`emcore.EMModel`, ``_stats`` the chunked fused E-step and the
sufficient statistics, ``_kernels`` what one chunk contributes per covariance
type, ``_mstep`` the M-step and its safeguards, ``_prior`` the conjugate priors of
MAP-EM, ``_online`` stepwise (online) EM, ``_covariance`` the
parameter algebra of the four covariance types, ``_init`` k-means and the
other starting points, ``_select`` :func:`select_n_components`, ``_checks``
the input checks.
"""

from ._estimator import GaussianMixture, NotFittedError
from ._select import ModelSelection, select_n_components
from ._mstep import DegenerateComponentError
from ._prior import MixturePrior
from ._stats import MixtureParams

__all__ = [
    "DegenerateComponentError",
    "GaussianMixture",
    "MixtureParams",
    "MixturePrior",
    "ModelSelection",
    "NotFittedError",
    "select_n_components",
]
