"""The subpackages' import graph: mixtures and HMMs share only the Gaussian core and emcore's
own utilities, never each other's private modules or names (issue 31)."""

import ast
import pathlib

import pytest

import emcore

ROOT = pathlib.Path(emcore.__file__).parent


def imported(path):
    """``(target parts, names)`` of every ``from ... import`` in ``path`` inside emcore."""
    rel = path.relative_to(ROOT)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            if not (node.module or "").startswith("emcore"):
                continue
            parts = node.module.split(".")[1:]
        else:
            package = list(rel.parts[:-1])
            parts = package[: len(package) - (node.level - 1)] + (node.module or "").split(".")
        yield [p for p in parts if p], [alias.name for alias in node.names]


def private_imports_of(source, target):
    """Imports by modules of subpackage ``source`` of a private module or name of ``target``."""
    found = []
    for path in sorted((ROOT / source).rglob("*.py")):
        for parts, names in imported(path):
            if parts[:1] != [target]:
                continue
            private = [p for p in parts[1:] if p.startswith("_")]
            private += [n for n in names if n.startswith("_")]
            if private:
                found.append(f"{path.relative_to(ROOT)}: {'.'.join(parts)} {names}")
    return found


@pytest.mark.parametrize("source,target", [("hmm", "mixture"), ("mixture", "hmm")])
def test_hmm_and_mixture_take_nothing_private_from_each_other(source, target):
    assert private_imports_of(source, target) == []


def test_neither_takes_a_private_module_of_the_gaussian_core_from_outside_it():
    # what both need of the core is its public modules (covariance, stats, mstep, holes, ...);
    # _conditional is mixed into the covariance objects, never imported by them
    assert private_imports_of("hmm", "gaussian") + private_imports_of("mixture", "gaussian") == []


def test_the_check_sees_a_private_import(tmp_path, monkeypatch):
    package = tmp_path / "hmm"
    package.mkdir()
    (package / "_x.py").write_text("from ..mixture._estep import e_step\n"
                                   "from ..mixture import GaussianMixture\n"
                                   "from emcore.mixture import _pool\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert private_imports_of("hmm", "mixture") == ["hmm/_x.py: mixture._estep ['e_step']",
                                                    "hmm/_x.py: mixture ['_pool']"]
