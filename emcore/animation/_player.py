"""The animation object: its frames, the HTML player, the PDF strip and the text form."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import itertools
import re
from typing import Any

import numpy as np

__all__ = ["MAX_FRAMES", "EMAnimation", "Frame"]

#: More frames than this make a page heavy (every frame is an embedded PNG).
MAX_FRAMES = 60

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
    """One frame of an :class:`~emcore.EMAnimation`.

    Attributes
    ----------
    iteration : int
        The EM iteration ``t`` whose parameters the frame shows (0 is the start).
    step : str
        ``"E"`` or ``"M"`` for a frame of :func:`~emcore.animate_elbo` (after the E-step at
        ``theta^(t)``, after the M-step to ``theta^(t+1)``); ``""`` otherwise.
    params : object
        The parameters drawn: a :class:`~emcore.mixture.MixtureParams` (means in the
        data's coordinates) or the float ``theta``.
    log_likelihood : float
        The log-likelihood at ``params``, as emcore's EM recorded it (for a mixture with
        a ``prior``, the log-posterior that its EM climbs).

    See Also
    --------
    emcore.EMAnimation : The animation that holds the frames.

    Examples
    --------
    >>> from emcore import animate_elbo
    >>> from emcore.models import GeneticLinkage
    >>> anim = animate_elbo(GeneticLinkage(), 0.05, theta_range=(0.02, 0.9), n_iter=2)
    >>> frame = anim.frames[1]                             # after the first M-step
    >>> frame.iteration, frame.step, round(frame.params, 6)
    (0, 'M', 0.493663)
    """

    iteration: int
    step: str
    params: Any
    log_likelihood: float


class EMAnimation:
    """The frames of an EM run, and the ways they are shown.

    Made by :func:`~emcore.animate_mixture` and :func:`~emcore.animate_elbo`; nothing is
    drawn until it is shown.

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
    strip_frames : sequence of int, optional
        The frames of the PDF strip (``_repr_png_``); by default four spread evenly.

    Attributes
    ----------
    frames : list of Frame
        The frames, in order.
    curves : dict
        The curves the frames draw, by name.
    strip_frames : list of int or None
        The frames of the PDF strip, or None for four spread evenly.

    See Also
    --------
    emcore.animate_mixture : An animation of a Gaussian mixture's EM run.
    emcore.animate_elbo : An animation of the lower bound touching the log-likelihood.
    emcore.animation.Frame : One frame.

    Examples
    --------
    >>> from emcore import animate_elbo
    >>> from emcore.models import GeneticLinkage
    >>> anim = animate_elbo(GeneticLinkage(), 0.05, theta_range=(0.02, 0.9), n_iter=2)
    >>> anim
    <EMAnimation: EM and its lower bound, 4 frames, iterations 0 to 1>
    >>> sorted(anim.curves)
    ['bounds', 'log_likelihood', 'theta']
    """

    def __init__(self, frames, draw, title, figsize=(6.4, 4.0), fps=2.0, curves=None,
                 strip_frames=None):
        self.frames = list(frames)
        self.strip_frames = None if strip_frames is None else [int(i) for i in strip_frames]
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

        See Also
        --------
        emcore.EMAnimation.strip : A still of a few frames, for print.
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

    def strip(self, n_panels: int = 4, frames=None) -> bytes:
        """A still of ``n_panels`` frames side by side, first and last included, as PNG.

        Parameters
        ----------
        n_panels : int, default 4
            How many frames, spread evenly over the animation (at most all of them).
        frames : sequence of int, optional
            Which frames (indices into :attr:`frames`), instead of ``n_panels`` spread ones.

        Returns
        -------
        bytes
            A PNG image, two panels per row.

        See Also
        --------
        emcore.EMAnimation.to_jshtml : The player, for the web.
        """
        if isinstance(n_panels, bool) or not isinstance(n_panels, (int, np.integer)) \
                or n_panels < 1:
            raise ValueError(f"n_panels must be a positive int, got {n_panels!r}")
        if frames is None:
            n = min(int(n_panels), len(self))
            picks = np.unique(np.round(np.linspace(0, len(self) - 1, n)).astype(int))
        else:
            picks = np.asarray(frames)
            if picks.ndim != 1 or picks.size == 0 or picks.dtype.kind not in "iu" \
                    or picks.min() < 0 or picks.max() >= len(self):
                raise ValueError(f"frames must be indices of frames, 0 to {len(self) - 1}, "
                                 f"got {frames!r}")
        ncols = min(2, picks.size)
        nrows = -(-picks.size // ncols)
        fig, axes = self._figure(nrows, ncols, dpi=100)
        for ax, i in zip(axes, picks):
            self.draw(ax, int(i))
        for ax in axes[picks.size:]:
            ax.set_axis_off()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return _palette_png(buffer.getvalue())

    def _repr_html_(self):
        return self.to_jshtml()

    def _repr_png_(self):
        return self.strip(frames=self.strip_frames)


def _palette_png(png: bytes) -> bytes:
    """A PNG image as a 256-colour PNG: about a third of the bytes, the same look."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def _palette_frames(html: str) -> str:
    """The player's embedded frames as 256-colour PNGs."""
    def quantize(match):
        png = _palette_png(base64.b64decode(match.group(2).replace("\\\n", "")))
        return f'{match.group(1)}{base64.b64encode(png).decode("ascii")}"'

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
