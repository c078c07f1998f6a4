"""The first course reads in order and its checks are folded (see tools/first_course.py)."""

from pathlib import Path

from tools import first_course


def test_the_book_shows_few_asserts_and_counts_only_unfolded_cells(tmp_path: Path):
    total = sum(len(first_course.visible_asserts(md))
                for md in first_course.chapters_in_order())
    assert 0 <= total <= first_course.MAX_VISIBLE_ASSERTS
    page = tmp_path / "page.md"
    page.write_text("---\njupytext:\n  text_representation:\n    format_name: myst\n---\n"
                    "```{code-cell}\nassert 1 + 1 == 2\n```\n\n"
                    "```{code-cell}\n:tags: [hide-input]\n\nassert 2 > 1\n```\n")
    assert first_course.visible_asserts(page) == ["assert 1 + 1 == 2"]


def test_ideas_arrive_before_their_use():
    assert first_course.out_of_order() == []


def test_a_reference_to_a_later_chapter_is_reported(monkeypatch, tmp_path: Path):
    early, late = tmp_path / "a.md", tmp_path / "b.md"
    early.write_text("See {prf:ref}`thm-later`.\n")
    late.write_text("```{prf:theorem} Later\n:label: thm-later\n```\n")
    monkeypatch.setattr(first_course, "chapters_in_order", lambda: [early, late])
    monkeypatch.setattr(first_course, "glossary_terms", lambda: [])
    assert first_course.out_of_order() == [
        "a: {prf:ref} thm-later is defined later, in b"]


def test_the_front_page_first_course_reads_in_table_of_contents_order():
    order = [first_course.chapter_label(md) for md in first_course.chapters_in_order()]
    course = first_course.first_course()
    assert 8 <= len(course) <= 12 and len(set(course)) == len(course)
    assert [order.index(label) for label in course] == sorted(order.index(c) for c in course)
