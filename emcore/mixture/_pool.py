"""Threads over chunks of rows: ``n_jobs``, and an ordered map with BLAS held to one thread.

The chunked E-step and new-data scoring (:mod:`._estep`) are loops over
chunks of rows whose work is numpy's: matrix products, ``exp``, ``log`` and
elementwise passes, which all release the GIL. :func:`ordered_map` runs such
a loop on a pool of threads and hands the results back *in chunk order*, so
the caller adds its partial sums in the same order whatever the number of
threads (the calling thread works too; the helper threads are kept
between calls): chunk boundaries are fixed by the data's shape, never by
``n_jobs``, and the result is the same bit for bit for every ``n_jobs``.

While a loop of several chunks runs, every BLAS call runs on one thread
(threadpoolctl, imported only then), also with ``n_jobs=1``: ``n_jobs``
threads then do not each start a team of BLAS threads, and every ``n_jobs``
computes each chunk alike; the previous limits are restored afterwards. A
loop of one chunk runs in the calling thread with BLAS's own threads.

Only work done without the GIL runs in parallel. numpy's ``matmul`` (``@``)
keeps the GIL for a product whose output has at most 500 entries (its
threshold for releasing it, numpy issue 12311), however long the product:
the chunk statistics (``F x m`` by ``m x K``) are such products, and two
threads then took longer than one. ``np.dot`` calls the same BLAS routine
(the same floats) without the GIL, so the chunk kernels use it for their
2-D products with a small output. Batched (3-D) products with a small output
keep the GIL too; the holed rows' direct path (``emcore.gaussian._conditional``'s
``_weighted_sums`` and ``completed_moments``) still has two, for the rare
patterns only.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._checks import Constraint, check_params

__all__ = ["N_JOBS", "available_cores", "default_threads", "one_blas_thread", "ordered_map",
           "resolve_n_jobs"]


class _NJobs(Constraint):
    """``n_jobs``: a positive integer, or -1 for all cores (None is the same)."""

    description = "an integer >= 1 or -1"

    def accepts_type(self, value):
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))

    def accepts_value(self, value):
        return value >= 1 or value == -1

    def convert(self, value):
        return int(value)


#: The declared constraint of ``n_jobs`` (see :func:`emcore._checks.check_params`).
N_JOBS = [None, _NJobs()]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs) -> int:
    """The number of threads ``n_jobs`` (checked) asks for.

    -1 means :func:`available_cores`; None (the default) means
    :func:`default_threads`, which is the same unless joblib or threadpoolctl
    limit this process's threads.

    >>> resolve_n_jobs(2)
    2
    >>> resolve_n_jobs(-1) == available_cores() >= resolve_n_jobs(None) >= 1
    True
    """
    n_jobs = check_params({"n_jobs": N_JOBS}, {"n_jobs": n_jobs})["n_jobs"]
    if n_jobs is None:
        return default_threads()
    return available_cores() if n_jobs == -1 else n_jobs


def default_threads() -> int:
    """Threads for ``n_jobs=None``: the available cores, or the limit set on this process if lower.

    A process worker of joblib (the loky backend, which ``GridSearchCV(n_jobs=...)``
    uses) starts with ``OMP_NUM_THREADS`` and the BLAS libraries' variables set
    to ``cpu_count() // n_workers``, and scikit-learn's OpenMP code follows
    ``OMP_NUM_THREADS`` (read here when emcore is imported); threadpoolctl's
    ``threadpool_limits`` lowers the thread count of the loaded BLAS and
    OpenMP libraries while it is in force. The smallest of these limits and
    :func:`available_cores` is used, so that ``n`` workers on ``n`` cores do
    not each start a thread per core.
    """
    limits = [available_cores(), _ENV_LIMIT, _library_limit()]
    return max(1, min(limit for limit in limits if limit is not None))


def _env_limit(environ) -> int | None:
    """``OMP_NUM_THREADS`` as a number (its first entry: a list gives nested levels), or None."""
    value = environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


#: ``OMP_NUM_THREADS`` when emcore was imported. Read once, as OpenMP and BLAS libraries read
#: it when they load: a worker is started with it, while a later change of the environment
#: is meant for processes started afterwards (dask's ``Nanny`` sets it to 1 in its own
#: process before it starts a worker process).
_ENV_LIMIT = _env_limit(os.environ)


def _library_limit() -> int | None:
    """The fewest threads a loaded BLAS or OpenMP library may use, or None if there is none.

    While :func:`one_blas_thread` holds BLAS to one thread, the count from
    before it is used: that limit is emcore's own, not the process's.
    """
    with _LOCK:
        if _held["depth"]:
            return _held["outer_limit"]
    return _threads_of(_controller())


def _threads_of(controller) -> int | None:
    counts = [lib.num_threads for lib in controller.lib_controllers
              if lib.user_api in ("blas", "openmp") and isinstance(lib.num_threads, int)]
    return min(counts, default=None)


@functools.cache
def _controller():
    """threadpoolctl's view of the loaded BLAS libraries (built once: it scans the process)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_LOCK = threading.Lock()
_held = {"depth": 0, "limiter": None, "outer_limit": None}


@contextlib.contextmanager
def one_blas_thread():
    """BLAS on one thread inside; the previous limits restored when the last user leaves.

    Counted, so that overlapping users (dask's threads each running a block)
    neither restore too early nor leave the limit behind.
    """
    with _LOCK:
        if _held["depth"] == 0:
            _held["outer_limit"] = _threads_of(_controller())
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


def _submit(func, count: int) -> list:
    """Futures of ``count`` calls of ``func`` on the process's helper threads (a
    pool kept between calls)."""
    if count < 1:
        return []
    with _LOCK:
        pool = _held.get("pool")
        if pool is None or _held["pool_size"] < count:
            if pool is not None:
                pool.shutdown(wait=False)  # its threads finish what they run, then exit
            pool = _held["pool"] = ThreadPoolExecutor(count, thread_name_prefix="emcore")
            _held["pool_size"] = count
        return [pool.submit(func) for _ in range(count)]


def ordered_map(func, items, n_jobs: int):
    """Yield ``func(item)`` for each of ``items``, in their order, computed on ``n_jobs`` threads.

    The items go in waves of ``4 n_jobs``, so that few results wait at a
    time; within a wave the threads (the caller's among them) take the next
    item as they become free, so a thread slowed by other work on the
    machine takes fewer, and every result lands in its item's place. With
    more than one item, BLAS runs on one thread throughout, also for
    ``n_jobs=1``, so that every ``n_jobs`` computes each item alike (BLAS may
    split a product differently over its own threads). ``func`` must not
    share writable buffers between calls (each thread needs its own), and
    must not call :func:`ordered_map` itself (the helpers are one shared
    pool: a helper waiting on work queued behind it would wait forever).

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
        for start in range(0, len(items), 4 * workers):
            yield from _wave(func, items[start:start + 4 * workers], workers)


def _wave(func, items, workers) -> list:
    """``[func(item) for item in items]`` on ``workers`` threads, the calling one among them."""
    results = [None] * len(items)
    claim = threading.Lock()
    order = iter(range(len(items)))
    failed = []

    def work():
        while not failed:
            with claim:
                i = next(order, None)
            if i is None:
                return
            try:
                results[i] = func(items[i])
            except BaseException:
                failed.append(True)  # the others stop at their next item
                raise

    futures = _submit(work, min(workers, len(items)) - 1)
    try:
        work()
    finally:
        for future in futures:
            future.exception()  # wait for every helper before the buffers go
    for future in futures:
        future.result()  # re-raise a helper's error
    return results
