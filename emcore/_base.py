"""What every emcore estimator shares: scikit-learn's protocol, progress lines, restarts.

* **The parameter protocol and tags.** An estimator's parameters are its
  constructor's keyword arguments, stored unchanged as attributes of the same
  names; this is what lets ``sklearn.base.clone`` copy an emcore estimator
  (:class:`ParamsMixin`, :class:`DensityEstimatorMixin`, :func:`density_estimator_tags`).
* **Progress**, as scikit-learn prints it (:class:`Progress`): ``verbose`` 0 is
  silent; 1 prints one line when each initialisation starts and one when it
  ends; 2 also prints, every ``verbose_interval`` iterations, the iteration,
  the time since the last line and the change of the monitored objective (the
  mean log-likelihood per sample, the log-posterior with a prior), and at the
  end of each initialisation its time and the objective reached; in
  ``partial_fit``, one line per batch. Runs of a fixed length (SAEM, stochastic
  EM, data augmentation) print, from ``verbose`` 1, a progress bar every
  ``interval`` iterations. Lines go to standard output.
* **Restarts** (:func:`best_run`): one :func:`emcore.run_em` run per start, and
  the best of them. A warning repeated in the runs (one per EM iteration, say) is
  printed once per call, with its count (:func:`once_per_call`).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import time
import warnings

from .em import EMResult, run_em
from .exceptions import ConvergenceWarning

__all__ = ["DensityEstimatorMixin", "ParamsMixin", "Progress", "best_run", "replicate_progress",
           "density_estimator_tags", "once_per_call", "warn_if_not_converged"]


class ParamsMixin:
    """``get_params``/``set_params`` from the constructor's signature; a repr of
    the non-defaults."""

    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep=True):
        """The constructor arguments, as scikit-learn's ``get_params``.

        Parameters
        ----------
        deep : bool, default True
            Accepted for compatibility (no argument is itself an estimator).

        Returns
        -------
        dict
            Argument name to value.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor arguments by name, as scikit-learn's ``set_params``.

        Parameters
        ----------
        **params
            Argument names and their new values; an unknown name is a ValueError.

        Returns
        -------
        self
            The estimator.
        """
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default
                    for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (isinstance(v, type(defaults[k])) and _same(v, defaults[k]))]
        return f"{type(self).__name__}({', '.join(changed)})"


class DensityEstimatorMixin(ParamsMixin):
    """The parameter protocol and the tags of a density estimator (scikit-learn's
    ``__sklearn_tags__``)."""

    def __sklearn_tags__(self):
        """scikit-learn's tags: a density estimator on dense real 2-D arrays (imports sklearn)."""
        return density_estimator_tags()


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def density_estimator_tags(*, allow_nan: bool = False):
    """scikit-learn's ``Tags`` of an unsupervised density estimator on dense 2-D real arrays.

    Called only by scikit-learn (``estimator.__sklearn_tags__()``), so it may
    import ``sklearn.utils``; ``import emcore`` never does. scikit-learn's
    developer guide lets a third-party estimator either inherit from
    ``BaseEstimator`` or implement the protocol itself (``get_params``,
    ``set_params``, ``__sklearn_tags__``); emcore does the latter because it
    must import with numpy alone. Sample weights are declared by ``fit``'s
    signature, which is where scikit-learn looks for them.
    """
    from sklearn.utils import InputTags, Tags, TargetTags

    return Tags(
        estimator_type="density_estimator",
        target_tags=TargetTags(required=False),
        input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=allow_nan),
        requires_fit=True,
        non_deterministic=False,
    )


class Progress:
    """Prints a fit's progress at ``verbose`` level, every ``interval``
    iterations; per-sample objective."""

    def __init__(self, verbose: int, interval: int, total_weight: float = 1.0):
        self.verbose, self.interval, self.total_weight = verbose, interval, total_weight
        self._start = self._last = time.perf_counter()
        self._value = None

    def initialisation(self, i: int) -> None:
        """Initialisation ``i`` (0, 1, ...) begins."""
        if self.verbose >= 1:
            print(f"Initialization {i}")
        self._start = self._last = time.perf_counter()
        self._value = None

    def previous(self, objective: float) -> None:
        """The total objective before the iteration that is ending (for its change)."""
        self._value = objective / self.total_weight

    def iteration(self, t: int, objective: float) -> None:
        """Iteration ``t`` ended at total objective ``objective``."""
        value = objective / self.total_weight
        if self.verbose >= 2 and t % self.interval == 0:
            now = time.perf_counter()
            change = float("nan") if self._value is None else value - self._value
            print(f"  Iteration {t}\t time lapse {now - self._last:.5f}s\t ll change {change:.5f}")
            self._last = now
        self._value = value

    def end(self, converged: bool, objective: float, note: str = "") -> None:
        """The current initialisation ended."""
        if self.verbose == 1:
            print(f"Initialization {'converged' if converged else 'did not converge'}.{note}")
        elif self.verbose >= 2:
            print(f"Initialization {'converged' if converged else 'did not converge'}.{note} "
                  f"time lapse {time.perf_counter() - self._start:.5f}s\t "
                  f"lower bound {objective / self.total_weight:.5f}")

    def run_step(self, t: int, total: int, note: str = "") -> None:
        """Iteration ``t`` of a run of ``total`` iterations (a Monte Carlo run, whose length
        is fixed) ended: at ``verbose >= 1``, every ``interval`` iterations and at the last,
        a bar of the share done, the time since the run began and ``note``."""
        if self.verbose >= 1 and (t % self.interval == 0 or t == total):
            done = 20 * t // total
            tail = f"\t {note}" if note else ""
            print(f"  [{'#' * done}{'.' * (20 - done)}] {t}/{total}\t time "
                  f"{time.perf_counter() - self._start:.2f}s{tail}")

    def batch(self, t: int, n_samples: float, mean_log_likelihood: float) -> None:
        """``partial_fit``'s batch ``t`` (1, 2, ...) of total weight ``n_samples`` was used."""
        if self.verbose >= 2:
            now = time.perf_counter()
            print(f"  Batch {t}\t time lapse {now - self._last:.5f}s\t n_samples {n_samples:g}\t "
                  f"mean log-likelihood {mean_log_likelihood:.5f}")
            self._last = now


