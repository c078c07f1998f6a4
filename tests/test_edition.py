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


# ---- The execution report ----------------------------------------------------------------

def _recount(notebook):
    """The report's numbers for one notebook, counted here without tools.execution_report."""
    import json
    import re

    cells = json.loads(notebook.read_text())["cells"]
    code = [("".join(c["source"]), set(c["metadata"].get("tags", [])))
            for c in cells if c["cell_type"] == "code"]
    title = next(line[2:].strip() for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).split("\n") if line.startswith("# "))
    aliases = {"sympy"} | {a for src, _ in code
                           for a in re.findall(r"import sympy as (\w+)", src)}

    def n_asserts(src):
        return len(re.findall(r"^\s*assert\b", src, flags=re.MULTILINE))

    hidden = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
    return [title, len(code),
            sum(bool({"hide-input", "hide-cell"} & tags) for _, tags in code),
            sum(n_asserts(src) for src, _ in code),
            sum(n_asserts(src) for src, tags in code if not hidden & tags),
            sum(any(re.search(rf"\b{a}\b", src) for a in aliases) for src, _ in code)]


def _table_rows(page, css_class):
    import html as html_lib
    import re

    tables = re.findall(rf'<table class="[^"]*{css_class}[^"]*">(.*?)</table>', page, re.S)
    assert tables, css_class
    rows = [row for table in tables for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_execution_report_agrees_with_the_notebooks(html):  # noqa: F811
    from tools.notebooks import toc_files

    page = (html / "execution.html").read_text()
    rows = _table_rows(page, "execution-report")
    header, body = rows[0], rows[1:]
    assert header[:6] == ["Chapter", "Code cells", "Folded", "Asserts", "Visible asserts",
                          "Sympy cells"]
    chapters = [n for n in toc_files() if n.startswith("chapters/")]
    assert len(body) == len(chapters) == len(list((ROOT / "chapters").glob("*.ipynb")))
    for row, name in zip(body, chapters):
        expected = _recount(ROOT / f"{name}.ipynb")
        title = row[0].replace("\u2019", "'")  # Sphinx's smart quotes
        assert [title, *map(int, row[1:6])] == expected, name
    # The visible asserts of the whole book, as tools/first_course.py counts them from the .md.
    from tools.first_course import chapters_in_order, visible_asserts

    assert sum(int(r[4]) for r in body) == sum(len(visible_asserts(md))
                                               for md in chapters_in_order())
    assert f"In all: {len(chapters)} chapters, {sum(int(r[1]) for r in body)} code cells" in page


def test_execution_report_run_times_are_the_notebooks(html):  # noqa: F811
    """Each chapter's run time is the one its notebook's metadata stores (or "not recorded")."""
    import json
    import re

    from tools.notebooks import toc_files

    page = (html / "execution.html").read_text()
    header, *body = _table_rows(page, "execution-report")
    column = header.index("Run time")
    chapters = [n for n in toc_files() if n.startswith("chapters/")]
    shown, stored = [], []
    for row, name in zip(body, chapters):
        meta = json.loads((ROOT / f"{name}.ipynb").read_text())["metadata"]
        seconds = meta.get("emcore_run_time", {}).get("seconds")
        cell = row[column]
        if seconds is None:
            assert cell == "not recorded", name
            continue
        match = re.fullmatch(r"(?:(\d+) min (\d\d)|(\d+\.\d)) s", cell)
        assert match, (name, cell)
        value = (60 * int(match[1]) + int(match[2])) if match[1] else float(match[3])
        assert abs(value - seconds) <= (0.05 if seconds < 60 else 0.5), (name, cell, seconds)
        shown.append(value)
        stored.append(seconds)
    if stored:
        assert "of run time" in page


def test_execution_report_versions_and_passes(html):  # noqa: F811
    from tools.portable import passes

    page = (html / "execution.html").read_text()
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().split()
                if "==" in line)
    shown = {row[0].split(" (")[0]: row[1] for row in _table_rows(page, "table")
             if len(row) == 2}
    for name in ("numpy", "scipy", "sympy", "matplotlib", "scikit-learn"):
        assert shown[name] == pins[name], name
    for p in passes(flags={"avx2", "fma", "pni", "avx512f"}, machine="x86_64"):
        assert p.name in page


def test_report_counts_a_notebook_it_was_not_written_for(tmp_path):
    """The counting itself, on a notebook whose numbers are known by construction."""
    import nbformat

    from tools.execution_report import chapter_record

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("(lbl)=\n# A title\n\nText with assert and sympy."),
        nbformat.v4.new_code_cell("import sympy as sp\nx = sp.Symbol('x')\nassert x"),
        nbformat.v4.new_code_cell("assert 1\n  assert 2\nprint('assert')",
                                  metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell("spx = 3", metadata={"tags": ["hide-cell"]}),
        nbformat.v4.new_code_cell("y = sp.Rational(1, 2)", metadata={"tags": ["remove-cell"]}),
    ]
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    rec = chapter_record(path)
    assert (rec.title, rec.code_cells, rec.folded_cells) == ("A title", 4, 2)
    assert (rec.asserts, rec.visible_asserts, rec.sympy_cells) == (3, 1, 2)
