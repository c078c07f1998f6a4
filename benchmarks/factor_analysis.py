"""Factor analysis against scikit-learn's, and the mixture of factor analysers at d = 1000.

**FactorAnalysis** (n = 1e5, d = 100, 10 factors): emcore's EM
(:class:`emcore.FactorAnalysis`) against scikit-learn's ``FactorAnalysis``
with its default randomized SVD and with ``svd_method="lapack"``. The two
libraries iterate differently: scikit-learn's iteration is an SVD of the
scaled n x d data (O(n d q) randomized, O(n d^2) lapack); emcore computes a
square root of the sample covariance once (O(n d^2)) and then iterates on
it, O(d^2 q) per EM step. So the table gives both the time per iteration,
``(t(m2) - t(m1)) / (m2 - m1)`` from fits of ``tol=0``, timed in turns
(:func:`benchmarks.mixture.interleaved_ms`), and the whole fit to one common
criterion (mean log-likelihood changing by less than 1e-8 per sample per
iteration; scikit-learn's ``tol`` is on the total, so ``1e-8 n``), with the
iterations it took and the score reached. EM needs more iterations than
scikit-learn's alternation; each is far cheaper.

**MixtureOfFactorAnalyzers** (n = 1e4, d = 1000, K = 5, 5 factors): scikit-learn
has no MFA; its cost per iteration is set against emcore's diagonal
``GaussianMixture`` on the same data (the ``n_factors=0`` model, a floor) and
timed in turns with it. A full-covariance mixture at d = 1000 would hold
5 x 1000 x 1000 covariances and cost O(n K d^2) per iteration; it is not run.

Everything runs with BLAS held to one thread (``threadpoolctl``), for both
libraries: on this shared 2-core machine a multi-threaded OpenBLAS under
load made scikit-learn's SVDs 15 times slower (measured: 15.7 s against
0.94 s for the same 5-iteration fit at n = 2e4, d = 50), which would say more
about the machine than about the methods.

Peak memory is tracemalloc's peak during one ``fit`` (``X``, allocated
before, is not counted), given in MB and as a multiple of ``X``'s size.
Timings on a shared machine are noisy: the load average is printed.

Run: ``python -m benchmarks --only factor [--quick]``.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from emcore import FactorAnalysis, GaussianMixture, MixtureOfFactorAnalyzers

from .mixture import interleaved_ms, peak_mb

FA_SIZE, FA_QUICK = (100_000, 100, 10), (20_000, 50, 5)
MFA_SIZE, MFA_QUICK = (10_000, 1000, 5, 5), (2_000, 300, 3, 3)
REPEATS = 2
#: emcore's FactorAnalysis runs this many times the iterations of the scikit-learn fits.
EM_SCALE = 100


def factor_data(n, d, q, seed=0):
    """``n`` rows of a ``q``-factor model with uniquenesses between 0.2 and 1 and varied scales."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, q))
    X = rng.normal(size=(n, q)) @ W.T + rng.normal(size=(n, d)) * np.sqrt(rng.uniform(0.2, 1.0, d))
    return X * rng.uniform(0.5, 2.0, d)


