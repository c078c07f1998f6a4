"""Factor analysis and mixtures of factor analysers, fitted by EM.

* ``_lowrank`` -- the covariance :math:`W W^\\top + \\Psi` through Woodbury and
  the determinant lemma, the Ledermann bound, varimax;
* ``_fa_model`` -- factor analysis as an :class:`emcore.EMModel`;
* ``_fa`` -- the scikit-learn-style :class:`FactorAnalysis`;
* ``_mfa_model`` -- the mixture of factor analysers as an :class:`emcore.EMModel`;
* ``_mfa`` -- the scikit-learn-style :class:`MixtureOfFactorAnalyzers`;
* ``_params`` -- what both estimators share: scikit-learn's parameter protocol, checks, the
  fit loop (restarts, progress, the best run).
"""

from ._fa import FactorAnalysis
from ._fa_model import FactorModel
from ._lowrank import ledermann_bound, varimax
from ._mfa import MixtureOfFactorAnalyzers
from ._mfa_model import MFAModel, MFAParams, MFAStats

__all__ = ["FactorAnalysis", "FactorModel", "MFAModel", "MFAParams", "MFAStats",
           "MixtureOfFactorAnalyzers", "ledermann_bound", "varimax"]
