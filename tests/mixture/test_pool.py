"""``n_jobs``: threads over chunks of rows give the same floats as one thread, and BLAS is held to
one thread."""

import os
import subprocess
import sys

import numpy as np
import pytest

from emcore import GaussianMixture, _tuning
from emcore.mixture import _estep, _pool

from .conftest import COV_TYPES, blobs

#: Paths of the E-step, forced through the largest round-off it accepts from the expanded one.
PATHS = {"expanded": np.inf, "direct": -1.0}


def _results(gm, X, w):
    """Everything that must not depend on n_jobs: fitted parameters, histories and new-data
    scores."""
    fitted = [gm.weights_, gm.means_, gm.covariances_, gm.log_likelihood_history_]
    return fitted + [gm.predict_proba(X), gm.score_samples(X), gm.predict(X)]


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_fit_and_scores_are_the_same_floats_for_every_n_jobs(cov_type, path, monkeypatch):
    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", PATHS[path])
    X = blobs(n_per=1500, seed=3)  # 4500 rows: 16 chunks of 281 rows
    w = np.random.default_rng(4).uniform(0.2, 3.0, size=len(X))
    runs = []
    for n_jobs in (1, 2, 3):
        gm = GaussianMixture(3, covariance_type=cov_type, tol=0, max_iter=4, random_state=0,
                             n_jobs=n_jobs)
        runs.append(_results(gm.fit(X, sample_weight=w), X, w))
    scorer = _estep.ChunkScorer(cov_type, gm._params(), 1.0)
    assert scorer.expanded == (path == "expanded")
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_partial_fit_is_the_same_floats_for_every_n_jobs(cov_type, path, monkeypatch):
    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", PATHS[path])
    rng = np.random.default_rng(5)
    batches = [blobs(n_per=1000, seed=s) for s in range(3)]
    weights = [rng.uniform(0.2, 3.0, size=len(b)) for b in batches]
    runs = []
    for n_jobs in (1, 2, 3):
        gm = GaussianMixture(3, covariance_type=cov_type, random_state=0, n_jobs=n_jobs)
        for b, w in zip(batches, weights):
            gm.partial_fit(b, sample_weight=w)
        runs.append([gm.weights_, gm.means_, gm.covariances_])
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