def replicate_progress(results, total: int, label: str, verbose: int):
    """Yield ``results`` unchanged; with ``verbose`` >= 1, print a progress bar each tenth of
    ``total`` (and at the end) as they arrive: the bootstraps' progress line.

    Parameters
    ----------
    results : iterable
        The replicates' results, in order (e.g. a thread pool's ``map``).
    total : int
        How many there will be.
    label : str
        What the line is about, e.g. ``"bootstrap"``.
    verbose : int
        0 prints nothing.

    Yields
    ------
    object
        Each element of ``results``.
    """
    every = max(1, total // 10)
    for b, result in enumerate(results, start=1):
        if verbose and (b % every == 0 or b == total):
            filled = round(20 * b / total)
            print(f"{label}: [{'#' * filled}{'.' * (20 - filled)}] {b}/{total} replicates")
        yield result


def _rank(result: EMResult):
    """Runs that ended normally before runs the model ended (a collapse), then by objective."""
    return result.ended_by is None, result.log_likelihood


def best_run(model, starts, *, stop, progress=None, callback=None, skip=(),
             **run_em_args) -> EMResult:
    """The :func:`emcore.run_em` run of ``model`` of highest rank (:func:`_rank`), one per start.

    ``starts`` are callables, each called when its run begins, so that random
    initialisations happen in order. A start or a run that raises one of the
    exception types ``skip`` is passed over; when every one does, the last
    error is raised. ``progress`` (an :class:`Progress`, or
    None) prints each run's start, iterations and end; ``callback`` and the
    other arguments go to :func:`emcore.run_em`.
    """
    with once_per_call():
        return _best_run(model, starts, stop=stop, progress=progress, callback=callback,
                         skip=skip, **run_em_args)


def _best_run(model, starts, *, stop, progress, callback, skip, **run_em_args):
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


_INSIDE = (os.path.dirname(os.path.abspath(__file__)), contextlib.__file__)


def _outside_stacklevel() -> int:
    """The ``stacklevel``, for a ``warnings.warn`` in the caller, of the first frame outside
    emcore (and the ``with`` machinery): the user's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INSIDE):
        frame, level = frame.f_back, level + 1
    return level


@contextlib.contextmanager
def once_per_call():
    """Warnings inside the block are held, then each distinct one is warned once, with its count.

    An EM run may hit the same condition at every iteration (a state never left, say);
    the user sees one warning per call, ``"... (7 times in this call)"``, at their own
    line, under their own warning filters.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:  # also when the block raises: its warnings may say why
        counts = {}
        for w in caught:
            key = (w.category, str(w.message))
            counts[key] = counts.get(key, 0) + 1
        for (category, message), count in counts.items():
            note = f" ({count} times in this call)" if count > 1 else ""
            warnings.warn(message + note, category, stacklevel=_outside_stacklevel())


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


def warn_if_not_converged(estimator: str, result: EMResult, tol: float, max_iter: int, *,
                          objective: str = "the log-likelihood", advice: str = "increase max_iter",
                          stacklevel: int = 3) -> None:
    """A :class:`emcore.ConvergenceWarning` when ``result`` stopped at ``max_iter`` unconverged.

    Not with ``max_iter=0`` (the start, on purpose) or ``tol=0`` (exactly
    ``max_iter`` iterations, on purpose).
    """
    if result.converged or max_iter == 0 or tol == 0:
        return
    warnings.warn(f"{estimator} did not converge: {objective} still changed by more than "
                  f"tol={tol:g} after max_iter={max_iter} iterations; {advice}",
                  ConvergenceWarning, stacklevel=stacklevel)
