"""The built HTML book as a reader meets it: offline, downloadable, documented, searchable.

Under ``make test`` these inspect the book that ``make book`` has just built
(``EMCORE_BOOK_HTML``); run alone, they build it into a temporary folder.
"""

import os
import re
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest

import emcore
import emcore.mixture
import emcore.models
from tools.notebooks import ROOT, chapter_sources


@pytest.fixture(scope="session")
def html(tmp_path_factory) -> Path:
    given = os.environ.get("EMCORE_BOOK_HTML")
    if given and (Path(given) / "index.html").exists():
        return Path(given)
    out = tmp_path_factory.mktemp("html")
    cmd = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-q",
           "-b", "html", str(ROOT), str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT, timeout=600)
    return out


class _Assets(HTMLParser):
    """Collects the URLs a page loads (not the links a reader may follow)."""

    def __init__(self):
        super().__init__()
        self.loaded = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "embed", "audio", "video") and a.get("src"):
            self.loaded.append(a["src"])
        if tag == "link" and a.get("href"):
            self.loaded.append(a["href"])


REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


def test_no_page_loads_a_remote_script_stylesheet_or_font(html):
    remote = {}
    for page in html.rglob("*.html"):
        parser = _Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        hits = [u for u in parser.loaded if REMOTE.match(u)]
        if hits:
            remote[str(page.relative_to(html))] = hits
    for css in (html / "_static").rglob("*.css"):
        hits = re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", css.read_text(errors="ignore"))
        if hits:
            remote[str(css.relative_to(html))] = hits
    assert remote == {}


def test_math_is_rendered_by_a_local_mathjax(html):
    page = (html / "chapters" / "02_exponential_toy.html").read_text()
    src = re.search(r'<script[^>]*src="([^"]*mathjax[^"]*)"', page, re.IGNORECASE)
    assert src and not REMOTE.match(src.group(1))
    path = src.group(1).split("?", 1)[0]  # Sphinx may append a ?v=<hash> cache buster
    assert (html / "chapters" / path).resolve().is_file()


@pytest.mark.parametrize("md", chapter_sources(), ids=lambda p: p.stem)
def test_every_chapter_page_offers_its_ipynb_and_md_for_download(html, md):
    page = (html / "chapters" / f"{md.stem}.html").read_text()
    for suffix in (".ipynb", ".md"):
        href = f"../_sources/chapters/{md.stem}{suffix}"
        assert f'href="{href}"' in page, f"no {suffix} download link"
        assert (html / "chapters" / href).resolve().is_file()
    stored = (html / "_sources" / "chapters" / f"{md.stem}.ipynb").read_text()
    assert '"outputs": [\n' in stored and '"output_type"' in stored


def _public_names():
    """Anchor of each public object, under the shortest name that exports it."""
    names, seen = [], set()
    for module in (emcore, emcore.models, emcore.mixture):
        for n in module.__all__:
            obj = getattr(module, n)
            if id(obj) in seen or obj in (emcore.models, emcore.mixture):
                continue
            seen.add(id(obj))
            if isinstance(obj, types.ModuleType):
                names.append(f"module-{obj.__name__}")
            else:
                names.append(f"{module.__name__}.{n}")
    return names


@pytest.mark.parametrize("name", _public_names())
def test_library_reference_documents_every_public_name(html, name):
    page = (html / "reference.html").read_text()
    assert f'id="{name}"' in page


def test_search_index_is_built_and_knows_the_chapters(html):
    assert (html / "search.html").is_file()
    index = (html / "searchindex.js").read_text()
    assert "exponenti" in index and "02_exponential_toy" in index


def test_toy_chapter_shows_its_equations_table_and_figure(html):
    page = (html / "chapters" / "02_exponential_toy.html").read_text()
    for eq in ("toy-complete", "toy-q", "toy-m", "toy-error"):
        assert f'id="equation-{eq}"' in page
    assert "theta^(t)" in page and "0.2500000000" in page  # the table of iterates
    assert re.search(r'<img[^>]+src="[^"]+\.png"', page)


def test_every_reference_in_the_bib_file_is_cited_somewhere():
    """The bibliography page lists cited works only: an uncited entry would be silently lost."""
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), flags=re.M)
    sources = [*chapter_sources(), *ROOT.glob("*.md")]
    cited = set()
    for path in sources:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", path.read_text()):
            cited.update(k.strip() for k in group.split(","))
    assert keys and sorted(set(keys) - cited) == []


@pytest.mark.parametrize("md", chapter_sources(), ids=lambda p: p.stem)
def test_solutions_and_dropdowns_are_folded_by_a_local_script(html, md):
    page = (html / "chapters" / f"{md.stem}.html").read_text()
    folded = re.findall(r'class="[^"]*\bdropdown admonition\b', page)
    if folded:  # sphinx-togglebutton's script closes them; without it they stay open
        assert re.search(r'<script src="[^"]*togglebutton\.js', page), md.stem
    assert "solution-start" not in page and "```{" not in page
