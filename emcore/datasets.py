"""Small real data sets that ship with emcore, for the book and the tests.

Old Faithful (``faithful.csv``): 272 eruptions of the Old Faithful geyser,
Yellowstone National Park. Identical to the ``faithful`` data set that ships
with R (package ``datasets``), from W. Härdle, *Smoothing Techniques with
Implementation in S* (Springer, 1991), originally from A. Azzalini and
A. W. Bowman, "A look at some data on the Old Faithful geyser", *Applied
Statistics* 39 (1990) 357-365. Measurements of a natural phenomenon: facts,
free to redistribute; cite the sources above where the data is shown.

Gehan's leukemia remission times (``gehan.csv``): 42 children with acute
leukemia in the trial of 6-mercaptopurine (6-MP) against placebo of
E. J. Freireich et al., *Blood* 21 (1963) 699-716, as tabulated by
E. A. Gehan, *Biometrika* 52 (1965) 203-223. Copied from ``gehan.dat`` in
the lifelines package 0.30.3 (MIT licence). Published trial results: facts;
cite the sources above where the data is shown.

The Nile (``nile.csv``): the annual flow of the river Nile at Aswan,
1871-1970, in 10^8 cubic metres, the series of G. W. Cobb, "The problem of the
Nile: conditional solution to a changepoint problem", *Biometrika* 65 (1978)
243-251, and of J. Durbin and S. J. Koopman, *Time Series Analysis by State
Space Methods* (Oxford, 2nd ed. 2012). Identical to the ``Nile`` data set of R
(package ``datasets``); copied from ``nile.csv`` of statsmodels 0.15.0, which
marks it public domain.

Gettysburg Address (``gettysburg.txt``): Abraham Lincoln's address of
19 November 1863, the text of the "Bliss copy", his last known handwritten
copy. Public domain (a work of 1863); see ``emcore/data/README.md``.

Major earthquakes (``earthquakes.csv``): the number of earthquakes of
magnitude 7 or more in the world in each year 1900-2006, as tabulated by
W. Zucchini, I. L. MacDonald and R. Langrock, *Hidden Markov Models for Time
Series* (Chapman and Hall/CRC, 2nd ed. 2016), Table 1.1, from the U.S.
Geological Survey's lists. Counts of natural events: facts; cite the book
where the data is shown.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["FAITHFUL_COLUMNS", "GEHAN_COLUMNS", "NILE_COLUMNS", "load_faithful", "load_gehan",
           "load_gettysburg", "load_nile"]
__all__ += ["EARTHQUAKES_COLUMNS", "load_earthquakes"]

#: Column names of :func:`load_faithful`, in order.
FAITHFUL_COLUMNS = ("eruptions", "waiting")
#: Column names of :func:`load_gehan`, in order.
GEHAN_COLUMNS = ("treatment", "weeks", "relapse")
#: Column names of :func:`load_nile`, in order.
NILE_COLUMNS = ("year", "volume")
#: Column names of :func:`load_earthquakes`, in order.
EARTHQUAKES_COLUMNS = ("year", "count")


def _read_csv(filename: str, columns: tuple[str, ...]) -> np.ndarray:
    text = resources.files("emcore").joinpath("data", filename).read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    header = tuple(lines[0].split(","))
    if header != columns:  # the file and this module must agree on the columns
        raise RuntimeError(f"{filename} has columns {header}, expected {columns}")
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]], dtype=np.float64)


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
    return _read_csv("faithful.csv", FAITHFUL_COLUMNS)


def load_gehan() -> np.ndarray:
    """Return Gehan's leukemia remission data as a float64 array of shape (42, 3).

    One row per patient. Column 0 is ``treatment`` (1 for 6-MP, 0 for
    placebo); column 1 is ``weeks``, the time in remission; column 2 is
    ``relapse``, 1 if the patient relapsed at that time and 0 if the
    remission was still going on when follow-up ended (a right-censored
    time). The names are in :data:`GEHAN_COLUMNS`; sources and licence are
    in the module docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new array each call, shape (42, 3): the 21 patients on 6-MP first.

    Examples
    --------
    >>> from emcore.datasets import GEHAN_COLUMNS, load_gehan
    >>> data = load_gehan()
    >>> data.shape, GEHAN_COLUMNS
    ((42, 3), ('treatment', 'weeks', 'relapse'))
    >>> six_mp = data[data[:, 0] == 1]
    >>> print(int(six_mp[:, 2].sum()), "relapses and", int((1 - six_mp[:, 2]).sum()),
    ...       "censored times on 6-MP")
    9 relapses and 12 censored times on 6-MP
    """
    return _read_csv("gehan.csv", GEHAN_COLUMNS)


def load_gettysburg() -> str:
    """Return the text of the Gettysburg Address (Bliss copy) as one string.

    Three paragraphs separated by blank lines, with the original punctuation
    (dashes written ``--``). A small public-domain text for the categorical
    hidden Markov model of chapter 14, whose letters alternate between vowels
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


def load_nile() -> np.ndarray:
    """Return the Nile's annual flow at Aswan, 1871-1970, as a float64 array of shape (100, 2).

    Column 0 is ``year``; column 1 is ``volume``, the year's flow in 10^8
    cubic metres (the names are in :data:`NILE_COLUMNS`). The classic series
    of the local-level model (Durbin & Koopman 2012, chapter 2); sources and
    licence are in the module docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new array each call, shape (100, 2), rows in time order.

    Examples
    --------
    >>> from emcore.datasets import load_nile
    >>> nile = load_nile()
    >>> print(nile[0], nile[:, 1].mean())
    [1871. 1120.] 919.35
    """
    return _read_csv("nile.csv", NILE_COLUMNS)


def load_earthquakes() -> np.ndarray:
    """Return the yearly counts of major earthquakes, 1900-2006, as a float64 array (107, 2).

    Column 0 is ``year``; column 1 is ``count``, the number of earthquakes of
    magnitude 7 or more in the world that year (the names are in
    :data:`EARTHQUAKES_COLUMNS`). The running example of Zucchini, MacDonald
    and Langrock's *Hidden Markov Models for Time Series*; sources are in the
    module docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new array each call, shape (107, 2), rows in time order.

    Examples
    --------
    >>> from emcore.datasets import load_earthquakes
    >>> quakes = load_earthquakes()
    >>> print(quakes[0], quakes[:, 1].sum())
    [1900.   13.] 2072.0
    """
    return _read_csv("earthquakes.csv", EARTHQUAKES_COLUMNS)
