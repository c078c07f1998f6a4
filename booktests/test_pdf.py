"""The PDF edition that ``make pdf`` built (``_build/pdf/``), read back with poppler's tools.

Chapters and back matter come from ``_toc.yml``, so a new chapter is checked as
soon as it is listed there.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata

import pytest

from booktests.conftest import APT_PDF, BUILD, HTML, PDF_DIR, book_pages, chapter_pages, need, page_title

PDF_NAME = "em-algorithm-executed"
# A sane length: about 11 pages a chapter plus front and back matter; a build that lost
# its chapters, or one that repeats them, falls outside.
PAGES_PER_CHAPTER = (6, 30)
# LaTeX's overfull-box warnings: a line wider than the text ("\hbox") or a page taller
# than its text block ("\vbox", e.g. a framed exercise that cannot break just there).
# At most MAX_OVERFULL of them in the book, and no line more than MAX_OVERFULL_HBOX_PT
# (about 5 mm) into the margin.
MAX_OVERFULL = 12
MAX_OVERFULL_HBOX_PT = 15.0


@pytest.fixture(scope="module")
def pdf():
    path = PDF_DIR / f"{PDF_NAME}.pdf"
    if not path.is_file():
        pytest.fail(f"no {path.relative_to(BUILD.parent)}: run `make pdf` first", pytrace=False)
    return path


@pytest.fixture(scope="module")
def text(pdf) -> str:
    out = subprocess.run([need("pdftotext", APT_PDF), "-enc", "UTF-8", str(pdf), "-"],
                         check=True, capture_output=True, text=True).stdout
    # ligatures (ﬁ, ﬂ) back to letters; one space for any run of white space
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", out))


@pytest.fixture(scope="module")
def log() -> str:
    path = BUILD / "latex" / f"{PDF_NAME}.log"
    if not path.is_file():
        pytest.fail(f"no LaTeX log {path}: run `make pdf` first", pytrace=False)
    return path.read_text(encoding="utf-8", errors="replace")


def test_page_count_is_in_a_sane_range(pdf):
    info = subprocess.run([need("pdfinfo", APT_PDF), str(pdf)], check=True,
                          capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    n = len(chapter_pages())
    assert PAGES_PER_CHAPTER[0] * n <= pages <= PAGES_PER_CHAPTER[1] * n


def _plain(title: str) -> str:
    """A MyST title as the PDF prints it: no backticks or markup, typographic apostrophes."""
    title = re.sub(r"[`*]", "", title).replace("'", "’")
    return unicodedata.normalize("NFKC", title)


@pytest.mark.parametrize("name", [p for p in book_pages() if p != "index"])
def test_every_chapter_and_back_matter_title_is_in_the_text(text, name):
    assert _plain(page_title(name)) in text.replace("'", "’")


@pytest.mark.parametrize("name", chapter_pages())
def test_chapters_are_numbered_in_toc_order(text, name):
    number = chapter_pages().index(name) + 1
    assert f"{number} {_plain(page_title(name))}" in text.replace("'", "’")


def test_front_page_is_the_preface(text):
    assert "Preface" in text and "Notation" in text


def test_no_unresolved_reference_prints_question_marks(text, log):
    assert "??" not in text
    # also links (hyperref) whose target is missing: a reader's click would lead nowhere
    unresolved = re.findall(r"LaTeX Warning: (?:Hyper reference|Reference|Citation) `([^']+)'", log)
    assert unresolved == []


def test_exercises_are_followed_by_their_solutions(text):
    exercises = re.findall(r"(?<!to )Exercise (\d+\.\d+)", text)
    solutions = re.findall(r"Solution to ?Exercise (\d+\.\d+)", text)
    assert solutions and set(solutions) <= set(exercises)
    chapters = {s.split(".")[0] for s in solutions}
    assert len(chapters) == len(chapter_pages())


def test_equations_carry_the_numbers_the_html_shows(text):
    """Labelled equations are numbered by chapter, (5.3), the same in the PDF as in the HTML."""
    for name in chapter_pages():
        page = HTML / f"{name}.html"
        if not page.is_file():
            pytest.fail(f"no {page}: `make pdf` rebuilds the HTML too", pytrace=False)
        shown = re.findall(r'class="eqno">\((\d+\.\d+)\)', page.read_text(encoding="utf-8"))
        chapter = str(chapter_pages().index(name) + 1)
        assert all(n.split(".")[0] == chapter for n in shown), (name, shown)
        assert [n for n in shown if f"({n})" not in text] == [], name


def test_overfull_boxes_are_few_and_small(log):
    boxes = re.findall(r"^Overfull \\([hv])box \(([\d.]+)pt too", log, flags=re.M)
    assert len(boxes) <= MAX_OVERFULL, boxes
    widest = max((float(pt) for kind, pt in boxes if kind == "h"), default=0.0)
    assert widest <= MAX_OVERFULL_HBOX_PT, boxes


def test_the_bibliography_is_typeset(text):
    assert "Dempster" in text and "Bibliography" in text
