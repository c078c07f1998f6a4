"""emcore: the EM library of the executable course book on the EM algorithm.

Only numpy is imported here; sympy, matplotlib and scipy are imported lazily
by the functions that need them.
"""

from . import datasets, models
from .acceleration import aitken
from .animation import EMAnimation, animate_elbo, animate_mixture
from .resampling import BootstrapResult, bootstrap
from .em import EMModel, EMResult, run_em
from .exceptions import ConvergenceWarning, HeywoodWarning, MonotonicityWarning, NotAMaximumWarning
from .factor import FactorAnalysis, MixtureOfFactorAnalyzers
from .hmm import GMMHMM, CategoricalHMM, EmissionHMM, GaussianHMM, PoissonHMM
from .imputation import ImputationResult, RubinResult, multiple_imputation, rubin_combine
from .inference import RateResult, StandardErrors, em_rate, standard_errors
from .mixed import LinearMixedModel, LogisticMixedModel
from .mixture import GaussianMixture, bootstrap_lrt, hierarchical_partitions, select_n_components
from .montecarlo import MCEMResult, run_mcem, run_saem, run_stochastic_em
from .nongaussian import BernoulliMixture, RegressionMixture, StudentTMixture
from .statespace import LinearGaussianSSM

__version__ = "0.1.0"

__all__ = [
    "BernoulliMixture",
    "BootstrapResult",
    "CategoricalHMM",
    "ConvergenceWarning",
    "EMAnimation",
    "EMModel",
    "EMResult",
    "EmissionHMM",
    "FactorAnalysis",
    "GMMHMM",
    "GaussianHMM",
    "GaussianMixture",
    "HeywoodWarning",
    "ImputationResult",
    "LinearGaussianSSM",
    "LinearMixedModel",
    "LogisticMixedModel",
    "MCEMResult",
    "MixtureOfFactorAnalyzers",
    "MonotonicityWarning",
    "NotAMaximumWarning",
    "PoissonHMM",
    "RateResult",
    "RegressionMixture",
    "RubinResult",
    "StandardErrors",
    "StudentTMixture",
    "aitken",
    "animate_elbo",
    "animate_mixture",
    "bootstrap",
    "bootstrap_lrt",
    "datasets",
    "em_rate",
    "hierarchical_partitions",
    "models",
    "multiple_imputation",
    "rubin_combine",
    "run_em",
    "run_mcem",
    "run_saem",
    "run_stochastic_em",
    "select_n_components",
    "standard_errors",
]
