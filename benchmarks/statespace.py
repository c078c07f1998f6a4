"""emcore's LinearGaussianSSM: time per EM iteration, against one statsmodels filter-smoother pass.

An EM iteration is one E-step (Kalman filter, RTS smoother, the smoothed
moments summed into statistics, and the log-likelihood) and one M-step, on the
``em_problem`` of a model with all six parameters free (``initial_cov`` too)
and a full observation covariance. statsmodels (0.15) fits state-space models
by numerical optimisation, not EM, so its reference is what one E-step needs:
one Kalman filter and smoother pass (``KalmanSmoother.smooth()``, compiled
Cython, with the smoothed states' covariances and lag-one autocovariances) for
the same parameters and data, started from the same known first-step state.
Each is timed ``ROUNDS`` times in turns (emcore, statsmodels, emcore, ...),
keeping the fastest, so that both see the same moments of a shared machine.
BLAS runs single-threaded for both (threadpoolctl). The last column is the
largest difference of the smoothed state means, relative to their largest.

Sizes (issue 35's): T = 10^5 steps, 2 states, 1 output; T = 10^4 steps,
10 states, 20 outputs; and the first again with 10% of the entries missing at
random, where the covariances change from step to step (no steady stretch for
emcore to jump over).

Run: ``python -m benchmarks.statespace [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from emcore import LinearGaussianSSM

NAMES = ("transition", "transition_cov", "observation", "observation_cov", "initial_mean",
         "initial_cov")
FULL_SIZES = [(100_000, 2, 1, 0.0), (10_000, 10, 20, 0.0), (100_000, 2, 1, 0.1)]
QUICK_SIZES = [(10_000, 2, 1, 0.0), (2_000, 10, 20, 0.0), (10_000, 2, 1, 0.1)]
ROUNDS = 5


def make_problem(n, k, p, missing, seed=0):
    """A stable random model, ``n`` steps simulated from it, and the model fitted to nothing
    (its start)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(k, k))
    A *= 0.95 / max(abs(np.linalg.eigvals(A)))
    B, D = rng.normal(size=(k, k)), rng.normal(size=(p, p))
    values = dict(transition=A, transition_cov=B @ B.T / k + 0.1 * np.eye(k),
                  observation=rng.normal(size=(p, k)),
                  observation_cov=D @ D.T / p + 0.5 * np.eye(p),
                  initial_mean=np.zeros(k), initial_cov=np.eye(k))
    ssm = LinearGaussianSSM(k, update=NAMES, diagonal=(), max_iter=0,
                            **{f"{name}_init": values[name] for name in NAMES})
    Y = ssm.fit(np.zeros((2, p))).sample(n, random_state=seed)[0]
    Y[rng.random(Y.shape) < missing] = np.nan
    return ssm, Y, values


def _statsmodels(Y, values):
    from statsmodels.tsa.statespace.mlemodel import MLEModel

    k = values["transition"].shape[0]
    mod = MLEModel(Y, k_states=k)
    mod.ssm["design"], mod.ssm["obs_cov"] = values["observation"], values["observation_cov"]
    mod.ssm["transition"], mod.ssm["state_cov"] = values["transition"], values["transition_cov"]
    mod.ssm["selection"] = np.eye(k)
    mod.ssm.initialize_known(values["initial_mean"], values["initial_cov"])
    return mod.ssm


def _timed(func):
    t0 = time.perf_counter()
    out = func()
    return time.perf_counter() - t0, out


def main(quick=False):
    from threadpoolctl import threadpool_limits

    print(f"LinearGaussianSSM: seconds per EM iteration vs one statsmodels filter+smoother pass "
          f"({platform.processor() or platform.machine()}, BLAS single-threaded, "
          f"load average {os.getloadavg()[0]:.1f})")
    print(f"{'T':>8} {'k':>3} {'p':>3} {'missing':>7} {'EM iter':>8} {'E-step':>8} {'sm pass':>8} "
          f"{'iter/sm':>8} {'max rel diff':>12}")
    with threadpool_limits(1):
        for n, k, p, missing in (QUICK_SIZES if quick else FULL_SIZES):
            ssm, Y, values = make_problem(n, k, p, missing)
            model, theta = ssm.em_problem(Y)
            reference = _statsmodels(Y, values)
            best = {"iter": np.inf, "estep": np.inf, "sm": np.inf}
            for _ in range(ROUNDS):
                t_e, (stats, _) = _timed(lambda: model.e_step_with_log_likelihood(theta))
                t_m, _ = _timed(lambda: model.m_step(stats))
                t_sm, smoothed = _timed(reference.smooth)
                best = {"iter": min(best["iter"], t_e + t_m), "estep": min(best["estep"], t_e),
                        "sm": min(best["sm"], t_sm)}
            ours = ssm.smooth(Y).means
            diff = float(np.max(np.abs(ours - smoothed.smoothed_state.T)) / np.max(np.abs(ours)))
            print(f"{n:>8} {k:>3} {p:>3} {missing:>7.0%} {best['iter']:8.3f} {best['estep']:8.3f} "
                  f"{best['sm']:8.3f} {best['iter'] / best['sm']:8.2f} {diff:12.1e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    main(quick=parser.parse_args().quick)
