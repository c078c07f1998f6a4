"""What each fast path of the mixture's E-step gains over the core without it.

One E-step (statistics and log-likelihood) of ``GaussianMixture`` at fixed
parameters, timed in turns, best of ``ROUNDS``, BLAS and the E-step on one
thread, for each covariance type and size, by:

* ``reference`` -- :func:`emcore.gaussian.reference.e_step`, the textbook E-step
  (an ``(n, K)`` array of responsibilities, no chunks);
* ``direct`` -- the chunked E-step with the expanded path switched off
  (``_tuning.MAX_ROUND_OFF = 0``): whitening ``x - mu_k`` per component,
  truncated log-sum-exp;
* ``truncating`` -- the expanded path with the truncated log-sum-exp
  (``_tuning.SIMD_EXP = False``);
* ``default`` -- what a fit does on this machine (with a SIMD ``exp``, the
  expanded path exponentiates overlapping chunks whole).

The columns are each time over ``default``'s, so a path pays where its
column to the left is well above 1. The floats of all four agree to round-off
(the last column: the largest relative difference of the log-likelihoods).

Run: ``python -m benchmarks --only fastpaths``.
"""

from __future__ import annotations

import time

import numpy as np

ROUNDS = 5
#: (n, d, K) of the problems timed.
SIZES = [(200_000, 8, 8), (50_000, 30, 10)]
QUICK_SIZES = [(20_000, 4, 3)]
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def _problem(n, d, k, cov_type, rng):
    from emcore import GaussianMixture

    centres = rng.normal(scale=3.0, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    gm = GaussianMixture(k, covariance_type=cov_type, max_iter=2, tol=0, random_state=0,
                         n_jobs=1).fit(X[:5000])
    return X, gm


def _e_steps(X, gm):
    """The four ways to one E-step, each a function of no arguments returning the log-likelihood."""
    from emcore import _tuning
    from emcore.gaussian import reference
    from emcore.gaussian.covariance import covariance_model
    from emcore.gaussian.stats import MixtureParams
    from emcore.mixture._data import MixtureData
    from emcore.mixture._estep import e_step

    cov = covariance_model(gm.covariance_type)
    params = MixtureParams(gm.weights_, gm.means_, gm.covariances_, gm.precisions_cholesky_)
    data = MixtureData(X, None, gm.covariance_type, gm.n_components)
    rel = params.moved(-data.center)

    def chunked(**settings):
        def run():
            saved = {name: getattr(_tuning, name) for name in settings}
            for name, value in settings.items():
                setattr(_tuning, name, value)
            try:
                return e_step(data, rel)[1]
            finally:
                for name, value in saved.items():
                    setattr(_tuning, name, value)
        return run

    return {
        "reference": lambda: reference.e_step(X, params, cov)[1],
        "direct": chunked(MAX_ROUND_OFF=0.0),
        "truncating": chunked(SIMD_EXP=False),
        "default": chunked(),
    }


def main(quick=False):
    from threadpoolctl import threadpool_limits

    from emcore import _tuning

    rng = np.random.default_rng(0)
    print(f"E-step time over the default path's (one thread; SIMD exp here: {_tuning.SIMD_EXP})")
    print(f"{'n':>8} {'d':>3} {'K':>3} {'cov':>9} {'default s':>10} {'reference':>10} {'direct':>8} "
          f"{'truncating':>10} {'max rel diff':>12}")
    with threadpool_limits(1):
        for n, d, k in (QUICK_SIZES if quick else SIZES):
            for cov_type in COVARIANCE_TYPES:
                X, gm = _problem(n, d, k, cov_type, rng)
                ways = _e_steps(X, gm)
                best = {name: np.inf for name in ways}
                values = {}
                for _ in range(ROUNDS):
                    for name, run in ways.items():  # in turns
                        start = time.perf_counter()
                        values[name] = run()
                        best[name] = min(best[name], time.perf_counter() - start)
                ref = values["reference"]
                diff = max(abs(v - ref) / abs(ref) for v in values.values())
                base = best["default"]
                print(f"{n:>8} {d:>3} {k:>3} {cov_type:>9} {base:10.4f} "
                      f"{best['reference'] / base:10.2f} {best['direct'] / base:8.2f} "
                      f"{best['truncating'] / base:10.2f} {diff:12.1e}")


if __name__ == "__main__":
    main()
