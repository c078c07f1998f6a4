"""A new emission in one class, fitted and used through the public ``EmissionHMM``.

The worked example the ``Emissions`` docstring points to: an exponential emission
written against :class:`emcore.hmm.Emissions` alone, fitted by
:class:`emcore.hmm.EmissionHMM` and compared with a Baum-Welch written here in plain
numpy; the library's Poisson emission through ``EmissionHMM`` against ``PoissonHMM``;
the scikit-learn protocol; and the messages that name an emission class which breaks
the contract.
"""

import itertools
import pickle
import warnings

import numpy as np
import pytest

from emcore import ConvergenceWarning, PoissonHMM
from emcore.exceptions import NotFittedError
from emcore.hmm import DegenerateStateError, EmissionHMM, Emissions, HMMModel, PoissonEmissions


class ExponentialEmissions(Emissions):
    """Independent exponential features given the state; parameters the rates (K, d), flat."""

    def __init__(self, k, d):
        self.k, self.d, self.size = k, d, k * d

    def n_free(self):
        return self.k * self.d

    def log_prob(self, X, params):
        rates = params.reshape(self.k, self.d)
        return np.log(rates).sum(axis=1) - X @ rates.T  # sum_j (log l_kj - l_kj x_j)

    def accumulate(self, X, posteriors, params):
        return posteriors.T @ X, posteriors.sum(axis=0)  # weighted sums, expected visits

    def m_step(self, stats, params):
        sums, visits = stats
        return (visits[:, None] / sums).ravel()

    def initial(self, X, method, rng):
        return rng.uniform(0.5, 1.5, size=self.size) / X.mean(axis=0).repeat(self.k)

    def sample(self, params, states, rng):
        return rng.exponential(1.0 / params.reshape(self.k, self.d)[states])


class NoSampling(ExponentialEmissions):
    sample = Emissions.sample  # the contract's default: sampling left out


def two_state_sequence(n=400, seed=2026):
    """A seeded 2-state Markov chain with exponential emissions of rates 0.5 and 4."""
    rng = np.random.default_rng(seed)
    A = np.array([[0.95, 0.05], [0.10, 0.90]])
    z = np.zeros(n, dtype=int)
    for t in range(1, n):
        z[t] = rng.choice(2, p=A[z[t - 1]])
    return rng.exponential(1.0 / np.array([0.5, 4.0])[z])[:, None], z


def baum_welch_exponential(x, pi, A, lam, n_iter):
    """Plain Baum-Welch for one sequence of exponential observations (scaled recursions).

    Returns the parameters after ``n_iter`` iterations and the log-likelihood before each
    of them and at the end (``n_iter + 1`` values).
    """
    T, K = len(x), len(pi)
    history = []
    for it in range(n_iter + 1):
        b = lam * np.exp(-np.outer(x, lam))  # b[t, k] = p(x_t | state k)
        alpha, scale = np.zeros((T, K)), np.zeros(T)
        for t in range(T):
            alpha[t] = (pi if t == 0 else alpha[t - 1] @ A) * b[t]
            scale[t] = alpha[t].sum()
            alpha[t] /= scale[t]
        history.append(np.log(scale).sum())
        if it == n_iter:
            break
        beta = np.ones((T, K))
        for t in range(T - 2, -1, -1):
            beta[t] = A @ (b[t + 1] * beta[t + 1]) / scale[t + 1]
        gamma = alpha * beta
        xi = sum(np.outer(alpha[t], b[t + 1] * beta[t + 1]) * A / scale[t + 1]
                 for t in range(T - 1))
        pi = gamma[0]
        A = xi / xi.sum(axis=1, keepdims=True)
        lam = gamma.sum(axis=0) / (gamma.T @ x)
    return pi, A, lam, np.array(history)


START = dict(startprob_init=[0.5, 0.5], transmat_init=[[0.8, 0.2], [0.2, 0.8]],
             emission_params_init=[1.0, 2.0])


