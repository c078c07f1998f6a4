"""Small real data sets that ship with emcore, for the book and the tests.

Old Faithful (``faithful.csv``): 272 eruptions of the Old Faithful geyser,
Yellowstone National Park. Identical to the ``faithful`` data set that ships
with R (package ``datasets``), from W. Härdle, *Smoothing Techniques with
Implementation in S* (Springer, 1991), originally from A. Azzalini and
A. W. Bowman, "A look at some data on the Old Faithful geyser", *Applied
Statistics* 39 (1990) 357-365. Measurements of a natural phenomenon: facts,
free to redistribute; cite the sources above where the data is shown.

Gettysburg Address (``gettysburg.txt``): Abraham Lincoln's address of
19 November 1863, the text of the "Bliss copy", his last known handwritten
copy. Public domain (a work of 1863); see ``emcore/data/README.md``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["FAITHFUL_COLUMNS", "load_faithful", "load_gettysburg"]

#: Column names of :func:`load_faithful`, in order.
FAITHFUL_COLUMNS = ("eruptions", "waiting")


def load_faithful() -> np.ndarray:
    """Return the Old Faithful data as a float64 array of shape (272, 2).

    Column 0 is ``eruptions``, the eruption length in minutes; column 1 is
    ``waiting``, the time to the next eruption in minutes (the names are in
    :data:`FAITHFUL_COLUMNS`). Sources and licence are in the module
    docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new array each call, shape (272, 2), rows in the original order.

    Examples
    --------
    >>> from emcore.datasets import FAITHFUL_COLUMNS, load_faithful
    >>> X = load_faithful()
    >>> X.shape, FAITHFUL_COLUMNS
    ((272, 2), ('eruptions', 'waiting'))
    >>> print(X[0])
    [ 3.6 79. ]
    """
    text = resources.files("emcore").joinpath("data", "faithful.csv").read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    header = tuple(lines[0].split(","))
    if header != FAITHFUL_COLUMNS:  # the file and this module must agree on the columns
        raise RuntimeError(f"faithful.csv has columns {header}, expected {FAITHFUL_COLUMNS}")
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]], dtype=np.float64)


def load_gettysburg() -> str:
    """Return the text of the Gettysburg Address (Bliss copy) as one string.

    Three paragraphs separated by blank lines, with the original punctuation
    (dashes written ``--``). A small public-domain text for the categorical
    hidden Markov model of chapter 10, whose letters alternate between vowels
    and consonants.

    Examples
    --------
    >>> from emcore.datasets import load_gettysburg
    >>> text = load_gettysburg()
    >>> text[:30]
    'Four score and seven years ago'
    >>> sum(c.isalpha() for c in text)
    1149
    """
    return resources.files("emcore").joinpath("data", "gettysburg.txt").read_text(encoding="utf-8")
