"""GaussianHMM and CategoricalHMM: fitting, scoring, numerical safety and input checks."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from emcore import CategoricalHMM, ConvergenceWarning, GaussianHMM, em_rate, run_em
from emcore.hmm import DegenerateStateError
from emcore.mixture import NotFittedError

PI = np.array([0.6, 0.4])
A = np.array([[0.95, 0.05], [0.1, 0.9]])
MEANS = np.array([[0.0], [4.0]])
VARS = np.array([[1.0], [0.5]])


def _truth():
    return GaussianHMM(2, max_iter=0, startprob_init=PI, transmat_init=A, means_init=MEANS,
                       covariances_init=VARS).fit(np.zeros((2, 1)))


def _hmmlearn_truth():
    """hmmlearn's GaussianHMM with the parameters of :func:`_truth`."""
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    ref = hmmlearn.GaussianHMM(2, covariance_type="diag", init_params="", params="")
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = PI, A, MEANS, VARS
    return ref


def test_max_iter_zero_keeps_the_start_so_it_can_be_scored_and_decoded():
    X, _ = _truth().sample(300, random_state=1)
    hmm = _truth().fit(X)
    np.testing.assert_array_equal(hmm.transmat_, A)
    np.testing.assert_array_equal(hmm.means_, MEANS)
    assert hmm.n_iter_ == 0 and hmm.log_likelihood_history_.shape == (1,)
    assert hmm.log_likelihood_history_[0] == pytest.approx(hmm.score(X), rel=1e-12)
    lp, states = hmm.decode(X)
    ref = _hmmlearn_truth()  # an independent Viterbi
    ref_lp, ref_states = ref.decode(X, algorithm="viterbi")
    assert lp == pytest.approx(ref_lp, rel=1e-12)
    np.testing.assert_array_equal(states, ref_states)


def test_decode_is_the_most_probable_path_by_brute_force():
    X, _ = _truth().sample(10, random_state=7)
    lp, states = _truth().fit(X).decode(X)
    # log p(x, z) of every one of the 2^10 paths, in closed form
    paths = np.array(list(itertools.product(range(2), repeat=len(X))))
    log_emit = scipy_stats.norm.logpdf(X[:, 0], MEANS[:, 0][:, None], np.sqrt(VARS[:, 0])[:, None])
    joint = (np.log(PI)[paths[:, 0]] + np.log(A)[paths[:, :-1], paths[:, 1:]].sum(axis=1)
             + log_emit[paths, np.arange(len(X))].sum(axis=1))
    assert lp == pytest.approx(joint.max(), rel=1e-12)
    np.testing.assert_array_equal(states, paths[np.argmax(joint)])


def test_fit_recovers_a_sampled_model_and_history_never_decreases():
    X, states = _truth().sample(3000, random_state=2)
    hmm = GaussianHMM(2, tol=1e-8, max_iter=300, random_state=0).fit(X)
    order = np.argsort(hmm.means_[:, 0])
    np.testing.assert_allclose(hmm.means_[order], MEANS, atol=0.15)
    np.testing.assert_allclose(hmm.transmat_[np.ix_(order, order)], A, atol=0.04)
    history = hmm.log_likelihood_history_
    assert np.all(np.diff(history) >= -1e-9 * abs(history[-1]))
    assert np.mean(order[hmm.predict(X)] == states) > 0.97
    proba = hmm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 3), cov=st.sampled_from(["diag", "full"]))
def test_log_likelihood_never_decreases_along_em(seed, k, cov):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, 2)) + 3.0 * rng.integers(2, size=(120, 1))
    hmm = GaussianHMM(k, covariance_type=cov, tol=0, max_iter=15, init_params="random",
                      random_state=seed).fit(X, [50, 70])
    h = hmm.log_likelihood_history_
    assert np.all(np.diff(h) >= -1e-10 * np.abs(h[1:]))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(1, 3))
def test_categorical_log_likelihood_never_decreases_along_em(seed, k):
    rng = np.random.default_rng(seed)
    X = rng.integers(4, size=(90, 1))
    h = CategoricalHMM(k, tol=0, max_iter=15,
                       random_state=seed).fit(X, [30, 60]).log_likelihood_history_
    assert np.all(np.diff(h) >= -1e-10 * np.abs(h[1:]))


