"""EM you can watch: animations of an EM run, one frame per step, drawn from emcore's own EM.

:func:`~emcore.animate_mixture` follows a :class:`~emcore.GaussianMixture` from its start,
with the samples coloured by their responsibilities; :func:`~emcore.animate_elbo` follows a
model with one parameter and its function ``Q``, drawing the lower bound that each E-step
makes touch the log-likelihood and that each M-step climbs. Both return an
:class:`~emcore.EMAnimation`, which shows itself

* in a notebook and in the HTML book as matplotlib's self-contained JavaScript player
  (``FuncAnimation.to_jshtml``: frames embedded as PNG, play, pause and step buttons, a
  slider; no server, no network, no ffmpeg);
* in the PDF book (which takes a notebook's ``image/png``) as a strip of a few frames;
* as text, as one short line that does not depend on the numbers, so that a notebook's
  stored text output is the same on every machine.

numpy only at import; matplotlib is imported when a frame is drawn.
"""

from ._elbo import animate_elbo
from ._mixture import animate_mixture
from ._player import MAX_FRAMES, EMAnimation, Frame

__all__ = ["MAX_FRAMES", "EMAnimation", "Frame", "animate_elbo", "animate_mixture"]
