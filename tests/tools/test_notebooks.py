"""tools/notebooks.py, the notebook executor: its helpers and its command line."""

import subprocess
import sys

import nbformat

from tools import notebooks
from tools.notebooks import ROOT, merge_streams, stable_ids, strip_volatile, toc_files


def _notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_merge_streams_joins_consecutive_outputs_of_one_stream():
    nb = _notebook("print(1)")
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                           nbformat.v4.new_output("stream", name="stdout", text="b\n"),
                           nbformat.v4.new_output("stream", name="stderr", text="w\n")]
    merge_streams(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [("stdout", "a\nb\n"), ("stderr", "w\n")]


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


def test_toc_lists_the_root_first():
    assert toc_files()[0] == "index"


def test_command_line_rejects_what_is_not_a_chapter_source():
    usage = subprocess.run([sys.executable, "-m", "tools.notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode == 2 and "python -m tools.notebooks execute" in usage.stderr
    bad = subprocess.run([sys.executable, "-m", "tools.notebooks", "execute", "README.txt"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "not a chapter source" in bad.stderr
    assert notebooks.main(["run"]) == 2
