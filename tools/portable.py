"""Strict nbval again, under other floating-point arithmetic.

``python -m tools.portable [notebook.ipynb ...]`` (``make test-portable``)
re-executes the executed chapters (default: ``chapters/*.ipynb``) and compares
their stored outputs, as ``make test-notebooks`` does, but with the arithmetic
of other machines:

* pass 1, OpenBLAS's ``Haswell`` kernels (what AVX2 processors, AMD Zen
  included, get); on a processor with AVX-512, numpy's own SIMD loops are also
  held below AVX-512 (``NPY_DISABLE_CPU_FEATURES``);
* pass 2, OpenBLAS's generic x86-64 ``Prescott`` kernels on a single BLAS thread
  (another summation order in every matrix product and in every reduction that
  OpenBLAS splits between threads).

A pass whose kernels this processor cannot run (the flags in ``/proc/cpuinfo``)
is skipped with the reason printed; off x86-64 only the single-thread setting
is applied. Each pass prints the settings it used and what the BLAS and numpy
report back, so a setting that did not take effect is visible.

Stored outputs are written on one machine; they pass here only if every printed
digit is one that round-off does not move (the precision policy in
CONTRIBUTING.md). ``tests/test_portable.py`` checks that a round-off-sensitive
output does fail these passes.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"

#: What a child process reports about its arithmetic: the BLAS library and the
#: kernel family it chose, its thread count, and numpy's enabled SIMD targets.
_PROBE = """
import json, numpy
from threadpoolctl import threadpool_info
blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
try:
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    simd = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
except ImportError:
    simd = []
b = blas[0] if blas else {}
print(json.dumps({"blas": b.get("internal_api", "?"), "kernels": b.get("architecture", "?"),
                  "threads": b.get("num_threads", "?"), "numpy_simd": simd}))
"""


@dataclass
class Pass:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    skipped: str = ""  # the reason, when this processor cannot run the pass


def cpu_flags() -> set[str] | None:
    """The processor's feature flags from ``/proc/cpuinfo`` (None where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _numpy_avx512_targets() -> list[str]:
    """numpy's dispatch targets at or above AVX-512, named as this numpy names them."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__
    except ImportError:
        return []
    return [f for f in __cpu_dispatch__ if f.startswith("AVX512") or f == "X86_V4"]


def passes(flags: set[str] | None = None, machine: str | None = None) -> list[Pass]:
    """The two passes, adapted to (or skipped on) this processor."""
    flags = cpu_flags() if flags is None else flags
    machine = (machine or platform.machine()).lower()
    x86 = machine in {"x86_64", "amd64"} and flags is not None

    haswell = Pass("pass 1: OpenBLAS Haswell kernels")
    if not x86:
        haswell.skipped = f"the Haswell kernels are x86-64 code; this is {machine}"
    elif not {"avx2", "fma"} <= flags:
        haswell.skipped = "this processor lacks AVX2/FMA, which the Haswell kernels need"
    else:
        haswell.env["OPENBLAS_CORETYPE"] = "Haswell"
        if "avx512f" in flags and _numpy_avx512_targets():
            haswell.name += ", numpy SIMD held below AVX-512"
            haswell.env["NPY_DISABLE_CPU_FEATURES"] = ",".join(_numpy_avx512_targets())

    generic = Pass("pass 2: one BLAS thread", {"OPENBLAS_NUM_THREADS": "1"})
    if x86 and "pni" in flags:  # pni = SSE3, all the Prescott kernels need
        generic.name = "pass 2: OpenBLAS Prescott (generic x86-64) kernels, one BLAS thread"
        generic.env["OPENBLAS_CORETYPE"] = "Prescott"
    return [haswell, generic]


def probe(env: dict[str, str]) -> str:
    """What numpy and the BLAS report under ``env``, in one line."""
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**os.environ, **env},
                         capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip() or (out.stderr.strip().splitlines() or ["no report"])[-1]


#: What nbval reports when a notebook's kernel dies before it answers (it never ran a cell).
KERNEL_NOT_STARTED = "Kernel died before replying to kernel_info"


def nbval_command(notebooks: list[str]) -> list[str]:
    # One notebook at a time per pass: the two passes already fill two cores (and two
    # Dask chapters started together on one machine wrote port warnings to stderr).
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rf",
            "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE), *notebooks]


def main(argv: list[str]) -> int:
    notebooks = argv or sorted(str(p.relative_to(ROOT))
                               for p in (ROOT / "chapters").glob("*.ipynb"))
    failed, report, running = [], [], []
    # The passes are independent processes (each runs the notebooks one at a time), so they
    # run side by side rather than one after the other. Each pass's output is
    # collected in a file and printed whole when it ends, so the two never interleave.
    for p in passes():
        header = f"\n=== {p.name}"
        if p.skipped:
            print(f"{header}\n    skipped: {p.skipped}", flush=True)
            report.append(f"{p.name}: skipped ({p.skipped})")
            continue
        header += ("\n    settings: " + " ".join(f"{k}={v}" for k, v in p.env.items())
                   + f"\n    reported: {probe(p.env)}")
        log = tempfile.TemporaryFile(mode="w+")
        proc = subprocess.Popen(nbval_command(notebooks), env={**os.environ, **p.env}, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, text=True)
        running.append((p, header, log, proc, time.perf_counter()))
    for p, header, log, proc, start in running:
        rc = proc.wait()
        seconds = time.perf_counter() - start
        log.seek(0)
        output = log.read()
        log.close()
        if rc != 0 and KERNEL_NOT_STARTED in output:
            # Two passes start kernels at the same moments, and a kernel can then fail to start
            # (it dies before its first reply; no output was compared): run that pass again,
            # alone. A difference in a stored output is never retried.
            print(f"{header}\n    a kernel did not start; the pass runs again, alone", flush=True)
            start = time.perf_counter()
            rerun = subprocess.run(nbval_command(notebooks), env={**os.environ, **p.env}, cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            rc, output = rerun.returncode, rerun.stdout
            seconds = time.perf_counter() - start
        print(header + "\n" + output, flush=True)
        report.append(f"{p.name}: {'passed' if rc == 0 else 'FAILED'} in {seconds:.0f} s")
        if rc != 0:
            failed.append(p.name)
    print("\n" + "\n".join(report))
    if failed:
        print("Stored outputs differ under other arithmetic: print and glue only the digits that "
              "round-off cannot move (CONTRIBUTING.md, 'Precision policy').")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
