"""Mixtures whose components are not Gaussian, fitted by EM.

* ``_base`` -- what the estimators here share: declared checks, starts, restarts;
* ``_glm`` -- weighted GLMs and the weighted multinomial logit: the M-steps of a
  mixture of regressions, with their errors (collapsed design, separation);
* ``_regression_model`` -- the mixture of regressions (and of experts) as an
  :class:`emcore.EMModel`;
* ``_regression`` -- the scikit-learn-style :class:`RegressionMixture` and its ``fit``;
* ``_regression_scoring`` -- the fitted mixture of regressions' methods that read its
  parameters (``score``, ``predict``, ``bic``, ``em_problem``, ...);
* ``_student_t_model`` -- the mixture of t distributions as an :class:`emcore.EMModel`;
* ``_student_t`` -- the scikit-learn-style :class:`StudentTMixture`;
* ``_bernoulli_model`` -- the mixture of multivariate Bernoullis as an :class:`emcore.EMModel`;
* ``_bernoulli`` -- the scikit-learn-style :class:`BernoulliMixture`.
"""

from ._bernoulli import BernoulliMixture
from ._bernoulli_model import BernoulliModel, BernoulliParams
from ._glm import SeparationError
from ._regression import RegressionMixture
from ._regression_model import RegressionMixtureModel, RegressionParams, RegressionStats
from ._student_t import StudentTMixture
from ._student_t_model import DOF_BOUNDS, StudentTModel, StudentTParams, StudentTStats

__all__ = ["DOF_BOUNDS", "BernoulliMixture", "BernoulliModel", "BernoulliParams",
           "RegressionMixture", "RegressionMixtureModel", "RegressionParams", "RegressionStats",
           "SeparationError", "StudentTMixture", "StudentTModel", "StudentTParams",
           "StudentTStats"]
