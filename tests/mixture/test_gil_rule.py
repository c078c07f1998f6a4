"""The chunk statistics' products use ``np.dot``, not ``@``, so threads run them in parallel.

numpy's ``matmul`` keeps the GIL for a product whose output has at most 500
entries (``emcore.mixture._pool``'s docstring); a chunk's statistics are such
products. The functions below run per chunk on the pool's threads and reduce over
the chunk's samples; a ``@`` in them is allowed only on a line that says why it
keeps the GIL. The numerical side of the rule (the same floats for every
``n_jobs``) is tested in ``test_pool.py``.
"""

import ast
import inspect
import textwrap

import pytest

from emcore.gaussian import _conditional, covariance
from emcore.mixture import _estep, _missing

CHUNK_STATISTICS = [
    _estep.e_step, _estep._moments, _missing.IncompleteRows._direct_partial,
    _missing.IncompleteRows._expanded_partial, _missing.IncompleteRows.e_step,
    covariance._Full.add_centred, covariance._Tied.add_centred, covariance._Diag.add_centred,
    covariance._Spherical.add_centred, _conditional._weighted_sums,
    _conditional.FullConditional.completed_moments, _conditional.DiagConditional.completed_moments,
    _conditional.SphericalConditional.completed_moments,
]
EXCUSE = "keeps the GIL"


def matmuls_without_excuse(source: str) -> list[str]:
    """The lines of ``source`` with a ``@`` product and no comment saying why it keeps the GIL."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        is_matmul = (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)) or (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "matmul")
        if is_matmul and EXCUSE not in lines[node.lineno - 1]:
            found.append(lines[node.lineno - 1].strip())
    return found


@pytest.mark.parametrize("function", CHUNK_STATISTICS, ids=lambda f: f.__qualname__)
def test_chunk_statistics_multiply_by_np_dot(function):
    assert matmuls_without_excuse(textwrap.dedent(inspect.getsource(function))) == []


def test_the_rule_finds_a_matmul_and_accepts_an_excused_one():
    assert matmuls_without_excuse("def f(a, b):\n    return a @ b\n") == ["return a @ b"]
    assert matmuls_without_excuse("def f(a, b):\n    return np.matmul(a, b)\n") != []
    assert matmuls_without_excuse("def f(a, b):\n    return a @ b  # keeps the GIL: rare\n") == []
    assert matmuls_without_excuse("def f(a, b):\n    return np.dot(a, b)\n") == []
