"""Checks of the built editions: the HTML book in a real browser, and the PDF.

These are not part of ``make test`` (they need Debian's chromium, chromedriver,
TeX Live and poppler-utils); ``make test-browser`` and ``make test-pdf`` run
them, and ``.ci/run`` installs those packages first. Missing pieces make the
tests fail with the command that provides them, never skip: whoever asked for
these checks wants them run.
"""

import os
import shutil
from pathlib import Path

import pytest

from tools.notebooks import ROOT, toc_files

BUILD = ROOT / "_build"
HTML = Path(os.environ.get("EMCORE_BOOK_HTML", BUILD / "html"))
PDF_DIR = BUILD / "pdf"
APT_BROWSER = "apt-get install chromium chromium-driver"
APT_PDF = ("apt-get install latexmk texlive-latex-recommended texlive-latex-extra "
           "texlive-fonts-recommended texlive-xetex fonts-freefont-otf tex-gyre xindy poppler-utils")


def need(program: str, apt: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed; as root: {apt}", pytrace=False)
    return path


def book_pages() -> list[str]:
    """Every page a reader reaches from the table of contents, in order (``_toc.yml``)."""
    return toc_files()


def chapter_pages() -> list[str]:
    return [name for name in toc_files() if name.startswith("chapters/")]


def page_title(name: str) -> str:
    """The ``# `` title of a page's MyST source (a chapter's ``.md``, or a top-level ``.md``)."""
    for line in (ROOT / f"{name}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{name}.md has no '# ' title")
