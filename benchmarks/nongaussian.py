"""The non-Gaussian mixtures against their nearest reference, time per EM iteration.

* **StudentTMixture** (n = 2e4, D = 5, K = 3, full) against :class:`emcore.GaussianMixture`
  on the same data: the t's iteration adds the gamma weights and a root for each
  :math:`\\nu_k`, and runs the plain reference E-step (the Gaussian mixture's is fused
  and chunked).
* **BernoulliMixture** (n = 2e4, D = 50 binary, K = 5) against the diagonal
  :class:`emcore.GaussianMixture` on the same 0/1 data.
* **RegressionMixture** (Poisson, n = 2000, K = 2, one regressor and one concomitant
  variable) against R's flexmix with ``FLXPmultinom`` when ``Rscript`` with flexmix is
  installed (timed inside R, ``system.time``; R's start-up not counted).

Each time per iteration is ``(t(m2) - t(m1)) / (m2 - m1)`` from fits of ``tol=0``
(flexmix: ``tolerance = 0``), the fastest of ``REPEATS`` rounds, the cases of a table
timed in turns, BLAS on one thread. Timings on a shared machine are noisy; the ratios are
the result.

Run: ``python -m benchmarks --only nongaussian [--quick]``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from emcore import BernoulliMixture, GaussianMixture, RegressionMixture, StudentTMixture

REPEATS = 3


def _seconds(fit):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit()
    return time.perf_counter() - t0


def per_iteration_ms(cases, m1, m2):
    """{name: ms per iteration} of ``cases`` ({name: fit(m)}), timed in turns."""
    best = {name: [np.inf, np.inf] for name in cases}
    for _ in range(REPEATS):
        for name, fit in cases.items():
            for i, m in enumerate((m1, m2)):
                best[name][i] = min(best[name][i], _seconds(lambda m=m, fit=fit: fit(m)))
    return {name: 1000 * (t2 - t1) / (m2 - m1) if t2 > t1 else float("nan")
            for name, (t1, t2) in best.items()}


def table(title, ms, reference):
    print(title)
    print(f"{'case':>32} {'ms/iter':>9} {'ratio':>7}")
    for name, value in ms.items():
        print(f"{name:>32} {value:>9.3f} {value / ms[reference]:>7.2f}", flush=True)


def run_t(n, quick):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_t(4, size=(n // 3, 5)) + 4 * j for j in range(3)])
    cases = {
        "StudentTMixture (nu estimated)": lambda m: StudentTMixture(
            3, tol=0, max_iter=m, random_state=0).fit(X),
        "StudentTMixture (nu fixed)": lambda m: StudentTMixture(
            3, dof=4.0, tol=0, max_iter=m, random_state=0).fit(X),
        "GaussianMixture": lambda m: GaussianMixture(3, tol=0, max_iter=m, random_state=0).fit(X),
    }
    table(f"t mixture, n = {X.shape[0]}, D = 5, K = 3, full", per_iteration_ms(cases, 2, 12),
          "GaussianMixture")


def run_bernoulli(n, quick):
    rng = np.random.default_rng(1)
    prototypes = rng.uniform(0.05, 0.95, size=(5, 50))
    X = (rng.uniform(size=(n, 50)) < prototypes[rng.integers(5, size=n)]).astype(float)
    cases = {
        "BernoulliMixture": lambda m: BernoulliMixture(5, tol=0, max_iter=m,
                                                       random_state=0).fit(X),
        "GaussianMixture (diag)": lambda m: GaussianMixture(
            5, covariance_type="diag", tol=0, max_iter=m, random_state=0).fit(X),
    }
    table(f"Bernoulli mixture, n = {n}, D = 50, K = 5", per_iteration_ms(cases, 2, 22),
          "GaussianMixture (diag)")


R_TIMING = """
suppressMessages(library(flexmix))
d <- read.csv("{data}")
post <- as.matrix(d[, c("s1", "s2")])
fit_time <- function(m) system.time(flexmix(y ~ x, k = 2, cluster = post,
  data = d, model = FLXMRglm(family = "poisson"), concomitant = FLXPmultinom(~ z),
  control = list(tolerance = 0, iter.max = m, minprior = 0)))[["elapsed"]]
best <- c(Inf, Inf)
for (r in 1:{repeats}) best <- pmin(best, c(fit_time({m1}), fit_time({m2})))
cat(sprintf("%.6f %.6f\\n", best[1], best[2]))
"""


def run_regression(n, quick):
    rng = np.random.default_rng(2)
    x, z = rng.uniform(0, 3, n), rng.normal(size=n)
    first = rng.uniform(size=n) < 1 / (1 + np.exp(-1.5 * z))
    y = rng.poisson(np.exp(np.where(first, 0.5 + 0.3 * x, 2 - 0.4 * x)))
    start = rng.dirichlet([1, 1], size=n)
    m1, m2 = 5, 45

    def emcore_fit(m):
        RegressionMixture(2, family="poisson", resp_init=start, tol=0, max_iter=m).fit(
            x[:, None], y, concomitant=z[:, None])

    ms = per_iteration_ms({"RegressionMixture": emcore_fit}, m1, m2)
    if shutil.which("Rscript") and subprocess.run(["Rscript", "-e", "library(flexmix)"],
                                                  capture_output=True).returncode == 0:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data.csv"
            np.savetxt(data, np.column_stack([x, z, y, start]), delimiter=",",
                       header="x,z,y,s1,s2", comments="")
            script = R_TIMING.format(data=data, repeats=REPEATS, m1=m1, m2=m2)
            out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                                 check=True).stdout.split()
            t1, t2 = map(float, out)
            ms["flexmix (R)"] = 1000 * (t2 - t1) / (m2 - m1)
        table(f"Poisson mixture of experts, n = {n}, K = 2", ms, "flexmix (R)")
    else:
        table(f"Poisson mixture of experts, n = {n}, K = 2 (no flexmix here)", ms,
              "RegressionMixture")


def main(quick=False):
    from threadpoolctl import threadpool_limits

    # BLAS on one thread for every case (as benchmarks.factor_analysis): threads fighting
    # over a shared machine's cores would time the machine, not the methods
    with threadpool_limits(1):
        run_t(3_000 if quick else 20_000, quick)
        print()
        run_bernoulli(4_000 if quick else 20_000, quick)
        print()
        run_regression(500 if quick else 2_000, quick)


if __name__ == "__main__":
    main()
