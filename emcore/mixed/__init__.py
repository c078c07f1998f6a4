"""Mixed models fitted by EM: linear (EM and PX-EM, :class:`emcore.LinearMixedModel`) and
logistic (Monte Carlo EM and SAEM, :class:`emcore.LogisticMixedModel`)."""

from ._glmm import LogisticMixedModel
from ._glmm_intercept import LogisticRandomIntercept
from ._glmm_slopes import LogisticRandomEffects
from ._lmm import LimitDistance, LinearMixedModel
from ._lmm_model import LMMModel, LMMStats

__all__ = ["LMMModel", "LMMStats", "LimitDistance", "LinearMixedModel", "LogisticMixedModel",
           "LogisticRandomEffects", "LogisticRandomIntercept"]
