"""Linear-Gaussian state-space models fitted by EM: :class:`LinearGaussianSSM`.

Module map (one job each):

* ``_params`` -- the six parameters (:class:`SSMParams`), their checks, and
  :class:`SSMLayout`, the flat vector of the parameters EM updates;
* ``_kalman`` -- the data with its missing entries (``SSMData``) and the
  Kalman filter: covariance pass (Joseph form, steady stretches jumped),
  means, log-likelihood by the prediction-error decomposition;
* ``_smoother`` -- the Rauch-Tung-Striebel smoother with lag-one cross-covariances;
* ``_chunked`` -- both covariance recursions in parallel over chunks of time, when the
  entries seen change too often for steady stretches;
* ``_scan`` -- the linear recursion of the means, as a blocked scan;
* ``_model`` -- the model as an :class:`emcore.EMModel` (:class:`SSMModel`):
  E-step statistics and the M-step's regressions;
* ``_checks`` -- checks of data and arguments, and starting values;
* ``_estimator`` -- the scikit-learn-style :class:`LinearGaussianSSM` and its ``fit``;
* ``_fitted`` -- the fitted model's methods that read its parameters (``score``,
  ``filter``, ``smooth``, ``forecast``, ``sample``, ``em_problem``).
"""

from ._estimator import LinearGaussianSSM
from ._kalman import FilterResult
from ._model import SSMModel
from ._params import SSMLayout, SSMParams
from ._smoother import SmootherResult

__all__ = ["FilterResult", "LinearGaussianSSM", "SSMLayout", "SSMModel", "SSMParams",
           "SmootherResult"]