def test_a_custom_emission_fitted_by_emission_hmm_equals_a_hand_written_baum_welch():
    X, _ = two_state_sequence()
    hmm = EmissionHMM(ExponentialEmissions(2, 1), tol=0, max_iter=60, **START).fit(X)
    pi, A, lam, history = baum_welch_exponential(
        X[:, 0], np.array([0.5, 0.5]), np.array([[0.8, 0.2], [0.2, 0.8]]),
        np.array([1.0, 2.0]), 60)
    np.testing.assert_allclose(hmm.emission_params_, lam, rtol=1e-10)
    np.testing.assert_allclose(hmm.transmat_, A, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hmm.startprob_, pi, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hmm.log_likelihood_history_, history, rtol=1e-10)
    assert hmm.n_iter_ == 60
    assert np.all(np.diff(history) >= -1e-9)  # EM's promise, on the hand-written oracle


def test_decode_and_predict_proba_equal_brute_force_over_all_paths():
    X, _ = two_state_sequence(n=7, seed=3)
    hmm = EmissionHMM.from_params(ExponentialEmissions(2, 1), startprob=[0.6, 0.4],
                                  transmat=[[0.7, 0.3], [0.4, 0.6]], emission_params=[0.5, 3.0])
    x, lam = X[:, 0], np.array([0.5, 3.0])
    A, pi = np.array([[0.7, 0.3], [0.4, 0.6]]), np.array([0.6, 0.4])
    paths = np.array(list(itertools.product(range(2), repeat=len(x))))
    log_joint = np.array([np.log(pi[p[0]]) + np.log(A[p[:-1], p[1:]]).sum()
                          + np.sum(np.log(lam[p]) - lam[p] * x) for p in paths])
    best = paths[np.argmax(log_joint)]
    log_prob, path = hmm.decode(X)
    np.testing.assert_array_equal(path, best)
    assert log_prob == pytest.approx(log_joint.max(), rel=1e-12)
    total = np.logaddexp.reduce(log_joint)
    weights = np.exp(log_joint - total)
    marginals = np.stack([weights @ (paths == k) for k in range(2)], axis=-1)
    np.testing.assert_allclose(hmm.predict_proba(X), marginals, rtol=1e-10, atol=1e-14)
    score, posteriors = hmm.score_samples(X)
    assert score == pytest.approx(total, rel=1e-12) and hmm.score(X) == score
    np.testing.assert_array_equal(posteriors, hmm.predict_proba(X))
    np.testing.assert_array_equal(hmm.predict(X), best)


def test_poisson_emissions_through_emission_hmm_equal_poisson_hmm():
    truth = PoissonHMM.from_params(startprob=[0.7, 0.3], transmat=[[0.9, 0.1], [0.2, 0.8]],
                                   lambdas=[[1.0, 5.0], [6.0, 0.5]])
    X, _ = truth.sample(300, random_state=4)
    lengths = [120, 180]
    start = dict(startprob_init=[0.5, 0.5], transmat_init=[[0.6, 0.4], [0.3, 0.7]])
    rates = np.array([[2.0, 3.0], [4.0, 1.0]])
    ours = EmissionHMM(PoissonEmissions(2, 2), tol=1e-9, max_iter=200,
                       emission_params_init=rates.ravel(), **start).fit(X, lengths)
    theirs = PoissonHMM(2, tol=1e-9, max_iter=200, lambdas_init=rates, **start).fit(X, lengths)
    np.testing.assert_allclose(ours.emission_params_, theirs.lambdas_.ravel(), rtol=1e-13)
    np.testing.assert_allclose(ours.transmat_, theirs.transmat_, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours.log_likelihood_history_, theirs.log_likelihood_history_,
                               rtol=1e-13)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.bic(X, lengths) == pytest.approx(theirs.bic(X, lengths), rel=1e-13)
    assert ours.aic(X, lengths) == pytest.approx(theirs.aic(X, lengths), rel=1e-13)
    np.testing.assert_array_equal(ours.predict(X, lengths), theirs.predict(X, lengths))
    Y, s = ours.sample(50, random_state=1)
    Y2, s2 = theirs.sample(50, random_state=1)
    np.testing.assert_array_equal(Y, Y2)
    np.testing.assert_array_equal(s, s2)