def mixture_data(n, d, k, q, seed=0):
    """``k`` factor-analyser clusters of equal size, centres 3 apart per coordinate on average."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(k, size=n)
    X = rng.normal(size=(n, d)) * np.sqrt(rng.uniform(0.2, 1.0, size=(k, d)))[labels]
    for j in range(k):
        rows = labels == j
        factors = rng.normal(size=(rows.sum(), q)) @ rng.normal(size=(q, d))
        X[rows] += factors + rng.normal(scale=3.0, size=d)
    return X


def _timed_fit(est, X):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    return time.perf_counter() - t0, est


def run_fa(size):
    from sklearn.decomposition import FactorAnalysis as SkFA

    n, d, q = size
    X = factor_data(n, d, q)
    # emcore's iteration is ~1000 times cheaper: it runs EM_SCALE times as many, so that the
    # difference of its two fits is well above the timer's noise; its ms/iter is divided back.
    cases = {
        "emcore": (lambda m: FactorAnalysis(q, tol=0.0, max_iter=EM_SCALE * m), X),
        "sklearn randomized": (lambda m: SkFA(q, tol=0.0, max_iter=m, random_state=0), X),
        "sklearn lapack": (lambda m: SkFA(q, tol=0.0, max_iter=m, svd_method="lapack"), X),
    }
    ms, _ = interleaved_ms(cases, 2, 12, repeats=REPEATS)
    ms["emcore"] /= EM_SCALE
    whole = {
        "emcore": lambda: FactorAnalysis(q, tol=1e-8, max_iter=100_000),
        "sklearn randomized": lambda: SkFA(q, tol=1e-8 * n, max_iter=100_000, random_state=0),
        "sklearn lapack": lambda: SkFA(q, tol=1e-8 * n, max_iter=100_000, svd_method="lapack"),
    }
    x_mb = X.nbytes / 2**20
    print(f"{'n':>7} {'d':>4} {'q':>3} {'library':>19} {'ms/iter':>9} {'fit s':>7} {'iters':>6} "
          f"{'score':>14} {'peak MB':>8} {'x X':>5}", flush=True)
    for name, make in whole.items():
        seconds, est = _timed_fit(make(), X)
        peak = peak_mb(lambda m, make=make: make(), X, None)
        print(f"{n:>7} {d:>4} {q:>3} {name:>19} {ms[name]:>9.2f} {seconds:>7.2f} {est.n_iter_:>6} "
              f"{est.score(X):>14.8f} {peak:>8.1f} {peak / x_mb:>5.2f}", flush=True)


def run_mfa(size):
    n, d, k, q = size
    X = mixture_data(n, d, k, q)
    cases = {
        "emcore MFA": (lambda m: MixtureOfFactorAnalyzers(k, q, tol=0.0, max_iter=m,
                                                          random_state=0), X),
        "emcore diag GMM": (lambda m: GaussianMixture(k, covariance_type="diag", tol=0.0,
                                                      max_iter=m, random_state=0), X),
    }
    ms, models = interleaved_ms(cases, 2, 6, repeats=REPEATS)
    x_mb = X.nbytes / 2**20
    print(f"{'n':>7} {'d':>5} {'K':>2} {'q':>2} {'model':>16} {'ms/iter':>9} {'peak MB':>8} "
          f"{'x X':>5} {'score':>12}", flush=True)
    for name, (make, _) in cases.items():
        peak = peak_mb(make, X, 3)
        print(f"{n:>7} {d:>5} {k:>2} {q:>2} {name:>16} {ms[name]:>9.1f} {peak:>8.1f} "
              f"{peak / x_mb:>5.2f} {models[name].score(X):>12.4f}", flush=True)


def main(quick=False):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        _main(quick)


def _main(quick):
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("FactorAnalysis (EM) vs scikit-learn's FactorAnalysis; MixtureOfFactorAnalyzers")
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, BLAS on 1 thread, "
          f"load average {load:.1f} (noisy unless near 0)")
    print(f"ms/iter: tol=0 fits of 2 and 12 iterations (emcore {2 * EM_SCALE} and "
          f"{12 * EM_SCALE}) timed in turns; fit s, iters, score: one fit until the mean "
          "log-likelihood changes < 1e-8 per iteration; peak: tracemalloc during that fit")
    run_fa(FA_QUICK if quick else FA_SIZE)
    print()
    print("MFA: ms/iter from tol=0 fits of 2 and 6 iterations, timed in turns with the "
          "diagonal mixture; peak during a 3-iteration fit")
    run_mfa(MFA_QUICK if quick else MFA_SIZE)


if __name__ == "__main__":
    main()
