"""emcore.GaussianMixture on a dask array: time per EM iteration and the client's memory.

The data (``k`` Gaussian blobs) is generated block by block by dask, each
block seeded by its index, so the client never holds it. Three ways to run
the same fit from the same explicit start (``tol=0``, so exactly
``max_iter`` iterations): numpy in memory (the array computed first), dask's
default threaded scheduler, and a 2-worker ``LocalCluster`` (one thread
each, separate processes). Time per iteration as in :mod:`benchmarks.mixture`:
``(t(m2) - t(m1)) / (m2 - m1)``, the fastest of ``REPEATS`` fits, so the
set-up (generating and persisting the data) cancels.

The client's memory is tracemalloc's peak in this process during one fit
on the cluster with the default initialisation (k-means on a row sample),
for two ``n`` and two block sizes: it must not grow with ``n``.

Run: ``python -m benchmarks.dask_mixture [--quick]`` or ``python -m benchmarks --only dask``.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import tracemalloc
import warnings

import numpy as np

from emcore import GaussianMixture

FULL = dict(n=2_000_000, d=8, k=8, chunks=[250_000, 1_000_000], memory_n=[1_000_000, 2_000_000])
QUICK = dict(n=200_000, d=8, k=8, chunks=[25_000, 100_000], memory_n=[100_000, 200_000])
REPEATS = 3


def chunked_blobs(n, d, k, chunk_rows, seed=0, draw_rows=None):
    """A dask array of ``k`` blobs in blocks of ``chunk_rows``, and starting means.

    Rows are drawn in blocks of ``draw_rows`` (default ``chunk_rows``), each
    from a seed made of ``seed`` and its index, then rechunked: the same
    ``draw_rows`` gives the same data whatever ``chunk_rows``.
    """
    import dask.array as da

    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    shapes = np.eye(d) + 0.3 * rng.normal(size=(k, d, d)) / np.sqrt(d)
    start_means = centers + rng.normal(size=(k, d)) / np.sqrt(d)

    def block(block_info=None):
        info = block_info[None]
        rows = info["chunk-shape"][0]
        r = np.random.default_rng([seed, info["chunk-location"][0]])
        labels = r.integers(k, size=rows)
        out = r.normal(size=(rows, d))
        for j in range(k):
            sel = labels == j
            out[sel] = centers[j] + out[sel] @ shapes[j]
        return out

    draw_rows = draw_rows or chunk_rows
    row_chunks = (draw_rows,) * (n // draw_rows) + ((n % draw_rows,) if n % draw_rows else ())
    X = da.map_blocks(block, chunks=(row_chunks, (d,)), dtype=np.float64, meta=np.empty((0, d)))
    return (X if draw_rows == chunk_rows else X.rechunk((chunk_rows, d))), start_means


def _seconds(X, init, k, iterations):
    best = np.inf
    for _ in range(REPEATS):
        gm = GaussianMixture(k, tol=0.0, max_iter=iterations, **init)
        t0 = time.perf_counter()
        gm.fit(X)
        best = min(best, time.perf_counter() - t0)
    return best, gm


def per_iteration_ms(X, init, k, m1=2, m2=10):
    t1, _ = _seconds(X, init, k, m1)
    t2, gm = _seconds(X, init, k, m2)
    return 1000 * max(t2 - t1, 0.0) / (m2 - m1), gm


def client_peak_mb(X, k):
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter=3 does not converge
            GaussianMixture(k, max_iter=3, random_state=0).fit(X)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(cfg):
    import dask
    from dask.distributed import Client, LocalCluster

    n, d, k = cfg["n"], cfg["d"], cfg["k"]
    X0, means = chunked_blobs(n, d, k, cfg["chunks"][0])
    var = float(X0.var(axis=0).mean().compute())
    init = {"weights_init": np.full(k, 1.0 / k), "means_init": means,
            "precisions_init": np.stack([np.eye(d) / var] * k)}
    rows = []
    X = X0.compute()
    ms, ref = per_iteration_ms(X, init, k)
    rows.append(("numpy, in memory", "-", ms, 0.0))
    del X
    print(format_row(rows[-1]), flush=True)
    for chunk in cfg["chunks"]:
        Xd, _ = chunked_blobs(n, d, k, chunk, draw_rows=cfg["chunks"][0])
        with dask.config.set(scheduler="threads"):
            ms, gm = per_iteration_ms(Xd, init, k)
        rows.append(("dask, threaded scheduler", chunk, ms, rel_diff(gm, ref)))
        print(format_row(rows[-1]), flush=True)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    with Client(cluster):
        for chunk in cfg["chunks"]:
            Xd, _ = chunked_blobs(n, d, k, chunk, draw_rows=cfg["chunks"][0])
            ms, gm = per_iteration_ms(Xd, init, k)
            rows.append(("dask, LocalCluster 2 workers", chunk, ms, rel_diff(gm, ref)))
            print(format_row(rows[-1]), flush=True)
        print()
        print(f"{'n':>9} {'block rows':>10} {'data MB':>8} {'client peak MB':>14}")
        for m in cfg["memory_n"]:
            for chunk in cfg["chunks"]:
                peak = client_peak_mb(chunked_blobs(m, d, k, chunk)[0], k)
                print(f"{m:>9} {chunk:>10} {m * d * 8 / 2**20:>8.0f} {peak:>14.1f}", flush=True)
    cluster.close()
    return rows


def rel_diff(a, b):
    return max(float(np.max(np.abs(getattr(a, name) - getattr(b, name)))
                     / np.max(np.abs(getattr(b, name))))
               for name in ("weights_", "means_", "covariances_"))


def format_row(r):
    how, chunk, ms, diff = r
    return f"{how:<30} {chunk:>10} {ms:>9.0f} {diff:>12.1e}"


def main(quick=False):
    import dask

    cfg = QUICK if quick else FULL
    print(f"emcore.GaussianMixture on dask: n={cfg['n']}, d={cfg['d']}, K={cfg['k']}, "
          f"full covariances, same start, tol=0; dask {dask.__version__}, {os.cpu_count()} CPUs")
    print("ms/it = time per EM iteration; max rel diff = largest relative difference of the fitted")
    print("parameters from the numpy fit; client peak = tracemalloc peak in this process during a")
    print("cluster fit with the default initialisation "
          "(k-means on a sample of at most 20 000 rows)")
    print(f"{'run':<30} {'block rows':>10} {'ms/it':>9} {'max rel diff':>12}", flush=True)
    return run(cfg)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    main(quick=parser.parse_args().quick)