def test_a_million_steps_do_not_underflow():
    rng = np.random.default_rng(5)
    n = 1_000_000
    regimes = np.repeat(rng.integers(2, size=n // 1000), 1000)
    X = (rng.normal(size=n) + 4.0 * regimes)[:, None]
    hmm = _truth().fit(X[:10])
    ll = hmm.score(X)
    assert ll == pytest.approx(_hmmlearn_truth().score(X), rel=1e-10)  # an independent forward pass
    proba = hmm.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.mean(hmm.predict(X) == regimes) > 0.95


def test_zero_transitions_and_start_probabilities_stay_zero():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(400, 1)) + np.repeat([0.0, 3.0, 6.0, 3.0], 100)[:, None]
    left_right = np.array([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]])
    hmm = GaussianHMM(3, tol=0, max_iter=20, startprob_init=[1.0, 0.0, 0.0],
                      transmat_init=left_right, means_init=[[0.0], [2.0], [5.0]],
                      covariances_init=[[1.0], [1.0], [1.0]]).fit(X)
    assert np.all(hmm.transmat_[left_right == 0] == 0.0)
    assert np.all(hmm.startprob_[1:] == 0.0)


def test_an_unvisited_state_raises_a_clear_error_not_nan():
    X = np.array([[0], [0], [1], [0]])
    hmm = CategoricalHMM(2, max_iter=5, startprob_init=[1.0, 0.0],
                         transmat_init=[[1.0, 0.0], [0.0, 1.0]])
    with (pytest.raises(DegenerateStateError, match="state 1"),
          pytest.warns(RuntimeWarning, match="state 1")):
        hmm.fit(X)


def test_squarem_and_em_rate_run_on_the_hmm_model():
    X, _ = _truth().sample(1500, random_state=3)
    hmm = GaussianHMM(2, tol=1e-10, max_iter=2000, random_state=0).fit(X)
    model, theta = hmm.em_problem(X)
    assert model.log_likelihood(theta) == pytest.approx(hmm.score(X), rel=1e-12)
    start = GaussianHMM(2, max_iter=0, random_state=0).fit(X).em_problem(X)[1]
    plain = run_em(model, start, tol=1e-10, max_iter=2000)
    fast = run_em(model, start, tol=1e-10, max_iter=2000, accelerate="squarem")
    assert plain.converged and fast.converged
    assert fast.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-9)
    assert plain.log_likelihood == pytest.approx(hmm.score(X), rel=1e-9)
    rate = em_rate(model, theta).rate
    assert 0 < rate < 1


def test_sample_gives_a_sequence_of_the_fitted_model():
    X, states = _truth().sample(5000, random_state=4)
    switches = np.mean(states[1:] != states[:-1])
    assert 0.04 < switches < 0.1  # stationary switching rate 2 * 0.05 * 0.1 / 0.15 = 0.067
    assert X[states == 1].mean() == pytest.approx(4.0, abs=0.1)
    one_state = CategoricalHMM(1, max_iter=0, emissionprob_init=[[0.2, 0.8]]).fit([[0], [1]])
    Y, z = one_state.sample(2000, random_state=0)
    assert Y.shape == (2000, 1) and np.mean(Y) == pytest.approx(0.8, abs=0.03) and np.all(z == 0)


def test_not_converging_warns():
    X, _ = _truth().sample(500, random_state=5)
    with pytest.warns(ConvergenceWarning):
        GaussianHMM(2, tol=1e-12, max_iter=2, random_state=0).fit(X)


def test_use_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        GaussianHMM(2).score(np.zeros((3, 1)))


