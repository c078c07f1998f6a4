"""Which numpy products run in parallel on threads: ``A @ B`` against ``np.dot(A, B)``.

numpy releases the global interpreter lock only for loops of more than 500
elements, and ``matmul`` counts the elements of its output: a long product
with a small output (a chunk's statistics in :mod:`emcore.mixture._estep`,
features by components) then holds the lock however long BLAS takes, and
threads running it take turns. ``np.dot`` calls the same BLAS routine (the
same floats, checked here) without the lock. The table gives, for outputs
just below and above 500 entries, the speed-up of two threads each running
the product over one thread running both (BLAS on one thread throughout):
near the machine's thread ceiling when the lock is released, near 1 (or
below) when it is not.

A second table shows the other side of the lock: every numpy call that
releases it must take it back, and when the other thread holds it then, the
caller waits for the hand-over. For ``np.exp`` on ``n`` values (each thread
its own output), the time of one call and the same speed-up: calls that are
short next to the hand-over gain little or nothing from a second thread,
which is why the chunks of :mod:`emcore.mixture._estep` are thousands of
rows long.

Run: ``python -m benchmarks --only gil``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: (rows, columns) of the outputs timed: 360 and 495 entries (lock held by ``@``), 540 and 720
#: (released).
OUTPUTS = [(45, 8), (45, 11), (45, 12), (45, 16)]
#: Length of the sum in each product (a chunk's rows).
INNER = 20_000
ROUNDS = 3


def _repeat(product, a, b, reps):
    for _ in range(reps):
        product(a, b)


def two_thread_speedup(product, a, b, reps, pool):
    """Time of one thread running ``2 reps`` products over two threads running ``reps`` each
    (best of ROUNDS)."""
    serial = parallel = np.inf
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        _repeat(product, a, b, 2 * reps)
        serial = min(serial, time.perf_counter() - t0)
        t0 = time.perf_counter()
        for future in [pool.submit(_repeat, product, a, b, reps) for _ in range(2)]:
            future.result()
        parallel = min(parallel, time.perf_counter() - t0)
    return serial / parallel


def run(quick=False):
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    reps = 10 if quick else 30
    rows = []
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(2) as pool:
        for f, k in OUTPUTS:
            a = rng.normal(size=(f, INNER))
            b = rng.normal(size=(k, INNER)).T  # a transposed view, as the chunk statistics use
            same = bool(np.array_equal(a @ b, np.dot(a, b)))
            rows.append((f, k, two_thread_speedup(np.matmul, a, b, reps, pool),
                         two_thread_speedup(np.dot, a, b, reps, pool), same))
    return rows


#: Values per ``np.exp`` call in the second table.
EXP_SIZES = [1 << 12, 1 << 14, 1 << 16, 1 << 18]


def exp_rows(quick=False):
    """(values per call, microseconds per call on one thread, two-thread speed-up) for
    ``np.exp``."""
    rng = np.random.default_rng(1)
    local = threading.local()

    def exp_into_own_buffer(x, _):
        out = getattr(local, "out", None)
        if out is None or out.shape != x.shape:
            out = local.out = np.empty_like(x)
        np.exp(x, out=out)

    rows = []
    with ThreadPoolExecutor(2) as pool:
        for size in EXP_SIZES:
            x = rng.uniform(-30.0, 0.0, size=size)
            reps = max(10, (2_000_000 if quick else 20_000_000) // size)
            t0 = time.perf_counter()
            _repeat(exp_into_own_buffer, x, None, reps)
            call = (time.perf_counter() - t0) / reps
            rows.append((size, 1e6 * call, two_thread_speedup(exp_into_own_buffer, x, None,
                                                              reps, pool)))
    return rows


def main(quick=False):
    print("Two threads against one: A @ B and np.dot(A, B), BLAS on one thread, "
          f"A (F, n) times B (n, K), n = {INNER}")
    print("speed-up = time of one thread doing both products / time of two threads doing one each")
    print(f"{'output':>8} {'entries':>8} {'@':>6} {'np.dot':>7}  same floats")
    for f, k, matmul, dot, same in run(quick):
        print(f"{f:>4} x {k:<3}{f * k:>7} {matmul:6.2f} {dot:7.2f}  {same}")

    print()
    print("np.exp on n values a call (each thread its own output): time of one call, "
          "and two threads against one")
    print(f"{'values':>8} {'us/call':>8} {'speed-up':>9}")
    for size, us, speedup in exp_rows(quick):
        print(f"{size:>8} {us:8.1f} {speedup:9.2f}")


if __name__ == "__main__":
    main()
