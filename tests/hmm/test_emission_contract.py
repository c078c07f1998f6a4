"""The emission contract: a new emission is one class, and the HMM machinery runs on it unchanged.

The Poisson emission below is written against :class:`emcore.hmm.Emissions`
alone, then fitted by Baum-Welch on :class:`emcore.hmm.HMMModel` and compared
with hmmlearn's ``PoissonHMM`` (maximum likelihood: its prior switched off).
"""

import numpy as np
import pytest

from emcore import run_em
from emcore.hmm import Emissions, HMMModel


class PoissonEmissions(Emissions):
    """Independent Poisson counts per feature; parameters the rates (K, d), flattened."""

    def __init__(self, k, d):
        self.k, self.d, self.size = k, d, k * d

    def n_free(self):
        return self.k * self.d

    def log_prob(self, X, params):
        from scipy.special import gammaln

        rates = params.reshape(self.k, self.d)
        return X @ np.log(rates).T - rates.sum(axis=1) - gammaln(X + 1).sum(axis=1)[:, None]

    def accumulate(self, X, posteriors, params):
        return posteriors.T @ X, posteriors.sum(axis=0)  # expected counts and visits per state

    def m_step(self, stats, params):
        counts, visits = stats
        return (counts / visits[:, None]).ravel()

    def initial(self, X, method, rng):
        return rng.uniform(0.5, 1.5, size=self.size) * X.mean()

    def sample(self, params, states, rng):
        return rng.poisson(params.reshape(self.k, self.d)[states])


def test_an_abstract_method_left_out_is_an_error_at_construction():
    class Incomplete(Emissions):
        def log_prob(self, X, params):
            return X

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()


def test_a_poisson_emission_in_one_class_equals_hmmlearn():
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    rng = np.random.default_rng(11)
    k, d, lengths = 2, 3, np.array([120, 80])
    rates = np.array([[1.0, 4.0, 0.5], [6.0, 1.0, 3.0]])
    states = np.repeat(rng.integers(k, size=20), 10)
    X = rng.poisson(rates[states]).astype(float)
    pi, A = np.array([0.6, 0.4]), np.array([[0.9, 0.1], [0.2, 0.8]])
    start = np.array([[2.0, 2.0, 1.0], [3.0, 2.0, 2.0]])

    model = HMMModel(X, lengths, PoissonEmissions(k, d))
    result = run_em(model, model.pack(pi, A, start.ravel()), tol=0, max_iter=30)
    ours_pi, ours_A, ours_rates = model.split(result.theta)

    ref = hmmlearn.PoissonHMM(k, n_iter=30, tol=-np.inf, init_params="", params="stl",
                              lambdas_prior=0.0, lambdas_weight=0.0, startprob_prior=1.0,
                              transmat_prior=1.0)
    ref.startprob_, ref.transmat_, ref.lambdas_ = pi, A, start
    ref.fit(X.astype(int), lengths)
    np.testing.assert_allclose(ours_rates.reshape(k, d), ref.lambdas_, rtol=1e-8)
    np.testing.assert_allclose(ours_A, ref.transmat_, rtol=1e-8)
    np.testing.assert_allclose(ours_pi, ref.startprob_, rtol=1e-8, atol=1e-12)
    assert result.log_likelihood == pytest.approx(ref.score(X.astype(int), lengths), rel=1e-10)
    assert np.all(np.diff(result.log_likelihood_history) >= -1e-9)
