"""A warning an EM run repeats (one per iteration) is printed once per call, with its count."""

import warnings

import numpy as np
import pytest

from emcore import CategoricalHMM, GaussianHMM


def _caught(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if w.category is RuntimeWarning]


def test_sequences_of_one_step_warn_once_per_call_with_the_count():
    start = np.array([[0.7, 0.3], [0.4, 0.6]])
    X = np.arange(6.0)[:, None]
    model = GaussianHMM(2, max_iter=3, tol=0, transmat_init=start, random_state=0)
    caught = _caught(lambda: model.fit(X, lengths=[1] * 6))
    assert len(caught) == 1  # not one per sequence (6), nor one per M-step (3)
    assert "no sequence is longer than one step" in str(caught[0].message)
    assert str(caught[0].message).endswith("(3 times in this call)")
    assert caught[0].filename == __file__  # at the caller's line, not inside emcore
    np.testing.assert_array_equal(model.transmat_, start)


def test_a_state_never_left_is_named_once_with_the_count():
    model = CategoricalHMM(2, max_iter=4, tol=0, startprob_init=[1.0, 0.0],
                           transmat_init=[[0.9, 0.1], [0.5, 0.5]],
                           emissionprob_init=[[1.0, 0.0], [0.0, 1.0]])
    caught = _caught(lambda: model.fit(np.array([[0], [0], [0], [1]])))
    assert [str(w.message).count("state 1 is never left") for w in caught] == [1]
    assert "(4 times in this call)" in str(caught[0].message)
    np.testing.assert_allclose(model.transmat_[0], [2 / 3, 1 / 3])


def test_a_single_warning_has_no_count_and_filters_still_apply():
    model = GaussianHMM(2, max_iter=1, tol=0, random_state=0)
    caught = _caught(lambda: model.fit(np.arange(6.0)[:, None], lengths=[1] * 6))
    assert len(caught) == 1 and "times in this call" not in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match="no sequence is longer"):
            GaussianHMM(2, max_iter=3, tol=0, random_state=0).fit(np.arange(6.0)[:, None],
                                                                  lengths=[1] * 6)
