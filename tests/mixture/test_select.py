"""select_n_components: a tidy table and the best model by BIC or AIC."""

import math

import numpy as np
import pytest

from emcore import GaussianMixture, select_n_components
from emcore.datasets import load_faithful


def test_table_has_one_record_per_model_with_consistent_criteria():
    X = load_faithful()
    sel = select_n_components(X, [1, 2, 3], ["full", "spherical"], random_state=0)
    assert [(r["covariance_type"], r["n_components"]) for r in sel.table] == [
        ("full", 1), ("full", 2), ("full", 3), ("spherical", 1), ("spherical", 2), ("spherical", 3)]
    for rec in sel.table:
        assert rec["bic"] == pytest.approx(-2 * rec["log_likelihood"]
                                           + rec["n_parameters"] * math.log(272))
        assert rec["aic"] == pytest.approx(-2 * rec["log_likelihood"] + 2 * rec["n_parameters"])
        assert rec["error"] is None
    assert [r["n_parameters"] for r in sel.table] == [5, 11, 17, 3, 7, 11]
    assert sel.best is min(sel.table, key=lambda r: r["bic"])
    assert (sel.best["n_components"], sel.best["covariance_type"]) == (2, "full")
    assert isinstance(sel.best_model, GaussianMixture) and sel.best_model.n_components == 2
    assert sel.best_model.bic(X) == pytest.approx(sel.best["bic"], rel=1e-12)
    text = sel.format()
    assert text.count("\n") == 6 and text.splitlines()[2].endswith("*")


def test_aic_may_choose_a_larger_model_than_bic():
    X = load_faithful()
    bic = select_n_components(X, range(1, 5), "full", random_state=0)
    aic = select_n_components(X, range(1, 5), "full", criterion="aic", random_state=0)
    # on Old Faithful AIC's lighter penalty (2 per parameter, not log n = 5.6) does choose more
    assert aic.best["n_components"] > bic.best["n_components"]
    assert aic.best is min(aic.table, key=lambda r: r["aic"])
    small, large = bic.best, aic.table[aic.best["n_components"] - 1]
    gain = 2 * (large["log_likelihood"] - small["log_likelihood"])
    extra = large["n_parameters"] - small["n_parameters"]
    assert 2 * extra < gain < extra * np.log(len(X))  # exactly the window where the two disagree


def test_degenerate_fits_are_recorded_not_chosen():
    X = np.concatenate([np.random.default_rng(0).normal(size=(40, 1)), np.full((6, 1), 30.0)])
    means = np.array([[0.0], [30.0], [-1.0]])
    sel = select_n_components(X, [3], ["full", "tied"], means_init=means)
    # with its own covariance, the component started on the repeated point 30 collapses onto it
    assert math.isnan(sel.table[0]["bic"]) and "collapsed" in sel.table[0]["error"]
    assert sel.best is sel.table[1] and sel.best["error"] is None
    assert "degenerate" in sel.format().splitlines()[1]


def test_sample_weight_counts_as_repeated_rows():
    X = load_faithful()[:60]
    w = np.random.default_rng(0).integers(1, 3, size=60)
    a = select_n_components(X, [1, 2], "diag", sample_weight=w, random_state=0, tol=1e-10,
                            max_iter=500)
    b = select_n_components(np.repeat(X, w, axis=0), [1, 2], "diag", random_state=0, tol=1e-10,
                            max_iter=500)
    for ra, rb in zip(a.table, b.table):
        assert ra["bic"] == pytest.approx(rb["bic"], rel=1e-9)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"criterion": "hqic"}, ValueError, "criterion"), ({"criterion": 3}, TypeError, "criterion"),
    ({"ks": []}, ValueError, "ks"), ({"ks": [1.5]}, TypeError, "ks"),
    ({"ks": [0]}, ValueError, "ks"), ({"covariance_types": []}, ValueError, "covariance_types"),
    ({"covariance_types": ["banana"]}, ValueError, "covariance_types")])
def test_bad_arguments_name_themselves(kwargs, error, name):
    args = {"X": load_faithful(), "ks": [1, 2], "covariance_types": "full", **kwargs}
    with pytest.raises(error, match=name):
        select_n_components(**args)


def test_select_with_holes_uses_the_observed_data_likelihood():
    from emcore import GaussianMixture, select_n_components
    from emcore.datasets import load_faithful

    X = load_faithful()
    X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    sel = select_n_components(X, [1, 2, 3], "full", random_state=0, missing="marginalize")
    assert sel.best["n_components"] == 2
    for rec in sel.table:
        gm = GaussianMixture(rec["n_components"], random_state=0, missing="marginalize").fit(X)
        assert rec["log_likelihood"] == pytest.approx(gm.score(X) * len(X), rel=1e-10)
        assert rec["bic"] == pytest.approx(-2 * rec["log_likelihood"]
                                           + rec["n_parameters"] * np.log(len(X)))
    with pytest.raises(ValueError, match="missing='marginalize'"):
        select_n_components(X, [1, 2], "full")
