"""What each fast path of the mixture's E-step gains over the core without it.

One E-step (statistics and log-likelihood) of ``GaussianMixture`` at fixed
parameters, timed in turns (median of ``ROUNDS``), BLAS and the E-step on one
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
(``max rel diff``: the largest relative difference of the log-likelihoods); ``whole``
counts the default's chunks exponentiated whole (their components overlap) out of the
chunks it looked at.

Two HMM tables follow, at the sizes of ``benchmarks/hmm.py`` (one sequence of
10^5 steps, K = 4, d = 2, ``diag``; 100 sequences of 10^4 steps, K = 8,
d = 4, ``full``):

* the emissions' log-densities by the expanded path
  (:func:`emcore.gaussian.expanded.log_densities`, what ``GaussianHMM`` uses)
  over the reference's (:func:`emcore.gaussian.reference.log_densities`);
* forward-backward (:func:`emcore.hmm._scan.forward_backward`) by its loop over
  time (``sequential``), by the blocked scan and by the tree, each over the one
  the cost model picks (``default``).

Each comparison runs ``ROUNDS`` times in turns; the table gives the median
(``main(best=True)``: the fastest) of each way's times, as ratios; a loaded
machine moves the medians less than the fastest times.

Run: ``python -m benchmarks --only fastpaths``.
"""

from __future__ import annotations

import time

import numpy as np

ROUNDS = 7
#: (n, d, K) of the problems timed.
SIZES = [(200_000, 8, 8), (50_000, 30, 10)]
QUICK_SIZES = [(20_000, 4, 3)]
#: (T, S, K, d, covariance type) of the HMM problems, as in ``benchmarks/hmm.py``.
HMM_SIZES = [(100_000, 1, 4, 2, "diag"), (10_000, 100, 8, 4, "full")]
QUICK_HMM_SIZES = [(20_000, 1, 4, 2, "diag"), (2_000, 20, 8, 4, "full")]
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
    from emcore.mixture._estep import e_step
    from emcore.mixture._model import MixtureData

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


def _whole_chunks(run):
    """How many chunks of one E-step by ``run`` are exponentiated whole, and how many are looked at.

    Counts the answers of the look that decides it (``_mostly_overlapping``) in one untimed run.
    """
    from emcore.mixture import _estep

    look, answers = _estep._mostly_overlapping, []

    def counted(log_joint, *args):
        answers.append(look(log_joint, *args))
        return answers[-1]

    _estep._mostly_overlapping = counted
    try:
        run()
    finally:
        _estep._mostly_overlapping = look
    return sum(answers), len(answers)


def _in_turns(ways, rounds, summary):
    """Each way's ``summary`` (median or min) time over ``rounds`` rounds in turns, and values."""
    times = {name: [] for name in ways}
    values = {}
    for _ in range(rounds):
        for name, run in ways.items():
            start = time.perf_counter()
            values[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: float(summary(t)) for name, t in times.items()}, values


def _hmm_ways(t, s, k, d, cov_type):
    """Log-densities (expanded, reference) and forward-backward (the three scans) of a problem."""
    from benchmarks.hmm import make_problem
    from emcore.gaussian import expanded, reference
    from emcore.gaussian.covariance import covariance_model
    from emcore.hmm import _scan

    X, lengths, (pi, A, means, cov_d) = make_problem(t, s, k, d, cov_type)
    cov = covariance_model(cov_type)
    chol = cov.precision_cholesky(cov_d)
    center = X.mean(axis=0)
    densities = {"expanded": lambda: expanded.log_densities(X, means, chol, cov, center),
                 "reference": lambda: reference.log_densities(X, means, chol, cov)}
    log_emis = reference.log_densities(X, means, chol, cov)
    scans = {m: (lambda m=m: _scan.forward_backward(log_emis, lengths, pi, A, method=m)[0].sum())
             for m in (None, "sequential", "blocked", "tree")}
    return densities, scans, _scan.choose_method(lengths, k)


def main(quick=False, rounds=ROUNDS, best=False):
    from threadpoolctl import threadpool_limits

    from emcore import _tuning

    summary = np.min if best else np.median
    rng = np.random.default_rng(0)
    print(f"E-step time over the default path's (one thread; SIMD exp here: {_tuning.SIMD_EXP}; "
          f"{'best' if best else 'median'} of {rounds} in turns)")
    print(f"{'n':>8} {'d':>3} {'K':>3} {'cov':>9} {'default s':>10} {'reference':>10} "
          f"{'direct':>8} {'truncating':>10} {'max rel diff':>12} {'whole':>7}")
    with threadpool_limits(1):
        for n, d, k in (QUICK_SIZES if quick else SIZES):
            for cov_type in COVARIANCE_TYPES:
                X, gm = _problem(n, d, k, cov_type, rng)
                ways = _e_steps(X, gm)
                whole, looked = _whole_chunks(ways["default"])
                times, values = _in_turns(ways, rounds, summary)
                ref = values["reference"]
                diff = max(abs(v - ref) / abs(ref) for v in values.values())
                base = times["default"]
                print(f"{n:>8} {d:>3} {k:>3} {cov_type:>9} {base:10.4f} "
                      f"{times['reference'] / base:10.2f} {times['direct'] / base:8.2f} "
                      f"{times['truncating'] / base:10.2f} {diff:12.1e} {f'{whole}/{looked}':>7}")
        print("\nHMM: log-densities, reference over expanded; forward-backward, each over the "
              "cost model's pick")
        print(f"{'T':>7} {'S':>4} {'K':>2} {'d':>2} {'cov':>5} {'expanded s':>10} {'reference':>9} "
              f"{'pick':>10} {'pick s':>7} {'sequential':>10} {'blocked':>8} {'tree':>6}")
        for t, s, k, d, cov_type in (QUICK_HMM_SIZES if quick else HMM_SIZES):
            densities, scans, pick = _hmm_ways(t, s, k, d, cov_type)
            dens, values = _in_turns(densities, rounds, summary)
            assert np.allclose(values["expanded"], values["reference"], rtol=1e-9, atol=1e-9)
            scan, values = _in_turns(scans, rounds, summary)
            assert np.allclose(list(values.values()), values[None], rtol=1e-9)
            base = scan[None]
            print(f"{t:>7} {s:>4} {k:>2} {d:>2} {cov_type:>5} {dens['expanded']:10.4f} "
                  f"{dens['reference'] / dens['expanded']:9.2f} {pick:>10} {base:7.3f} "
                  f"{scan['sequential'] / base:10.2f} {scan['blocked'] / base:8.2f} "
                  f"{scan['tree'] / base:6.2f}")


if __name__ == "__main__":
    main()
