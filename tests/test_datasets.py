"""The data sets that ship with emcore load as documented."""

import numpy as np

from emcore.datasets import FAITHFUL_COLUMNS, load_faithful


def test_faithful_has_272_rows_of_eruptions_and_waiting():
    X = load_faithful()
    assert X.shape == (272, 2) and X.dtype == np.float64
    assert FAITHFUL_COLUMNS == ("eruptions", "waiting")
    assert 1.5 < X[:, 0].min() and X[:, 0].max() < 5.2  # minutes of eruption
    assert 40 < X[:, 1].min() and X[:, 1].max() < 100  # minutes of waiting


def test_faithful_correlation_matches_the_data_readme():
    # emcore/data/README.md ("Known values"): correlation of the two columns 0.9008112
    X = load_faithful()
    assert abs(np.corrcoef(X.T)[0, 1] - 0.9008112) < 5e-8


def test_faithful_returns_a_new_array_each_call():
    a = load_faithful()
    a[0, 0] = -1.0
    assert load_faithful()[0, 0] == 3.6


def test_gehan_has_the_published_counts():
    # Gehan (1965), Table 1: 6-MP 21 patients, 9 relapses, 12 censored, 359 weeks in all;
    # placebo 21 patients, all relapsed, 182 weeks in all.
    from emcore.datasets import GEHAN_COLUMNS, load_gehan

    data = load_gehan()
    assert data.shape == (42, 3) and GEHAN_COLUMNS == ("treatment", "weeks", "relapse")
    six_mp, placebo = data[data[:, 0] == 1], data[data[:, 0] == 0]
    assert len(six_mp) == len(placebo) == 21
    assert six_mp[:, 2].sum() == 9 and six_mp[:, 1].sum() == 359
    assert placebo[:, 2].sum() == 21 and placebo[:, 1].sum() == 182
    assert sorted(six_mp[six_mp[:, 2] == 1, 1]) == [6, 6, 6, 7, 10, 13, 16, 22, 23]


def test_gettysburg_is_the_bliss_copy_with_its_letter_count():
    from emcore.datasets import load_gettysburg

    text = load_gettysburg()
    assert text.startswith("Four score and seven years ago")
    assert text.rstrip().endswith("shall not perish from the earth.")
    assert sum(c.isalpha() for c in text) == 1149 and text.count("\n\n") == 2


def test_nile_is_rs_nile_series():
    # R's datasets::Nile: 1871-1970, starts 1120 1160 963 1210 1160, mean 919.35, range 456 to 1370
    from emcore.datasets import NILE_COLUMNS, load_nile

    data = load_nile()
    assert data.shape == (100, 2) and NILE_COLUMNS == ("year", "volume")
    assert data[:, 0].tolist() == list(range(1871, 1971))
    assert data[:5, 1].tolist() == [1120, 1160, 963, 1210, 1160]
    assert data[:, 1].sum() == 91935 and data[:, 1].min() == 456 and data[:, 1].max() == 1370


def test_binary_digits_are_uci_test_set_thresholded_at_8():
    # UCI optdigits, test set ("optdigits.tes"): 1797 images, class counts 178 182 177 183 181
    # 182 181 179 174 180 for the digits 0-9 (the repository's description of the data).
    from emcore.datasets import load_binary_digits

    X, digit = load_binary_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64 and digit.dtype == np.int64
    assert set(np.unique(X)) == {0.0, 1.0}
    assert np.bincount(digit).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    X[0, 0] = 5.0
    assert load_binary_digits()[0][0, 0] == 0.0  # a new array each call


def test_binary_digits_equal_scikit_learns_digits_above_half_ink():
    import pytest

    datasets = pytest.importorskip("sklearn.datasets")
    from emcore.datasets import load_binary_digits

    X, digit = load_binary_digits()
    digits = datasets.load_digits()
    np.testing.assert_array_equal(X, digits.data >= 8)
    np.testing.assert_array_equal(digit, digits.target)


def test_patents_are_flexmix_patent_data():
    # Wang, Cockburn & Puterman (1998), as flexmix's `patent`: 70 firms; the first row is
    # Abbott Laboratories, 42 applications, R&D/sales 0.0549, log R&D 4.0869.
    from emcore.datasets import PATENTS_COLUMNS, load_patents

    data = load_patents()
    assert data.shape == (70, 3) and PATENTS_COLUMNS == ("patents", "rds", "lgrd")
    assert data[0].tolist() == [42, 0.0549, 4.0869]
    counts = data[:, 0]
    assert np.all(counts == np.round(counts)) and counts.min() >= 0 and counts.sum() == 1642
    assert np.all(data[:, 1] > 0)  # R&D per sale is positive for every firm
