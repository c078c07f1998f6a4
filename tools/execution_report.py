"""The execution report: what the stored notebooks hold and what executed them.

A Sphinx extension (``conf.py`` loads it). The directive ``{execution-report}``
on ``execution.md`` becomes, at build time, a table with one row per chapter
(in table-of-contents order) read from the executed ``chapters/*.ipynb``, the
versions pinned in ``constraints.txt`` and the portability passes of
``tools/portable.py``; a chapter's run time is what ``make execute`` stored in its
notebook's metadata (``tools.notebooks.record_run_time``). Nothing on that page is
typed by hand, and
``tests/test_edition.py`` recounts the notebooks to hold the page to them.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tools.first_course import FOLDED_TAGS
from tools.notebooks import ROOT, RUN_TIME_KEY, toc_files

#: The packages whose pinned versions the report names, as constraints.txt spells them.
PACKAGES = ("numpy", "scipy", "sympy", "matplotlib", "scikit-learn", "ipykernel")
#: Tags that fold a cell behind a click (its output stays visible).
FOLD_TAGS = {"hide-input", "hide-cell"}
#: The columns of the chapter table, in order.
COLUMNS = ("Chapter", "Code cells", "Folded", "Asserts", "Visible asserts", "Sympy cells",
           "Run time", "Last committed")


@dataclass
class ChapterRecord:
    """What one executed chapter holds."""

    docname: str
    title: str
    code_cells: int
    folded_cells: int
    asserts: int
    visible_asserts: int
    sympy_cells: int
    run_seconds: float | None  # None: the notebook was executed before run times were kept
    last_committed: str

    @property
    def run_time(self) -> str:
        """The run time as the page shows it."""
        return "not recorded" if self.run_seconds is None else format_seconds(self.run_seconds)


def format_seconds(seconds: float) -> str:
    """``8.3 s``, ``1 min 05 s``: tenths of a second below a minute, whole seconds above."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _sympy_names(sources: list[str]) -> set[str]:
    """Names under which the notebook imports sympy or things from it."""
    names = {"sympy"}
    for src in sources:
        names |= set(re.findall(r"import\s+sympy\s+as\s+(\w+)", src))
        for group in re.findall(r"from\s+sympy(?:\.\w+)*\s+import\s+\(?([\w\s,]+)\)?", src):
            names |= {n.split()[-1] for n in group.split(",") if n.strip()}
    return names


def last_committed(path: Path) -> str:
    """The date the file was last committed (git), or a sentence saying it is unknown."""
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return out.stdout.strip() or "unknown (not committed)"


def chapter_record(notebook: Path) -> ChapterRecord:
    """Count the cells, folds, asserts and sympy cells of one executed notebook."""
    import nbformat

    notebook = Path(notebook).resolve()
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    names = _sympy_names([c.source for c in code])
    uses_sympy = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")
    title = next(line[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                 for line in c.source.splitlines() if line.startswith("# "))

    def asserts(cell):
        return sum(line.lstrip().startswith("assert") for line in cell.source.splitlines())

    def tags(cell):
        return set(cell.metadata.get("tags", []))

    return ChapterRecord(
        docname=(str(notebook.relative_to(ROOT).with_suffix(""))
                 if notebook.is_relative_to(ROOT) else notebook.stem),
        title=title,
        code_cells=len(code),
        folded_cells=sum(bool(FOLD_TAGS & tags(c)) for c in code),
        asserts=sum(asserts(c) for c in code),
        visible_asserts=sum(asserts(c) for c in code if not FOLDED_TAGS & tags(c)),
        sympy_cells=sum(bool(uses_sympy.search(c.source)) for c in code),
        run_seconds=nb.metadata.get(RUN_TIME_KEY, {}).get("seconds"),
        last_committed=last_committed(notebook),
    )


def chapter_records() -> list[ChapterRecord]:
    """One record per chapter, in the order of the table of contents."""
    return [chapter_record(ROOT / f"{name}.ipynb") for name in toc_files()
            if name.startswith("chapters/")]


def pinned_versions(names=PACKAGES) -> dict[str, str]:
    """The versions ``constraints.txt`` pins for ``names`` (what ``make`` installs)."""
    pins = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().split("\n")
                if "==" in line and not line.startswith("#"))
    return {name: pins.get(name, "not pinned") for name in names}


