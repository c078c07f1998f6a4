"""The covariance package's layout: true module maps, short modules, old pickles still load."""

import pathlib
import pickle
import re

import numpy as np
import pytest

import emcore.gaussian
from emcore.gaussian import covariance
from emcore.gaussian.covariance import COVARIANCE_TYPES, covariance_model

GAUSSIAN = pathlib.Path(emcore.gaussian.__file__).parent
PACKAGE = pathlib.Path(covariance.__file__).parent


def _listed(doc):
    """The names a module map lists: the ````name```` s at the start of its ``* `` items."""
    items = re.findall(r"^\* (.*?) -- ", doc, flags=re.M)
    return {name for item in items for name in re.findall(r"``(\w+)``", item)}


def _modules(folder):
    """The modules and subpackages of ``folder``, without ``__init__``."""
    return ({p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
            | {p.name for p in folder.iterdir() if (p / "__init__.py").exists()})


def test_module_maps_parse_the_bullets_they_should():
    doc = "* ``a``, ``b`` -- two;\n* ``c`` -- one (see ``d``).\n``e`` -- no bullet"
    assert _listed(doc) == {"a", "b", "c"}


@pytest.mark.parametrize("package, folder", [(emcore.gaussian, GAUSSIAN), (covariance, PACKAGE)])
def test_module_map_lists_every_module_and_only_those(package, folder):
    assert _listed(package.__doc__) == _modules(folder)


def test_every_module_of_the_package_says_what_it_holds_and_is_short():
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        assert text.startswith('"""'), path.name
        # the developers' guide: no module over ~400 lines
        assert len(text.splitlines()) <= 420, path.name


@pytest.mark.parametrize("name", COVARIANCE_TYPES)
def test_an_object_pickled_under_the_old_module_path_loads_as_the_same_type(name):
    cov = covariance_model(name)
    home = type(cov).__module__
    assert home.startswith("emcore.gaussian.covariance.")  # the class now lives in a submodule
    # a pickle written when the types lived in the module ``emcore.gaussian.covariance``
    old = pickle.dumps(cov, protocol=0).replace(f"{home}\n".encode(),
                                                b"emcore.gaussian.covariance\n")
    assert b"emcore.gaussian.covariance\n_" in old
    loaded = pickle.loads(old)
    assert type(loaded) is type(cov)
    rng = np.random.default_rng(0)
    X, means = rng.normal(size=(20, 3)), rng.normal(size=(2, 3))
    a = rng.normal(size=(2, 3, 3))
    full = np.eye(3) + np.einsum("kij,klj->kil", a, a) / 3
    covariances = {"full": full, "tied": full[0], "diag": np.diagonal(full, axis1=1, axis2=2),
                   "spherical": np.trace(full, axis1=1, axis2=2) / 3}[name]
    chol = cov.precision_cholesky(covariances)
    np.testing.assert_array_equal(loaded.log_gaussian(X, means, chol),
                                  cov.log_gaussian(X, means, chol))
