"""Gaussian mixtures fitted by EM: :class:`GaussianMixture` and model selection.

Module map (one job each; a test checks that it lists every module). The Gaussian
pieces a mixture shares with the HMMs -- covariance types, parameters, sufficient
statistics, the M-step -- are in :mod:`emcore.gaussian`.

* ``_estimator`` -- the scikit-learn-style :class:`GaussianMixture`; the only
  writer of fitted attributes (``_set_fitted``);
* ``_config`` -- ``FitConfig``, the frozen constructor arguments, checked
  against the estimator's declared constraints, that the helpers receive
  instead of the estimator; and the checks of explicit initial values and
  sample counts (the checks every estimator shares, of data, weights and
  random states, are ``emcore._checks``);
* ``_estep`` -- the chunked, fused E-step, log-sum-exp and new-data scoring;
* ``_pool`` -- ``n_jobs``: threads over chunks of rows, results in chunk order,
  BLAS on one thread meanwhile;
* ``_missing`` -- rows with missing entries (``missing="marginalize"``):
  grouped by pattern, their E-step, scoring and imputation;
* ``_scoring`` -- the fitted mixture's methods that read its parameters (``score_samples``,
  ``predict_proba``, ``predict``, ``score``, ``bic``, ``aic``, ``icl``, ``impute``,
  ``sample``, ``em_problem``, ``standard_errors``);
* ``_problem`` -- the fitted mixture as an :class:`emcore.EMModel` on a flat parameter
  vector with free coordinates, for ``em_problem`` and standard errors;
* ``_curved`` -- free coordinates of mclust's models with curved constraints (volume,
  shape and orientation of the eigen-decomposition), for ``_problem``'s standard errors;
* ``_prior`` -- the conjugate priors of MAP-EM;
* ``_model`` -- the fit problem (in memory, or handed over to ``_dask``): the data container
  and chunking with the ``FitData`` protocol every data source meets, the mixture as an
  :class:`emcore.EMModel` with its collapse rule, and its starting parameters;
* ``_init`` -- k-means and the other starting responsibilities;
* ``_dask`` -- map-reduce EM on a dask array (imports dask);
* ``_online`` -- stepwise (online) EM and ``partial_fit``;
* ``_select`` -- :func:`select_n_components`;
* ``_lrt`` -- :func:`bootstrap_lrt`, the parametric bootstrap likelihood-ratio test
  of K against K + 1 components;
* ``_hierarchical`` -- :func:`hierarchical_partitions`, mclust's model-based
  agglomerative clustering (VVV criterion).
"""

from ..exceptions import NotFittedError
from ..gaussian.mstep import DegenerateComponentError
from ..gaussian.stats import MixtureParams
from ._estimator import GaussianMixture
from ._hierarchical import hierarchical_partitions
from ._lrt import BootstrapLRT, bootstrap_lrt
from ._prior import MixturePrior
from ._select import ModelSelection, select_n_components

__all__ = [
    "BootstrapLRT",
    "DegenerateComponentError",
    "GaussianMixture",
    "MixtureParams",
    "MixturePrior",
    "ModelSelection",
    "NotFittedError",
    "bootstrap_lrt",
    "hierarchical_partitions",
    "select_n_components",
]