@pytest.mark.parametrize("kwargs,X,lengths,match", [
    ({}, np.zeros((5, 1)), [2, 2], "lengths must sum"),
    ({}, np.zeros((5, 1)), [5, 0], "lengths must be positive"),
    ({}, np.zeros((5, 1)), [2.5, 2.5], "lengths must be"),
    ({}, np.array([[0.0], [np.nan]]), None, "NaN"),
    ({}, np.array([[0.0], [np.inf]]), None, "NaN or infinite"),
    ({"transmat_init": [[0.5, 0.6], [0.5, 0.5]]}, np.zeros((5, 1)), None, "transmat_init"),
    ({"transmat_init": np.eye(3)}, np.zeros((5, 1)), None, "transmat_init must have shape"),
    ({"startprob_init": [1.2, -0.2]}, np.zeros((5, 1)), None, "startprob_init"),
    ({"means_init": np.zeros((3, 1)), "covariances_init": np.ones((2, 1))}, np.zeros((5, 1)), None,
     "means_init"),
    ({"means_init": np.zeros((2, 1)), "covariances_init": -np.ones((2, 1))}, np.zeros((5, 1)), None,
     "covariances_init"),
    ({"covariance_type": "VVV"}, np.zeros((5, 1)), None, "covariance_type"),
    ({"n_components": 0}, np.zeros((5, 1)), None, "n_components"),
    ({"init_params": "nope"}, np.zeros((5, 1)), None, "init_params"),
    ({"verbose": 3}, np.zeros((5, 1)), None, "verbose"),
    ({"random_state": -1}, np.zeros((5, 1)), None, "random_state"),
])
def test_bad_input_raises_value_error_naming_it(kwargs, X, lengths, match):
    with pytest.raises(ValueError, match=match):
        GaussianHMM(**{"n_components": 2, **kwargs}).fit(X, lengths)


