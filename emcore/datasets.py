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

Binarised handwritten digits (``digits_binary.csv.gz``): the 1797 8x8 images of
the test set of "Optical Recognition of Handwritten Digits" (E. Alpaydin and
C. Kaynak, UCI Machine Learning Repository, 1998, doi:10.24432/C50P49; licence
CC BY 4.0), as shipped in scikit-learn's ``load_digits``, each pixel (0-16)
set to 1 when it is at least 8. Attribute the UCI set where the data is shown.

Patents and R&D (``patents.csv``): 70 pharmaceutical and biomedical firms in 1976,
their patent applications, R&D spending per sale and log R&D spending, from the
NBER R&D Masterfile as analysed by P. Wang, I. M. Cockburn and M. L. Puterman,
"Analysis of patent data -- a mixed-Poisson-regression-model approach", *Journal
of Business & Economic Statistics* 16 (1998) 27-41. Copied from the data set
``patent`` of the R package flexmix 2.3-18 (GPL-2); published firm-level
figures: facts; cite the sources above where the data is shown.

Gettysburg Address (``gettysburg.txt``): Abraham Lincoln's address of
19 November 1863, the text of the "Bliss copy", his last known handwritten
copy. Public domain (a work of 1863); see ``emcore/data/README.md``.

Dyestuff (``dyestuff.csv``): the yield of dyestuff (grams of standard colour)
in 5 preparations from each of 6 batches of an intermediate product, from
O. L. Davies (ed.), *Statistical Methods in Research and Production* (Oliver &
Boyd, 1947), analysed by G. E. P. Box and G. C. Tiao, *Bayesian Inference in
Statistical Analysis* (Addison-Wesley, 1973), section 5.1, and by D. M. Bates
with lme4. Identical to ``Dyestuff`` of the R package lme4 1.1-31 (batches A-F
coded 1-6). Published measurements: facts; cite the sources above where the data is shown.

CBPP (``cbpp.csv``): contagious bovine pleuropneumonia in 15 herds of zebu cattle in
Ethiopia, new serological cases among the animals at risk in up to four periods, from
M. Lesnoff et al., *Preventive Veterinary Medicine* 64 (2004) 27-40. Identical to
``cbpp`` of the R package lme4 1.1-31 (factors coded by their level numbers).
Published counts: facts; cite the source above where the data is shown.

Major earthquakes (``earthquakes.csv``): the number of earthquakes of
magnitude 7 or more in the world in each year 1900-2006, as tabulated by
W. Zucchini, I. L. MacDonald and R. Langrock, *Hidden Markov Models for Time
Series* (Chapman and Hall/CRC, 2nd ed. 2016), Table 1.1, from the U.S.
Geological Survey's lists. Counts of natural events: facts; cite the book
where the data is shown.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

__all__ = ["FAITHFUL_COLUMNS", "GEHAN_COLUMNS", "NILE_COLUMNS", "load_binary_digits",
           "load_faithful", "load_gehan", "load_gettysburg", "load_nile", "load_patents",
           "PATENTS_COLUMNS"]
__all__ += ["CBPP_COLUMNS", "DYESTUFF_COLUMNS", "load_cbpp", "load_dyestuff"]
__all__ += ["EARTHQUAKES_COLUMNS", "load_earthquakes"]

#: Column names of :func:`load_faithful`, in order.
FAITHFUL_COLUMNS = ("eruptions", "waiting")
#: Column names of :func:`load_gehan`, in order.
GEHAN_COLUMNS = ("treatment", "weeks", "relapse")
#: Column names of :func:`load_nile`, in order.
NILE_COLUMNS = ("year", "volume")
#: Column names of :func:`load_patents`, in order.
PATENTS_COLUMNS = ("patents", "rds", "lgrd")
#: Column names of :func:`load_dyestuff`, in order.
DYESTUFF_COLUMNS = ("batch", "yield")
#: Column names of :func:`load_cbpp`, in order.
CBPP_COLUMNS = ("herd", "incidence", "size", "period")
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

    See Also
    --------
    emcore.GaussianMixture : The mixture the book fits to these data.
    emcore.select_n_components : How many components they need.

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

    See Also
    --------
    emcore.models.CensoredNormal : EM for right-censored normal data.
    emcore.run_em : Fits it.

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