def test_the_library_emissions_through_emission_hmm_equal_their_estimators():
    from emcore import CategoricalHMM, GaussianHMM

    # each estimator's own emission object (a private hook of the HMM base), so that the
    # test does not depend on the module the emission classes live in
    symbols = np.random.default_rng(6).integers(3, size=(80, 1))
    theirs = CategoricalHMM(2, tol=1e-9, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        theirs.fit(symbols)
        ours = EmissionHMM(theirs._emissions(None), tol=1e-9, max_iter=50, random_state=0)
        ours.fit(symbols)
    assert type(ours.emissions).__name__ == "CategoricalEmissions"
    np.testing.assert_allclose(ours.emission_params_, theirs.emissionprob_.ravel(), rtol=1e-13)
    assert ours.score(symbols) == pytest.approx(theirs.score(symbols), rel=1e-13)
    X, _ = GaussianHMM.from_params(startprob=[0.5, 0.5], transmat=[[0.9, 0.1], [0.2, 0.8]],
                                   means=[[0.0, 1.0], [3.0, -1.0]],
                                   covariances=[[1.0, 2.0], [1.0, 0.5]]).sample(300, random_state=0)
    theirs = GaussianHMM(2, covariance_type="full", tol=1e-6, random_state=0).fit(X)
    gaussian = theirs._emissions(X)  # full covariances, reg_covar, centred at the data
    ours = EmissionHMM(gaussian, init_params="kmeans", tol=1e-6, random_state=0).fit(X)
    np.testing.assert_allclose(ours.emission_params_,
                               gaussian.pack(theirs.means_, theirs.covariances_), rtol=1e-12)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-13)
    # standard errors: the emission's two blocks (means free, covariances symmetric) kept
    se, se_theirs = ours.standard_errors(X), theirs.standard_errors(X)
    np.testing.assert_allclose(se["emission_params_"], gaussian.pack(
        se_theirs["means_"], se_theirs["covariances_"]), rtol=1e-6)


def test_bic_counts_the_free_parameters_and_update_freezes_the_emission():
    X, _ = two_state_sequence(n=200)
    hmm = EmissionHMM(ExponentialEmissions(2, 1), tol=1e-8, max_iter=300, **START).fit(X)
    ll = hmm.score(X)
    assert hmm.bic(X) == pytest.approx(-2 * ll + 5 * np.log(200), rel=1e-12)  # 1 + 2 + 2
    assert hmm.aic(X) == pytest.approx(-2 * ll + 2 * 5, rel=1e-12)
    held = EmissionHMM(ExponentialEmissions(2, 1), tol=1e-8, max_iter=300,
                       update=("startprob", "transmat"), **START).fit(X)
    np.testing.assert_array_equal(held.emission_params_, [1.0, 2.0])  # kept bit for bit
    assert not np.allclose(held.transmat_, [[0.8, 0.2], [0.2, 0.8]])
    assert held.bic(X) == pytest.approx(-2 * held.score(X) + 3 * np.log(200), rel=1e-12)
    assert np.all(np.diff(held.log_likelihood_history_) >= -1e-9)
    with pytest.raises(ValueError, match="emission_params_init must be given"):
        EmissionHMM(ExponentialEmissions(2, 1), update=("startprob", "transmat"),
                    transmat_init=[[0.8, 0.2], [0.2, 0.8]]).fit(X)


