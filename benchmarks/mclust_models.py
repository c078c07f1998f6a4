"""mclust's 14 covariance models against the four built-in types: time per EM iteration.

Every model fits the same data from the same explicit start (equal weights, the
blob centres moved a little, ``Sigma_k = s I``, which belongs to every model) with
``tol=0`` and ``reg_covar=0``; the time per iteration is ``(t(m2) - t(m1)) / (m2 -
m1)``, all cases timed in turns (:func:`benchmarks.mixture.interleaved_ms`). The ratio
is to ``full`` (the same storage and E-step, so it isolates the M-step); the iterative
M-steps (VEI VEE VEV EVE VVE) are marked, since their cost depends on how many inner
rounds each M-step takes.

When ``Rscript`` with mclust is installed, mclust's ``me()`` is timed on the same data
in the same run (``m1`` and ``m2`` iterations, its tolerance set to 0, started from each
sample's nearest starting mean): R's time per iteration, and emcore's ratio to it.

Run: ``python -m benchmarks.mclust_models [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile

import numpy as np

from emcore import GaussianMixture
from emcore.gaussian.mclust import MCLUST_MODELS

from .mixture import interleaved_ms, make_data

FULL_SIZE = (200_000, 6, 5)
QUICK_SIZE = (20_000, 4, 3)
BUILT_IN = ["full", "tied", "diag", "spherical"]
ITERATIVE = {"VEI", "VEE", "VEV", "EVE", "VVE"}


def start(X, means, cov_type):
    k, d = means.shape
    var = X.var(axis=0).mean()
    prec = {"tied": np.eye(d) / var, "diag": np.full((k, d), 1 / var),
            "spherical": np.full(k, 1 / var)}.get(cov_type, np.stack([np.eye(d) / var] * k))
    return {"weights_init": np.full(k, 1.0 / k), "means_init": means, "precisions_init": prec}


_R_TIMING = r"""
suppressMessages(library(mclust))
a <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(a[1], header = FALSE)); means <- as.matrix(read.csv(a[2], header = FALSE))
m1 <- as.integer(a[3]); m2 <- as.integer(a[4])
# start: each sample's nearest starting mean (me() begins with an M-step)
distances <- sapply(seq_len(nrow(means)), function(j) colSums((t(X) - means[j, ])^2))
z <- unmap(max.col(-distances, ties.method = "first"))
for (model in a[-(1:4)]) {
  best <- c(Inf, Inf)
  for (r in 1:3) for (i in 1:2) {
    control <- emControl(tol = c(0, 1e-10), itmax = c(c(m1, m2)[i], 1e6))
    t <- system.time(suppressWarnings(me(data = X, modelName = model, z = z,
                                         control = control)))[["elapsed"]]
    best[i] <- min(best[i], t)
  }
  cat(model, 1000 * (best[2] - best[1]) / (m2 - m1), "\n")
}
"""


def mclust_ms(X, means, models, m1, m2):
    """mclust's ``me()`` time per iteration (ms) for each model, or {} without R and mclust."""
    if shutil.which("Rscript") is None:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, name) for name in ("x.csv", "means.csv", "time.R")]
        np.savetxt(paths[0], X, delimiter=",", fmt="%.17g")
        np.savetxt(paths[1], means, delimiter=",", fmt="%.17g")
        with open(paths[2], "w") as f:
            f.write(_R_TIMING)
        run = subprocess.run(["Rscript", paths[2], paths[0], paths[1], str(m1), str(m2),
                              *models], capture_output=True, text=True)
    if run.returncode != 0:
        return {}
    return {line.split()[0]: float(line.split()[1]) for line in run.stdout.splitlines()}


def main(quick=False):
    n, d, k = QUICK_SIZE if quick else FULL_SIZE
    m1, m2 = (3, 13) if quick else (3, 23)
    X, means = make_data(n, d, k)
    cases = {}
    for cov_type in BUILT_IN + list(MCLUST_MODELS):
        def make(iterations, cov_type=cov_type):
            return GaussianMixture(k, covariance_type=cov_type, tol=0, reg_covar=0,
                                   max_iter=iterations, **start(X, means, cov_type))
        cases[cov_type] = (make, X)
    ms, _ = interleaved_ms(cases, m1, m2)
    r_ms = mclust_ms(X, means, list(MCLUST_MODELS), m1, m2)
    print(f"mclust's models: ms per EM iteration, n={n}, d={d}, K={k} "
          f"(ratio to full; mclust's me() in the same run when R is there)")
    print(f"{'type':<10}{'ms/iter':>10}{'/ full':>8}{'mclust ms':>11}{'/ mclust':>10}")
    for name, value in ms.items():
        mark = " (iterative M-step)" if name in ITERATIVE else ""
        r = r_ms.get(name)
        r_text = f"{r:>11.2f}{value / r:>10.2f}" if r else f"{'':>11}{'':>10}"
        print(f"{name:<10}{value:>10.2f}{value / ms['full']:>8.2f}{r_text}{mark}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    main(**vars(parser.parse_args()))
