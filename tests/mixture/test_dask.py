"""GaussianMixture.fit on dask arrays: the same fit as in memory, on a cluster and without one."""

import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, GaussianMixture
from emcore.mixture import DegenerateComponentError, _dask

from .conftest import COV_TYPES, blobs, explicit_init

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("dask.distributed")

FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_", "log_likelihood_history_"]


@pytest.fixture(scope="module")
def client():
    """A 2-process LocalCluster, the default scheduler while the module's tests run."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def data():
    return blobs(n_per=1000, d=3, k=3, seed=3)


def _assert_same_fit(a, b, rtol=1e-10):
    assert a.n_iter_ == b.n_iter_
    assert a.converged_ == b.converged_
    for name in FITTED:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.shape == y.shape, name
        assert np.max(np.abs(x - y)) <= rtol * np.max(np.abs(x)), name


def _runs_in_other_processes():
    return dask.delayed(os.getpid)().compute() != os.getpid()


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_dask_fit_on_two_worker_cluster_equals_numpy_fit_from_same_start(client, data, cov_type):
    assert _runs_in_other_processes()
    args = dict(covariance_type=cov_type, tol=1e-6, max_iter=200,
                **explicit_init(data, 3, cov_type, seed=1))
    expected = GaussianMixture(3, **args).fit(data)
    got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(700, 3)))
    assert expected.n_iter_ > 2
    _assert_same_fit(expected, got)


def test_dask_fit_with_dask_sample_weight_equals_numpy_weighted_fit(client, data):
    w = np.random.default_rng(5).uniform(0.0, 2.0, size=len(data))
    w[:800] = 0.0  # whole blocks without weight
    args = dict(tol=1e-6, max_iter=200, **explicit_init(data, 3, "full", seed=2))
    expected = GaussianMixture(3, **args).fit(data, sample_weight=w)
    got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(700, 3)),
                                         sample_weight=da.from_array(w, chunks=1100))
    _assert_same_fit(expected, got)


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_dask_fit_on_default_threaded_scheduler_equals_numpy_fit(client, data, cov_type):
    args = dict(covariance_type=cov_type, tol=1e-6, max_iter=200,
                **explicit_init(data, 3, cov_type))
    expected = GaussianMixture(3, **args).fit(data)
    with dask.config.set(scheduler="threads"):
        assert not _runs_in_other_processes()
        got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(512, 3)))
    _assert_same_fit(expected, got)


def test_dask_default_init_on_fewer_rows_than_the_sample_equals_numpy_init(client, data):
    assert len(data) <= _dask.INIT_SAMPLE
    expected = GaussianMixture(3, n_init=2, random_state=7).fit(data)
    got = GaussianMixture(3, n_init=2, random_state=7).fit(da.from_array(data, chunks=(700, 3)))
    _assert_same_fit(expected, got)


@pytest.mark.parametrize("init_params", ["kmeans", "random_from_data"])
def test_dask_init_from_a_row_sample_gives_the_in_memory_optimum(client, data, init_params,
                                                                  monkeypatch):
    monkeypatch.setattr(_dask, "INIT_SAMPLE", 300)  # the start now comes from 300 sampled rows
    expected = GaussianMixture(3, tol=1e-8, random_state=0).fit(data)
    got = GaussianMixture(3, tol=1e-8, init_params=init_params, n_init=2,
                          random_state=0).fit(da.from_array(data, chunks=(700, 3)))
    order = np.lexsort(got.means_.T), np.lexsort(expected.means_.T)
    assert np.allclose(got.means_[order[0]], expected.means_[order[1]], atol=1e-3)
    assert got.lower_bound_ == pytest.approx(expected.lower_bound_, rel=1e-7)


def test_dask_fit_with_columns_split_over_chunks_rechunks_them(data):
    args = dict(tol=1e-6, **explicit_init(data, 3, "tied"), covariance_type="tied")
    expected = GaussianMixture(3, **args).fit(data)
    with dask.config.set(scheduler="sync"):
        got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(1000, 2)))
    _assert_same_fit(expected, got)


def test_dask_fit_warns_when_not_converged_and_keeps_the_history(data):
    args = dict(max_iter=2, tol=1e-12, **explicit_init(data, 3, "full"))
    with pytest.warns(ConvergenceWarning):
        expected = GaussianMixture(3, **args).fit(data)
    with dask.config.set(scheduler="sync"), pytest.warns(ConvergenceWarning):
        got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(700, 3)))
    assert got.log_likelihood_history_.shape == (3,)
    _assert_same_fit(expected, got)


def test_dask_fit_rejects_resp_init(data):
    resp = np.full((len(data), 3), 1 / 3)
    with pytest.raises(ValueError, match="resp_init"):
        GaussianMixture(3, resp_init=resp).fit(da.from_array(data, chunks=(700, 3)))


def test_dask_fit_rejects_nan_and_negative_weights(data):
    bad = data.copy()
    bad[1234, 1] = np.nan
    with dask.config.set(scheduler="sync"):
        with pytest.raises(ValueError, match="NaN"):
            GaussianMixture(2).fit(da.from_array(bad, chunks=(700, 3)))
        w = da.from_array(np.where(np.arange(len(data)) == 5, -1.0, 1.0), chunks=500)
        with pytest.raises(ValueError, match="sample_weight must be non-negative"):
            GaussianMixture(2).fit(da.from_array(data, chunks=(700, 3)), sample_weight=w)


def test_dask_fit_rejects_unknown_chunk_sizes(data):
    x = da.from_array(data, chunks=(700, 3))
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        GaussianMixture(2).fit(x[x[:, 0] > 0])


def test_import_emcore_and_a_numpy_fit_do_not_import_dask():
    code = (
        "import sys, numpy as np, emcore\n"
        "emcore.GaussianMixture(2, random_state=0)"
        ".fit(np.random.default_rng(0).normal(size=(50, 2)))\n"
        "print(any(m == 'dask' or m.startswith('dask.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dask_fit_leaves_no_warning(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with dask.config.set(scheduler="sync"):
            GaussianMixture(3, tol=1e-3, random_state=0).fit(da.from_array(data, chunks=(700, 3)))


def test_dask_fit_with_explicit_prior_equals_numpy_map_fit(data):
    from emcore.mixture import MixturePrior

    prior = MixturePrior(mean=np.ones(3), mean_precision=0.5, degrees_of_freedom=5.0,
                         scale=np.eye(3))
    args = dict(tol=1e-6, max_iter=200, prior=prior, **explicit_init(data, 3, "full"))
    expected = GaussianMixture(3, **args).fit(data)
    with dask.config.set(scheduler="sync"):
        got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(700, 3)))
    _assert_same_fit(expected, got)
    assert np.max(np.abs(expected.log_posterior_history_ - got.log_posterior_history_)) <= (
        1e-10 * np.max(np.abs(expected.log_posterior_history_)))


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_dask_fit_with_the_default_prior_equals_numpy_map_fit(data, cov_type):
    """The default prior needs the whole data's moments: summed over uneven, weighted blocks."""
    w = np.random.default_rng(7).uniform(0.0, 2.0, size=len(data))
    w[:700] = 0.0  # a whole block without weight
    args = dict(covariance_type=cov_type, tol=1e-6, max_iter=200, prior="default", reg_covar=0.0,
                **explicit_init(data, 3, cov_type, seed=2))
    expected = GaussianMixture(3, **args).fit(data, sample_weight=w)
    with dask.config.set(scheduler="sync"):
        got = GaussianMixture(3, **args).fit(da.from_array(data, chunks=(700, 3)), sample_weight=w)
    assert expected.n_iter_ > 2
    _assert_same_fit(expected, got)
    assert np.max(np.abs(expected.log_posterior_history_ - got.log_posterior_history_)) <= (
        1e-10 * np.max(np.abs(expected.log_posterior_history_)))


