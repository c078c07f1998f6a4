"""Mixed models fitted by EM: linear (EM and PX-EM, :class:`emcore.LinearMixedModel`) and
logistic (Monte Carlo EM and SAEM, :class:`emcore.LogisticMixedModel`).

Module map (one job each):

* ``_lmm_stats`` -- :class:`LMMStats`, what the linear model's E-step hands to its M-step;
* ``_lmm_model`` -- the linear mixed model as an :class:`emcore.EMModel`
  (:class:`LMMModel`): EM and PX-EM, ML and REML;
* ``_lmm`` -- the scikit-learn-style :class:`emcore.LinearMixedModel` and its stopping
  rule :class:`LimitDistance`;
* ``_glmm_intercept`` -- the logistic random-intercept model's sampled E-step
  (:class:`LogisticRandomIntercept`);
* ``_glmm_slopes`` -- the same with random slopes (:class:`LogisticRandomEffects`), and
  the Newton steps of the fixed effects that both share;
* ``_glmm`` -- the scikit-learn-style :class:`emcore.LogisticMixedModel`.
"""

from ._glmm import LogisticMixedModel
from ._glmm_intercept import LogisticRandomIntercept
from ._glmm_slopes import LogisticRandomEffects
from ._lmm import LimitDistance, LinearMixedModel
from ._lmm_model import LMMModel
from ._lmm_stats import LMMStats

__all__ = ["LMMModel", "LMMStats", "LimitDistance", "LinearMixedModel", "LogisticMixedModel",
           "LogisticRandomEffects", "LogisticRandomIntercept"]
