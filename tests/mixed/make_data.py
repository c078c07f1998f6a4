"""Writes the linear-mixed-model test data sets into tests/mixed/data/ (run once; seeded).

``python -m tests.mixed.make_data``. The files are committed: the Python tests and
``reference.R`` (lme4) read the same numbers.

* ``dietox.csv``: pig weights over 12 weeks (Lauridsen et al. 1999, from R's geepack, as
  shipped in statsmodels' tests): columns Weight, Time, Pig.
* ``sleepsim.csv``: sleepstudy-like: 18 subjects x 10 days, random intercept and slope.
* ``unbalanced.csv``: 40 groups of 3 to 8 rows, two covariates, random intercept and slope.
* ``boundary.csv``: 30 groups of 2 to 6 rows with no group effect at all (the REML and ML
  estimates of the intercept variance are 0).
* ``logistic.csv``: 30 groups of 20 Bernoulli outcomes, a random intercept (sd 1).
* ``singular.csv``: 30 groups of 1 to 8 rows whose random slope is half the random
  intercept (correlation 1): lme4 reports a singular fit (a rank-1 covariance).

``cbpp.csv`` (lme4's contagious bovine pleuropneumonia data, binomial counts) is written by
``reference_glmm.R`` from lme4 itself.
"""

from __future__ import annotations

import os

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "data")


def _write(name, columns):
    names = list(columns)
    rows = zip(*(columns[k] for k in names))
    with open(os.path.join(HERE, name), "w") as f:
        f.write(",".join(names) + "\n")
        for row in rows:
            f.write(",".join(repr(float(v)) if not float(v).is_integer() else str(int(v))
                             for v in row) + "\n")


def main():
    import pandas as pd  # noqa: F401  (statsmodels' dietox is read with pandas)
    import statsmodels

    os.makedirs(HERE, exist_ok=True)
    path = os.path.join(os.path.dirname(statsmodels.__file__),
                        "regression", "tests", "results", "dietox.csv")
    d = pd.read_csv(path, index_col=0)
    _write("dietox.csv", {"Weight": d.Weight.values, "Time": d.Time.values, "Pig": d.Pig.values})

    rng = np.random.default_rng(20260)
    m, k = 18, 10
    subject, days = np.repeat(np.arange(m), k), np.tile(np.arange(k), m)
    b = rng.multivariate_normal([0, 0], [[600.0, 10.0], [10.0, 35.0]], size=m)
    y = 250 + 10 * days + b[subject, 0] + b[subject, 1] * days + rng.normal(0, 25, m * k)
    _write("sleepsim.csv", {"y": np.round(y, 6), "days": days, "subject": subject})

    sizes = rng.integers(3, 9, size=40)
    g = np.repeat(np.arange(40), sizes)
    x, w = np.round(rng.normal(size=g.size), 6), np.round(rng.uniform(-1, 1, size=g.size), 6)
    b = rng.multivariate_normal([0, 0], [[0.8, -0.3], [-0.3, 0.5]], size=40)
    y = 1 + 0.5 * x - 2 * w + b[g, 0] + b[g, 1] * x + 0.7 * rng.normal(size=g.size)
    _write("unbalanced.csv", {"y": np.round(y, 6), "x": x, "w": w, "g": g})

    rng = np.random.default_rng(1)
    sizes = rng.integers(2, 7, size=30)
    g = np.repeat(np.arange(30), sizes)
    x = np.round(rng.normal(size=(g.size, 2)), 6)
    y = 1 + 0.5 * x[:, 0] - 0.3 * x[:, 1] + rng.normal(size=g.size)
    _write("boundary.csv", {"y": np.round(y, 6), "x1": x[:, 0], "x2": x[:, 1], "g": g})

    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(30), 20)
    x = np.round(rng.normal(size=600), 6)
    eta = -0.5 + x + rng.normal(size=30)[g]
    y = (rng.uniform(size=600) < 1 / (1 + np.exp(-eta))).astype(int)
    _write("logistic.csv", {"y": y, "x": x, "g": g})

    rng = np.random.default_rng(2)
    sizes = rng.integers(1, 9, size=30)
    g = np.repeat(np.arange(30), sizes)
    x, w = np.round(rng.normal(size=g.size) * 3 + 1, 6), np.round(rng.uniform(size=g.size), 6)
    u = rng.normal(size=30)
    y = 2 + 0.5 * x - w + u[g] + 0.5 * u[g] * x + rng.normal(size=g.size)
    _write("singular.csv", {"y": np.round(y, 6), "x": x, "w": w, "g": g})


if __name__ == "__main__":
    main()