@pytest.mark.parametrize("X,kwargs,match", [
    (np.array([[0], [3]]), {"emissionprob_init": np.full((2, 3), 1 / 3)}, "symbols 0..2"),
    (np.array([[0], [-1]]), {}, "symbols"),
    (np.array([[0.5], [1.0]]), {}, "integer symbols"),
    (np.array([0, 1]), {}, "shape"),
    (np.array([[0], [1]]), {"emissionprob_init": [[0.5, 0.6], [0.5, 0.5]]}, "emissionprob_init"),
])
def test_categorical_bad_input_raises_value_error_naming_it(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        CategoricalHMM(2, **kwargs).fit(X)


def test_symbols_outside_the_fitted_alphabet_are_rejected_when_scoring():
    hmm = CategoricalHMM(2, max_iter=3, random_state=0).fit(np.array([[0], [1], [2], [1]]))
    with pytest.raises(ValueError, match="symbols 0..2"):
        hmm.score(np.array([[3]]))


def test_categorical_n_features_in_counts_columns_and_n_symbols_the_alphabet():
    X = np.array([[0], [1], [2], [1], [0], [2]])
    hmm = CategoricalHMM(2, max_iter=3, random_state=0).fit(X)
    assert hmm.n_features_in_ == X.shape[1] == 1  # scikit-learn's meaning: columns of X
    assert hmm.n_symbols_ == 3 == hmm.emissionprob_.shape[1]
    given = CategoricalHMM(2, max_iter=3, emissionprob_init=np.full((2, 5), 0.2), random_state=0)
    assert given.fit(X).n_symbols_ == 5 and given.n_features_in_ == 1


@pytest.mark.parametrize("make", [lambda: CategoricalHMM(2, max_iter=5, random_state=0),
                                  lambda: GaussianHMM(2, max_iter=5, random_state=0)])
def test_scoring_decoding_and_sampling_write_no_attribute(make, monkeypatch):
    X = np.array([[0], [1], [2], [1], [0], [2], [2], [1]])
    hmm = make().fit(X)
    written = []

    def spy(self, name, value):
        written.append(name)
        object.__setattr__(self, name, value)

    monkeypatch.setattr(type(hmm), "__setattr__", spy)
    for method in (hmm.score, hmm.predict, hmm.predict_proba, hmm.decode, hmm.bic, hmm.aic):
        method(X[:2])  # symbols 0 and 1 only
        method(X, [5, 3])
    hmm.sample(4, random_state=0)
    assert written == []
    hmm.fit(X)  # the spy sees writes: fit's
    assert "transmat_" in written


@pytest.mark.parametrize("make", [
    lambda: GaussianHMM(3, covariance_type="full", tol=1e-4, n_init=2, random_state=4,
                        means_init=None),
    lambda: CategoricalHMM(2, max_iter=7, emissionprob_init=[[0.5, 0.5], [0.1, 0.9]]),
])
def test_clone_and_params_round_trip_like_scikit_learn(make):
    base = pytest.importorskip("sklearn.base")
    hmm = make()
    params = hmm.get_params()
    copy = base.clone(hmm)
    assert type(copy) is type(hmm) and not hasattr(copy, "transmat_")
    assert copy.get_params().keys() == params.keys()
    for name, value in params.items():
        np.testing.assert_array_equal(np.asarray(copy.get_params()[name], dtype=object),
                                      np.asarray(value, dtype=object))
    assert type(hmm)().set_params(**params).get_params().keys() == params.keys()
    assert hmm.set_params(tol=0.5).tol == 0.5
    with pytest.raises(ValueError, match="invalid parameter 'n_iter'"):
        hmm.set_params(n_iter=3)


def test_tags_say_density_estimator():
    pytest.importorskip("sklearn")
    for hmm in (GaussianHMM(), CategoricalHMM()):
        tags = hmm.__sklearn_tags__()
        assert tags.estimator_type == "density_estimator" and tags.requires_fit
        assert tags.input_tags.two_d_array and not tags.input_tags.allow_nan
        # symbols are non-negative integer codes; a Gaussian takes any real
        is_categorical = isinstance(hmm, CategoricalHMM)
        assert tags.input_tags.categorical is tags.input_tags.positive_only is is_categorical


@pytest.mark.parametrize("verbose,lines", [
    (0, []),
    (1, ["Initialization 0", "Initialization did not converge."]),
    (2, ["Initialization 0", "  Iteration 10", "Initialization"]),
])
@pytest.mark.filterwarnings("ignore::emcore.ConvergenceWarning")
def test_verbose_prints_like_the_mixture(capsys, verbose, lines):
    X, _ = _truth().sample(400, random_state=3)
    GaussianHMM(2, tol=1e-10, max_iter=12, random_state=0, verbose=verbose).fit(X)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(lines)
    for got, want in zip(out, lines):
        assert got.startswith(want)
    if verbose == 2:
        assert "ll change" in out[1] and "lower bound" in out[2]


@pytest.mark.parametrize("init_params", ["kmeans", "random"])
@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_every_init_then_score_predict_proba_and_decode_agree(init_params, covariance_type):
    X, _ = _truth().sample(500, random_state=8)
    X = np.hstack([X, X ** 2 / 4.0 + np.random.default_rng(8).normal(size=X.shape)])
    hmm = GaussianHMM(2, covariance_type=covariance_type, init_params=init_params, tol=1e-6,
                      max_iter=200, random_state=1).fit(X, [200, 300])
    lp, states = hmm.decode(X, [200, 300])
    np.testing.assert_array_equal(states, hmm.predict(X, [200, 300]))
    proba = hmm.predict_proba(X, [200, 300])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert lp < hmm.score(X, [200, 300]) == pytest.approx(hmm.log_likelihood_history_[-1], rel=1e-9)
    start = GaussianHMM(2, covariance_type=covariance_type, max_iter=0,
                        startprob_init=hmm.startprob_, transmat_init=hmm.transmat_,
                        means_init=hmm.means_, covariances_init=hmm.covariances_).fit(X[:3])
    assert start.score(X, [200, 300]) == pytest.approx(hmm.score(X, [200, 300]), rel=1e-12)
    np.testing.assert_allclose(start.predict_proba(X, [200, 300]), proba, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(start.predict(X, [200, 300]), states)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"n_components": 1.5}, TypeError, "n_components must be an integer >= 1, got float"),
    ({"tol": -1.0}, ValueError, "tol must be a finite number >= 0"),
    ({"max_iter": "10"}, TypeError, "max_iter must be an integer >= 0, got str"),
    ({"n_init": 0}, ValueError, "n_init must be an integer >= 1"),
    ({"verbose": True}, TypeError, "verbose must be an integer >= 0 and <= 2, got bool"),
    ({"reg_covar": float("nan")}, ValueError, "reg_covar must be a finite number >= 0"),
])
def test_constructor_arguments_are_checked_as_declared(kwargs, error, match):
    # wrong type -> TypeError, wrong value -> ValueError, both naming the argument (as
    # GaussianMixture)
    with pytest.raises(error, match=match):
        GaussianHMM(**{"n_components": 2, **kwargs}).fit(np.zeros((5, 1)))


