"""``EmissionHMM``: the scikit-learn-style HMM for an emission of your own.

Give it any :class:`emcore.hmm.Emissions` instance and it fits, scores, decodes and
samples exactly as :class:`emcore.PoissonHMM` does: the fitting loop, restarts, stop
rule and scoring are :class:`._base.BaseHMM`'s; this class only says where the
emission's parameters live (one flat vector, ``emission_params_``).
"""

from __future__ import annotations

import copy

import numpy as np

from .._checks import InstanceOf, check_array_of_shape, check_X
from ._base import BaseHMM
from ._contract import check_emissions
from ._emissions import Emissions
from ._estimator import _COMMON_DOC, _NOTES_DOC
from ._frozen import UPDATE_DOC, check_update

__all__ = ["EmissionHMM"]


class EmissionHMM(BaseHMM):
    """Hidden Markov model with the emission you give it, fitted by EM (Baum-Welch).

    ``emissions`` is an instance of a subclass of :class:`emcore.hmm.Emissions`
    (yours, or one of the library's, such as :class:`emcore.hmm.PoissonEmissions`); it
    fixes the number of states ``K = emissions.k``. The estimator behaves as
    :class:`emcore.PoissonHMM` does, with your emission: the same fit (forward-backward,
    Baum-Welch's start and transitions, the emission's ``m_step``, restarts, the same
    stop rule), the same scoring, decoding and criteria. The emission's parameters are
    kept as its own flat vector, ``emission_params_`` (read it with the emission's
    layout, e.g. ``reshape(K, d)``). ``fit`` works on a copy of ``emissions``: the
    object you pass is never changed.

    Parameters
    ----------
    emissions : emcore.hmm.Emissions
        The emission distributions of the ``K`` states.
    tol : float, default 1e-3
        EM stops when the total log-likelihood changes by less than ``tol``
        in one iteration; ``tol=0`` runs exactly ``max_iter`` iterations.
    max_iter : int, default 100
        Largest number of EM iterations per initialisation.
    n_init : int, default 1
        Number of initialisations; the best log-likelihood is kept.
    init_params : str, default "random"
        Passed to the emission's ``initial(X, method, rng)`` as ``method`` (the
        Gaussian emissions take ``"kmeans"`` or ``"random"``; an emission may ignore
        it). ``startprob`` and ``transmat`` start uniform unless given.
    startprob_init : array-like of shape (K,), optional
        Starting probabilities of the first state, summing to 1 (uniform if not given).
    transmat_init : array-like of shape (K, K), optional
        Starting transition matrix, rows summing to 1 (uniform if not given); a zero
        entry stays zero through EM (left-right and other topologies).
    emission_params_init : array-like of shape (emissions.size,), optional
        Starting emission parameters in the emission's flat layout (from its
        ``initial`` if not given).
    random_state : None, int or numpy.random.Generator
        Seed or generator of the starts (passed to the emission's ``initial``).
    verbose : int, default 0
        Progress on standard output as ``GaussianMixture`` prints it.
    {update}
    {common}

    See Also
    --------
    emcore.hmm.Emissions : The contract ``emissions`` implements.
    emcore.PoissonHMM : The same estimator with the Poisson emission built in.
    emcore.hmm.HMMModel : The EM problem it fits.

    {notes}
    The emission sees ``X`` as a float64 array of shape (n_samples, n_features), or
    as integers when ``X`` holds integers (symbols, as the emission of
    :class:`emcore.CategoricalHMM` takes them); ``sample`` needs the emission's
    optional ``sample`` method. A worked example, an exponential emission written
    from scratch and checked against a hand-written Baum-Welch, is
    ``tests/hmm/test_emission_api.py`` in the repository.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import PoissonHMM
    >>> from emcore.hmm import EmissionHMM, PoissonEmissions
    >>> truth = PoissonHMM.from_params(startprob=[1.0, 0.0],
    ...                                transmat=[[0.95, 0.05], [0.1, 0.9]], lambdas=[[2.0], [12.0]])
    >>> X, states = truth.sample(1000, random_state=0)
    >>> hmm = EmissionHMM(PoissonEmissions(2, 1), tol=1e-8, max_iter=500, random_state=0).fit(X)
    >>> print(np.sort(hmm.emission_params_).round(0), hmm.converged_)
    [ 2. 12.] True
    >>> log_prob, path = hmm.decode(X)
    >>> order = np.argsort(hmm.emission_params_)  # states are found in any order
    >>> bool(np.mean(np.argsort(order)[path] == states) > 0.95)
    True
    """

    _update_names = ("startprob", "transmat", "emission_params")
    _parameter_constraints = {
        **BaseHMM._parameter_constraints,
        "init_params": [InstanceOf(str, "a str (the emission's initial method)")],
    }

    def __init__(self, emissions, *, tol=1e-3, max_iter=100, n_init=1, init_params="random",
                 startprob_init=None, transmat_init=None, emission_params_init=None,
                 random_state=None, verbose=0, update=None):
        self.emissions = emissions
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.emission_params_init = emission_params_init
        self.random_state = random_state
        self.verbose = verbose
        self.update = update

    @property
    def n_components(self) -> int:
        """The number of hidden states, ``emissions.k``."""
        self._check_emissions()
        return int(self.emissions.k)

    def _check_emissions(self) -> None:
        if not isinstance(self.emissions, Emissions):
            raise TypeError(f"emissions must be an instance of a subclass of "
                            f"emcore.hmm.Emissions, got {type(self.emissions).__name__}")
        check_emissions(self.emissions)

    def _check_params(self):
        self._check_emissions()
        return super()._check_params()

    def _check_X(self, X, fitted):
        integers = np.asarray(X).dtype.kind in "biu"  # symbols stay integers
        X = check_X(X, n_features=getattr(self, "n_features_in_", None) if fitted else None,
                    estimator=type(self).__name__)
        d = getattr(self.emissions, "d", None)
        if isinstance(d, (int, np.integer)) and X.shape[1] != d:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self.emissions).__name__} "
                             f"is for d = {d} features")
        if not fitted:
            self.n_features_in_ = X.shape[1]
        return np.asarray(X, dtype=np.intp if integers else np.float64)

    def _emissions(self, X):
        # a copy: HMMModel.freeze sets its frozen names, and an emission may cache data
        return copy.deepcopy(self.emissions)

    def _emission_inits(self, em):
        if self.emission_params_init is None:
            return None
        return _check_vector(self.emission_params_init, "emission_params_init", em)

    def _set_emissions(self, em, vec):
        self.emission_params_ = np.array(vec, dtype=float)

    def _emission_vector(self, em):
        return self.emission_params_

    def _n_parameters(self, em) -> int:
        """Free parameters for BIC and AIC: ``K - 1``, ``K (K - 1)`` and the emission's
        ``n_free()``, those ``update`` leaves out not counted."""
        k, frozen = self.n_components, check_update(self)
        counts = {"startprob": k - 1, "transmat": k * (k - 1), "emission_params": em.n_free()}
        return sum(count for name, count in counts.items() if name not in frozen)

    def score_samples(self, X, lengths=None):
        """The total log-likelihood and the posterior state probabilities (as hmmlearn's).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        log_prob : float
            ``log p(X)``, summed over the sequences (:meth:`score`).
        posteriors : numpy.ndarray of shape (n_samples, n_components)
            ``p(z_n = k | X)`` (:meth:`predict_proba`), from the same forward-backward pass.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted (``fit`` or ``from_params`` first).

        See Also
        --------
        emcore.EmissionHMM.score : The log-likelihood alone.
        emcore.EmissionHMM.predict_proba : The posteriors alone.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore.hmm import EmissionHMM, PoissonEmissions
        >>> hmm = EmissionHMM.from_params(PoissonEmissions(2, 1), startprob=[0.5, 0.5],
        ...                               transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               emission_params=[1.0, 6.0])
        >>> log_prob, posteriors = hmm.score_samples([[0.0], [1.0], [7.0]])
        >>> print(round(log_prob, 6), posteriors.argmax(axis=1))
        -7.040731 [0 0 1]
        """
        model, theta = self._fitted(X, lengths)
        stats, log_prob = model.e_step_with_log_likelihood(theta)
        return log_prob, stats.posteriors

    @classmethod
    def from_params(cls, emissions, *, startprob, transmat, emission_params, **settings):
        """The estimator of given parameters, fitted without data (to score, decode, sample).

        Parameters
        ----------
        emissions : emcore.hmm.Emissions
            The emission distributions of the ``K`` states.
        startprob : array_like of shape (K,)
            The initial state distribution, summing to 1.
        transmat : array_like of shape (K, K)
            The transition matrix, rows summing to 1.
        emission_params : array_like of shape (emissions.size,)
            The emission parameters in the emission's flat layout.
        **settings
            Other constructor arguments (``random_state``, ``tol``, ...).

        Returns
        -------
        EmissionHMM
            Fitted: its ``*_init`` arguments hold the parameters, so a later ``fit``
            starts EM from them; nothing is set about a run (``converged_``, ...).
            ``n_features_in_`` is the emission's ``d`` when it has one.

        Raises
        ------
        ValueError
            When a parameter has the wrong shape or is not a probability (named as given).

        See Also
        --------
        emcore.PoissonHMM.from_params : The same for the built-in estimators.

        Examples
        --------
        >>> from emcore.hmm import EmissionHMM, PoissonEmissions
        >>> hmm = EmissionHMM.from_params(PoissonEmissions(2, 1), startprob=[1.0, 0.0],
        ...                               transmat=[[0.9, 0.1], [0.2, 0.8]],
        ...                               emission_params=[1.0, 6.0])
        >>> X, states = hmm.sample(4, random_state=0)
        >>> X.shape, int(states[0])
        ((4, 1), 0)
        """
        est = cls(emissions, startprob_init=startprob, transmat_init=transmat,
                  emission_params_init=emission_params, **settings)
        try:
            pi, a = est._check_params()
            vec = est._emission_inits(est._emissions(None))
        except ValueError as err:
            message = str(err)
            for name in ("startprob", "transmat", "emission_params"):
                message = message.replace(f"{name}_init", name)
            raise ValueError(message) from None
        est.startprob_, est.transmat_ = pi, a
        est._set_emissions(emissions, vec)
        d = getattr(emissions, "d", None)
        if isinstance(d, (int, np.integer)):
            est.n_features_in_ = int(d)
        return est


def _check_vector(value, name: str, em) -> np.ndarray:
    """``value`` as the emission's flat parameter vector: finite, ``em.size`` entries."""
    return check_array_of_shape(value, name, (em.size,),
                                why=f"the length {type(em).__name__}.size")


EmissionHMM.__doc__ = EmissionHMM.__doc__.replace(
    "    {update}", UPDATE_DOC.format(names=EmissionHMM._update_names)).replace(
    "    {notes}", _NOTES_DOC.strip("\n") + "\n").replace(
    "    {common}", "\n" + _COMMON_DOC.strip("\n").replace(
        "    n_features_in_ : int",
        "    emission_params_ : numpy.ndarray of shape (emissions.size,)\n"
        "        The emission parameters, in the emission's flat layout.\n"
        "    n_features_in_ : int"))
