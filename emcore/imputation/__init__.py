r"""Multiple imputation by data augmentation, and Rubin's rules to combine the analyses.

Data augmentation (Tanner & Wong 1987; Little & Rubin 2019, ch. 10) is EM's
two steps made random: a Gibbs sampler that alternates

* the **I-step**: draw the missing entries from :math:`p(x_{mis} \mid x_{obs}, \theta_t)`
  (where EM's E-step takes their expectation);
* the **P-step**: draw :math:`\theta_{t+1}` from the complete-data posterior
  :math:`p(\theta \mid x_{obs}, x_{mis})` (where EM's M-step takes its mode).

Its draws of the missing entries, taken far enough apart in the chain, are
*proper* multiple imputations: each completed data set is analysed as if it
were complete, and :func:`emcore.rubin_combine` pools the ``m`` analyses (Rubin 1987),
adding to the average within-imputation variance the between-imputation
variance that the missing entries cause.
"""

from ._augmentation import ImputationResult, multiple_imputation
from ._rubin import RubinResult, rubin_combine

__all__ = ["ImputationResult", "RubinResult", "multiple_imputation", "rubin_combine"]
