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
    # ../shared/data/README.md: correlation of the two columns 0.9008112
    X = load_faithful()
    assert abs(np.corrcoef(X.T)[0, 1] - 0.9008112) < 5e-8


def test_faithful_returns_a_new_array_each_call():
    a = load_faithful()
    a[0, 0] = -1.0
    assert load_faithful()[0, 0] == 3.6


def test_gettysburg_is_the_bliss_copy_with_its_letter_count():
    from emcore.datasets import load_gettysburg

    text = load_gettysburg()
    assert text.startswith("Four score and seven years ago")
    assert text.rstrip().endswith("shall not perish from the earth.")
    assert sum(c.isalpha() for c in text) == 1149 and text.count("\n\n") == 2
