"""Progress output of a fit, as scikit-learn prints it: ``verbose`` 0, 1 or 2.

* 0 -- silent (the default);
* 1 -- one line when each initialisation starts, one when it ends (converged or not);
* 2 -- also, every ``verbose_interval`` iterations, the iteration, the time
  since the last line and the change of the monitored objective (the mean
  log-likelihood per sample, the log-posterior with a prior), and at the end
  of each initialisation its time and the objective reached; in
  ``partial_fit``, one line per batch.

Lines go to standard output (``print``), as scikit-learn's do.
"""

from __future__ import annotations

import time

__all__ = ["Progress"]


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

    def batch(self, t: int, n_samples: float, mean_log_likelihood: float) -> None:
        """``partial_fit``'s batch ``t`` (1, 2, ...) of total weight ``n_samples`` was used."""
        if self.verbose >= 2:
            now = time.perf_counter()
            print(f"  Batch {t}\t time lapse {now - self._last:.5f}s\t n_samples {n_samples:g}\t "
                  f"mean log-likelihood {mean_log_likelihood:.5f}")
            self._last = now
