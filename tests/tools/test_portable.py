"""The portable passes (``tools/portable.py``) compare something.

A scratch notebook stores, from this machine's arithmetic, a dot product of
10^5 floats printed to 17 significant digits (round-off-sensitive) and the
same number to 6 digits (earned). Under the portable passes the first cell
must fail and the second must pass.
"""

import os
import re
import subprocess
import sys

import pytest

from tools import portable

CELL = ("import numpy as np\n"
        "x, y = np.random.default_rng(0).standard_normal((2, 100_000))\n"
        "d = x @ y\n")
SENSITIVE = 'print(f"{d:.17g}")'
EARNED = 'print(f"{d:.6g}")'


def _dot(env):
    code = CELL + SENSITIVE
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                          capture_output=True, text=True, check=True).stdout


def test_passes_are_adapted_to_the_processor():
    none = portable.passes(flags={"sse2"}, machine="x86_64")
    assert "lacks AVX2" in none[0].skipped and "OPENBLAS_CORETYPE" not in none[1].env
    arm = portable.passes(flags=None, machine="arm64")
    assert arm[0].skipped and arm[1].env == {"OPENBLAS_NUM_THREADS": "1"}
    avx2 = portable.passes(flags={"avx2", "fma", "pni"}, machine="x86_64")
    assert avx2[0].env == {"OPENBLAS_CORETYPE": "Haswell"}
    assert avx2[1].env == {"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"}


def test_a_round_off_sensitive_output_fails_the_portable_passes(tmp_path):
    runnable = [p for p in portable.passes() if not p.skipped]
    here = _dot({})
    if all(_dot(p.env) == here for p in runnable):
        pytest.skip("no portable pass changes this machine's dot product")
    nbformat = pytest.importorskip("nbformat")
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL + SENSITIVE),
                                         nbformat.v4.new_code_cell(EARNED)])
    ExecutePreprocessor(timeout=120, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[0].outputs[0]["text"].strip() == here.strip()  # stored from this machine
    path = tmp_path / "scratch.ipynb"
    nbformat.write(nb, path)

    run = subprocess.run([sys.executable, "-m", "tools.portable", str(path)], cwd=portable.ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    failed = re.findall(r"^FAILED \S*::Cell (\d+)", run.stdout, flags=re.M)
    # the 17-digit print fails, the 6-digit one not
    assert failed and set(failed) == {"0"}, run.stdout
    assert "FAILED in" in run.stdout


@pytest.mark.parametrize("first_output, retried, expected", [
    (portable.KERNEL_NOT_STARTED, True, 0),  # a kernel that did not start: run again, alone
    ("1 failed: stored output differs", False, 1),  # a difference in an output: never retried
])
def test_a_pass_whose_kernel_did_not_start_runs_again(monkeypatch, capsys, first_output, retried,
                                                      expected):
    class FirstRun:
        def __init__(self, command, stdout, **kwargs):
            stdout.write(first_output)

        def wait(self):
            return 1

    reruns = []

    def rerun(command, **kwargs):
        reruns.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="all passed")

    monkeypatch.setattr(portable, "passes", lambda: [portable.Pass("pass 1: a test pass")])
    monkeypatch.setattr(portable, "probe", lambda env: "probe")
    monkeypatch.setattr(portable.subprocess, "Popen", FirstRun)
    monkeypatch.setattr(portable.subprocess, "run", rerun)
    assert portable.main(["chapters/01_maximum_likelihood.ipynb"]) == expected
    assert bool(reruns) == retried
    assert ("runs again, alone" in capsys.readouterr().out) == retried
