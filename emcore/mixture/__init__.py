"""Gaussian mixtures fitted by EM: :class:`GaussianMixture` and model selection.

``_estimator`` holds the scikit-learn-style class, ``_model`` the mixture as
an :class:`emcore.EMModel`, ``_stats`` the chunked fused E-step and the
M-step, ``_covariance`` the four covariance structures, ``_init`` k-means
and the other starting points, ``_select`` :func:`select_n_components`.
"""

from ._estimator import GaussianMixture, NotFittedError
from ._select import ModelSelection, select_n_components
from ._stats import DegenerateComponentError, MixtureParams

__all__ = [
    "DegenerateComponentError",
    "GaussianMixture",
    "MixtureParams",
    "ModelSelection",
    "NotFittedError",
    "select_n_components",
]
