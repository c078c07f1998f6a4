"""``GMMHMM``: a hidden Markov model whose states emit from Gaussian mixtures."""

from __future__ import annotations

import numpy as np

from .._checks import Integer, Options, Real, check_X
from ..gaussian.holes import observed_origin
from ._base import BaseHMM
from ._estimator import _COMMON_DOC, _NOTES_DOC
from ._frozen import UPDATE_DOC
from ._gaussian import HMM_COVARIANCE_TYPES
from ._gmm import GMMEmissions

__all__ = ["GMMHMM"]


class GMMHMM(BaseHMM):
    """Hidden Markov model with Gaussian-mixture emissions, fitted by EM (Baum-Welch).

    Each state ``k`` emits from a mixture of ``n_mix`` Gaussians with weights
    ``weights_[k]``, means ``means_[k]`` and covariances ``covariances_[k]``.
    The E-step has two latent layers, the state and then the component within
    the state (:class:`emcore.hmm.GMMEmissions`); the M-step is Baum-Welch's for
    the start and transitions and the Gaussian mixture's, weighted by both
    layers' posteriors, for the emissions. With ``n_mix=1`` it is
    :class:`GaussianHMM`.

    Parameters
    ----------
    n_components : int, default 1
        Number of hidden states ``K``.
    n_mix : int, default 1
        Number of Gaussian components ``M`` in each state's mixture.
    covariance_type : {"diag", "full", "tied", "spherical"}, default "diag"
        The covariance of each component, as :class:`GaussianMixture`'s:
        ``covariances_`` of shape (K, M, d) for ``"diag"``, (K, M, d, d)
        ``"full"``, (K, d, d) ``"tied"`` (one matrix per state, shared by its
        components, as hmmlearn's), (K, M) ``"spherical"``.
    tol : float, default 1e-3
        EM stops when the total log-likelihood changes by less than ``tol``
        in one iteration; ``tol=0`` runs exactly ``max_iter`` iterations.
    max_iter : int, default 100
        Largest number of EM iterations per initialisation.
    n_init : int, default 1
        Number of initialisations; the best log-likelihood is kept.
    init_params : {"kmeans", "random"}, default "kmeans"
        Starting emissions: each state's mixture started by k-means on the
        steps a k-means-started ``K``-component mixture gives that state, or
        with random observations as means and the data's covariance; equal
        weights. ``startprob`` and ``transmat`` start uniform unless given.
    startprob_init : array-like of shape (K,), optional
        Starting probabilities of the first state, summing to 1 (uniform if not given).
    transmat_init : array-like of shape (K, K), optional
        Starting transition matrix, rows summing to 1 (uniform if not given); a zero
        entry stays zero through EM (left-right and other topologies).
    weights_init : array-like of shape (K, M), optional
        Rows summing to 1.
    means_init : array-like of shape (K, M, d), optional
        Starting means of each state's components.
    covariances_init : array-like, optional
        Shaped as ``covariances_``. The emissions' three starts are given
        together (all three, when ``update`` leaves out any of them).
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance after each M-step; such a
        step is kept only if it does not lower the emissions' part of ``Q``.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the starts (k-means or the random observations).
    verbose : int, default 0
        Progress on standard output as ``GaussianMixture`` prints it.
    {update}
    {common}

    See Also
    --------
    emcore.GaussianHMM : One Gaussian per state (``n_mix=1``).
    emcore.GaussianMixture : One mixture without the Markov chain.
    emcore.hmm.GMMEmissions : The emission these states use.
    emcore.hmm.HMMModel : The EM problem these estimators fit.

    {notes}
    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GMMHMM
    >>> truth = GMMHMM(2, n_mix=2, max_iter=0, startprob_init=[1.0, 0.0],
    ...                transmat_init=[[0.95, 0.05], [0.05, 0.95]],
    ...                weights_init=[[0.5, 0.5], [0.5, 0.5]],
    ...                means_init=[[[-4.0], [-1.0]], [[3.0], [8.0]]],
    ...                covariances_init=[[[1.0], [1.0]], [[1.0], [1.0]]])
    >>> X, states = truth.fit(np.zeros((2, 1))).sample(3000, random_state=0)
    >>> hmm = GMMHMM(2, n_mix=2, tol=1e-8, max_iter=500, random_state=0).fit(X)
    >>> print(np.sort(hmm.means_.ravel()).round(0))
    [-4. -1.  3.  8.]
    """

    _update_names = ("startprob", "transmat", "weights", "means", "covariances")
    _parameter_constraints = {
        **BaseHMM._parameter_constraints,
        "n_mix": [Integer(1)],
        "init_params": [Options(("kmeans", "random"))],
        "covariance_type": [Options(HMM_COVARIANCE_TYPES)],
        "reg_covar": [Real(0)],
    }

    def __init__(self, n_components=1, *, n_mix=1, covariance_type="diag", tol=1e-3,
                 max_iter=100, n_init=1, init_params="kmeans", startprob_init=None,
                 transmat_init=None, weights_init=None, means_init=None, covariances_init=None,
                 reg_covar=1e-6, random_state=None, verbose=0, update=None):
        self.n_components = n_components
        self.n_mix = n_mix
        self.covariance_type = covariance_type
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.weights_init = weights_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.reg_covar = reg_covar
        self.random_state = random_state
        self.verbose = verbose
        self.update = update

    def _check_X(self, X, fitted):
        X = check_X(X, n_features=self.n_features_in_ if fitted else None, estimator="GMMHMM")
        return np.asarray(X, dtype=np.float64)

    def _emissions(self, X):
        d = self.n_features_in_ if X is None else X.shape[1]
        center = None if X is None else observed_origin(X)
        return GMMEmissions(self.covariance_type, self.n_components, int(self.n_mix), d,
                            float(self.reg_covar), center)

    def _emission_inits(self, em):
        given = em.check_init(self.weights_init, self.means_init, self.covariances_init)
        if any(part is None for part in given):
            if any(part is not None for part in given):
                raise ValueError("weights_init, means_init and covariances_init must be given "
                                 "together")
            return None
        return em.pack(*given)

    def _set_emissions(self, em, vec):
        weights, means, covariances = em.unpack(vec)
        self.weights_, self.means_ = weights.copy(), means.copy()
        self.covariances_ = covariances.copy()
        self.n_features_in_ = em.d

    def _emission_vector(self, em):
        return em.pack(self.weights_, self.means_, self.covariances_)


GMMHMM.__doc__ = GMMHMM.__doc__.replace(
    "    {update}", UPDATE_DOC.format(names=GMMHMM._update_names)).replace(
    "    {notes}", _NOTES_DOC.strip("\n") + "\n").replace(
    "    {common}", "\n" + _COMMON_DOC.strip("\n").replace(
        "    n_features_in_ : int",
        "    weights_ : numpy.ndarray of shape (n_components, n_mix)\n"
        "    means_ : numpy.ndarray of shape (n_components, n_mix, n_features)\n"
        "    covariances_ : numpy.ndarray\n"
        "        (K, M, d) for diag, (K, M, d, d) full, (K, d, d) tied, (K, M) spherical.\n"
        "    n_features_in_ : int"))
