"""EM you can watch: animations of an EM run, one frame per step, drawn from emcore's own EM.

:func:`animate_mixture` follows a :class:`~emcore.GaussianMixture` from its start, with the
samples coloured by their responsibilities; :func:`animate_elbo` follows a model with one
parameter and its function ``Q``, drawing the lower bound that each E-step makes touch the
log-likelihood and that each M-step climbs. Both return an :class:`EMAnimation`, which shows
itself

* in a notebook and in the HTML book as matplotlib's self-contained JavaScript player
  (``FuncAnimation.to_jshtml``: frames embedded as PNG, play, pause and step buttons, a
  slider; no server, no network, no ffmpeg);
* in the PDF book (which takes a notebook's ``image/png``) as a strip of a few frames;
* as text, as one short line that does not depend on the numbers, so that a notebook's
  stored text output is the same on every machine.

numpy only at import; matplotlib is imported when a frame is drawn.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import itertools
import re
from typing import Any

import numpy as np

from ._checks import check_X
from ._validation import Integer, Real, validated
from .em import run_em
from .gaussian import reference
from .gaussian.covariance import covariance_model
from .mixture import GaussianMixture

__all__ = ["EMAnimation", "Frame", "animate_elbo", "animate_mixture"]

#: More frames than this make a page heavy (every frame is an embedded PNG).
MAX_FRAMES = 60
#: Component colours: blue and red first, as the book's static figures of two components.
COLORS = ("C0", "C3", "C2", "C1", "C4", "C5", "C6", "C8", "C9", "C7")
#: The 95 % quantile of the chi-square distribution with 2 degrees of freedom, -2 log 0.05.
CHI2_2_95 = -2.0 * np.log(0.05)

# Matplotlib's player draws its buttons with Font Awesome, loaded from a CDN: offline the
# buttons would be blank and the page would log a failed request. Inline SVG icons instead.
_ICONS = {
    "fa fa-minus": "M3 7h10v2H3z",
    "fa fa-fast-backward": "M2 2h2v12H2zM14 2v12L5 8z",
    "fa fa-step-backward": "M3 2h2v12H3zM13 2v12L6 8z",
    "fa fa-play fa-flip-horizontal": "M13 2v12L3 8z",
    "fa fa-pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "fa fa-play": "M3 2v12l10-6z",
    "fa fa-step-forward": "M11 2h2v12h-2zM3 2v12l7-6z",
    "fa fa-fast-forward": "M12 2h2v12h-2zM2 2v12l9-6z",
    "fa fa-plus": "M7 3h2v4h4v2H9v4H7V9H3V7h4z",
}
_STYLE = """<style>
.emcore-animation .animation { display: block; max-width: 100%; }
.emcore-animation img { max-width: 100%; height: auto; }
.emcore-animation input[type=range].anim-slider { width: 100%; max-width: 374px; }
.emcore-animation .anim-buttons { display: flex; flex-wrap: wrap; justify-content: center; }
.emcore-animation .anim-buttons button { min-height: 28px; }
.emcore-animation .anim-buttons svg { width: 14px; height: 14px; vertical-align: middle; }
</style>"""
_OPEN, _CLOSE = "<!-- emcore-animation -->", "<!-- /emcore-animation -->"


@dataclasses.dataclass(frozen=True)
class Frame:
    """One frame of an :class:`EMAnimation`.

    Attributes
    ----------
    iteration : int
        The EM iteration ``t`` whose parameters the frame shows (0 is the start).
    step : str
        ``"E"`` or ``"M"`` for a frame of :func:`animate_elbo` (after the E-step at
        ``theta^(t)``, after the M-step to ``theta^(t+1)``); ``""`` otherwise.
    params : object
        The parameters drawn: a :class:`~emcore.mixture.MixtureParams` (means in the
        data's coordinates) or the float ``theta``.
    log_likelihood : float
        The log-likelihood at ``params``, as emcore's EM recorded it.
    """

    iteration: int
    step: str
    params: Any
    log_likelihood: float


class EMAnimation:
    """The frames of an EM run, and the ways they are shown.

    Made by :func:`animate_mixture` and :func:`animate_elbo`; nothing is drawn until
    it is shown.

    Parameters
    ----------
    frames : list of Frame
        The frames, in order.
    draw : callable
        ``draw(ax, i)`` draws frame ``i`` into an empty matplotlib ``Axes``.
    title : str
        What the animation shows, for its text form.
    figsize : tuple of float, default (6.4, 4.0)
        The size of one frame in inches.
    fps : float, default 2
        Frames per second when played.
    curves : dict, optional
        The curves the frames draw, by name (see the function that made the animation).

    Attributes
    ----------
    frames : list of Frame
    curves : dict
    """

    def __init__(self, frames, draw, title, figsize=(6.4, 4.0), fps=2.0, curves=None):
        self.frames = list(frames)
        self.curves = {} if curves is None else dict(curves)
        self.draw = draw
        self.title = title
        self.figsize = tuple(figsize)
        self.fps = fps
        self._html = None

    def __len__(self):
        return len(self.frames)

    def __repr__(self):
        its = [f.iteration for f in self.frames]
        return (f"<EMAnimation: {self.title}, {len(self)} frames, "
                f"iterations {min(its)} to {max(its)}>")

    def _figure(self, nrows=1, ncols=1, dpi=80):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        w, h = self.figsize
        # not pyplot: no figure of its own appears in a notebook, nothing global changes
        fig = Figure(figsize=(w * ncols, h * nrows), dpi=dpi, facecolor="white",
                     layout="constrained")
        FigureCanvasAgg(fig)
        return fig, fig.subplots(nrows, ncols, squeeze=False).ravel()

    def to_jshtml(self) -> str:
        """The player as one self-contained HTML fragment (computed once).

        Returns
        -------
        str
            HTML with the frames embedded as PNG images and a script; it loads nothing.
        """
        if self._html is None:
            from matplotlib.animation import FuncAnimation

            fig, (ax,) = self._figure()

            def show(i):
                ax.clear()
                self.draw(ax, i)

            player = FuncAnimation(fig, show, frames=len(self), init_func=lambda: None,
                                   interval=1000 / self.fps, repeat=False)
            html = _palette_frames(player.to_jshtml(default_mode="once"))
            html = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", html)
            for name, path in _ICONS.items():
                html = html.replace(
                    f'<i class="{name}"></i>',
                    f'<svg viewBox="0 0 16 16" aria-hidden="true"><path d="{path}"/></svg>')
            html = html.replace('<img id="_anim_img', f'<img alt="{self.title}" id="_anim_img')
            html = _stable_id(html)
            self._html = (f'{_OPEN}<div class="emcore-animation">{_STYLE}{html}</div>{_CLOSE}')
        return self._html

    def strip(self, n_panels: int = 4) -> bytes:
        """A still of ``n_panels`` frames side by side, first and last included, as PNG.

        Parameters
        ----------
        n_panels : int, default 4
            How many frames, spread evenly over the animation (at most all of them).

        Returns
        -------
        bytes
            A PNG image, two panels per row.
        """
        if isinstance(n_panels, bool) or not isinstance(n_panels, (int, np.integer)) \
                or n_panels < 1:
            raise ValueError(f"n_panels must be a positive int, got {n_panels!r}")
        n = min(int(n_panels), len(self))
        picks = np.unique(np.round(np.linspace(0, len(self) - 1, n)).astype(int))
        ncols = min(2, picks.size)
        nrows = -(-picks.size // ncols)
        fig, axes = self._figure(nrows, ncols, dpi=100)
        for ax, i in zip(axes, picks):
            self.draw(ax, int(i))
        for ax in axes[picks.size:]:
            ax.set_axis_off()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()

    def _repr_html_(self):
        return self.to_jshtml()

    def _repr_png_(self):
        return self.strip()


def _palette_frames(html: str) -> str:
    """The player's embedded frames as 256-colour PNGs: a third of the bytes, same look."""
    from PIL import Image

    def quantize(match):
        data = base64.b64decode(match.group(2).replace("\\\n", ""))
        image = Image.open(io.BytesIO(data)).convert("RGB").quantize(256)
        buffer = io.BytesIO()
        image.save(buffer, format="png", optimize=True)
        return f'{match.group(1)}{base64.b64encode(buffer.getvalue()).decode("ascii")}"'

    return re.sub(r'(frames\[\d+\] = "data:image/png;base64,)([^"]*)"', quantize, html)


_players = itertools.count()


def _stable_id(html: str) -> str:
    """The player's random element id (uuid4) replaced by one made from its content and a
    count of the players made in this process: a notebook executed twice is stored byte for
    byte the same, and two players on one page still differ."""
    random_id = re.search(r'id="_anim_img([0-9a-f]{32})"', html)
    if random_id is None:
        return html
    old = random_id.group(1)
    digest = hashlib.sha256(html.replace(old, "").encode()).hexdigest()[:24]
    return html.replace(old, f"{digest}{next(_players):08x}")


def _as_iterations(iterations) -> list[int]:
    if isinstance(iterations, (int, np.integer)) and not isinstance(iterations, bool):
        iterations = range(int(iterations) + 1)
    try:
        its = [int(t) for t in iterations]
    except (TypeError, ValueError):
        raise TypeError(f"iterations must be an int or a sequence of ints, got "
                        f"{type(iterations).__name__}") from None
    if not its or any(t < 0 for t in its) or any(b <= a for a, b in zip(its, its[1:])):
        raise ValueError(f"iterations must be increasing non-negative ints, got {its}")
    if len(its) > MAX_FRAMES:
        raise ValueError(f"iterations asks for {len(its)} frames; at most {MAX_FRAMES} keep a "
                         "page light: pass fewer (for example a few early ones, then every 10th)")
    return its


def _full_covariances(covariances, cov_type, k, d):
    """Every component's d x d covariance matrix, whatever the covariance type's shape."""
    cov = np.asarray(covariances)
    if cov.shape == (k, d, d):
        return cov
    if cov_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if cov_type == "diag":
        return cov[:, :, None] * np.eye(d)
    return cov[:, None, None] * np.eye(d)  # spherical


def animate_mixture(estimator, X, iterations=20, *, labels=None, fps=2.0):
    """Watch a Gaussian mixture's EM run, the samples coloured by their responsibilities.

    The estimator is fitted (on a copy) from its start with ``tol=0``, and emcore's
    callback keeps the parameters after every iteration; the frames show the chosen
    ones. In one dimension a frame draws each weighted component density and every
    sample as a tick below the axis; in two, every sample as a dot and each component's
    95 % ellipse and mean. A sample's colour mixes the component colours (blue, red,
    green, ...) in the proportions of its responsibilities.

    Parameters
    ----------
    estimator : GaussianMixture
        Unfitted or fitted; its parameters (start, covariance type, ``reg_covar``, ...)
        are used, its ``n_init`` must be 1. It is not changed.
    X : array_like of shape (n_samples, 1) or (n_samples, 2)
        The data.
    iterations : int or sequence of int, default 20
        The iterations to show, increasing (0 is the start); an int ``n`` means
        ``0, 1, ..., n``. At most ``MAX_FRAMES`` (60). If the run ends early (a
        component collapses), the iterations after its end are left out.
    labels : sequence of str, optional
        Axis labels: the data's name (and units) of each column.
    fps : float, default 2
        Frames per second when played.

    Returns
    -------
    EMAnimation
        One :class:`Frame` per shown iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianMixture, animate_mixture
    >>> x = np.random.default_rng(0).normal([0.0, 5.0], 1.0, (50, 2)).reshape(-1, 1)
    >>> start = GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[4.0], [6.0]],
    ...                         precisions_init=[[[1.0]], [[1.0]]])
    >>> anim = animate_mixture(start, x, iterations=[0, 1, 2, 5])
    >>> anim
    <EMAnimation: Gaussian mixture EM, 4 frames, iterations 0 to 5>
    >>> print(anim.frames[0].params.means.ravel())
    [4. 6.]
    """
    if not isinstance(estimator, GaussianMixture):
        raise TypeError(f"estimator must be an emcore.GaussianMixture, got "
                        f"{type(estimator).__name__}")
    if estimator.n_init != 1:
        raise ValueError(f"estimator.n_init must be 1 (an animation follows one run), got "
                         f"{estimator.n_init}")
    X = np.asarray(check_X(X), dtype=np.float64)
    if X.shape[1] not in (1, 2):
        raise ValueError(f"X must have 1 or 2 columns to be drawn, got shape {X.shape}")
    its = _as_iterations(iterations)
    d = X.shape[1]
    labels = [f"$x_{j + 1}$" for j in range(d)] if labels is None else list(labels)
    if len(labels) != d or not all(isinstance(s, str) for s in labels):
        raise ValueError(f"labels must be {d} string(s), one per column of X, got {labels!r}")

    # The start (max_iter=0), then the run from exactly that start (warm_start).
    gm = type(estimator)(**{**estimator.get_params(), "max_iter": 0, "callback": None,
                            "warm_start": False})
    gm.fit(X)
    start = (gm.weights_.copy(), gm.means_.copy(), gm.covariances_.copy(),
             gm.precisions_cholesky_.copy())
    kept = {0: (start, float(gm.log_likelihood_history_[0]))}
    wanted = set(its)

    def keep(t, params, ll):
        if t in wanted:
            kept[t] = ((params.weights.copy(), params.means.copy(), params.covariances.copy(),
                        params.precisions_cholesky.copy()), float(ll))

    gm.set_params(max_iter=its[-1], tol=0.0, warm_start=True, callback=keep)
    if its[-1] > 0:
        gm.fit(X)
    from .gaussian.stats import MixtureParams

    frames = [Frame(t, "", MixtureParams(*kept[t][0]), kept[t][1]) for t in its if t in kept]
    k = gm.n_components
    cov = covariance_model(gm.covariance_type)
    resp = [reference.responsibilities(X, f.params.weights, f.params.means,
                                       f.params.precisions_cholesky, cov)[0] for f in frames]
    full = [_full_covariances(f.params.covariances, gm.covariance_type, k, d) for f in frames]

    def colours(r):
        from matplotlib.colors import to_rgb

        return np.clip(r @ np.array([to_rgb(COLORS[j % len(COLORS)]) for j in range(k)]), 0, 1)

    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-12)
    if d == 1:
        grid = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 300)
        dens = [f.params.weights * np.exp(reference.log_densities(
            grid[:, None], f.params.means, f.params.precisions_cholesky, cov)) for f in frames]
        top = 1.1 * max(float(np.max(p)) for p in dens)
        jitter = np.random.default_rng(0).uniform(-0.09, -0.03, X.shape[0]) * top

    def draw(ax, i):
        f = frames[i]
        if d == 1:
            for j in range(k):
                ax.plot(grid, dens[i][:, j], color=COLORS[j % len(COLORS)], lw=2)
            ax.scatter(X[:, 0], jitter, c=colours(resp[i]), s=8, marker="|")
            ax.set(xlim=(grid[0], grid[-1]), ylim=(-0.12 * top, top), xlabel=labels[0],
                   ylabel="weighted density")
        else:
            ax.scatter(X[:, 0], X[:, 1], c=colours(resp[i]), s=10)
            s = np.linspace(0, 2 * np.pi, 100)
            circle = np.sqrt(CHI2_2_95) * np.vstack([np.cos(s), np.sin(s)])
            for j in range(k):
                evals, evecs = np.linalg.eigh(full[i][j])
                m = f.params.means[j]
                curve = m + (evecs @ (np.sqrt(np.maximum(evals, 0))[:, None] * circle)).T
                ax.plot(*curve.T, color=COLORS[j % len(COLORS)], lw=2)
                ax.plot(*m, "+", color="k", ms=10, mew=2)
            ax.set(xlim=(lo[0] - pad[0], hi[0] + pad[0]), ylim=(lo[1] - pad[1], hi[1] + pad[1]),
                   xlabel=labels[0], ylabel=labels[1])
        ax.set_title(rf"$t = {f.iteration}$:  $\ell = {f.log_likelihood:.1f}$", fontsize=10)

    return EMAnimation(frames, draw, "Gaussian mixture EM", fps=fps)


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
        iteration ``t``, :math:`\mathcal L(q^{(t)}, \theta)` on the grid).

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
                       curves={"theta": grid, "log_likelihood": ell, "bounds": bounds})
