"""tools/notebooks.py, the notebook executor: its helpers and its command line."""

import subprocess
import sys

import nbformat

from tools import notebooks
from tools.notebooks import (ROOT, RUN_TIME_KEY, merge_streams, record_run_time, stable_ids,
                             strip_volatile, toc_files)


def _notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_merge_streams_joins_consecutive_outputs_of_one_stream():
    nb = _notebook("print(1)")
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                           nbformat.v4.new_output("stream", name="stdout", text="b\n"),
                           nbformat.v4.new_output("stream", name="stderr", text="w\n")]
    merge_streams(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "a\nb\n"),
                                                               ("stderr", "w\n")]


def test_stable_ids_depend_on_the_source_only_and_are_unique():
    a, b = _notebook("x = 1", "x = 1", "y = 2"), _notebook("x = 1", "x = 1", "y = 2")
    for cell in b.cells:
        cell["id"] = "random"
    stable_ids(a)
    stable_ids(b)
    ids = [c["id"] for c in a.cells]
    assert ids == [c["id"] for c in b.cells]
    assert len(set(ids)) == 3 and ids[1] == ids[0] + "-1"
    c = _notebook("x = 2")
    stable_ids(c)
    assert c.cells[0]["id"] != ids[0]


def test_strip_volatile_removes_machine_specific_metadata():
    nb = _notebook("x = 1")
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9"}
    nb.metadata["widgets"] = {"state": {}}
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    strip_volatile(nb)
    assert nb.metadata["language_info"] == {"name": "python"}
    assert "widgets" not in nb.metadata and "execution" not in nb.cells[0].metadata


def test_record_run_time_sums_the_cells_execution_times():
    nb = _notebook("x = 1", "y = 2", "# not run")
    stamps = [("2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:01.250000Z"),
              ("2026-01-01T00:00:02.000000Z", "2026-01-01T00:01:03.000000Z")]
    for cell, (start, end) in zip(nb.cells, stamps):
        cell.metadata["execution"] = {"iopub.status.busy": start, "iopub.execute_input": start,
                                      "shell.execute_reply": end}
    assert record_run_time(nb) == 62.2          # 1.25 s + 61 s, to a tenth of a second
    assert nb.metadata[RUN_TIME_KEY]["seconds"] == 62.2
    strip_volatile(nb)                           # the per-cell records go, the total stays
    assert all("execution" not in c.metadata for c in nb.cells)
    assert nb.metadata[RUN_TIME_KEY]["seconds"] == 62.2


def test_execute_records_the_run_time_and_no_cell_timing(tmp_path):
    md = tmp_path / "toy.md"
    md.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n"
                  "    format_name: myst\nkernelspec:\n  display_name: Python 3\n"
                  "  language: python\n  name: python3\n---\n\n# Toy\n\n"
                  "```{code-cell} ipython3\nimport time\ntime.sleep(0.3)\nprint('done')\n```\n")
    nb = nbformat.read(notebooks.execute(md), as_version=4)
    assert 0.3 <= nb.metadata[RUN_TIME_KEY]["seconds"] < 30
    assert all("execution" not in c.metadata for c in nb.cells)
    assert nb.cells[-1].outputs[0].text == "done\n"


def test_toc_lists_the_root_first():
    assert toc_files()[0] == "index"


def test_command_line_rejects_what_is_not_a_chapter_source():
    usage = subprocess.run([sys.executable, "-m", "tools.notebooks"], cwd=ROOT,
                           capture_output=True, text=True)
    assert usage.returncode == 2 and "python -m tools.notebooks execute" in usage.stderr
    bad = subprocess.run([sys.executable, "-m", "tools.notebooks", "execute", "README.txt"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "not a chapter source" in bad.stderr
    assert notebooks.main(["run"]) == 2