def test_sampling_is_optional_and_its_absence_is_said():
    X, _ = two_state_sequence(n=100)
    hmm = EmissionHMM(ExponentialEmissions(2, 1), random_state=0, **START).fit(X)
    Y, states = hmm.sample(2000, random_state=5)
    assert Y.shape == (2000, 1) and set(np.unique(states)) <= {0, 1}
    rates = hmm.emission_params_
    for k in range(2):  # the sample means are the fitted means 1 / rate (5 standard errors)
        mean = Y[states == k, 0].mean()
        assert abs(mean - 1 / rates[k]) < 5 / rates[k] / np.sqrt((states == k).sum())
    bare = EmissionHMM(NoSampling(2, 1), random_state=0, **START).fit(X)
    assert np.isfinite(bare.score(X))  # everything but sampling works
    with pytest.raises(NotImplementedError, match="NoSampling has no sample method"):
        bare.sample(5)


def test_the_scikit_learn_protocol():
    from sklearn.base import clone

    X, _ = two_state_sequence(n=150)
    emissions = ExponentialEmissions(2, 1)
    hmm = EmissionHMM(emissions, tol=1e-6, random_state=0)
    assert hmm.get_params()["emissions"] is emissions and hmm.n_components == 2
    for method in ("score", "score_samples", "predict", "predict_proba", "decode", "bic", "aic"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(hmm, method)(X)
    with pytest.raises(NotFittedError, match="not fitted"):
        hmm.sample(3)
    before = dict(vars(emissions))
    assert hmm.fit(X) is hmm
    assert vars(emissions) == before and emissions.frozen == frozenset()  # fit used a copy
    learned = set(vars(hmm)) - set(hmm.get_params())
    assert learned and all(name.endswith("_") for name in learned), learned
    twin = clone(hmm)
    assert twin.get_params().keys() == hmm.get_params().keys()
    assert not hasattr(twin, "transmat_")
    np.testing.assert_array_equal(twin.fit(X).emission_params_, hmm.emission_params_)
    assert twin.set_params(max_iter=3).max_iter == 3
    again = pickle.loads(pickle.dumps(hmm))
    assert again.score(X) == hmm.score(X)
    with pytest.raises(ValueError, match="X has 2 features, but EmissionHMM is expecting 1"):
        hmm.score(np.ones((4, 2)))


def test_bad_arguments_are_named():
    X, _ = two_state_sequence(n=50)
    with pytest.raises(TypeError, match="emissions must be an instance of a subclass of"):
        EmissionHMM("exponential").fit(X)
    with pytest.raises(ValueError, match=r"emission_params_init must have shape \(2,\)"):
        EmissionHMM(ExponentialEmissions(2, 1), emission_params_init=[1.0, 2.0, 3.0]).fit(X)
    with pytest.raises(ValueError, match="X has 1 features, but ExponentialEmissions is for d = 2"):
        EmissionHMM(ExponentialEmissions(2, 2)).fit(X)
    with pytest.raises(ValueError, match=r"transmat must have shape \(2, 2\)"):
        EmissionHMM.from_params(ExponentialEmissions(2, 1), startprob=[0.5, 0.5],
                                transmat=[0.5, 0.5], emission_params=[1.0, 2.0])


# -- the contract's checks: each mistake in a new emission is named ----------------------

class NoK(ExponentialEmissions):
    def __init__(self):
        self.d, self.size = 1, 2  # forgets self.k


class Transposed(ExponentialEmissions):
    def log_prob(self, X, params):
        return super().log_prob(X, params).T


class NaNStep(ExponentialEmissions):
    def m_step(self, stats, params):
        return np.full(self.size, np.nan)


class LongStep(ExponentialEmissions):
    def m_step(self, stats, params):
        return np.r_[super().m_step(stats, params), 1.0]


def _model(emissions, X):
    return HMMModel(X, np.array([len(X)]), emissions)


def test_an_emission_without_k_is_named():
    X, _ = two_state_sequence(n=20)
    with pytest.raises(TypeError, match=r"NoK.__init__ must set self.k, the number of states"):
        _model(NoK(), X)
    with pytest.raises(TypeError, match=r"NoK.__init__ must set self.k"):
        EmissionHMM(NoK()).fit(X)


def test_a_wrong_length_emission_vector_is_refused_by_pack():
    X, _ = two_state_sequence(n=20)
    model = _model(ExponentialEmissions(2, 1), X)
    with pytest.raises(ValueError, match=r"the emission vector has 3 entries, but the model "
                                         r"needs 2 \(ExponentialEmissions.size\)"):
        model.pack([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"transmat has 2 entries, but the model needs 4 "
                                         r"\(K \* K with K = 2\)"):
        model.pack([0.5, 0.5], [0.5, 0.5], [1.0, 2.0])
    assert model.pack([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], [1.0, 2.0]).shape == (8,)


def test_a_transposed_log_prob_is_named():
    X, _ = two_state_sequence(n=50)
    model = _model(Transposed(2, 1), X)
    theta = model.pack([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"Transposed.log_prob returned shape \(2, 50\), "
                                         r"expected \(n, K\) = \(50, 2\)"):
        model.log_likelihood(theta)


def test_a_bad_m_step_is_named():
    X, _ = two_state_sequence(n=50)
    theta = [0.5, 0.5, 0.9, 0.1, 0.1, 0.9, 1.0, 2.0]
    model = _model(NaNStep(2, 1), X)
    with pytest.raises(ValueError, match="NaNStep.m_step returned non-finite parameters"):
        model.m_step(model.e_step(np.array(theta)))
    model = _model(LongStep(2, 1), X)
    with pytest.raises(ValueError, match=r"LongStep.m_step returned shape \(3,\), expected \(2,\)"):
        model.m_step(model.e_step(np.array(theta)))
    # the well-behaved class gives the closed form on the same statistics
    model = _model(ExponentialEmissions(2, 1), X)
    stats = model.e_step(np.array(theta))
    expected = stats.posteriors.sum(axis=0) / (stats.posteriors.T @ X[:, 0])
    np.testing.assert_allclose(model.split(model.m_step(stats))[2], expected, rtol=1e-14)


def test_a_state_without_posterior_weight_is_a_degenerate_state_error():
    X, _ = two_state_sequence(n=50)
    hmm = EmissionHMM(ExponentialEmissions(2, 1), startprob_init=[1.0, 0.0],
                      transmat_init=[[1.0, 0.0], [0.0, 1.0]], emission_params_init=[1.0, 2.0])
    message = ("ExponentialEmissions.m_step returned non-finite parameters: state 1 has zero "
               "expected occupancy")
    with (pytest.raises(DegenerateStateError, match=message), np.errstate(invalid="ignore"),
          pytest.warns(RuntimeWarning, match="state 1 is never left")):
        hmm.fit(X)


#: scikit-learn's checks that do not feed data. Those that do feed their own X (several
#: columns, negative values) to an estimator whose emission instance fixes the number of
#: features and the data's domain (here d = 1, positive reals), which it refuses with
#: "X has 3 features, but ExponentialEmissions is for d = 1 features"; the protocol they
#: test (fit returns self, no overwritten parameters, pickling, not-fitted errors) is
#: tested above on data the emission accepts.
PROTOCOL_CHECKS = ["check_no_attributes_set_in_init", "check_get_params_invariance",
                   "check_set_params", "check_estimator_repr", "check_estimator_cloneable",
                   "check_valid_tag_types", "check_do_not_raise_errors_in_init_or_set_params"]


@pytest.mark.parametrize("name", PROTOCOL_CHECKS)
def test_scikit_learn_protocol_checks(name):
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base")
        getattr(estimator_checks, name)("EmissionHMM", EmissionHMM(ExponentialEmissions(2, 1)))
