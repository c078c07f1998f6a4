"""``GaussianHMM``, the scikit-learn-style HMM with Gaussian emissions on emcore's EM driver,
and the docstring sections every HMM estimator shares (``CategoricalHMM`` and ``PoissonHMM``
are in :mod:`._discrete`, ``GMMHMM`` in :mod:`._gmm_hmm`)."""

from __future__ import annotations

import numpy as np

from .._checks import Options, Real, check_observed, check_X
from ..gaussian.holes import observed_origin
from ._base import BaseHMM
from ._frozen import UPDATE_DOC
from ._gaussian import HMM_COVARIANCE_TYPES, GaussianEmissions
from ._missing import ImputeMixin, MissingGaussianEmissions

__all__ = ["GaussianHMM"]


def __getattr__(name):
    """``CategoricalHMM`` and ``PoissonHMM`` where they were, for pickles made before they
    moved to :mod:`._discrete`."""
    if name in ("CategoricalHMM", "PoissonHMM"):
        from . import _discrete

        return getattr(_discrete, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_COMMON_DOC = """
    Attributes
    ----------
    startprob_ : numpy.ndarray of shape (n_components,)
        Initial state distribution ``pi``.
    transmat_ : numpy.ndarray of shape (n_components, n_components)
        Transition matrix ``A``, ``A[i, j] = p(z_n = j | z_{n-1} = i)``.
    log_likelihood_history_ : numpy.ndarray
        Total log-likelihood at the start (entry 0) and after each iteration
        of the best run; it never decreases.
    n_iter_ : int
        EM iterations of the best run.
    converged_ : bool
        Whether the best run met ``tol``.
    n_features_in_ : int
"""

_NOTES_DOC = """
    Notes
    -----
    The E-step is the forward-backward algorithm with normalised (scaled)
    recursions, run in the way that suits the sequences (chosen automatically):
    for few long sequences a parallel prefix scan over time, for many a loop over
    time vectorised across the sequences; the M-step is Baum-Welch's closed form. A zero
    entry of ``transmat_`` or ``startprob_`` stays zero. ``fit`` stops when
    the total log-likelihood changes by less than ``tol`` in one iteration
    (as hmmlearn). ``max_iter=0`` keeps the start; ``from_params`` gives a model
    of given parameters, to score, decode and sample, without data. A state that receives
    no posterior mass raises ``DegenerateStateError`` (a ValueError) naming
    it, instead of producing NaN.
"""


class GaussianHMM(ImputeMixin, BaseHMM):
    """Hidden Markov model with Gaussian emissions, fitted by EM (Baum-Welch).

    Parameters
    ----------
    n_components : int, default 1
        Number of hidden states ``K``.
    covariance_type : {"diag", "full", "tied", "spherical"}, default "diag"
        The covariance of each state's emission, as :class:`GaussianMixture`'s
        (and hmmlearn's): ``"diag"`` (K, d) variances, ``"full"`` (K, d, d)
        matrices, ``"tied"`` one (d, d) matrix shared by all states,
        ``"spherical"`` (K,) one variance per state.
    tol : float, default 1e-3
        EM stops when the total log-likelihood changes by less than ``tol``
        in one iteration; ``tol=0`` runs exactly ``max_iter`` iterations.
    max_iter : int, default 100
        Largest number of EM iterations per initialisation.
    n_init : int, default 1
        Number of initialisations; the best log-likelihood is kept.
    init_params : {"kmeans", "random"}, default "kmeans"
        Starting emissions: those of a Gaussian mixture started by k-means
        (one M-step from hard k-means labels), or ``K`` random observations as
        means with the data's covariance. ``startprob`` and ``transmat``
        start uniform unless given.
    startprob_init : array-like of shape (K,), optional
        Starting probabilities of the first state, summing to 1 (uniform if not given).
    transmat_init : array-like of shape (K, K), optional
        Starting transition matrix, rows summing to 1 (uniform if not given); a zero
        entry stays zero through EM (left-right and other topologies).
    means_init : array-like of shape (K, d), optional
        Starting means of the states' emissions.
    covariances_init : array-like, optional
        Shaped as ``covariances_`` for the ``covariance_type``. Given together
        with ``means_init`` (both, when ``update`` leaves out either).
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance after each M-step. Such a
        step is kept only if it does not lower the emissions' part of ``Q``,
        so the log-likelihood still never decreases.
    random_state : None, int or numpy.random.Generator
        Seed or generator of the starts (k-means or the random observations).
    verbose : int, default 0
        Progress on standard output as ``GaussianMixture`` prints it: 0 none,
        1 each initialisation's start and end, 2 also every 10 iterations the
        time and the change of the log-likelihood per observation.
    missing : {"raise", "marginalize"}, default "raise"
        ``"raise"`` refuses NaN in ``X``; ``"marginalize"`` takes NaN as a
        missing entry (missing at random), integrated out of the step's
        emission density in ``fit``, ``score``, ``predict_proba``, ``decode``
        and ``predict``: a step emits the marginal Gaussian of its observed
        entries, a step with nothing observed contributes only its transition,
        and the log-likelihood is the observed data's. The M-step uses the
        conditional mean and covariance of the missing entries given the
        observed ones in each state (the exact expected complete-data
        statistics), so EM stays monotone. Every column needs an observed
        entry in ``fit``.
    {update}
    {common}

    See Also
    --------
    emcore.GMMHMM : Each state emits from a Gaussian mixture instead.
    emcore.GaussianMixture : The same emissions without the Markov chain.
    emcore.LinearGaussianSSM : A continuous hidden state instead of a discrete one.
    emcore.hmm.HMMModel : The EM problem these estimators fit.

    {notes}
    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianHMM
    >>> truth = GaussianHMM.from_params(startprob=[1.0, 0.0],
    ...                                 transmat=[[0.95, 0.05], [0.1, 0.9]],
    ...                                 means=[[0.0], [5.0]], covariances=[[1.0], [1.0]])
    >>> X, states = truth.sample(2000, random_state=0)
    >>> hmm = GaussianHMM(2, tol=1e-8, max_iter=500, random_state=0).fit(X)
    >>> print(np.sort(hmm.means_.ravel()).round(0), hmm.converged_)
    [0. 5.] True
    >>> order = np.argsort(hmm.means_.ravel())  # states are found in any order
    >>> bool(np.mean(order[hmm.predict(X)] == states) > 0.95)
    True
    """

    _update_names = ("startprob", "transmat", "means", "covariances")
    _parameter_constraints = {
        **BaseHMM._parameter_constraints,
        "init_params": [Options(("kmeans", "random"))],
        "covariance_type": [Options(HMM_COVARIANCE_TYPES)],
        "reg_covar": [Real(0)],
        "missing": [Options(("raise", "marginalize"))],
    }

    def __init__(self, n_components=1, *, covariance_type="diag", tol=1e-3, max_iter=100, n_init=1,
                 init_params="kmeans", startprob_init=None, transmat_init=None, means_init=None,
                 covariances_init=None, reg_covar=1e-6, random_state=None, verbose=0,
                 missing="raise", update=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.means_init = means_init
        self.covariances_init = covariances_init
        self.reg_covar = reg_covar
        self.random_state = random_state
        self.verbose = verbose
        self.missing = missing
        self.update = update

    def __sklearn_tags__(self):
        """scikit-learn's tags; NaN is allowed in ``X`` exactly when ``missing="marginalize"``."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "marginalize"
        return tags

    def _check_X(self, X, fitted):
        X = check_X(X, n_features=self.n_features_in_ if fitted else None, estimator="GaussianHMM",
                    missing=self.missing)
        X = np.asarray(X, dtype=np.float64)
        if not fitted and self.missing == "marginalize":
            check_observed((~np.isnan(X)).sum(axis=0))
        return X

    def _emissions(self, X):
        d = self.n_features_in_ if X is None else X.shape[1]
        center = None if X is None else observed_origin(X)
        if self.missing == "marginalize":
            return MissingGaussianEmissions(self.covariance_type, self.n_components, d,
                                            float(self.reg_covar), center)
        return GaussianEmissions(self.covariance_type, self.n_components, d, float(self.reg_covar),
                                 center)

    def _emission_inits(self, em):
        means, cov = em.check_init(self.means_init, self.covariances_init)
        if means is None or cov is None:
            if means is not None or cov is not None:
                raise ValueError("means_init and covariances_init must be given together")
            return None
        return em.pack(means, cov)

    def _set_emissions(self, em, vec):
        self.means_, self.covariances_ = em.unpack(vec)
        self.n_features_in_ = em.d

    def _emission_vector(self, em):
        return em.pack(self.means_, self.covariances_)


GaussianHMM.__doc__ = GaussianHMM.__doc__.replace(
    "    {update}", UPDATE_DOC.format(names=GaussianHMM._update_names)).replace(
    "    {notes}", _NOTES_DOC.strip("\n") + "\n").replace(
    "    {common}", "\n" + _COMMON_DOC.strip("\n").replace(
    "    n_features_in_ : int", "    means_ : numpy.ndarray of shape (n_components, n_features)\n"
    "    covariances_ : numpy.ndarray\n"
    "        (K, d) for diag, (K, d, d) full, (d, d) tied, (K,) spherical.\n"
    "    n_features_in_ : int"))