def test_sample_checks_n_samples():
    hmm = GaussianHMM(2, max_iter=3, random_state=0).fit(np.arange(10.0)[:, None])
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        hmm.sample(0)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_reg_covar_never_lowers_the_log_likelihood(covariance_type):
    # reg_covar's step is not EM's maximiser; it is kept only where it does not lower the
    # emissions' part of Q, so no run may decrease (a MonotonicityWarning would be an error)
    from emcore import MonotonicityWarning
    from emcore.datasets import load_faithful

    X = load_faithful()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    for seed in range(30):
        with warnings.catch_warnings():
            warnings.simplefilter("error", MonotonicityWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            hmm = GaussianHMM(3, covariance_type=covariance_type, reg_covar=0.5, max_iter=40, tol=0,
                              init_params="random", random_state=seed).fit(X)
        history = hmm.log_likelihood_history_
        assert np.all(np.diff(history) >= -1e-10 * np.abs(history[1:])), seed


def test_data_whose_squares_overflow_is_refused_naming_x():
    X, _ = _truth().sample(300, random_state=1)
    with pytest.raises(ValueError,
                       match=r"Input X holds values up to .* squares overflow.*Rescale X"):
        GaussianHMM(2, random_state=0).fit(X * 1e200)
    hmm = GaussianHMM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="squares overflow"):
        hmm.score(X * 1e200)


@pytest.mark.parametrize("X, match", [
    (np.array([[1.0], [-2.0], [3.0]]), "Negative values"),
    (np.array([[1.0], [2.5], [3.0]]), "counts"),
    (np.array([[1.0], [np.nan], [3.0]]), "NaN"),
])
def test_poisson_hmm_refuses_what_are_not_counts(X, match):
    from emcore import PoissonHMM

    with pytest.raises(ValueError, match=match):
        PoissonHMM(2, random_state=0).fit(X)


def test_poisson_hmm_samples_its_rates_and_a_zero_rate_state_emits_zeros():
    from emcore import PoissonHMM

    truth = PoissonHMM(2, max_iter=0, startprob_init=[0.5, 0.5],
                       transmat_init=[[0.9, 0.1], [0.1, 0.9]],
                       lambdas_init=[[0.0, 3.0], [5.0, 1.0]]).fit(np.zeros((2, 2)))
    X, states = truth.sample(4000, random_state=2)
    assert np.all(X[states == 0, 0] == 0)  # rate 0: always 0, and log p stays finite
    np.testing.assert_allclose(X[states == 1].mean(axis=0), [5.0, 1.0], rtol=0.06)
    assert np.isfinite(truth.score(X))
    assert truth.bic(X) == pytest.approx(-2 * truth.score(X) + (1 + 2 + 4) * np.log(len(X)))


def test_sequences_of_one_step_keep_the_start_transition_matrix_and_say_why():
    start = np.array([[0.7, 0.3], [0.4, 0.6]])
    X = np.arange(6.0)[:, None]
    with pytest.warns(RuntimeWarning, match="no sequence is longer than one step"):
        model = GaussianHMM(2, max_iter=3, tol=0, transmat_init=start,
                            random_state=0).fit(X, lengths=[1] * 6)
    np.testing.assert_array_equal(model.transmat_, start)


def test_a_state_never_left_keeps_its_row_and_is_named():
    # state 1 is entered only at the last step of the one sequence: nothing leaves it
    start = np.array([[0.9, 0.1], [0.5, 0.5]])
    model = CategoricalHMM(2, max_iter=1, tol=0, startprob_init=[1.0, 0.0],
                           transmat_init=start,
                           emissionprob_init=[[1.0, 0.0], [0.0, 1.0]])
    with pytest.warns(RuntimeWarning, match="state 1 is never left"):
        model.fit(np.array([[0], [0], [0], [1]]))
    np.testing.assert_array_equal(model.transmat_[1], start[1])
    np.testing.assert_allclose(model.transmat_[0], [2 / 3, 1 / 3])


def test_letters_get_a_hint_to_encode_them_and_fractions_are_named():
    with pytest.raises(ValueError, match="return_inverse=True"):
        CategoricalHMM(2).fit(np.array(list("abcab"))[:, None])
    with pytest.raises(ValueError, match="got the value 0.5"):
        CategoricalHMM(2).fit([[0], [0.5], [1]])
    encoded = np.unique(np.array(list("abcab")), return_inverse=True)[1][:, None]
    assert CategoricalHMM(2, random_state=0).fit(encoded).n_symbols_ == 3
