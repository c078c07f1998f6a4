"""Linear mixed models fitted by EM and PX-EM (:class:`emcore.LinearMixedModel`)."""

from ._lmm import LimitDistance, LinearMixedModel
from ._lmm_model import LMMModel, LMMStats

__all__ = ["LMMModel", "LMMStats", "LimitDistance", "LinearMixedModel"]
