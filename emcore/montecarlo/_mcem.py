"""Monte Carlo EM with ascent-based sample sizes (Caffo, Jank & Jones 2005)."""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np

from .._checks import RANDOM_STATE, Integer, Real, check_random_state, validated
from ..exceptions import ConvergenceWarning
from ._errors import _carried_through, _final_cov
from ._protocol import MCEMResult, SampledEMModel, _check, _finite

__all__ = ["run_mcem"]


@validated({
    "sample_size": [Integer(2)], "alpha": [Real(0, 0.5, low_open=True, high_open=True)],
    "beta": [Real(0, 0.5, low_open=True, high_open=True)],
    "gamma": [Real(0, 0.5, low_open=True, high_open=True)], "k": [Integer(1)],
    "tol": [Real(0, low_open=True)], "max_iter": [Integer(1)],
    "max_sample_size": [Integer(2)], "n_consecutive": [Integer(1)],
    "random_state": RANDOM_STATE, "verbose": [Integer(0)],
})
def run_mcem(model: SampledEMModel, theta0, *, sample_size: int = 100, alpha: float = 0.25,
             beta: float = 0.25, gamma: float = 0.25, k: int = 3, tol: float = 1e-3,
             max_iter: int = 200, max_sample_size: int = 1_000_000, n_consecutive: int = 3,
             random_state=None, verbose: int = 0) -> MCEMResult:
    r"""Monte Carlo EM with the ascent-based sample sizes and stopping rule of Caffo,
    Jank & Jones (2005).

    Iteration :math:`t`, at :math:`\theta_t` with sample size :math:`m`:

    1. draw :math:`z_1, \dots, z_m \sim p(z \mid x, \theta_t)`, take the Monte Carlo
       M-step :math:`\theta' = \arg\max_\theta \frac1m \sum_j \log p(x, z_j \mid \theta)`;
    2. estimate the gain :math:`\Delta\hat Q = \frac1m\sum_j \lambda_j`,
       :math:`\lambda_j = \log p(x, z_j \mid \theta') - \log p(x, z_j \mid \theta_t)`,
       with standard error :math:`\hat\sigma_\lambda / \sqrt m`;
    3. if :math:`\Delta\hat Q - z_\alpha\, \mathrm{se} < 0` the step may be Monte
       Carlo noise: append :math:`\lceil m/k \rceil` draws and go back to 1's M-step
       (unless the upper bound of step 4 is already below ``tol``: near the
       limit the gain is too small to be told from 0 by any sample);
    4. accept :math:`\theta_{t+1} = \theta'`; stop when
       :math:`\Delta\hat Q + z_\gamma\, \mathrm{se} < \mathrm{tol}` in ``n_consecutive``
       iterations in a row (one Monte Carlo fluke does not stop the run: the
       guard of Booth & Hobert 1999, who ask for three); otherwise the next
       sample size is :math:`\max(m_t, \hat\sigma_\lambda^2 (z_\alpha + z_\beta)^2 /
       \Delta\hat Q^2)` (the size at which a gain this large would be detected
       with power :math:`1 - \beta`).

    Parameters
    ----------
    model : SampledEMModel
        The model: draws of the missing data, their complete-data log-likelihood and a
        Monte Carlo M-step (:class:`emcore.montecarlo.SampledEMModel`).
    theta0 : float or numpy.ndarray
        Starting parameters.
    sample_size : int, default 100
        The first iteration's number of draws.
    alpha, beta, gamma : float, default 0.25
        Error rates: of accepting a step that lowers Q (:math:`\alpha`), of the
        sample-size rule (:math:`\beta`), of stopping early (:math:`\gamma`).
    k : int, default 3
        Draws appended on an uncertain step: :math:`m/k`.
    tol : float, default 1e-3
        Stop when the gain in Q is, with confidence :math:`1-\gamma`, below ``tol``.
    max_iter : int, default 200
        Largest number of accepted iterations.
    max_sample_size : int, default 1000000
        When the rule asks for more draws than this, the run stops (not
        converged) with a :class:`emcore.ConvergenceWarning` saying so.
    n_consecutive : int, default 3
        How many iterations in a row must meet the stopping rule.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the draws; a fixed seed repeats the run exactly.
    verbose : int, default 0
        1: one line per iteration (sample size, gain and its bounds).

    Returns
    -------
    MCEMResult
        ``mc_se``: the Monte Carlo error of the final update (by the delta method
        through the M-step from the last iteration's statistics, each allowing for
        its autocorrelation when the draws are a Markov chain), carried through
        EM's map to allow for the errors of earlier updates that the last one
        inherits (:math:`V = \sum_k M^k C M^{\top k}`, :math:`M` the map's Jacobian
        from the draws by Fisher's identity). It does not include the distance to the limit
        left when the run stops: ``tol`` bounds a gain in Q, and a gain
        :math:`\delta` leaves :math:`\theta` about :math:`\sqrt{2\delta / I}` from
        the limit (:math:`I` the complete-data information), so a small data
        set needs a small ``tol``.

    Warns
    -----
    emcore.ConvergenceWarning
        When the run ends unconverged: at ``max_iter``, or when the rule asks for more
        than ``max_sample_size`` draws.

    See Also
    --------
    emcore.run_saem : Stochastic approximation EM, a few draws per iteration.
    emcore.run_stochastic_em : One draw per iteration, the chain averaged.
    emcore.run_em : EM with an exact E-step.
    emcore.montecarlo.SampledEMModel : What the model must provide.

    Examples
    --------
    The censored normal has an exact E-step too; MCEM lands on its answer
    within Monte Carlo error:

    >>> import numpy as np
    >>> from emcore import run_em, run_mcem
    >>> from emcore.models import CensoredNormal
    >>> model = CensoredNormal([1.2, 0.3, 2.5, 1.9, 2.0, 2.0], censored=[0, 0, 0, 0, 1, 1])
    >>> exact = run_em(model, model.initial_params(), tol=1e-12).theta
    >>> mc = run_mcem(model, model.initial_params(), tol=1e-4, random_state=0)
    >>> print(np.round(exact, 3), np.round(mc.theta, 3), mc.converged)
    [1.888 0.943] [1.887 0.942] True
    >>> print(bool(np.all(np.abs(mc.theta - exact) < 4 * mc.mc_se)))
    True
    """
    _check(model, ("sample_missing", "complete_log_likelihood", "mc_m_step"))
    rng = check_random_state(random_state)
    z_alpha, z_beta, z_gamma = (NormalDist().inv_cdf(1 - a) for a in (alpha, beta, gamma))
    theta = theta0
    history, sizes = [theta0], []
    m, n_draws, below = sample_size, 0, 0
    converged, message = False, "max_iter reached"
    for t in range(1, max_iter + 1):
        draws = model.sample_missing(theta, m, rng)
        n_draws += m
        while True:
            new = _finite(model.mc_m_step(theta, draws), f"at iteration {t}")
            gains = (np.asarray(model.complete_log_likelihood(new, draws))
                     - np.asarray(model.complete_log_likelihood(theta, draws)))
            gain, sd = float(gains.mean()), float(gains.std(ddof=1))
            se = sd / math.sqrt(gains.size)
            if (gain - z_alpha * se >= 0 or gain + z_gamma * se < tol
                    or gains.size >= max_sample_size):
                break
            extra = min(-(-gains.size // k), max_sample_size - gains.size)
            draws = np.concatenate([draws, model.sample_missing(theta, extra, rng)])
            n_draws += extra
        sizes.append(gains.size)
        if verbose:
            print(f"  MCEM iteration {t}\t draws {gains.size}\t gain {gain:.3g}\t "
                  f"bounds [{gain - z_alpha * se:.3g}, {gain + z_gamma * se:.3g}]")
        theta = new
        history.append(theta)
        below = below + 1 if gain + z_gamma * se < tol else 0
        if below >= n_consecutive:
            converged, message = True, "converged"
            break
        wanted = sd**2 * (z_alpha + z_beta) ** 2 / gain**2 if gain > 0 else math.inf
        if wanted > max_sample_size and gains.size >= max_sample_size:
            message = (f"sample size limit reached: the rule asks for more than "
                       f"max_sample_size={max_sample_size} draws")
            break
        m = int(min(max(gains.size, math.ceil(wanted)), max_sample_size))
    if not converged:
        warnings.warn(f"run_mcem did not converge ({message}); raise max_iter or "
                      "max_sample_size, or loosen tol", ConvergenceWarning, stacklevel=2)
    mc_se = _carried_through(model, theta, _final_cov(model, theta, draws), draws[:5000])
    return MCEMResult(theta, mc_se, len(history) - 1, converged, message, history,
                      np.asarray(sizes, dtype=int), n_draws)
