"""The package as a user meets it: its public names and what importing it costs."""

import subprocess
import sys

import emcore


def test_public_names_are_importable_and_listed():
    for name in emcore.__all__:
        assert hasattr(emcore, name), name
    for name in ["EMModel", "EMResult", "run_em", "models"]:
        assert name in emcore.__all__


def test_import_emcore_loads_numpy_but_no_heavy_library():
    code = (
        "import sys, emcore\n"
        "heavy = ['sympy', 'matplotlib', 'scipy', 'sklearn', 'pandas', 'dask', 'IPython']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, numpy_loaded = out.stdout.split("\n")[:2]
    assert loaded == ""
    assert numpy_loaded == "True"
