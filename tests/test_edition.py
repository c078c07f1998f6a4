"""The reader's edition: one version everywhere, how to cite, errata, the execution report."""

import runpy
import tomllib
from importlib.metadata import version as installed_version

import yaml

import emcore
from tests.test_book import html  # noqa: F401  (the built book, a session fixture)
from tools.notebooks import ROOT


def test_citation_cff_is_yaml_with_the_package_version():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # the keys CFF 1.2.0 requires
        assert cff[key], key
    assert all("name" in a or "family-names" in a for a in cff["authors"])
    assert str(cff["version"]) == emcore.__version__


def test_one_version_source():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "emcore.__version__"}
    # The installed distribution's metadata came from that attribute.
    assert installed_version("emcore") == emcore.__version__
    conf = runpy.run_path(str(ROOT / "conf.py"))
    assert conf["release"] == conf["version"] == emcore.__version__
    assert conf["myst_substitutions"]["version"] == emcore.__version__


def test_front_page_shows_the_version(html):  # noqa: F811
    page = (html / "index.html").read_text()
    assert f"This is version {emcore.__version__} of the book" in page
    assert "{{ version }}" not in page


# ---- Changes and errata ----------------------------------------------------------------

def test_errata_page_is_back_matter():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    back = next(s for s in toc["subtrees"] if s.get("caption") == "Back matter")
    assert {"file": "errata"} in back["entries"]
    assert not back.get("numbered")
    text = (ROOT / "errata.md").read_text()
    assert "## How to report an error" in text and "{{ version }}" in text


def test_every_chapter_page_links_to_the_errata(html):  # noqa: F811
    from tools.notebooks import chapter_sources

    for md in chapter_sources():
        page = (html / "chapters" / f"{md.stem}.html").read_text()
        assert 'href="../errata.html"' in page, md.stem
        assert f"Version {emcore.__version__}." in page, md.stem
    assert "How to report an error" in (html / "errata.html").read_text()

