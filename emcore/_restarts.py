"""Restarts: one :func:`emcore.run_em` run per start, and the best of them, for every estimator."""

from __future__ import annotations

from .em import EMResult, run_em

__all__ = ["best_run"]


def _rank(result: EMResult):
    """Runs that ended normally before runs the model ended (a collapse), then by objective."""
    return result.ended_by is None, result.log_likelihood


def best_run(model, starts, *, stop, progress=None, callback=None, skip=(),
             **run_em_args) -> EMResult:
    """The :func:`emcore.run_em` run of ``model`` of highest rank (:func:`_rank`), one per start.

    ``starts`` are callables, each called when its run begins, so that random
    initialisations happen in order. A start or a run that raises one of the
    exception types ``skip`` is passed over; when every one does, the last
    error is raised. ``progress`` (an :class:`emcore._progress.Progress`, or
    None) prints each run's start, iterations and end; ``callback`` and the
    other arguments go to :func:`emcore.run_em`.
    """
    best, failure = None, None
    for i, start in enumerate(starts):
        if progress is not None:
            progress.initialisation(i)
        try:
            result = run_em(model, start(), stop=_reported(stop, progress),
                            callback=_shown(callback, progress), **run_em_args)
        except skip as err:
            failure = err
            continue
        if progress is not None:
            note = "" if result.ended_by is None else f" The run ended: {result.ended_by}."
            progress.end(result.converged, result.log_likelihood, note)
        if best is None or _rank(result) > _rank(best):
            best = result
    if best is None:
        raise failure
    return best


def _reported(stop, progress):
    """``stop``, telling ``progress`` each iteration's starting objective first."""
    if progress is None:
        return stop

    def rule(t, old, new, ll_old, ll_new):
        progress.previous(ll_old)  # run_em asks its rule before its callback
        return stop(t, old, new, ll_old, ll_new)

    return rule


def _shown(callback, progress):
    """``callback``, printing each iteration through ``progress`` first."""
    if progress is None:
        return callback

    def shown(t, theta, value):
        progress.iteration(t, value)
        return None if callback is None else callback(t, theta, value)

    return shown
