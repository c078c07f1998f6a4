"""What a reader of the book wades through, and whether ideas arrive before their use.

``python -m tools.first_course`` prints, per chapter, the ``assert`` lines a reader sees
(in code cells that are neither folded nor removed) and every cross-reference or glossary
term used before the chapter that introduces it; ``tests/test_first_course.py`` holds the
book to both.
"""

import re
import sys
from pathlib import Path

from tools.notebooks import ROOT, toc_files

FOLDED_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
MAX_VISIBLE_ASSERTS = 60

PRF_LABEL = re.compile(r"^:label:\s*(\S+)", re.MULTILINE)
PRF_REF = re.compile(r"\{prf:ref\}`(?:[^`<]*<)?([^`>]+)>?`")
TERM_ROLE = re.compile(r"\{term\}`([^`<]*?)(?:\s*<([^>]+)>)?`")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})", re.MULTILINE)


def chapters_in_order() -> list[Path]:
    """The chapter sources in the order of the table of contents."""
    return [ROOT / f"{name}.md" for name in toc_files() if name.startswith("chapters/")]


def visible_asserts(md: Path) -> list[str]:
    """The ``assert`` lines of ``md`` a reader sees without opening a fold."""
    import jupytext

    seen = []
    for cell in jupytext.read(md).cells:
        if cell.cell_type != "code" or FOLDED_TAGS & set(cell.metadata.get("tags", [])):
            continue
        seen += [line.strip() for line in cell.source.splitlines()
                 if line.lstrip().startswith("assert")]
    return seen


def _prose(md: Path) -> str:
    """The text of ``md`` outside code cells, lower-cased (for finding a term's first use)."""
    import jupytext

    cells = jupytext.read(md).cells
    return "\n".join(c.source for c in cells if c.cell_type == "markdown").lower()


def glossary_terms() -> list[str]:
    text = (ROOT / "glossary.md").read_text()
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line and not line[0].isspace()]


def out_of_order() -> list[str]:
    """Each use of an idea before the chapter that introduces it, as a readable line.

    A ``{prf:ref}`` must point to a block of the same or an earlier chapter. A glossary
    term's first mention in the book (in table-of-contents order) must be marked with the
    ``{term}`` role, which is where the chapter introduces it.
    """
    chapters = chapters_in_order()
    defined_in = {}
    for i, md in enumerate(chapters):
        for label in PRF_LABEL.findall(md.read_text()):
            defined_in.setdefault(label, i)
    problems = []
    for i, md in enumerate(chapters):
        for label in PRF_REF.findall(md.read_text()):
            j = defined_in.get(label.strip())
            if j is not None and j > i:
                problems.append(f"{md.stem}: {{prf:ref}} {label} is defined later, "
                                f"in {chapters[j].stem}")
    prose = [_prose(md) for md in chapters]
    marked = [{(text or target).strip().lower() for text, target in
               TERM_ROLE.findall(md.read_text())} |
              {target.strip().lower() for _, target in TERM_ROLE.findall(md.read_text())
               if target} for md in chapters]
    for term in glossary_terms():
        key = term.lower()
        pattern = re.compile(r"(?<![\w-])" + re.escape(key) + r"(?![\w-])")
        first = next((i for i, text in enumerate(prose) if pattern.search(text)), None)
        if first is not None and key not in marked[first]:
            problems.append(f"{chapters[first].stem}: first mention of the glossary term "
                            f"'{term}' is not marked with {{term}}")
    return problems


def first_course() -> list[str]:
    """The chapter labels of the front page's first-course table, in the table's order."""
    text = (ROOT / "index.md").read_text()
    table = text.split("## A first course", 1)[1].split("\n\n", 3)[2]
    return re.findall(r"^\| *\d+\. \{ref\}`(ch-[a-z0-9-]+)`", table, re.MULTILINE)


def chapter_label(md: Path) -> str:
    """The label the chapter's title carries, ``(ch-...)=``."""
    return re.search(r"^\((ch-[a-z0-9-]+)\)=", md.read_text(), re.MULTILINE).group(1)


def main(argv: list[str]) -> int:
    total = 0
    for md in chapters_in_order():
        lines = visible_asserts(md)
        total += len(lines)
        print(f"{len(lines):4d} visible asserts  {md.stem}")
    print(f"{total:4d} in the book (at most {MAX_VISIBLE_ASSERTS})")
    for problem in out_of_order():
        print(problem)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
