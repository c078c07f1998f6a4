"""Docstrings a programmer can work from, checked by numpydoc's validator.

Every name in ``emcore.__all__``, every name in a public subpackage's ``__all__``, and every
public method and property of their classes documents each parameter and what it returns,
in numpydoc sections that render on the reference page. Every public class and function
also has a See Also section and an Examples section (a doctest), and says what each
parameter and each return value is.
"""

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

import emcore

validate = pytest.importorskip("numpydoc.validate").validate

#: What the validator must not report for the top-level API: a missing docstring, an
#: undocumented or unknown parameter, a missing Returns section, stray blank lines.
CHECKS = {"GL08", "PR01", "PR02", "RT01", "GL02", "GL03"}
SUBPACKAGES = ["emcore.hmm", "emcore.mixture", "emcore.models", "emcore.gaussian",
               "emcore.factor", "emcore.statespace"]
#: Every public subpackage (and module) whose ``__all__`` the validator reads.
PUBLIC_SUBPACKAGES = SUBPACKAGES + ["emcore.nongaussian", "emcore.mixed", "emcore.montecarlo",
                                    "emcore.imputation", "emcore.animation", "emcore.datasets"]
#: What a public class or function must have besides: a See Also section, an Examples
#: section, a description of every parameter and of every return value.
SECTIONS = {"SA01", "EX01", "PR07", "RT03"}
#: What its methods and properties must have besides (they may rely on the class's example).
MEMBER_SECTIONS = {"PR07", "RT03"}
#: Known gaps (issue 42), ``package: codes`` the validator may still report for the objects
#: whose home module is in that package; empty when none.
KNOWN_GAPS: dict[str, set[str]] = {}


def _members(path, obj):
    yield path, obj
    if inspect.isclass(obj):
        for name, member in inspect.getmembers(obj):
            if not name.startswith("_") and (inspect.isfunction(member)
                                             or isinstance(member, property)):
                yield f"{path}.{name}", member


def _top_level():
    for name in emcore.__all__:
        obj = getattr(emcore, name)
        if not inspect.ismodule(obj):
            yield from _members(f"emcore.{name}", obj)


def _subpackages():
    """Every callable in a public subpackage's ``__all__``, with its public members.

    Constants (tuples, dicts, floats) are skipped: they have no docstring of their own.
    """
    for modname in PUBLIC_SUBPACKAGES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not inspect.ismodule(obj):
                yield from _members(f"{modname}.{name}", obj)


def _home(obj):
    """The module that defines ``obj`` (a property's getter's)."""
    return getattr(obj.fget if isinstance(obj, property) else obj, "__module__", "")


def _problems(path, obj, checks):
    codes = {code for code, _ in validate(path)["errors"]} & checks
    if inspect.isclass(obj) and (dataclasses.is_dataclass(obj) or issubclass(obj, Exception)):
        codes.discard("PR01")  # results and errors: their fields are Attributes, not Parameters
    for package, known in KNOWN_GAPS.items():
        if _home(obj) == package or _home(obj).startswith(package + "."):
            codes -= known
    return sorted(codes)


def _public_objects():
    """Every public object once, by the first path it is reachable by, with its members."""
    seen = set()
    for path, obj in list(_top_level()) + list(_subpackages()):
        key = (id(obj), path.rsplit(".", 1)[-1])
        if key not in seen:
            seen.add(key)
            yield path, obj


def test_the_top_level_api_documents_every_parameter_and_return():
    bad = {path: codes for path, obj in _top_level()
           if (codes := _problems(path, obj, CHECKS))}
    assert bad == {}


def test_every_public_method_of_the_subpackages_has_a_docstring():
    missing = []
    for modname in SUBPACKAGES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                for path, member in _members(f"{modname}.{name}", obj):
                    if path != f"{modname}.{name}" and not inspect.getdoc(member):
                        missing.append(path)
    assert missing == []


def test_the_subpackages_document_every_parameter_and_return():
    bad = {path: codes for path, obj in _subpackages()
           if (codes := _problems(path, obj, CHECKS))}
    assert bad == {}


def test_every_public_object_has_see_also_examples_and_descriptions():
    top = {f"{modname}.{name}" for modname in ["emcore"] + PUBLIC_SUBPACKAGES
           for name in importlib.import_module(modname).__all__}
    bad = {}
    for path, obj in _public_objects():
        checks = SECTIONS if path in top else MEMBER_SECTIONS
        if codes := _problems(path, obj, checks):
            bad[path] = codes
    assert bad == {}


def test_the_check_can_fail():
    def undocumented(x, y):
        """Add two numbers."""
        return x + y

    undocumented.__module__ = __name__
    globals()["undocumented"] = undocumented
    assert {"PR01", "RT01"} <= set(_problems(f"{__name__}.undocumented", undocumented, CHECKS))


def test_the_section_check_can_fail():
    def terse(x):
        """Double a number.

        Parameters
        ----------
        x : float

        Returns
        -------
        float
        """
        return 2 * x

    terse.__module__ = __name__
    globals()["terse"] = terse
    assert _problems(f"{__name__}.terse", terse, SECTIONS) == sorted(SECTIONS)


def test_no_control_characters_in_the_sources():
    # A "\b" in a non-raw docstring becomes a backspace: the HTML hides it, LaTeX stops on it.
    root = Path(emcore.__file__).resolve().parent.parent
    files = [*root.joinpath("emcore").rglob("*.py"), *root.joinpath("chapters").glob("*.md"),
             *root.glob("*.md")]
    bad = {str(p.relative_to(root)) for p in files
           if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", p.read_text(encoding="utf-8"))}
    assert bad == set()
