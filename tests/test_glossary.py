"""The glossary: every term is defined once and used by at least one chapter."""

import re

from tools.notebooks import ROOT, chapter_sources

TERM_ROLE = re.compile(r"\{term\}`([^`<]*?)(?:\s*<([^>]+)>)?`")


def glossary_terms() -> list[str]:
    text = (ROOT / "glossary.md").read_text()
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line and not line[0].isspace()]


def used_terms() -> set[str]:
    used = set()
    for md in [*chapter_sources(), ROOT / "index.md"]:
        for text, target in TERM_ROLE.findall(md.read_text()):
            used.add((target or text).strip().lower())
    return used


def test_glossary_defines_terms_once():
    terms = [t.lower() for t in glossary_terms()]
    assert terms and len(terms) == len(set(terms))


def test_every_glossary_term_is_used_by_a_chapter():
    unused = [t for t in glossary_terms() if t.lower() not in used_terms()]
    assert unused == []
