"""The bootstraps' progress bar (emcore._base.replicate_progress), on its own and in use."""

import numpy as np

from emcore import GaussianMixture, bootstrap, bootstrap_lrt
from emcore._base import replicate_progress


def test_progress_yields_every_result_and_prints_each_tenth(capsys):
    out = list(replicate_progress(iter(range(25)), 25, "demo", verbose=1))
    assert out == list(range(25))
    lines = capsys.readouterr().out.splitlines()
    # every 2nd of 25 replicates (25 // 10), and the last
    assert [line.split()[-2] for line in lines] == [f"{b}/25" for b in [*range(2, 25, 2), 25]]
    assert lines[-1] == "demo: [####################] 25/25 replicates"
    assert lines[0].startswith("demo: [##..")


def test_progress_is_silent_at_verbose_zero(capsys):
    assert list(replicate_progress(range(5), 5, "demo", verbose=0)) == list(range(5))
    assert capsys.readouterr().out == ""


def _two_clouds():
    rng = np.random.default_rng(3)
    return np.r_[rng.normal(-3, 1, 60), rng.normal(3, 1, 60)][:, None]


def test_bootstrap_lrt_prints_a_bar_per_test(capsys):
    lrt = bootstrap_lrt(_two_clouds(), "full", 3, n_bootstrap=10, n_init=2, random_state=0,
                        verbose=1, n_jobs=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "bootstrap_lrt 2 vs 3: [####################] 10/10 replicates"
    assert sum(line.startswith("bootstrap_lrt 1 vs 2:") for line in lines) == 10
    assert lrt.replicates.shape == (10, 2)
    quiet = bootstrap_lrt(_two_clouds(), "full", 3, n_bootstrap=10, n_init=2, random_state=0,
                          n_jobs=1)
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(quiet.replicates, lrt.replicates)  # printing changes nothing


def test_bootstrap_prints_the_same_bar(capsys):
    X = _two_clouds()
    gm = GaussianMixture(2, random_state=0).fit(X)
    boot = bootstrap(gm, X, n_boot=20, random_state=1, verbose=1, n_jobs=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and lines[-1] == "bootstrap: [####################] 20/20 replicates"
    assert boot.replicates["means_"].shape[0] == 20 - boot.n_failed
