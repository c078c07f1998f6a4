"""No line of the Python sources is over 100 characters (the developers' guide)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 100
FOLDERS = ("emcore", "tests", "benchmarks", "tools")

def python_files():
    """The tracked ``.py`` files of FOLDERS (every ``.py`` file there outside a git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *(f"{f}/*.py" for f in FOLDERS)],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        names = [name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = []
    if not names:
        names = [str(p.relative_to(ROOT)) for f in FOLDERS for p in (ROOT / f).rglob("*.py")]
    return sorted(name for name in names if (ROOT / name).is_file())


def long_lines(root, names, limit=LIMIT):
    """``file:line: length`` of every line of ``names`` (relative to ``root``) over ``limit``."""
    return [f"{name}:{number}: {len(line)}"
            for name in names
            for number, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), 1)
            if len(line) > limit]


def test_no_python_line_is_over_100_characters():
    names = python_files()
    assert {"emcore/__init__.py", "tests/conftest.py", "tools/notebooks.py"} <= set(names)
    offenders = long_lines(ROOT, names)
    assert offenders == [], "wrap these lines:\n" + "\n".join(offenders)


def test_the_check_names_the_file_and_line_of_a_long_line(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n" + "#" * LIMIT + "\n" + "#" * (LIMIT + 1) + "\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    assert long_lines(tmp_path, ["a.py", "b.py"]) == [f"a.py:3: {LIMIT + 1}"]
