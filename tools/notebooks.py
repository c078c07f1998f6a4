"""The notebook pipeline: MyST-Markdown chapters -> executed, committed notebooks.

``python -m tools.notebooks execute [chapters/NN_x.md ...]`` turns each chapter's
``.md`` (the only file anyone edits) into its ``.ipynb`` and executes it in
place: stable cell ids (a hash of each cell's type and source), no per-cell
timing metadata, no interpreter patch version, outputs stored. Running it twice
gives the same cells and outputs; only the chapter's run time, stored once in the
notebook's metadata (``RUN_TIME_KEY``), changes from run to run.

The integrity tests (``tests/test_notebooks.py``) import the same helpers, so
what ``make execute`` writes and what ``make test`` checks cannot drift apart.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
FMT = "md:myst"
#: The notebook-metadata key under which ``execute`` stores how long the chapter ran.
RUN_TIME_KEY = "emcore_run_time"


def chapter_sources() -> list[Path]:
    """Every chapter source, ``chapters/*.md``, sorted."""
    return sorted(CHAPTERS.glob("*.md"))


def toc_files() -> list[str]:
    """The document names listed in ``_toc.yml`` (without suffix), in order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(node):
        for sub in node.get("subtrees", []):
            for entry in sub.get("entries", []):
                if "file" in entry:
                    names.append(str(Path(entry["file"]).with_suffix("")))
                walk(entry)

    walk(toc)
    return names


def cells_of(path: Path) -> list[tuple[str, str, list]]:
    """``(cell_type, source, tags)`` of every cell, read through jupytext."""
    import jupytext

    return [
        (c.cell_type, c.source, list(c.metadata.get("tags", [])))
        for c in jupytext.read(path).cells
    ]


#: Text that must never be stored in an output: kernel noise, reprs that are not
#: for readers (and break nbval across numpy versions), and machine-specific paths.
FORBIDDEN_OUTPUT = {
    "Kernel is running over TCP": "kernel noise",
    "building the font cache": "matplotlib font-cache noise",
    "np.float64(": "a numpy scalar repr (print a rounded number)",
    "np.int64(": "a numpy scalar repr (print the number)",
    "site-packages": "a machine-specific path",
}


def transparent_figure(png_base64: str) -> bool:
    """Whether a stored PNG figure has see-through pixels.

    A transparent figure shows the page behind it, and its black text and axes vanish on
    the book's dark theme; matplotlib's inline figures are opaque white, and must stay so.
    """
    import base64
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(png_base64)))
    if image.mode not in ("RGBA", "LA", "P"):
        return False
    alpha = image.convert("RGBA").getchannel("A")
    return alpha.getextrema()[0] < 255


def _output_text(out) -> str:
    if out.get("output_type") == "stream":
        return out.get("text", "")
    return str(out.get("data", {}).get("text/plain", ""))


def pair_problems(md: Path) -> list[str]:
    """Everything wrong with chapter ``md`` and its executed ``.ipynb``; empty if none."""
    import nbformat

    nb_path = Path(md).with_suffix(".ipynb")
    if not nb_path.exists():
        return [f"{nb_path.name} does not exist (run `make execute`)"]
    problems = []
    if cells_of(md) != cells_of(nb_path):
        problems.append(f"{nb_path.name}: cells differ from {Path(md).name} (run `make execute`)")
    nb = nbformat.read(nb_path, as_version=4)
    if "version" in nb.metadata.get("language_info", {}):
        problems.append(f"{nb_path.name}: language_info.version is stored (machine-specific)")
    ids = [c.get("id") for c in nb.cells]
    stable_ids(nb)
    if ids != [c["id"] for c in nb.cells]:
        problems.append(f"{nb_path.name}: cell ids are not the stable content hashes")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if "execution" in cell.metadata:
            problems.append(f"{nb_path.name}: cell {i} stores execution timing")
        removed = "remove-cell" in cell.metadata.get("tags", [])
        if cell.source.strip() and not cell.outputs and not removed:
            problems.append(f"{nb_path.name}: code cell {i} has no stored output")
        kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
        if any(a == b and a[0] == "stream" for a, b in zip(kinds, kinds[1:])):
            problems.append(f"{nb_path.name}: cell {i} has split stream outputs "
                            "(run `make execute`)")
        for out in cell.outputs:
            if out.output_type == "error":
                problems.append(f"{nb_path.name}: cell {i} stored an error ({out.get('ename')})")
            png = out.get("data", {}).get("image/png")
            if png and transparent_figure(png):
                problems.append(f"{nb_path.name}: cell {i} stores a figure with a transparent "
                                "background (unreadable on the dark theme)")
            text = _output_text(out)
            for needle, what in {**FORBIDDEN_OUTPUT, str(ROOT): "this checkout's path"}.items():
                if needle in text:
                    problems.append(f"{nb_path.name}: cell {i} output holds {what}: {needle!r}")
    return problems


def stable_ids(nb) -> None:
    """Give each cell an id derived from its type and source (deduplicated)."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha256(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:12]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        cell["id"] = digest if n == 0 else f"{digest}-{n}"


def strip_volatile(nb) -> None:
    """Remove metadata that changes between machines or runs."""
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata.pop("widgets", None)
    jt = nb.metadata.get("jupytext", {})
    jt.pop("text_representation", None)
    if not jt:
        nb.metadata.pop("jupytext", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)


def record_run_time(nb) -> float:
    """Store the chapter's run time: the sum of its cells' execution times (nbclient's).

    Each code cell's ``execution`` metadata (``record_timing``) holds the kernel's time
    stamps: when it received the cell (``iopub.execute_input``) and when it replied
    (``shell.execute_reply``). The sum of these spans, rounded to a tenth of a second,
    goes into the notebook's metadata under ``RUN_TIME_KEY`` (kernel start-up not
    included); :func:`strip_volatile` then removes the per-cell records. Returns the seconds.
    """
    from datetime import datetime

    total = 0.0
    for cell in nb.cells:
        times = cell.get("metadata", {}).get("execution", {})
        start, end = times.get("iopub.execute_input"), times.get("shell.execute_reply")
        if start and end:
            span = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(
                start.replace("Z", "+00:00"))
            total += span.total_seconds()
    nb.metadata[RUN_TIME_KEY] = {
        "seconds": round(total, 1),
        "what": "sum over code cells of shell.execute_reply - iopub.execute_input "
                "(nbclient record_timing)",
    }
    return nb.metadata[RUN_TIME_KEY]["seconds"]


def merge_streams(nb) -> None:
    """Join consecutive stdout (or stderr) outputs of a cell into one.

    How the kernel splits a cell's printing into messages depends on timing;
    merged, the stored notebook is the same on every run.
    """
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if (out.output_type == "stream" and prev is not None
                    and prev.output_type == "stream" and prev.name == out.name):
                prev.text = prev.text + out.text
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged


def execute(md: Path) -> Path:
    """Execute chapter ``md`` and write its paired ``.ipynb``; return that path."""
    import jupytext
    from nbconvert.preprocessors import ExecutePreprocessor

    md = Path(md).resolve()
    nb = jupytext.read(md, fmt=FMT)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    stable_ids(nb)
    ep = ExecutePreprocessor(timeout=600, kernel_name="python3", record_timing=True)
    ep.preprocess(nb, {"metadata": {"path": str(md.parent)}})
    record_run_time(nb)
    merge_streams(nb)
    strip_volatile(nb)
    out = md.with_suffix(".ipynb")
    jupytext.write(nb, out, fmt="ipynb")
    return out


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "execute":
        print("usage: python -m tools.notebooks execute [chapters/NN_name.md ...]", file=sys.stderr)
        return 2
    targets = [Path(a) for a in argv[1:]] or chapter_sources()
    for md in targets:
        if md.suffix != ".md" or not md.exists():
            print(f"not a chapter source: {md}", file=sys.stderr)
            return 2
        print(f"executing {md.name} ...", flush=True)
        print(f"  wrote {execute(md).relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
