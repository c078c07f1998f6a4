"""The checks of an emission against its contract (:class:`emcore.hmm.Emissions`).

:class:`emcore.hmm.HMMModel` runs them where it calls the emission, so that a mistake
in a new emission class is reported with the class's name and the method at fault
instead of surfacing later as a numpy broadcasting error or a message about ``theta``.
"""

from __future__ import annotations

import numpy as np

from ._emissions import DegenerateStateError, check_occupancy

__all__ = ["check_emissions", "checked_log_prob", "checked_m_step"]


def check_emissions(emissions) -> None:
    """A TypeError naming the emission class when it has not set ``k`` and ``size``.

    Both are set by a subclass's ``__init__``: the number of states and the length of the
    emission parameter vector, positive integers.
    """
    name = type(emissions).__name__
    for attr, what in (("k", "the number of states"),
                       ("size", "the length of its parameter vector")):
        value = getattr(emissions, attr, None)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            got = "not set" if value is None else f"{value!r}"
            raise TypeError(f"{name}.__init__ must set self.{attr}, {what}, to a positive "
                            f"integer (see emcore.hmm.Emissions); it is {got}")


def checked_log_prob(emissions, X: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``emissions.log_prob(X, params)``, checked to have one row per step and one column
    per state (a ValueError naming the class otherwise)."""
    out = emissions.log_prob(X, params)
    want = (X.shape[0], int(emissions.k))
    if np.shape(out) != want:
        raise ValueError(f"{type(emissions).__name__}.log_prob returned shape {np.shape(out)}, "
                         f"expected (n, K) = {want}: one row per step, one column per state")
    return out


def checked_m_step(emissions, new, posteriors: np.ndarray) -> np.ndarray:
    """The result ``new`` of ``emissions.m_step``, checked: a finite vector of
    ``emissions.size`` numbers.

    Non-finite parameters while a state has no posterior weight (``posteriors``, (n, K))
    are a :class:`emcore.hmm.DegenerateStateError` naming the state; otherwise a
    ValueError naming the class.
    """
    name, size = type(emissions).__name__, emissions.size
    new = np.asarray(new)
    if new.shape != (size,):
        raise ValueError(f"{name}.m_step returned shape {new.shape}, expected ({size},): the "
                         f"flat parameter vector of {name}.size entries")
    if new.dtype.kind not in "biuf" or not np.all(np.isfinite(new)):
        try:
            check_occupancy(posteriors.sum(axis=0))
        except DegenerateStateError as err:
            raise DegenerateStateError(
                f"{name}.m_step returned non-finite parameters: {err}") from None
        raise ValueError(f"{name}.m_step returned non-finite parameters (NaN or infinity)")
    return new
