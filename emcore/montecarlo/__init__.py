r"""EM when the E-step is an integral nobody can do: Monte Carlo EM, SAEM and stochastic EM.

All three replace the conditional expectation of the E-step by draws of the
missing data :math:`z` from :math:`p(z \mid x, \theta_t)`:

* **MCEM** (Wei & Tanner 1990), :func:`emcore.run_mcem`: average the complete-data
  log-likelihood over :math:`m_t` draws and maximise that. The sample size
  grows by the ascent-based rule of Caffo, Jank & Jones (2005): a step is
  accepted only when a lower confidence bound of its gain
  :math:`\Delta\hat Q` is positive (otherwise more draws are appended and
  the M-step is redone), the next size is chosen so that the gain just seen
  would be detected, and the run stops when an upper confidence bound of
  the gain is below ``tol`` -- so that stopping accounts for Monte Carlo error.
* **SAEM** (Delyon, Lavielle & Moulines 1999), :func:`emcore.run_saem`: a few draws
  per iteration; the sufficient statistics follow the stochastic
  approximation :math:`s_t = (1 - \eta_t) s_{t-1} + \eta_t \bar S(z_t)` (the
  notation of online EM in chapter 10), with :math:`\eta_t = 1` during a
  burn-in and :math:`\eta_t = (t - t_{\text{burn}})^{-\kappa}`,
  :math:`\tfrac12 < \kappa \le 1`, after it, so that :math:`\sum_t \eta_t = \infty`
  and :math:`\sum_t \eta_t^2 < \infty`.
* **Stochastic EM** (Celeux & Diebolt 1985), :func:`emcore.run_stochastic_em`: one
  draw per iteration, the M-step on it; :math:`\theta_t` is a Markov chain that
  does not converge to a point, and the estimate is its average after a burn-in.

Why functions beside :func:`emcore.run_em` and not an option of it: ``run_em``
promises a deterministic run whose log-likelihood never decreases and is
checked at every step; a sampled E-step breaks both (the log-likelihood is
often not computable at all, and a step can lower it), and needs what
``run_em`` has no place for -- a random generator, a sample size that
changes, a stopping rule on a confidence bound. The models are the same kind
of object: a :class:`SampledEMModel` draws the missing data and scores them.

Module map (one job each):

* ``_protocol`` -- :class:`SampledEMModel`, :class:`MCEMResult` and the checks the runs share;
* ``_errors`` -- the Monte Carlo errors of the runs' estimates;
* ``_mcem`` -- :func:`emcore.run_mcem`;
* ``_stochastic`` -- :func:`emcore.run_saem` and :func:`emcore.run_stochastic_em`.
"""

from ._mcem import run_mcem
from ._protocol import MCEMResult, SampledEMModel
from ._stochastic import run_saem, run_stochastic_em

__all__ = ["MCEMResult", "SampledEMModel", "run_mcem", "run_saem", "run_stochastic_em"]
