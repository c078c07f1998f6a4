"""emcore's GaussianHMM against hmmlearn's: time per EM (Baum-Welch) iteration.

Both fit the same data from the same explicit start (``startprob``,
``transmat``, means, covariances), priors off, with no stopping tolerance,
so that both run exactly ``m`` iterations. The time per iteration is
``(t(m2) - t(m1)) / (m2 - m1)`` -- set-up cost cancels -- each fit timed
``REPEATS`` times, keeping the fastest (the machine may be shared).
On a busy machine the difference can come out negative; it is then shown as
``nan`` (run again on an idle machine). hmmlearn is timed with both of its
implementations: ``"log"`` (its default, log-space recursions in C++) and
``"scaling"`` (scaled recursions in C++).
BLAS runs single-threaded for both libraries (threadpoolctl), so that a
loaded machine's thread contention does not decide the ratio.
After ``m2`` iterations the parameters of the two libraries are compared.

Sizes (the issue's): one sequence of T = 10^5 steps, K = 4, d = 2, diagonal
covariances; 100 sequences of 10^4 steps, K = 8, d = 4, full covariances.

A second table times the Gaussian emissions' statistics alone on the same data,
the three ways in turns (``ROUNDS`` rounds, each way's fastest): the sums about
the centre by the product of quadratic features (``about_center``), the E-step's
``accumulate`` (those sums and the check that their covariances do not cancel,
the path taken on these data), and the sums about each state's mean
(``about_means``, the reference statistics: what states far apart next to their
spread pay, on top of the first).

Run: ``python -m benchmarks.hmm [--quick]``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np

from emcore import GaussianHMM

FULL_SIZES = [(100_000, 1, 4, 2, "diag"), (10_000, 100, 8, 4, "full")]
QUICK_SIZES = [(20_000, 1, 4, 2, "diag"), (2_000, 20, 8, 4, "full")]
REPEATS = 3
ITERS = (2, 5)
ROUNDS, CALLS = 5, 5


def make_problem(t, s, k, d, cov_type, seed=0):
    """Sticky regimes of ``k`` well separated Gaussians, and a start near them."""
    rng = np.random.default_rng(seed)
    n = t * s
    regimes = np.repeat(rng.integers(k, size=n // 50 + 1), 50)[:n]
    centres = 3.0 * rng.normal(size=(k, d))
    X = centres[regimes] + rng.normal(size=(n, d))
    pi = np.full(k, 1.0 / k)
    A = np.full((k, k), 0.1 / (k - 1))
    np.fill_diagonal(A, 0.9)
    means = centres + 0.5 * rng.normal(size=(k, d))
    cov = np.ones((k, d)) if cov_type == "diag" else np.tile(np.eye(d), (k, 1, 1))
    return X, np.full(s, t), (pi, A, means, cov)


def _emcore(X, lengths, start, cov_type, m):
    pi, A, means, cov = start
    return GaussianHMM(len(pi), covariance_type=cov_type, tol=0, max_iter=m, startprob_init=pi,
                       transmat_init=A, means_init=means, covariances_init=cov,
                       reg_covar=0.0).fit(X, lengths)


def _hmmlearn(X, lengths, start, cov_type, m, implementation):
    from hmmlearn.hmm import GaussianHMM as Ref

    pi, A, means, cov = start
    ref = Ref(len(pi), covariance_type=cov_type, n_iter=m, tol=-np.inf, init_params="",
              covars_prior=0.0, covars_weight=0.0, implementation=implementation)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = pi, A, means, cov
    return ref.fit(X, lengths)


def _per_iteration(fit):
    times = {}
    for m in ITERS:
        best = np.inf
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            fit(m)
            best = min(best, time.perf_counter() - t0)
        times[m] = best
    per = (times[ITERS[1]] - times[ITERS[0]]) / (ITERS[1] - ITERS[0])
    return per if per > 0 else float("nan")  # the machine's load swamped the difference: no number


def main(quick=False):
    from threadpoolctl import threadpool_limits

    cpu = platform.processor() or platform.machine()
    print(f"GaussianHMM vs hmmlearn: seconds per EM iteration ({cpu}, BLAS single-threaded)")
    print(f"{'T x sequences':>15} {'K':>2} {'d':>2} {'cov':>5} {'emcore':>8} {'hl log':>8} "
          f"{'hl scal':>8} {'log/emcore':>10} {'scal/emcore':>11} {'max rel diff':>12}")
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t, s, k, d, cov_type in (QUICK_SIZES if quick else FULL_SIZES):
            X, lengths, start = make_problem(t, s, k, d, cov_type)
            ours = _per_iteration(lambda m: _emcore(X, lengths, start, cov_type, m))
            log = _per_iteration(lambda m: _hmmlearn(X, lengths, start, cov_type, m, "log"))
            scal = _per_iteration(lambda m: _hmmlearn(X, lengths, start, cov_type, m, "scaling"))
            a = _emcore(X, lengths, start, cov_type, ITERS[1])
            b = _hmmlearn(X, lengths, start, cov_type, ITERS[1], "scaling")
            ref_cov = b.covars_ if cov_type == "full" else np.array([np.diag(c) for c in b.covars_])
            diff = max(float(np.max(np.abs(x - y)) / np.max(np.abs(y))) for x, y in
                       ((a.transmat_, b.transmat_), (a.means_, b.means_),
                        (a.covariances_, ref_cov)))
            print(f"{t:>8} x {s:<4} {k:>2} {d:>2} {cov_type:>5} {ours:8.3f} {log:8.3f} {scal:8.3f} "
                  f"{log / ours:10.2f} {scal / ours:11.2f} {diff:12.1e}")


def statistics_rows(quick=False):
    """The emission statistics three ways, timed in turns (module docstring)."""
    from threadpoolctl import threadpool_limits

    print("Gaussian emission statistics, seconds per call, in turns (BLAS single-threaded)")
    print(f"{'T x sequences':>15} {'K':>2} {'d':>2} {'cov':>5} {'centre':>8} {'accum.':>8} "
          f"{'means':>8} {'accum./centre':>13} {'means/centre':>12}")
    with threadpool_limits(1):
        for t, s, k, d, cov_type in (QUICK_SIZES if quick else FULL_SIZES):
            X, lengths, (pi, A, means, cov) = make_problem(t, s, k, d, cov_type)
            model = GaussianHMM(k, covariance_type=cov_type, max_iter=0, startprob_init=pi,
                                transmat_init=A, means_init=means,
                                covariances_init=cov).fit(X, lengths)
            post = model.predict_proba(X, lengths)
            em = model._emissions(X)
            params = em.pack(means, cov)
            ways = {"centre": lambda: em.about_center(X, post),
                    "accumulate": lambda: em.accumulate(X, post, params),
                    "means": lambda: em.about_means(X, post, params)}
            best = dict.fromkeys(ways, np.inf)
            for _ in range(ROUNDS):
                for name, way in ways.items():
                    t0 = time.perf_counter()
                    for _ in range(CALLS):
                        way()
                    best[name] = min(best[name], (time.perf_counter() - t0) / CALLS)
            c, a, m = best["centre"], best["accumulate"], best["means"]
            print(f"{t:>8} x {s:<4} {k:>2} {d:>2} {cov_type:>5} {c:8.4f} {a:8.4f} {m:8.4f} "
                  f"{a / c:13.2f} {m / c:12.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    main(quick=quick)
    statistics_rows(quick=quick)
