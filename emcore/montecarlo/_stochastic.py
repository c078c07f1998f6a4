"""SAEM (Delyon, Lavielle & Moulines 1999) and stochastic EM (Celeux & Diebolt 1985)."""

from __future__ import annotations

import math

import numpy as np

from .._base import Progress
from .._checks import RANDOM_STATE, Integer, Real, check_random_state, validated
from ._errors import _final_se, _saem_cov
from ._protocol import MCEMResult, SampledEMModel, _check, _finite, _shape_like

__all__ = ["run_saem", "run_stochastic_em"]

#: Fresh draws at SAEM's estimate that give EM's map and the noise for its Monte Carlo error:
#: ten per iteration made, within these bounds (the error's sensitivity to EM's rate grows
#: like the logarithm of the run's length).
_CHECK_DRAWS = (4000, 20_000)


@validated({
    "n_iter": [Integer(1)], "burn_in": [Integer(0)], "sample_size": [Integer(1)],
    "kappa": [Real(0.5, 1, low_open=True)], "random_state": RANDOM_STATE,
    "verbose": [Integer(0)],
})
def run_saem(model: SampledEMModel, theta0, *, n_iter: int = 500, burn_in: int = 100,
             sample_size: int = 1, kappa: float = 1.0, random_state=None,
             verbose: int = 0) -> MCEMResult:
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

    The statistics are :meth:`emcore.montecarlo.SampledEMModel.local_statistics`; for a
    model without finite statistics (a GLMM's fixed effects) they are those of a quadratic
    expansion of Q at :math:`\theta_{t-1}` (the stochastic approximation of the score and
    information of Gu & Kong 1998), so a run keeps a fixed number of numbers and costs time
    linear in ``n_iter``. A model with no statistics at all gets the recursion on Q itself:
    the draws are kept with the weights :math:`w_t = \eta_t \prod_{u > t} (1 - \eta_u)`
    and :meth:`emcore.montecarlo.SampledEMModel.mc_m_step` maximises the weighted average.

    ``mc_se`` is the standard deviation of the last iterate over reruns, from the
    linearised recursion :math:`e_t = (I - \eta_t(I - A))e_{t-1} + \eta_t\xi_t` of the
    statistics' error, :math:`A` EM's map on the statistics (its Jacobian from fresh
    draws at the estimate, by Fisher's identity) and :math:`\xi_t` one iteration's noise:
    the noise is filtered by EM's map, so with :math:`\eta_t = 1/t` and EM's rate
    :math:`\lambda > 1/2` the error falls only like :math:`t^{-(1-\lambda)}`. Without
    statistics: the spread of the M-step over 10 batches of the kept draws.

    Parameters
    ----------
    model : SampledEMModel
        The model: draws of the missing data, their complete-data log-likelihood and a
        Monte Carlo M-step (:class:`emcore.montecarlo.SampledEMModel`).
    theta0 : float or numpy.ndarray
        Starting parameters.
    n_iter : int, default 500
        Iterations (all are made: there is no stopping rule).
    burn_in : int, default 100
        Iterations with :math:`\eta_t = 1`.
    sample_size : int, default 1
        Draws per iteration.
    kappa : float, default 1.0
        The step sizes' exponent, :math:`\tfrac12 < \kappa \le 1`.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the draws; a fixed seed repeats the run exactly.
    verbose : int, default 0
        1: a progress bar, one line every tenth of the run.

    Returns
    -------
    MCEMResult
        The last iterate and its Monte Carlo error.

    See Also
    --------
    emcore.run_mcem : Monte Carlo EM with growing samples and a stopping rule.
    emcore.run_stochastic_em : One draw per iteration, the chain averaged.
    emcore.LogisticMixedModel : Fits by this with ``method="saem"``.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_saem
    >>> from emcore.models import CensoredNormal
    >>> model = CensoredNormal([1.2, 0.3, 2.5, 1.9, 2.0, 2.0], censored=[0, 0, 0, 0, 1, 1])
    >>> fit = run_saem(model, model.initial_params(), n_iter=5000, random_state=0)
    >>> print(np.round(fit.theta, 2), np.round(fit.mc_se, 3))
    [1.89 0.94] [0.004 0.006]
    """
    _check(model, ("sample_missing", "mc_m_step"))
    rng = check_random_state(random_state)
    theta, history, step_sizes = theta0, [theta0], []
    s, by_draws, kept, weights = None, False, None, np.zeros(0)
    progress = Progress(verbose, max(1, n_iter // 10))
    for t in range(1, n_iter + 1):
        draws = model.sample_missing(theta, sample_size, rng)
        eta = 1.0 if t <= burn_in else (t - burn_in) ** (-kappa)
        step_sizes.append(eta)
        if not by_draws:
            try:
                mean = np.asarray(model.local_statistics(theta, draws), dtype=float).mean(axis=0)
            except NotImplementedError:
                by_draws = True
        if by_draws:  # Q itself is the average: keep the draws with their weights
            kept = draws if kept is None or eta == 1 else np.concatenate([kept, draws])
            weights = np.r_[weights * (1 - eta) if eta < 1 else np.zeros(0),
                            np.full(sample_size, eta / sample_size)]
            theta = _finite(model.mc_m_step(theta, kept, weights), f"at iteration {t}")
        else:
            s = mean if s is None else (1 - eta) * s + eta * mean
            theta = _finite(model.m_step(s), f"at iteration {t}")
        history.append(theta)
        progress.run_step(t, n_iter)
    if by_draws:
        mc_se = _final_se(model, theta, kept, weights)
    else:
        size = min(max(10 * n_iter * sample_size, _CHECK_DRAWS[0]), _CHECK_DRAWS[1]) // 10
        chunks = (model.sample_missing(theta, size, rng) for _ in range(10))
        cov = _saem_cov(model, theta, step_sizes, sample_size, chunks)
        mc_se = _shape_like(theta, np.sqrt(np.clip(np.diag(cov), 0, None)))
    return MCEMResult(theta, mc_se, n_iter, True, "n_iter reached", history,
                      np.full(n_iter, sample_size), n_iter * sample_size)


@validated({
    "n_iter": [Integer(2)], "burn_in": [Integer(0)], "n_batches": [Integer(2)],
    "random_state": RANDOM_STATE, "verbose": [Integer(0)],
})
def run_stochastic_em(model: SampledEMModel, theta0, *, n_iter: int = 1000, burn_in: int = 200,
                      n_batches: int = 20, random_state=None, verbose: int = 0) -> MCEMResult:
    r"""Stochastic EM (Celeux & Diebolt 1985): one draw of the missing data, then the M-step.

    :math:`\theta_t = \bar\theta(S(z_t))` with :math:`z_t \sim p(z \mid x, \theta_{t-1})`:
    a Markov chain whose stationary distribution concentrates near the
    maximum likelihood estimate (it is not the estimate: the chain keeps its
    spread). The estimate is the average of :math:`\theta_t` after ``burn_in``;
    ``mc_se`` comes from ``n_batches`` batch means of the chain (they allow for
    its autocorrelation).

    Parameters
    ----------
    model : SampledEMModel
        The model: draws of the missing data, their complete-data log-likelihood and a
        Monte Carlo M-step (:class:`emcore.montecarlo.SampledEMModel`).
    theta0 : float or numpy.ndarray
        Starting parameters.
    n_iter : int, default 1000
        Iterations of the chain.
    burn_in : int, default 200
        Iterations left out of the average.
    n_batches : int, default 20
        Batches of the chain after the burn-in, for the Monte Carlo error.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the draws; a fixed seed repeats the run exactly.
    verbose : int, default 0
        1: a progress bar, one line every tenth of the run.

    Returns
    -------
    MCEMResult
        The chain's average after the burn-in and its Monte Carlo error; the
        chain itself in ``theta_history``.

    See Also
    --------
    emcore.run_saem : Stochastic approximation: the step sizes decrease instead.
    emcore.run_mcem : Monte Carlo EM with growing samples and a stopping rule.
    emcore.montecarlo.SampledEMModel : What the model must provide.

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
    progress = Progress(verbose, max(1, n_iter // 10))
    for t in range(1, n_iter + 1):
        theta = _finite(model.mc_m_step(theta, model.sample_missing(theta, 1, rng)),
                        f"at iteration {t}")
        history.append(theta)
        progress.run_step(t, n_iter)
    chain = np.array([np.atleast_1d(np.asarray(h, dtype=float)) for h in history[burn_in + 1:]])
    batches = np.array([b.mean(axis=0) for b in np.array_split(chain, n_batches)])
    se = batches.std(axis=0, ddof=1) / math.sqrt(n_batches)
    return MCEMResult(_shape_like(theta0, chain.mean(axis=0)), _shape_like(theta0, se), n_iter,
                      True, "n_iter reached", history, np.ones(n_iter, dtype=int), n_iter)
