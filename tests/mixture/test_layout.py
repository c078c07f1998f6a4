"""The mixture package's layout: one home per covariance type, a true module map, typed data."""

import inspect
import pathlib
import re
import sys

import numpy as np
import pytest

import emcore.mixture
from emcore import GaussianMixture
from emcore.gaussian import covariance as _covariance
from emcore.mixture import _model

from .conftest import COV_TYPES

PACKAGE = pathlib.Path(emcore.mixture.__file__).parent
ROOT = PACKAGE.parent
NAMES = "|".join(COV_TYPES)
#: A comparison with a covariance type's name, in either order, or a dict keyed by names.
BRANCH = re.compile(rf"""(==|!=|\bin\b)\s*\(?\s*["']({NAMES})["']|"""
                    rf"""["']({NAMES})["']\s*(==|!=|\bin\b)|"""
                    rf"""\{{\s*["']({NAMES})["']\s*:""")


#: The one home of the covariance types' names: every module of this package may compare them.
COVARIANCE = pathlib.Path(_covariance.__file__).parent


def _sources():
    return [p for p in ROOT.rglob("*.py") if COVARIANCE not in p.parents]


def test_only_the_covariance_package_is_exempt():
    exempt = set(ROOT.rglob("*.py")) - set(_sources())
    assert COVARIANCE == ROOT / "gaussian" / "covariance"
    assert exempt == set(COVARIANCE.glob("*.py")) and len(exempt) > 1
    assert ROOT / "gaussian" / "mclust.py" in _sources()


def test_branch_pattern_finds_the_kinds_of_branch_it_forbids():
    for line in ['if cov_type == "full":', "if 'tied' == self.covariance_type:",
                 'if covariance_type in ("full", "tied"):', 'x = {"diag": 1}',
                 'if cov != "spherical":']:
        assert BRANCH.search(line), line
    assert not BRANCH.search('covariance_type="full"')


def test_no_module_outside_the_covariance_package_branches_on_a_covariance_type():
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
            for p in _sources() for i, line in enumerate(p.read_text().splitlines(), 1)
            if BRANCH.search(line)]
    assert hits == []


def test_every_registered_type_implements_the_whole_interface():
    base = _covariance.CovarianceType
    required = {"cov_shape", "n_cov_parameters", "precision_cholesky", "from_precisions",
                "precisions", "half_log_det", "precision_scale", "covariances", "scatter_trace",
                "outer", "empty_second", "add_centred", "n_quadratic", "quadratic", "coefficients",
                "second_from_quadratic", "prepare", "mahalanobis", "scale_shape",
                "scale_from_number", "prior_exponent", "default_scale", "scaled_noise",
                "missing_precision", "complete_rows", "whitened_sq", "completed_moments"}
    assert set(_covariance.COVARIANCE_TYPES) == set(COV_TYPES)
    for name in COV_TYPES:
        cov = _covariance.covariance_model(name)
        assert isinstance(cov, base) and cov.name == name
        missing = {m for m in required if not callable(getattr(cov, m, None))}
        assert not missing, (name, missing)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_log_gaussian_equals_scipy(cov_type):
    from scipy.stats import multivariate_normal

    from .conftest import blobs, explicit_init

    X = blobs(n_per=10)
    init = explicit_init(X, 3, cov_type)
    cov = _covariance.covariance_model(cov_type)
    covariances, chol = cov.from_precisions(np.asarray(init["precisions_init"], dtype=float))
    got = cov.log_gaussian(X, init["means_init"], chol)
    for j in range(3):
        sigma = {"full": lambda: covariances[j], "tied": lambda: covariances,
                 "diag": lambda: np.diag(covariances[j]),
                 "spherical": lambda: np.eye(3) * covariances[j]}
        want = multivariate_normal(init["means_init"][j], sigma[cov_type]()).logpdf(X)
        np.testing.assert_allclose(got[:, j], want, rtol=1e-12)


def test_module_map_lists_every_module_and_only_those():
    listed = set(re.findall(r"^\* ``(_\w+)``", emcore.mixture.__doc__, flags=re.M))
    present = {p.stem for p in PACKAGE.glob("_*.py") if p.stem != "__init__"}
    assert listed == present


def test_no_mixture_module_is_much_over_400_lines():
    # the developers' guide: no module over ~400 lines
    long = {p.name: n for p in PACKAGE.glob("*.py") if (n := len(p.read_text().splitlines())) > 420}
    assert long == {}


def test_in_memory_and_dask_data_meet_the_fit_data_protocol():
    pytest.importorskip("dask")
    import dask.array as da

    from emcore.mixture._dask import DaskMixtureData

    X = np.random.default_rng(0).normal(size=(50, 2))
    assert isinstance(_model.MixtureData(X, None, "full", 2), _model.FitData)
    assert isinstance(DaskMixtureData(da.from_array(X, chunks=25), None, "full", 2), _model.FitData)
    # the signatures of e_step agree, not only the names
    for cls in (_model.MixtureData, DaskMixtureData):
        params = inspect.signature(cls.e_step).parameters
        assert params["stats"].kind is inspect.Parameter.KEYWORD_ONLY
    assert not isinstance(object(), _model.FitData)


def _modules_run_by(call):
    """The emcore modules (paths below emcore/) whose code runs during ``call()``."""
    files = set()

    def record(frame, event, arg):
        name = frame.f_code.co_filename
        if "/emcore/" in name:
            files.add(name.split("/emcore/", 1)[1])

    sys.setprofile(record)
    try:
        call()
    finally:
        sys.setprofile(None)
    return files


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_a_fit_runs_code_from_at_most_17_modules(cov_type):
    # issue 31 counted 18 for GaussianMixture(...).fit at its start (268c45c, this same count);
    # a reader following a fit should not have to open more files than that
    X = np.random.default_rng(0).normal(size=(300, 2)) + np.repeat([[0.0, 0.0], [5.0, 5.0]], 150, 0)
    GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X)  # imports done
    files = _modules_run_by(
        lambda: GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X))
    assert "mixture/_estep.py" in files and "gaussian/mstep.py" in files  # the count sees a fit
    assert len(files) <= 17, sorted(files)
