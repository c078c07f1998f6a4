"""The notebook pipeline: every chapter has an executed, checked, faithful pair.

nbval itself (``make test-notebooks``) re-executes each notebook and compares
outputs; these tests make sure there is something for it to compare, and that
a tampered output really makes it fail.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.notebooks import CHAPTERS, ROOT, chapter_sources, pair_problems, toc_files

SOURCES = chapter_sources()
TOY = CHAPTERS / "02_exponential_toy.md"


def test_there_are_chapters():
    assert TOY in SOURCES


@pytest.mark.parametrize("md", SOURCES, ids=[p.stem for p in SOURCES])
def test_chapter_pair_is_executed_and_faithful(md):
    assert pair_problems(md) == []


def test_every_notebook_has_a_markdown_source():
    orphans = [nb.name for nb in CHAPTERS.glob("*.ipynb") if not nb.with_suffix(".md").exists()]
    assert orphans == []


def test_toc_lists_exactly_the_chapters_and_each_has_a_pair():
    listed = [name for name in toc_files() if name.startswith("chapters/")]
    assert sorted(listed) == sorted(f"chapters/{md.stem}" for md in SOURCES)
    for name in listed:
        assert (ROOT / f"{name}.ipynb").exists(), f"{name} is in _toc.yml but has no .ipynb"


# --- the checks can fail -----------------------------------------------------


@pytest.fixture
def toy_copy(tmp_path):
    md = tmp_path / TOY.name
    shutil.copy(TOY, md)
    shutil.copy(TOY.with_suffix(".ipynb"), md.with_suffix(".ipynb"))
    return md


def _edit_notebook(md, change):
    path = md.with_suffix(".ipynb")
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def _first_code_cell_with_stream(nb):
    return next(c for c in nb.cells if c.cell_type == "code"
                and any(o.output_type == "stream" for o in c.outputs)
                and "remove-cell" not in c.metadata.get("tags", []))


def test_check_reports_a_code_cell_without_outputs(toy_copy):
    _edit_notebook(toy_copy, lambda nb: _first_code_cell_with_stream(nb).update(outputs=[]))
    assert any("has no stored output" in p for p in pair_problems(toy_copy))


def test_check_reports_a_notebook_whose_source_differs_from_the_md(toy_copy):
    toy_copy.write_text(toy_copy.read_text().replace("tol=1e-12)", "tol=1e-11)", 1))
    assert any("cells differ" in p for p in pair_problems(toy_copy))


def test_check_reports_a_missing_pair(toy_copy):
    toy_copy.with_suffix(".ipynb").unlink()
    assert any("does not exist" in p for p in pair_problems(toy_copy))


def test_check_reports_numpy_scalar_reprs_and_errors(toy_copy):
    def change(nb):
        cell = _first_code_cell_with_stream(nb)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="np.float64(0.2)\n"),
                        nbformat.v4.new_output("error", ename="AssertionError", evalue="",
                                               traceback=[])]
    _edit_notebook(toy_copy, change)
    problems = pair_problems(toy_copy)
    assert any("numpy scalar repr" in p for p in problems)
    assert any("stored an error" in p for p in problems)


def _nbval(path):
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
           "--nbval-current-env", "--nbval-sanitize-with",
           str(ROOT / "tests" / "nbval_sanitize.cfg"), str(path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, cwd=path.parent, env=env, capture_output=True, text=True,
                          timeout=300)


def test_nbval_passes_on_the_stored_outputs_and_fails_on_a_tampered_one(toy_copy):
    nb_path = toy_copy.with_suffix(".ipynb")
    clean = _nbval(nb_path)
    assert clean.returncode == 0, clean.stdout[-2000:]

    nb = json.loads(nb_path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "theta_hat = 0.2" in "".join("".join(o.get("text", [])) for o in c["outputs"]))
    cell["outputs"][0]["text"] = ["theta_hat = 0.300000000000 after 38 iterations (converged)\n"]
    nb_path.write_text(json.dumps(nb, indent=1))
    tampered = _nbval(nb_path)
    assert tampered.returncode != 0
    assert "0.300000000000" in tampered.stdout


def test_check_reports_a_figure_with_a_transparent_background(toy_copy):
    import base64
    import io

    from PIL import Image

    def png(alpha):
        buffer = io.BytesIO()
        Image.new("RGBA", (8, 8), (255, 255, 255, alpha)).save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode()

    def add_figure(alpha):
        def change(nb):
            cell = _first_code_cell_with_stream(nb)
            cell.outputs.append(nbformat.v4.new_output(
                "display_data", data={"image/png": png(alpha), "text/plain": "<Figure>"}))
        return change

    _edit_notebook(toy_copy, add_figure(255))
    assert pair_problems(toy_copy) == []
    _edit_notebook(toy_copy, add_figure(0))
    assert any("transparent background" in p for p in pair_problems(toy_copy))


def test_check_reports_stream_output_split_across_messages(toy_copy):
    def change(nb):
        cell = _first_code_cell_with_stream(nb)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                        nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    _edit_notebook(toy_copy, change)
    assert any("split stream outputs" in p for p in pair_problems(toy_copy))


IMPORT = re.compile(r"^\s*from emcore(?:\.\w+)? import ([\w, ]+)$", re.M)
PY_ROLE = re.compile(r"\{py:(?:func|class|mod|meth|obj)\}`~?([\w.]+)`")


def test_chapters_link_each_emcore_name_to_the_reference_at_first_use():
    """A name imported from emcore is linked ({py:...}) in its chapter or an earlier one."""
    linked, missing = set(), []
    for name in toc_files():
        if not name.startswith("chapters/"):
            continue
        text = (ROOT / f"{name}.md").read_text()
        linked |= {target.rsplit(".", 1)[-1] for target in PY_ROLE.findall(text)}
        for group in IMPORT.findall(text):
            missing += [f"{name}: {n.strip()}" for n in group.split(",")
                        if n.strip() and n.strip() not in linked]
    assert missing == []
