"""``animate_elbo``: EM on a one-parameter model, by the lower bound that touches the
log-likelihood."""

from __future__ import annotations

import numpy as np

from .._checks import Integer, Real, validated
from ..em import run_em
from ._player import MAX_FRAMES, EMAnimation, Frame

__all__ = ["animate_elbo"]


@validated({"n_iter": [Integer(1, MAX_FRAMES // 2)], "fps": [Real(0, low_open=True)]})
def animate_elbo(model, theta0, *, theta_range, n_iter=6, fps=1.0, xlabel=r"$\theta$"):
    r"""Watch EM climb the log-likelihood by the lower bound that touches it.

    After the E-step at :math:`\theta^{(t)}` the ELBO, as a function of :math:`\theta`, is

    .. math::

        \mathcal L(q^{(t)}, \theta) = \ell(\theta^{(t)}) + Q(\theta \mid \theta^{(t)})
        - Q(\theta^{(t)} \mid \theta^{(t)}),

    below :math:`\ell` everywhere and equal to it at :math:`\theta^{(t)}`; the M-step
    moves to its maximum :math:`\theta^{(t+1)}`, where :math:`\ell` is higher still.
    Two frames per iteration: the bound touching (E), the climb (M).

    Parameters
    ----------
    model : EMModel
        A model with a float parameter and a method ``q_function(theta, theta_t)``
        (such as :class:`emcore.models.GeneticLinkage`).
    theta0 : float
        The start.
    theta_range : tuple of two floats
        The interval of :math:`\theta` drawn, inside the parameter space.
    n_iter : int, default 6
        Number of EM iterations (``run_em`` with ``tol=0``), at most 30.
    fps : float, default 1
        Frames per second when played.
    xlabel : str, default "$\\theta$"
        The label of the parameter's axis.

    Returns
    -------
    EMAnimation
        Frames ``(0, "E"), (0, "M"), (1, "E"), ...``; an M-frame's ``params`` is
        :math:`\theta^{(t+1)}`. Its ``curves`` hold the drawn values: ``"theta"`` (the
        grid), ``"log_likelihood"`` (:math:`\ell` on it) and ``"bounds"`` (one array per
        iteration ``t``, :math:`\mathcal L(q^{(t)}, \theta)` on the grid). Its PDF strip
        shows the first four frames, the two steps of the first two iterations.

    See Also
    --------
    emcore.animate_mixture : The same for a Gaussian mixture's EM run.
    emcore.EMAnimation : What it returns.
    emcore.models.GeneticLinkage : A model with the ``q_function`` this draws.

    Examples
    --------
    >>> from emcore import animate_elbo
    >>> from emcore.models import GeneticLinkage
    >>> anim = animate_elbo(GeneticLinkage(), 0.05, theta_range=(0.02, 0.9), n_iter=3)
    >>> [(f.iteration, f.step) for f in anim.frames[:3]]
    [(0, 'E'), (0, 'M'), (1, 'E')]
    """
    if not callable(getattr(model, "q_function", None)):
        raise TypeError(f"model must have a method q_function(theta, theta_t); "
                        f"{type(model).__name__} has none")
    try:
        lo, hi = (float(v) for v in theta_range)
    except (TypeError, ValueError):
        raise TypeError(f"theta_range must be two floats, got {theta_range!r}") from None
    if not lo < hi:
        raise ValueError(f"theta_range must be an interval (low, high), got {theta_range!r}")
    result = run_em(model, theta0, tol=0, max_iter=n_iter)
    thetas = [float(th) for th in result.theta_history]
    lls = [float(v) for v in result.log_likelihood_history]
    grid = np.linspace(lo, hi, 300)
    ell = np.array([model.log_likelihood(th) for th in grid])
    if not np.all(np.isfinite(ell)):
        raise ValueError(f"theta_range {theta_range!r} leaves the parameter space: the "
                         "log-likelihood is not finite there")
    bounds = [lls[t] + np.array([model.q_function(th, thetas[t]) for th in grid])
              - model.q_function(thetas[t], thetas[t]) for t in range(len(thetas) - 1)]
    frames = []
    for t in range(len(bounds)):
        frames.append(Frame(t, "E", thetas[t], lls[t]))
        frames.append(Frame(t, "M", thetas[t + 1], lls[t + 1]))
    span = max(lls) - min(lls)
    ylim = (min(lls) - 0.5 * span - 1e-9, max(float(ell.max()), max(lls)) + 0.15 * span + 1e-9)

    def bound_at(t, theta):
        return lls[t] + model.q_function(theta, thetas[t]) - model.q_function(thetas[t], thetas[t])

    def draw(ax, i):
        f = frames[i]
        t = f.iteration
        ax.plot(grid, ell, color="k", lw=2, label=r"$\ell(\theta)$")
        for s in range(t):
            ax.plot(grid, bounds[s], color="0.75", lw=1)
        ax.plot(grid, bounds[t], "--", color="C0", lw=2,
                label=rf"$\mathcal{{L}}(q^{{({t})}}, \theta)$")
        ax.plot(thetas[t], lls[t], "o", color="C0", ms=7)
        if f.step == "E":
            title = rf"$t = {t}$, E-step: the bound touches $\ell$ at $\theta^{{({t})}}$"
        else:
            top = bound_at(t, f.params)
            ax.plot([f.params, f.params], [top, f.log_likelihood], color="C3", lw=2)
            ax.plot(f.params, top, "o", color="C0", mfc="white", ms=7)
            ax.plot(f.params, f.log_likelihood, "o", color="C3", ms=7)
            title = rf"$t = {t}$, M-step: $\theta^{{({t + 1})}}$ maximises the bound"
        ax.set(xlim=(lo, hi), ylim=ylim, xlabel=xlabel, ylabel="log-likelihood (nats)")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="lower right", fontsize=9)

    return EMAnimation(frames, draw, "EM and its lower bound", fps=fps,
                       curves={"theta": grid, "log_likelihood": ell, "bounds": bounds},
                       strip_frames=range(min(4, len(frames))))  # the first climbs are the story
