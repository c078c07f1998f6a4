"""``CategoricalHMM`` and ``PoissonHMM``: scikit-learn-style HMMs of discrete observations
(symbols, counts) on emcore's EM driver."""

from __future__ import annotations

import numpy as np

from .._checks import check_X
from ._base import BaseHMM
from ._categorical import CategoricalEmissions
from ._estimator import _COMMON_DOC, _NOTES_DOC
from ._frozen import UPDATE_DOC
from ._poisson import PoissonEmissions

__all__ = ["CategoricalHMM", "PoissonHMM"]


class CategoricalHMM(BaseHMM):
    """Hidden Markov model with categorical emissions over symbols ``0..S-1``, fitted by EM.

    ``X`` is an (n, 1) column of integer symbols. ``S`` is the number of
    columns of ``emissionprob_init`` when given, else the largest symbol of
    the data passed to ``fit`` plus one.

    Parameters
    ----------
    n_components : int, default 1
        Number of hidden states ``K``.
    tol : float, default 1e-3
        EM stops when the total log-likelihood changes by less than ``tol``
        in one iteration; ``tol=0`` runs exactly ``max_iter`` iterations.
    max_iter : int, default 100
        Largest number of EM iterations per initialisation.
    n_init : int, default 1
        Number of initialisations; the best log-likelihood is kept.
    init_params : {"random"}, default "random"
        Emission rows drawn from a flat Dirichlet; ``startprob`` and
        ``transmat`` start uniform unless given.
    startprob_init : array-like of shape (K,), optional
        Starting probabilities of the first state, summing to 1 (uniform if not given).
    transmat_init : array-like of shape (K, K), optional
        Starting transition matrix, rows summing to 1 (uniform if not given); a zero
        entry stays zero through EM (left-right and other topologies).
    emissionprob_init : array-like of shape (K, S), optional
        Starting emission probabilities, rows summing to 1; their number of
        columns sets the number of symbols ``S``.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the random starting emission rows.
    verbose : int, default 0
        Progress on standard output as ``GaussianMixture`` prints it: 0 none,
        1 each initialisation's start and end, 2 also every 10 iterations the
        time and the change of the log-likelihood per observation.
    {update}
    {common}

    See Also
    --------
    emcore.GaussianHMM : Real-valued observations with Gaussian emissions.
    emcore.PoissonHMM : Counts with Poisson emissions.
    emcore.BernoulliMixture : Binary features without the Markov chain.
    emcore.hmm.HMMModel : The EM problem these estimators fit.

    {notes}
    Examples
    --------
    >>> import numpy as np
    >>> from emcore import CategoricalHMM
    >>> X = np.array([[0, 0, 1, 1, 0, 1, 2, 2, 2, 1]]).T
    >>> hmm = CategoricalHMM.from_params(startprob=[0.5, 0.5],
    ...                                  transmat=[[0.9, 0.1], [0.2, 0.8]],
    ...                                  emissionprob=[[0.6, 0.4, 0.0], [0.1, 0.3, 0.6]])
    >>> print(hmm.predict(X))
    [0 0 0 0 0 0 1 1 1 1]
    >>> print(round(hmm.score(X), 6))
    -10.18341
    """

    _update_names = ("startprob", "transmat", "emissionprob")

    def __init__(self, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="random",
                 startprob_init=None, transmat_init=None, emissionprob_init=None, random_state=None,
                 verbose=0, update=None):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.emissionprob_init = emissionprob_init
        self.random_state = random_state
        self.verbose = verbose
        self.update = update

    def __sklearn_tags__(self):
        """scikit-learn's tags: a density estimator on a column of non-negative integer codes."""
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = tags.input_tags.positive_only = True
        return tags

    def _check_X(self, X, fitted):
        """``X`` as an (n, 1) column of symbols ``0..S-1``.

        In ``fit`` (``fitted=False``) ``S`` is read from ``emissionprob_init``
        or the data and set as ``n_symbols_`` (with ``n_features_in_ = 1``),
        as scikit-learn's ``validate_data(reset=True)`` sets ``n_features_in_``;
        afterwards ``X`` is only checked against them: scoring or decoding
        writes nothing.
        """
        raw = np.asarray(X)
        if raw.dtype.kind in "US" or (raw.dtype.kind == "O" and any(
                isinstance(v, (str, bytes)) for v in raw.ravel())):
            raise ValueError(
                f"X must hold integer symbols 0, 1, ..., got dtype {raw.dtype}: encode "
                "labels as symbols first, e.g. labels, X = np.unique(values, return_inverse=True)")
        arr = check_X(X, estimator="CategoricalHMM")  # 2-D, real, finite, not empty, not sparse
        if arr.shape[1] != 1:
            raise ValueError(f"X has {arr.shape[1]} features, but CategoricalHMM is expecting 1 "
                             f"features as input: X must be a column of integer symbols of shape "
                             f"(n_samples, 1), got shape {arr.shape}")
        if np.any(arr != np.round(arr)):
            raise ValueError(f"X must hold integer symbols 0, 1, ..., got the value "
                             f"{arr[arr != np.round(arr)][0]:g}")
        if arr.min() < 0:
            raise ValueError(f"Negative values in data passed to X: X must hold integer symbols "
                             f"0, 1, ..., got {arr.min():g}")
        arr = arr.astype(np.intp)
        if fitted:
            s = self.n_symbols_
        elif self.emissionprob_init is not None:
            s = np.shape(self.emissionprob_init)[-1]
        else:
            s = int(arr.max()) + 1
        if arr.max() >= s:
            raise ValueError(f"X must hold symbols 0..{s - 1}, "
                             f"got values from {arr.min()} to {arr.max()}")
        if not fitted:
            self.n_features_in_, self.n_symbols_ = 1, s
        return arr

    def _emissions(self, X):
        return CategoricalEmissions(self.n_components, self.n_symbols_)

    def _emission_inits(self, em):
        given = em.check_init(self.emissionprob_init)
        return None if given is None else given.ravel()

    def _set_emissions(self, em, vec):
        self.emissionprob_ = em.unpack(vec)

    def _emission_vector(self, em):
        return np.ravel(self.emissionprob_)


