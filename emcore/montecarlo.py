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
  notation of online EM in chapter 8), with :math:`\eta_t = 1` during a
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
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from abc import ABC, abstractmethod
from statistics import NormalDist
from typing import Any

import numpy as np

from ._checks import RANDOM_STATE, check_random_state
from ._validation import Integer, Real, validated
from .exceptions import ConvergenceWarning

__all__ = ["MCEMResult", "SampledEMModel", "run_mcem", "run_saem", "run_stochastic_em"]


class SampledEMModel(ABC):
    r"""A model whose E-step is sampled: it draws the missing data and scores them.

    Subclasses implement

    * :meth:`sample_missing` -- ``size`` independent draws of the missing data
      from :math:`p(z \mid x, \theta)`, stacked along the first axis;
    * :meth:`complete_log_likelihood` -- :math:`\log p(x, z_j \mid \theta)` for each draw;
    * :meth:`complete_statistics` -- the complete-data sufficient statistics of
      each draw, a ``(size, k)`` array; :meth:`m_step` maps their mean to the
      parameters (as an exact E-step's expected statistics would be mapped).

    :meth:`mc_m_step` (the maximiser of the Monte Carlo average of the
    complete-data log-likelihood) defaults to ``m_step`` of the mean
    statistics; a model whose M-step needs the draws themselves (no finite
    statistics) overrides it and leaves the other two unimplemented.
    Parameters must be a float or a 1-D array. A model with an exact E-step
    as well (such as :class:`emcore.models.CensoredNormal`) can be run both
    ways, which is how the sampled methods are checked.
    """

    @abstractmethod
    def sample_missing(self, theta, size: int, rng: np.random.Generator):
        """``size`` draws of the missing data given the data and ``theta`` (first axis: draws)."""

    @abstractmethod
    def complete_log_likelihood(self, theta, draws) -> np.ndarray:
        """The complete-data log-likelihood of each draw, shape ``(size,)``."""

    def complete_statistics(self, draws) -> np.ndarray:
        """The complete-data sufficient statistics of each draw, shape ``(size, k)``.

        A model without finite sufficient statistics (a GLMM's fixed effects)
        leaves this unimplemented and overrides :meth:`mc_m_step`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no finite sufficient statistics")

    def m_step(self, stats) -> Any:
        """The parameters from (averaged) complete-data statistics."""
        raise NotImplementedError(f"{type(self).__name__} has no statistics M-step")

    def mc_m_step(self, theta, draws, weights=None) -> Any:
        """The maximiser of the (``weights``-weighted, else plain) average complete-data
        log-likelihood over ``draws``, started from ``theta``."""
        stats = np.asarray(self.complete_statistics(draws), dtype=float)
        if weights is None:
            return self.m_step(stats.mean(axis=0))
        return self.m_step(np.asarray(weights) @ stats / np.sum(weights))


@dataclasses.dataclass
class MCEMResult:
    """What :func:`run_mcem`, :func:`run_saem` and :func:`run_stochastic_em` return.

    Attributes
    ----------
    theta : float or numpy.ndarray
        The estimate.
    mc_se : float or numpy.ndarray
        Its Monte Carlo standard error (same shape): the spread a rerun with
        another seed would show around the same limit, not a statistical
        standard error.
    n_iter : int
    converged : bool
        MCEM: the stopping rule was met. SAEM and stochastic EM run a fixed
        number of iterations and report True.
    message : str
    theta_history : list
        The parameters at the start and after each iteration.
    sample_sizes : numpy.ndarray of int
        The number of draws each iteration used (MCEM: after any appending).
    n_draws : int
        All the draws made.
    """

    theta: Any
    mc_se: Any
    n_iter: int
    converged: bool
    message: str
    theta_history: list
    sample_sizes: np.ndarray
    n_draws: int


def _check(model, names):
    for name in names:
        if not callable(getattr(model, name, None)):
            raise TypeError(f"model must provide {', '.join(names)} (subclass "
                            f"emcore.montecarlo.SampledEMModel); {type(model).__name__} has no "
                            f"{name}()")


def _shape_like(theta, values):
    values = np.asarray(values, dtype=float)
    return float(values.ravel()[0]) if np.ndim(theta) == 0 else values.reshape(np.shape(theta))


def _finite(theta, where):
    if not np.all(np.isfinite(np.asarray(theta, dtype=float))):
        raise FloatingPointError(f"the parameters became NaN or infinite {where}: the sampled "
                                 "M-step left the parameter space")
    return theta


def _delta_se(model, stats_mean, stats_cov):
    """Standard errors of ``m_step(s)`` for ``s`` with covariance ``stats_cov`` (delta method,
    the Jacobian of the M-step by central differences)."""
    s = np.asarray(stats_mean, dtype=float)
    base = np.atleast_1d(np.asarray(model.m_step(s), dtype=float))
    J = np.empty((base.size, s.size))
    for i in range(s.size):
        h = 1e-6 * max(1.0, abs(s[i]))
        up, down = s.copy(), s.copy()
        up[i] += h
        down[i] -= h
        J[:, i] = (np.atleast_1d(np.asarray(model.m_step(up), dtype=float))
                   - np.atleast_1d(np.asarray(model.m_step(down), dtype=float))) / (2 * h)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, np.atleast_2d(stats_cov), J), 0, None))


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
    theta0 : float or numpy.ndarray
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
    max_sample_size : int, default 1000000
        When the rule asks for more draws than this, the run stops (not
        converged) with a :class:`emcore.ConvergenceWarning` saying so.
    n_consecutive : int, default 3
        How many iterations in a row must meet the stopping rule.
    random_state : None, int or numpy.random.Generator
    verbose : int, default 0
        1: one line per iteration (sample size, gain and its bounds).

    Returns
    -------
    MCEMResult
        ``mc_se`` by the delta method through the M-step, from the covariance of
        the last iteration's statistics over its draws: the Monte Carlo error of
        the final update. It does not include the distance to the limit left
        when the run stops: ``tol`` bounds a gain in Q, and a gain
        :math:`\delta` leaves :math:`\theta` about :math:`\sqrt{2\delta / I}` from
        the limit (:math:`I` the complete-data information), so a small data
        set needs a small ``tol``.

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
    mc_se = _final_se(model, theta, draws)
    return MCEMResult(theta, mc_se, len(history) - 1, converged, message, history,
                      np.asarray(sizes, dtype=int), n_draws)


def _final_se(model, theta, draws, weights=None, n_batches=10):
    """The Monte Carlo error of ``mc_m_step`` on ``draws``: the delta method through the
    statistics when the model has them, else the spread of the M-step over
    ``n_batches`` interleaved batches of the draws, divided by the root of their number."""
    try:
        stats = np.asarray(model.complete_statistics(draws), dtype=float)
    except NotImplementedError:
        fits = [np.atleast_1d(np.asarray(model.mc_m_step(
                    theta, draws[b::n_batches], None if weights is None else
                    weights[b::n_batches]), dtype=float)) for b in range(n_batches)]
        return _shape_like(theta, np.std(fits, axis=0, ddof=1) / math.sqrt(n_batches))
    cov = np.atleast_2d(np.cov(stats, rowvar=False)) / stats.shape[0]
    return _shape_like(theta, _delta_se(model, stats.mean(axis=0), cov))


@validated({
    "n_iter": [Integer(1)], "burn_in": [Integer(0)], "sample_size": [Integer(1)],
    "kappa": [Real(0.5, 1, low_open=True)], "random_state": RANDOM_STATE,
})
def run_saem(model: SampledEMModel, theta0, *, n_iter: int = 500, burn_in: int = 100,
             sample_size: int = 1, kappa: float = 1.0, random_state=None) -> MCEMResult:
    r"""SAEM (Delyon, Lavielle & Moulines 1999): a stochastic approximation of the statistics.

    Each iteration draws ``sample_size`` values of the missing data at
    :math:`\theta_{t-1}`, moves the statistics
    :math:`s_t = (1 - \eta_t) s_{t-1} + \eta_t \bar S(z_t)` and sets
    :math:`\theta_t = \bar\theta(s_t)` (the M-step). :math:`\eta_t = 1` for the
    first ``burn_in`` iterations (a stochastic EM that forgets the start), then
    :math:`\eta_t = (t - t_{\text{burn}})^{-\kappa}` with :math:`\tfrac12 < \kappa \le 1`:
    :math:`\sum \eta_t = \infty` lets it reach the limit, :math:`\sum \eta_t^2 < \infty`
    averages the noise away, so :math:`\theta_t` converges to the maximum
    likelihood estimate (a fixed point of EM) as :math:`t \to \infty`.

    A model without finite statistics (:meth:`emcore.montecarlo.SampledEMModel.complete_statistics`
    not implemented) gets the same recursion on Q itself: the draws are kept
    with the weights :math:`w_t = \eta_t \prod_{u > t} (1 - \eta_u)` and
    :meth:`emcore.montecarlo.SampledEMModel.mc_m_step` maximises the weighted average.

    ``mc_se`` is the delta-method error of the M-step at :math:`s_T`, whose
    variance is :math:`\sum_t w_t^2` times the statistics' covariance per
    draw (computed as :math:`\theta` moves, so approximate while it still
    does; the feedback of the noise through :math:`\theta` is left out, so it
    understates the spread when EM's rate is large); without statistics, the
    spread of the M-step over 10 interleaved batches of the kept draws.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_saem
    >>> from emcore.models import CensoredNormal
    >>> model = CensoredNormal([1.2, 0.3, 2.5, 1.9, 2.0, 2.0], censored=[0, 0, 0, 0, 1, 1])
    >>> fit = run_saem(model, model.initial_params(), n_iter=5000, random_state=0)
    >>> print(np.round(fit.theta, 2), np.round(fit.mc_se, 3))
    [1.89 0.94] [0.002 0.002]
    """
    _check(model, ("sample_missing", "mc_m_step"))
    rng = check_random_state(random_state)
    theta, history = theta0, [theta0]
    s, weight_sq, cov, by_draws = None, 0.0, None, None
    kept, weights = None, np.zeros(0)
    for t in range(1, n_iter + 1):
        draws = model.sample_missing(theta, sample_size, rng)
        eta = 1.0 if t <= burn_in else (t - burn_in) ** (-kappa)
        if by_draws is None:
            try:
                model.complete_statistics(draws)
                by_draws = False
            except NotImplementedError:
                by_draws = True
        if by_draws:  # Q itself is the average: keep the draws with their weights
            kept = draws if kept is None or eta == 1 else np.concatenate([kept, draws])
            weights = np.r_[weights * (1 - eta) if eta < 1 else np.zeros(0),
                            np.full(sample_size, eta / sample_size)]
            theta = _finite(model.mc_m_step(theta, kept, weights), f"at iteration {t}")
            history.append(theta)
            continue
        stats = np.asarray(model.complete_statistics(draws), dtype=float)
        mean = stats.mean(axis=0)
        if s is not None and t > burn_in:  # the statistics' spread per draw, about s
            outer = np.outer(mean - s, mean - s) * sample_size
            cov = outer if cov is None else cov + (outer - cov) / (t - burn_in)
        s = mean if s is None else (1 - eta) * s + eta * mean
        weight_sq = (1 - eta) ** 2 * weight_sq + eta**2 / sample_size
        theta = _finite(model.m_step(s), f"at iteration {t}")
        history.append(theta)
    if by_draws:
        mc_se = _final_se(model, theta, kept, weights)
    else:
        if cov is None:  # no iteration after the burn-in: the spread of the last draws
            cov = (np.atleast_2d(np.cov(stats, rowvar=False)) if sample_size > 1
                   else np.full((s.size, s.size), np.nan))
        mc_se = _shape_like(theta, _delta_se(model, s, cov * weight_sq))
    return MCEMResult(theta, mc_se, n_iter, True, "n_iter reached", history,
                      np.full(n_iter, sample_size), n_iter * sample_size)


@validated({
    "n_iter": [Integer(2)], "burn_in": [Integer(0)], "n_batches": [Integer(2)],
    "random_state": RANDOM_STATE,
})
def run_stochastic_em(model: SampledEMModel, theta0, *, n_iter: int = 1000, burn_in: int = 200,
                      n_batches: int = 20, random_state=None) -> MCEMResult:
    r"""Stochastic EM (Celeux & Diebolt 1985): one draw of the missing data, then the M-step.

    :math:`\theta_t = \bar\theta(S(z_t))` with :math:`z_t \sim p(z \mid x, \theta_{t-1})`:
    a Markov chain whose stationary distribution concentrates near the
    maximum likelihood estimate (it is not the estimate: the chain keeps its
    spread). The estimate is the average of :math:`\theta_t` after ``burn_in``;
    ``mc_se`` comes from ``n_batches`` batch means of the chain (they allow for
    its autocorrelation).

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_stochastic_em
    >>> from emcore.models import CensoredNormal
    >>> model = CensoredNormal([1.2, 0.3, 2.5, 1.9, 2.0, 2.0], censored=[0, 0, 0, 0, 1, 1])
    >>> fit = run_stochastic_em(model, model.initial_params(), random_state=0)
    >>> print(np.round(fit.theta, 1), fit.mc_se.shape)
    [1.9 0.9] (2,)
    """
    _check(model, ("sample_missing", "mc_m_step"))
    if burn_in + n_batches > n_iter:
        raise ValueError(f"n_iter={n_iter} leaves fewer than n_batches={n_batches} iterations "
                         f"after burn_in={burn_in}")
    rng = check_random_state(random_state)
    theta, history = theta0, [theta0]
    for t in range(1, n_iter + 1):
        theta = _finite(model.mc_m_step(theta, model.sample_missing(theta, 1, rng)),
                        f"at iteration {t}")
        history.append(theta)
    chain = np.array([np.atleast_1d(np.asarray(h, dtype=float)) for h in history[burn_in + 1:]])
    batches = np.array([b.mean(axis=0) for b in np.array_split(chain, n_batches)])
    se = batches.std(axis=0, ddof=1) / math.sqrt(n_batches)
    return MCEMResult(_shape_like(theta0, chain.mean(axis=0)), _shape_like(theta0, se), n_iter,
                      True, "n_iter reached", history, np.ones(n_iter, dtype=int), n_iter)
