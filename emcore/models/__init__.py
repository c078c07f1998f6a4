"""Models that EM fits with :func:`emcore.run_em`, each an :class:`emcore.EMModel`."""

from .exponential import ExponentialMissing
from .mixing import MixingProportion
from .multinomial import GeneticLinkage
from .ppca import PPCA, PPCAParams

__all__ = ["ExponentialMissing", "GeneticLinkage", "MixingProportion", "PPCA", "PPCAParams"]