def test_dask_fit_rejects_an_unknown_prior(data):
    with pytest.raises(ValueError, match="prior must be None, 'default'"):
        GaussianMixture(2, prior="flat").fit(da.from_array(data, chunks=(700, 3)))


def test_predict_score_samples_and_predict_proba_of_a_dask_array_are_lazy_and_equal_numpy(data):
    gm = GaussianMixture(3, random_state=0).fit(data)
    x = da.from_array(data, chunks=(700, 2))
    with dask.config.set(scheduler="sync"):
        for name in ("predict", "predict_proba", "score_samples"):
            lazy = getattr(gm, name)(x)
            assert isinstance(lazy, da.Array), name
            expected = getattr(gm, name)(data)
            assert lazy.shape == expected.shape and lazy.dtype == expected.dtype, name
            np.testing.assert_array_equal(lazy.compute(), expected, err_msg=name)
        assert gm.score(x) == pytest.approx(gm.score(data), rel=1e-12)


def test_fit_predict_on_dask_returns_lazy_labels_of_the_fit(data):
    x = da.from_array(data, chunks=(700, 3))
    with dask.config.set(scheduler="sync"):
        gm = GaussianMixture(3, random_state=0)
        labels = gm.fit_predict(x)
        assert isinstance(labels, da.Array)
        np.testing.assert_array_equal(labels.compute(), gm.predict(data))


def test_dask_follows_the_collapse_rule_of_the_numpy_fit(data):
    X = np.concatenate([data[:300], np.tile([[20.0, 20.0, 20.0]], (5, 1))])
    init = explicit_init(X, 3, "full")
    init["means_init"][2] = [20.0, 20.0, 20.0]
    with pytest.warns(ConvergenceWarning, match="component 2 collapsed onto a point"):
        expected = GaussianMixture(3, max_iter=50, **init).fit(X)
    with dask.config.set(scheduler="sync"), pytest.warns(ConvergenceWarning,
                                                         match="component 2 collapsed"):
        got = GaussianMixture(3, max_iter=50, **init).fit(da.from_array(X, chunks=(100, 3)))
    assert not got.converged_
    _assert_same_fit(expected, got)
    with dask.config.set(scheduler="sync"), pytest.raises(DegenerateComponentError,
                                                          match="component 2"):
        GaussianMixture(3, max_iter=50, reg_covar=0.0,
                        **init).fit(da.from_array(X, chunks=(100, 3)))


def test_dask_fit_prints_the_progress_of_the_numpy_fit(data, capsys):
    args = dict(tol=0, max_iter=4, verbose=2, verbose_interval=2, **explicit_init(data, 3, "diag"),
                covariance_type="diag")
    GaussianMixture(3, **args).fit(data)
    expected = capsys.readouterr().out.splitlines()
    with dask.config.set(scheduler="sync"):
        GaussianMixture(3, **args).fit(da.from_array(data, chunks=(700, 3)))
    got = capsys.readouterr().out.splitlines()
    assert len(got) == len(expected) == 4
    # the same lines but for the times
    for a, b in zip(got, expected):
        assert a.split("time lapse")[0] == b.split("time lapse")[0]


def test_dask_input_errors_contain_scikit_learns_phrases():
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        GaussianMixture(1).fit(da.zeros((0, 2), chunks=1))
    with pytest.raises(ValueError, match="Complex data not supported"):
        GaussianMixture(1).fit(da.ones((4, 2), chunks=2) * 1j)