def kernel_description() -> tuple[str, str]:
    """The kernel and the Python version the stored notebooks record (the same for all)."""
    import nbformat

    kernels, pythons = set(), set()
    for name in toc_files():
        if name.startswith("chapters/"):
            meta = nbformat.read(ROOT / f"{name}.ipynb", as_version=4).metadata
            kernels.add(meta.get("kernelspec", {}).get("display_name", "not recorded"))
            info = meta.get("language_info", {})
            pythons.add(f"{info.get('name', '?')} {info['version']}" if "version" in info
                        else "not recorded")
    return ", ".join(sorted(kernels)), ", ".join(sorted(pythons))


def portability_passes() -> list[tuple[str, str]]:
    """The passes of ``make test-portable`` as tools/portable.py defines them.

    They are shown for an x86-64 processor with AVX-512 (and so AVX2, FMA and SSE3, which
    the passes need); elsewhere tools/portable.py skips or adapts a pass and prints why.
    """
    from tools.portable import passes

    return [(p.name, " ".join(f"{k}={v}" for k, v in p.env.items()) or "none")
            for p in passes(flags={"avx2", "fma", "pni", "avx512f"}, machine="x86_64")]


# ---- The Sphinx side -------------------------------------------------------------------

def _table(header, rows, widths):
    from docutils import nodes

    table = nodes.table(classes=["colwidths-given"])  # the widths below, in HTML and LaTeX
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=w) for w in widths]

    def row(cells):
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=str(cell))
            r += entry
        return r

    group += nodes.thead("", row(header))
    group += nodes.tbody("", *[row(r) for r in rows])
    return table


#: The parts of the report, each placed by ``{execution-report} <part>``.
PARTS = ("chapters", "totals", "versions", "passes")


def _report_nodes(env, part: str) -> list:
    from docutils import nodes
    from sphinx import addnodes

    records = chapter_records()
    for rec in records:
        env.note_dependency(str(ROOT / f"{rec.docname}.ipynb"))
    env.note_dependency(str(ROOT / "constraints.txt"))

    def link(rec):
        ref = addnodes.pending_xref("", refdomain="std", reftype="doc", refexplicit=True,
                                    reftarget=f"/{rec.docname}", refdoc=env.docname)
        ref += nodes.inline(text=rec.title)
        para = nodes.paragraph()
        para += ref
        return para

    if part == "chapters":
        table = _table(COLUMNS, [
            (link(r), r.code_cells, r.folded_cells, r.asserts, r.visible_asserts,
             r.sympy_cells, r.run_time, r.last_committed) for r in records],
            [30, 8, 8, 8, 8, 8, 10, 12])
        table["classes"].append("execution-report")
        return [table]
    if part == "totals":
        return [nodes.paragraph(text=(
            f"In all: {len(records)} chapters, {sum(r.code_cells for r in records)} code cells, "
            f"{sum(r.folded_cells for r in records)} of them folded, "
            f"{sum(r.asserts for r in records)} assert lines "
            f"({sum(r.visible_asserts for r in records)} visible without opening a fold), "
            f"{sum(r.sympy_cells for r in records)} cells using sympy; "
            + _total_run_time(records) + "."))]
    if part == "versions":
        kernel, python = kernel_description()
        return [_table(("Executed with", "Version"), [
            ("kernel (notebook metadata)", kernel),
            ("Python (notebook metadata language_info)", python),
            *[(f"{name} (constraints.txt)", v) for name, v in pinned_versions().items()],
        ], [30, 20])]
    rows = [(name, _settings(settings)) for name, settings in portability_passes()]
    return [_table(("Portability pass", "Settings"), rows, [40, 60])]


def _total_run_time(records) -> str:
    timed = [r.run_seconds for r in records if r.run_seconds is not None]
    if not timed:
        return "no run time recorded"
    missing = len(records) - len(timed)
    return (f"{format_seconds(sum(timed))} of run time"
            + (f" (not recorded for {missing} chapters)" if missing else ""))


def _settings(settings: str):
    """One environment setting per line, as literals (LaTeX may break one after a comma)."""
    from docutils import nodes

    para = nodes.paragraph()
    for i, setting in enumerate(settings.split()):
        if i:
            para += nodes.raw("", "<br/>", format="html")
            para += nodes.raw("", r"\newline{}", format="latex")
        para += nodes.literal(text=setting)
    return para


def setup(app):
    from sphinx.util.docutils import SphinxDirective

    class ExecutionReport(SphinxDirective):
        """``{execution-report}``: the tables of the execution report, built from the notebooks."""

        required_arguments = 1

        def run(self):
            part = self.arguments[0]
            if part not in PARTS:
                raise self.error(f"execution-report: unknown part {part!r}; one of {PARTS}")
            return _report_nodes(self.env, part)

    app.add_directive("execution-report", ExecutionReport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