CategoricalHMM.__doc__ = CategoricalHMM.__doc__.replace(
    "    {update}", UPDATE_DOC.format(names=CategoricalHMM._update_names)).replace(
    "    {notes}", _NOTES_DOC.strip("\n") + "\n").replace(
    "    {common}", "\n" + _COMMON_DOC.strip("\n").replace(
    "    n_features_in_ : int",
    "    emissionprob_ : numpy.ndarray of shape (n_components, n_symbols)\n"
    "    n_symbols_ : int\n        The number of symbols ``S``.\n"
    "    n_features_in_ : int\n        The number of columns of ``X``: 1."))


class PoissonHMM(BaseHMM):
    """Hidden Markov model with Poisson emissions (counts), fitted by EM (Baum-Welch).

    Given the state, the features of a step are independent Poisson counts,
    with rates ``lambdas_`` (K, d); the emission is
    :class:`emcore.hmm.PoissonEmissions`, one class on the emission contract.

    Parameters
    ----------
    n_components : int, default 1
        Number of hidden states ``K``.
    tol : float, default 1e-3
        EM stops when the total log-likelihood changes by less than ``tol``
        in one iteration; ``tol=0`` runs exactly ``max_iter`` iterations.
    max_iter : int, default 100
        Largest number of EM iterations per initialisation.
    n_init : int, default 1
        Number of initialisations; the best log-likelihood is kept.
    init_params : {"random"}, default "random"
        Starting rates halfway between the mean counts and ``K`` random
        rows; ``startprob`` and ``transmat`` start uniform unless given.
    startprob_init : array-like of shape (K,), optional
        Starting probabilities of the first state, summing to 1 (uniform if not given).
    transmat_init : array-like of shape (K, K), optional
        Starting transition matrix, rows summing to 1 (uniform if not given); a zero
        entry stays zero through EM (left-right and other topologies).
    lambdas_init : array-like of shape (K, d), optional
        Explicit starting rates, non-negative.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the random starting rates.
    verbose : int, default 0
        Progress on standard output as ``GaussianMixture`` prints it.
    {update}
    {common}

    See Also
    --------
    emcore.GaussianHMM : Real-valued observations with Gaussian emissions.
    emcore.CategoricalHMM : Symbols from a finite alphabet.
    emcore.hmm.PoissonEmissions : The emission these states use.
    emcore.hmm.HMMModel : The EM problem these estimators fit.

    {notes}
    Examples
    --------
    >>> import numpy as np
    >>> from emcore import PoissonHMM
    >>> truth = PoissonHMM.from_params(startprob=[1.0, 0.0],
    ...                                transmat=[[0.95, 0.05], [0.1, 0.9]], lambdas=[[2.0], [12.0]])
    >>> X, states = truth.sample(1000, random_state=0)
    >>> hmm = PoissonHMM(2, tol=1e-8, max_iter=500, random_state=0).fit(X)
    >>> print(np.sort(hmm.lambdas_.ravel()).round(0), hmm.converged_)
    [ 2. 12.] True
    """

    _update_names = ("startprob", "transmat", "lambdas")

    def __init__(self, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="random",
                 startprob_init=None, transmat_init=None, lambdas_init=None, random_state=None,
                 verbose=0, update=None):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.lambdas_init = lambdas_init
        self.random_state = random_state
        self.verbose = verbose
        self.update = update

    def __sklearn_tags__(self):
        """scikit-learn's tags: a density estimator on non-negative integer counts."""
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _check_X(self, X, fitted):
        X = check_X(X, n_features=self.n_features_in_ if fitted else None, estimator="PoissonHMM")
        if np.any(X < 0):
            raise ValueError(f"Negative values in data passed to X: X must hold counts "
                             f"0, 1, 2, ..., got {X.min():g}")
        if np.any(X != np.round(X)):
            raise ValueError("X must hold counts (whole numbers), got a fractional value")
        return np.asarray(X, dtype=np.float64)

    def _emissions(self, X):
        return PoissonEmissions(self.n_components, self.n_features_in_ if X is None else X.shape[1])

    def _emission_inits(self, em):
        given = em.check_init(self.lambdas_init)
        return None if given is None else given.ravel()

    def _set_emissions(self, em, vec):
        self.lambdas_ = em.unpack(vec).copy()
        self.n_features_in_ = em.d

    def _emission_vector(self, em):
        return np.ravel(self.lambdas_)


PoissonHMM.__doc__ = PoissonHMM.__doc__.replace(
    "    {update}", UPDATE_DOC.format(names=PoissonHMM._update_names)).replace(
    "    {notes}", _NOTES_DOC.strip("\n") + "\n").replace(
    "    {common}", "\n" + _COMMON_DOC.strip("\n").replace(
        "    n_features_in_ : int",
        "    lambdas_ : numpy.ndarray of shape (n_components, n_features)\n"
        "        The rates of each state's counts.\n    n_features_in_ : int"))