def load_binary_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return 1797 binarised 8x8 handwritten digits and their labels.

    The test set of the UCI "Optical Recognition of Handwritten Digits" data
    (Alpaydin & Kaynak 1998, CC BY 4.0; the copy in scikit-learn's
    ``load_digits``), each pixel's count of 0-16 turned into 1 when it is at
    least 8 and 0 otherwise. Row ``n`` of ``X`` reshaped to (8, 8) is the
    image, row by row from the top left. Sources and licence are in the module
    docstring and in ``emcore/data/README.md``.

    Returns
    -------
    X : numpy.ndarray of shape (1797, 64)
        The pixels, 0 or 1, as float64 (a new array each call).
    digit : numpy.ndarray of shape (1797,)
        The digit (0-9) each image shows, as int64.

    See Also
    --------
    emcore.BernoulliMixture : A mixture of binary vectors.

    Examples
    --------
    >>> from emcore.datasets import load_binary_digits
    >>> X, digit = load_binary_digits()
    >>> X.shape, digit[:5].tolist()
    ((1797, 64), [0, 1, 2, 3, 4])
    >>> print(X[0].reshape(8, 8).astype(int)[1])
    [0 0 1 1 1 1 0 0]
    """
    raw = resources.files("emcore").joinpath("data", "digits_binary.csv.gz").read_bytes()
    lines = gzip.decompress(raw).decode("ascii").split()
    if lines[0] != "digit,pixels":  # the file and this function must agree on the columns
        raise RuntimeError(f"digits_binary.csv.gz has columns {lines[0]}, expected digit,pixels")
    digit = np.array([int(line[0]) for line in lines[1:]], dtype=np.int64)
    X = np.array([[float(c) for c in line[2:]] for line in lines[1:]], dtype=np.float64)
    return X, digit


def load_gettysburg() -> str:
    """Return the text of the Gettysburg Address (Bliss copy) as one string.

    Three paragraphs separated by blank lines, with the original punctuation
    (dashes written ``--``). A small public-domain text for the categorical
    hidden Markov model of the book's chapter on hidden Markov models, whose
    letters alternate between vowels and consonants.

    Returns
    -------
    str
        The address, paragraphs separated by one blank line.

    See Also
    --------
    emcore.CategoricalHMM : An HMM of symbols, such as letters.

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

    See Also
    --------
    emcore.LinearGaussianSSM : The local-level model of the series.

    Examples
    --------
    >>> from emcore.datasets import load_nile
    >>> nile = load_nile()
    >>> print(nile[0], nile[:, 1].mean())
    [1871. 1120.] 919.35
    """
    return _read_csv("nile.csv", NILE_COLUMNS)


def load_patents() -> np.ndarray:
    """Return the patent data of Wang, Cockburn & Puterman (1998), shape (70, 3).

    One row per pharmaceutical or biomedical firm in 1976. Column 0 is
    ``patents``, the number of patent applications; column 1 is ``rds``, R&D
    spending divided by sales; column 2 is ``lgrd``, the natural log of R&D
    spending in millions of dollars (the names are in :data:`PATENTS_COLUMNS`).
    The classic data set of a mixture of Poisson regressions with a
    concomitant variable (flexmix's ``patent``); sources and licence are in
    the module docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new float64 array each call, shape (70, 3), rows in flexmix's order.

    See Also
    --------
    emcore.RegressionMixture : A mixture of regressions.

    Examples
    --------
    >>> from emcore.datasets import PATENTS_COLUMNS, load_patents
    >>> data = load_patents()
    >>> data.shape, PATENTS_COLUMNS
    ((70, 3), ('patents', 'rds', 'lgrd'))
    >>> print(data[0], int(data[:, 0].sum()))
    [42.      0.0549  4.0869] 1642
    """
    return _read_csv("patents.csv", PATENTS_COLUMNS)


def load_dyestuff() -> np.ndarray:
    """Return the dyestuff yields of Davies (1947) as a float64 array of shape (30, 2).

    Column 0 is ``batch`` (1 to 6, for batches A to F); column 1 is ``yield``,
    grams of standard colour (the names are in :data:`DYESTUFF_COLUMNS`). Five
    preparations per batch: the classic one-way random-effects data set
    (Box & Tiao 1973, section 5.1; lme4's ``Dyestuff``). Sources are in the
    module docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new array each call, shape (30, 2), batch by batch.

    See Also
    --------
    emcore.LinearMixedModel : A random intercept per batch.

    Examples
    --------
    >>> from emcore.datasets import DYESTUFF_COLUMNS, load_dyestuff
    >>> data = load_dyestuff()
    >>> data.shape, DYESTUFF_COLUMNS
    ((30, 2), ('batch', 'yield'))
    >>> print(data[:, 1].mean())
    1527.5
    """
    return _read_csv("dyestuff.csv", DYESTUFF_COLUMNS)


def load_cbpp() -> np.ndarray:
    """Return the CBPP herd data of Lesnoff et al. (2004) as a float64 array of shape (56, 4).

    One row per herd and period. Column 0 is ``herd`` (1 to 15); column 1 is
    ``incidence``, the new serological cases; column 2 is ``size``, the animals
    at risk; column 3 is ``period`` (1 to 4) (the names are in
    :data:`CBPP_COLUMNS`). lme4's example of a binomial mixed model. Sources
    are in the module docstring and in ``emcore/data/README.md``.

    Returns
    -------
    numpy.ndarray
        A new array each call, shape (56, 4), herd by herd.

    See Also
    --------
    emcore.LogisticMixedModel : A random intercept per herd.

    Examples
    --------
    >>> from emcore.datasets import CBPP_COLUMNS, load_cbpp
    >>> data = load_cbpp()
    >>> data.shape, CBPP_COLUMNS
    ((56, 4), ('herd', 'incidence', 'size', 'period'))
    >>> print(int(data[:, 1].sum()), "cases in", int(data[:, 2].sum()), "animal-periods")
    99 cases in 842 animal-periods
    """
    return _read_csv("cbpp.csv", CBPP_COLUMNS)


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

    See Also
    --------
    emcore.PoissonHMM : An HMM of counts.

    Examples
    --------
    >>> from emcore.datasets import load_earthquakes
    >>> quakes = load_earthquakes()
    >>> print(quakes[0], quakes[:, 1].sum())
    [1900.   13.] 2072.0
    """
    return _read_csv("earthquakes.csv", EARTHQUAKES_COLUMNS)
