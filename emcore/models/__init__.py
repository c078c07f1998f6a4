"""Models that EM fits with :func:`emcore.run_em`, each an :class:`emcore.EMModel`."""

from .censored import CensoredNormal
from .expfamily import ExponentialFamilyEM
from .exponential import ExponentialMissing
from .mixing import MixingProportion
from .multinomial import GeneticLinkage
from .mvn_missing import MVNMissing
from .ppca import PPCA, PPCAParams
from .student_t import MultivariateT

__all__ = [
    "CensoredNormal",
    "ExponentialFamilyEM",
    "ExponentialMissing",
    "GeneticLinkage",
    "MVNMissing",
    "MixingProportion",
    "MultivariateT",
    "PPCA",
    "PPCAParams",
]