def test_the_pool_is_used_and_blas_is_held_to_one_thread_meanwhile(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []

    def spy(original):
        def spied(*args, **kwargs):
            import threading

            seen.append((threading.current_thread().name,
                         [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]))
            return original(*args, **kwargs)
        return spied

    for name in ("normalize", "normalize_bounded"):  # the latter: the expanded path with a SIMD exp
        monkeypatch.setattr(_estep, name, spy(getattr(_estep, name)))
    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    GaussianMixture(3, max_iter=1, tol=0, random_state=0, n_jobs=2).fit(blobs(n_per=1500))
    assert any(name.startswith("emcore") for name, _ in seen)
    assert all(threads == [1] * len(threads) for _, threads in seen)
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before


def test_ordered_map_keeps_the_order_when_later_items_finish_first():
    import time

    def slow_first(i):
        time.sleep(0.02 if i == 0 else 0.0)
        return i

    assert list(_pool.ordered_map(slow_first, range(30), 3)) == list(range(30))


@pytest.mark.parametrize("bad", [0, -2, 1.5, "all", True])
def test_bad_n_jobs_is_rejected_naming_it(bad):
    error = ValueError if bad in (0, -2) else TypeError
    with pytest.raises(error, match="n_jobs must be None or an integer >= 1 or -1"):
        GaussianMixture(2, n_jobs=bad).fit(blobs(n_per=20))


def test_default_n_jobs_is_every_available_core_unless_limited():
    assert GaussianMixture().get_params()["n_jobs"] is None
    assert _pool.resolve_n_jobs(-1) == _pool.available_cores() >= _pool.resolve_n_jobs(None) >= 1
    # emcore's own one-thread BLAS limit (held while another fit's chunks run) is not a limit
    outside = _pool.resolve_n_jobs(None)
    with _pool.one_blas_thread():
        assert _pool.resolve_n_jobs(None) == outside


def _helper_threads(monkeypatch, n_jobs=None):
    """The most helper threads one fit asks the pool for (the calling thread works too)."""
    asked = [0]
    submit = _pool._submit

    def spy(func, count):
        asked[0] = max(asked[0], count)
        return submit(func, count)

    monkeypatch.setattr(_pool, "_submit", spy)
    GaussianMixture(3, max_iter=2, tol=0, random_state=0, n_jobs=n_jobs).fit(blobs(n_per=1500))
    return asked[0]


def test_default_n_jobs_follows_a_threadpoolctl_limit(monkeypatch):
    from threadpoolctl import threadpool_limits

    # BLAS libraries accept a limit up to their own threads: 2 needs 2 cores, and no lower limit
    if _pool.available_cores() >= 2 and (_pool._ENV_LIMIT or 2) >= 2:
        monkeypatch.setattr(_pool, "available_cores", lambda: 4)  # as if on 4 cores
        with threadpool_limits(limits=2):
            assert _helper_threads(monkeypatch) == 1  # 2 threads: the caller and 1 helper
    monkeypatch.setattr(_pool, "available_cores", lambda: 4)
    with threadpool_limits(limits=1):  # a worker's limit: the fit starts no thread
        assert _pool.resolve_n_jobs(None) == 1
        assert _helper_threads(monkeypatch) == 0
        assert _helper_threads(monkeypatch, n_jobs=2) == 1  # an explicit n_jobs is kept


def test_default_n_jobs_follows_the_omp_num_threads_joblib_sets_in_a_worker():
    # a loky worker of joblib starts with OMP_NUM_THREADS = cpu_count // n_workers: 1 for 2 on 2
    code = ("import numpy as np\n"
            "from emcore import GaussianMixture\n"
            "from emcore.mixture import _pool\n"
            "_pool.available_cores = lambda: 4\n"
            "asked, submit = [0], _pool._submit\n"
            "def spy(func, count):\n"
            "    asked[0] = max(asked[0], count)\n"
            "    return submit(func, count)\n"
            "_pool._submit = spy\n"
            "X = np.random.default_rng(0).normal(size=(4500, 3))\n"
            "GaussianMixture(3, max_iter=2, tol=0, random_state=0).fit(X)\n"
            "print(_pool.resolve_n_jobs(None), asked[0])\n")
    # OMP_NUM_THREADS is followed on its own (as scikit-learn's OpenMP code follows it), also
    # where the BLAS library does not read it (OpenBLAS reads it only without its own variable)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["1", "0"]  # 1 thread: the caller alone, no helper


def test_omp_num_threads_set_after_import_is_left_to_the_processes_started_later():
    # as dask's Nanny does: it sets OMP_NUM_THREADS=1 in its own process for the workers it starts
    code = ("import os\n"
            "from emcore.mixture import _pool\n"
            "before = _pool.resolve_n_jobs(None)\n"
            "os.environ['OMP_NUM_THREADS'] = '1'\n"
            "print(before, _pool.resolve_n_jobs(None))\n")
    env = {name: value for name, value in os.environ.items() if name != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    before, after = out.stdout.split()
    assert before == after


def test_default_n_jobs_in_a_joblib_worker_is_the_workers_share_of_the_cores():
    joblib = pytest.importorskip("joblib")

    share = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_pool.resolve_n_jobs)(None) for _ in range(2))
    # joblib's limit for 2 workers, or the one inherited from this process's environment
    limit = int(os.environ.get("OMP_NUM_THREADS", max(joblib.cpu_count() // 2, 1)))
    assert share == [min(limit, _pool.available_cores())] * 2


def test_an_error_in_a_chunk_reaches_the_caller():
    def fails_on_five(i):
        if i == 5:
            raise ArithmeticError("chunk 5")
        return i

    with pytest.raises(ArithmeticError, match="chunk 5"):
        list(_pool.ordered_map(fails_on_five, range(12), 2))
    assert list(_pool.ordered_map(fails_on_five, range(5), 2)) == list(range(5))


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_missing_values_fit_and_scores_are_the_same_floats_for_every_n_jobs(cov_type):
    # missing="marginalize": the complete rows go through the pool, the rows with holes beside it
    X = blobs(n_per=1500, seed=5)
    holes = np.random.default_rng(6).random(X.shape) < 0.1
    X[holes] = np.nan
    runs = []
    for n_jobs in (1, 2, 3):
        gm = GaussianMixture(3, covariance_type=cov_type, tol=0, max_iter=4, random_state=0,
                             n_jobs=n_jobs, missing="marginalize").fit(X)
        runs.append(_results(gm, X, None) + [gm.impute(X)])
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_fit_with_holes_is_the_same_floats_for_every_n_jobs(cov_type, path, monkeypatch):
    """Rows with holes in slices of 200 rows (patterns span slices), on either path."""
    from emcore.mixture import _missing

    monkeypatch.setattr(_tuning, "MAX_ROUND_OFF", PATHS[path])
    monkeypatch.setattr(_tuning, "GROUP_ROWS", 200)
    rng = np.random.default_rng(6)
    X = blobs(n_per=500, seed=4)
    X[rng.random(X.shape) < 0.25] = np.nan
    w = rng.uniform(0.2, 3.0, size=len(X))
    runs = []
    for n_jobs in (1, 2, 3):
        gm = GaussianMixture(3, covariance_type=cov_type, tol=0, max_iter=4, random_state=0,
                             n_jobs=n_jobs, missing="marginalize")
        gm.fit(X, sample_weight=w)
        runs.append([gm.weights_, gm.means_, gm.covariances_, gm.log_likelihood_history_,
                     gm.score_samples(X)])
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)
