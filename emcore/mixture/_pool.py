"""Threads over chunks of rows: ``n_jobs``, and an ordered map with BLAS held to one thread.

The chunked E-step and new-data scoring (:mod:`._estep`) are loops over
chunks of rows whose work is numpy's: matrix products, ``exp``, ``log`` and
elementwise passes, which all release the GIL. :func:`ordered_map` runs such
a loop on a pool of threads and hands the results back *in chunk order*, so
the caller adds its partial sums in the same order whatever the number of
threads: chunk boundaries are fixed by the data's shape, never by
``n_jobs``, and the result is the same bit for bit for every ``n_jobs``.

During the parallel section every BLAS call runs on one thread
(threadpoolctl, imported only then), so ``n_jobs`` threads do not each start
a team of BLAS threads; the previous limits are restored afterwards. With
one job, or one chunk, the loop runs serially in the calling thread and BLAS
keeps its own threads.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import numbers
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._validation import Constraint

__all__ = ["N_JOBS", "available_cores", "one_blas_thread", "ordered_map", "resolve_n_jobs"]


class _NJobs(Constraint):
    """``n_jobs``: a positive integer, or -1 for all cores (None is the same)."""

    description = "an integer >= 1 or -1"

    def accepts_type(self, value):
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))

    def accepts_value(self, value):
        return value >= 1 or value == -1

    def convert(self, value):
        return int(value)


#: The declared constraint of ``n_jobs`` (see :func:`emcore._validation.check_params`).
N_JOBS = [None, _NJobs()]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs) -> int:
    """The number of threads ``n_jobs`` (checked) asks for: None and -1 mean :func:`available_cores`.

    >>> resolve_n_jobs(2)
    2
    >>> resolve_n_jobs(None) == resolve_n_jobs(-1) == available_cores()
    True
    """
    from .._validation import check_params

    n_jobs = check_params({"n_jobs": N_JOBS}, {"n_jobs": n_jobs})["n_jobs"]
    return available_cores() if n_jobs in (None, -1) else n_jobs


@functools.cache
def _controller():
    """threadpoolctl's view of the loaded BLAS libraries (built once: it scans the process)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_LOCK = threading.Lock()
_held = {"depth": 0, "limiter": None}


@contextlib.contextmanager
def one_blas_thread():
    """BLAS on one thread inside; the previous limits restored when the last user leaves.

    Counted, so that overlapping users (dask's threads each running a block)
    neither restore too early nor leave the limit behind.
    """
    with _LOCK:
        if _held["depth"] == 0:
            _held["limiter"] = _controller().limit(limits=1, user_api="blas")
        _held["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _held["depth"] -= 1
            if _held["depth"] == 0:
                _held["limiter"].restore_original_limits()
                _held["limiter"] = None


def ordered_map(func, items, n_jobs: int):
    """Yield ``func(item)`` for each of ``items``, in their order, computed on ``n_jobs`` threads.

    With more than one item, BLAS runs on one thread throughout, also for
    ``n_jobs=1`` (so that every ``n_jobs`` computes each item alike, even
    where BLAS would split a product differently over its own threads). At
    most ``2 * n_jobs`` results are computed ahead of the one being consumed,
    so the memory of results waiting stays bounded. ``func`` must not share
    writable buffers between calls (each thread needs its own).

    >>> list(ordered_map(lambda x: x * x, range(5), 2))
    [0, 1, 4, 9, 16]
    """
    items = list(items)
    if len(items) <= 1:
        yield from map(func, items)
        return
    with one_blas_thread():
        if n_jobs <= 1:
            yield from map(func, items)
            return
        workers = min(n_jobs, len(items))
        with ThreadPoolExecutor(workers, thread_name_prefix="emcore") as pool:
            pending = collections.deque()
            todo = iter(items)
            try:
                for item in itertools.islice(todo, 2 * workers):
                    pending.append(pool.submit(func, item))
                while pending:
                    result = pending.popleft().result()
                    for item in itertools.islice(todo, 1):
                        pending.append(pool.submit(func, item))
                    yield result
            finally:
                for future in pending:
                    future.cancel()
