"""GaussianMixture(missing="marginalize") against the complete-data fit: time per EM iteration.

The same data (``make_data`` of :mod:`benchmarks.mixture`) with 0%, 10% and
30% of its entries set to NaN at random (seeded), fitted with
``missing="marginalize"`` from the same explicit start with ``tol=0``, is
timed per iteration (``(t(m2) - t(m1)) / (m2 - m1)``) against the ordinary
fit of the complete data, all fits timed in turns over :data:`REPEATS` rounds,
each keeping its fastest (:func:`benchmarks.mixture.interleaved_ms`). With 0% missing the two fits
do the same work. The issue's target: within 3x of the complete-data fit at
10% missing, at (1e5, 10, 5, full). Rows with holes are grouped by their
pattern of missing entries (one factorisation per pattern and component);
with ``d = 10`` and 10% missing about 65% of the rows have a hole, spread
over about 500 patterns, so the per-pattern overhead counts: the frequent
patterns (16 rows or more, within a memory budget) go through the complete
rows' feature block with their own marginal coefficients, the rare ones are
completed row by row (:mod:`emcore.mixture._missing`).

Timings on a shared machine are noisy: the load average is printed with
the table; rerun on an idle machine before reading the ratio.

Run: ``python -m benchmarks --only missing [--quick]``.
"""

from __future__ import annotations

import os

import numpy as np

from emcore import GaussianMixture

from .mixture import interleaved_ms, make_data, start

FULL_SIZE = (100_000, 10, 5)
QUICK_SIZE = (20_000, 10, 5)
FRACTIONS = (0.0, 0.1, 0.3)
TARGET = 3.0
#: Rounds of the interleaved timing: the fits are short, so many rounds are cheap and steady the
#: minimum.
REPEATS = 9


def with_holes(X, fraction, seed=1):
    out = X.copy()
    out[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return out


def run(size, m1=2, m2=6):
    n, d, k = size
    X, means = make_data(n, d, k)
    init = start(X, means, "full")

    def make(missing):
        return lambda m: GaussianMixture(k, covariance_type="full", tol=0.0, max_iter=m,
                                         missing=missing, **init)

    holed = {fraction: with_holes(X, fraction) for fraction in FRACTIONS}
    cases = ({"complete": (make("raise"), X)}
             | {f: (make("marginalize"), Xm) for f, Xm in holed.items()})
    ms, _ = interleaved_ms(cases, m1, m2, repeats=REPEATS)
    base = ms["complete"]
    print(f"{n:>9} {d:>3} {k:>3} {'complete':>9} {'-':>9} {base:>10.1f} {1.0:>6.2f}", flush=True)
    rows = []
    for fraction, Xm in holed.items():
        incomplete = int(np.isnan(Xm).any(axis=1).sum())
        ratio = ms[fraction] / base
        note = (("met" if ratio <= TARGET else "MISSED")
                if fraction == 0.1 and size == FULL_SIZE else "")
        print(f"{n:>9} {d:>3} {k:>3} {fraction:>9.0%} {incomplete:>9} {ms[fraction]:>10.1f} "
              f"{ratio:>6.2f}  {note}", flush=True)
        rows.append(dict(fraction=fraction, ms=ms[fraction], ratio=ratio))
    return rows


def main(quick=False):
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("GaussianMixture(missing='marginalize') vs the complete-data fit: "
          "same start, tol=0, full")
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load:.1f} "
          "(noisy unless near 0)")
    print("ratio = time per iteration / the complete-data fit's; "
          f"target (1e5, 10, 5): <= {TARGET:g} at 10%")
    print(f"{'n':>9} {'d':>3} {'K':>3} {'missing':>9} {'rows w/NaN':>9} {'ms/iter':>10} "
          f"{'ratio':>6}", flush=True)
    return run(QUICK_SIZE if quick else FULL_SIZE)
