"""Every setting that trades speed, memory or round-off, in one place, with what it rests on.

None of these changes what EM computes beyond round-off: the reference E-step
(:mod:`emcore.gaussian.reference`) is the same whatever they are, and the tests
compare the fast paths with it. Modules read them as ``_tuning.NAME`` when they
run, so a test can change one (``monkeypatch.setattr``) and see the effect.

Timings quoted were taken on the project's 2-core machines (AMD EPYC Zen 4 with
AVX-512; an earlier AVX2 machine where said), with ``benchmarks/``.
"""

from __future__ import annotations

import os
import time

import numpy as np

# -- accuracy --------------------------------------------------------------------------------

#: Largest estimated absolute round-off of a log-density that a fast path may have: the
#: expanded path (log-densities as products of coefficients and features, whose round-off grows
#: with ``|x|^2 lambda_max(P)``) and the holed rows' Schur-complement form are used only below it.
MAX_ROUND_OFF = 1e-9

# -- the expanded path -------------------------------------------------------------------------

#: Most features for which ``full`` covariances use the expanded path: its ``d (d + 1) / 2``
#: quadratic features cost more than the direct path's ``K`` whitening products beyond 16.
EXPANDED_MAX_D = 16

# -- chunks ------------------------------------------------------------------------------------

#: Floats held by one chunk's largest buffers (about 8 MB). 2^20 was the fastest or tied on two
#: threads against 2^19, 2^21 and 2^22 (the last 20-45% slower at n = 1e6, D = K = 8).
CHUNK_FLOATS = 1 << 20
#: Fewest and most samples per chunk of the mixture's E-step.
CHUNK_MIN_ROWS, CHUNK_MAX_ROWS = 256, 1 << 14
#: Samples per block when new data's spread is measured, and per chunk of an HMM's
#: log-densities (the feature block then holds at most about 4 MB for ``D <= 16``).
SPREAD_ROWS = LOG_PROB_ROWS = 1 << 14
#: Rows with missing entries handled at once (bounds the ``(K, rows, D)`` buffers), and the
#: fewest rows for which a pattern of missing entries gets its own expanded coefficients.
GROUP_ROWS, MIN_PATTERN_ROWS = 1 << 13, 16

# -- the log-sum-exp ---------------------------------------------------------------------------

#: Largest fraction of kept responsibilities for which ``exp`` of those alone beats ``exp`` of
#: all: at 56% kept the dense pass was 6% faster, at 30% the sparse one 3-20% (AVX2 machine).
SPARSE_MAX = 0.5


def _exp_is_cheap(size: int = 1 << 16, rounds: int = 5) -> bool:
    """Whether float64 ``exp`` costs less than three adds here (best of ``rounds`` timings)."""
    a = np.linspace(-5.0, 0.0, size)
    out = np.empty_like(a)

    def fastest(step):
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return min(times)

    exp_time = fastest(lambda: np.exp(a, out=out))
    return exp_time < 3 * fastest(lambda: np.add(a, a, out=out))


def simd_exp() -> bool:
    """Whether numpy's float64 ``exp`` is vectorised (about as cheap as an add) on this machine.

    Where it is, the expanded path exponentiates whole chunks instead of
    picking the entries that matter (:mod:`emcore.mixture._estep`); both give
    the same responsibilities to round-off. The answer, in order: the
    environment variable ``EMCORE_SIMD_EXP`` (``1`` or ``0``), if set; numpy's
    table of CPU features (AVX-512F is what numpy's SIMD ``exp`` needs on
    x86); else a timing of ``exp`` against adds, once. It is fixed for a
    process, so every chunk and every thread makes the same choice.
    """
    env = os.environ.get("EMCORE_SIMD_EXP", "").strip()
    if env in ("0", "1"):
        return env == "1"
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # a numpy without its (private) feature table: measure instead
        return _exp_is_cheap()
    return bool(features.get("AVX512F", False))


#: :func:`simd_exp`, decided when emcore is imported.
SIMD_EXP = simd_exp()
