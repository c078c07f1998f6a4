"""``MixtureOfFactorAnalyzers``: a scikit-learn-style estimator on :class:`MFAModel`."""

from __future__ import annotations

import math

import numpy as np

from .._checks import Boolean, Integer, Options, Real, check_params
from ._fa_model import check_data
from ._mfa_model import MFAModel, MFAParams, log_joint, log_sum_rows
from ._params import EstimatorParams

__all__ = ["MixtureOfFactorAnalyzers"]


class MixtureOfFactorAnalyzers(EstimatorParams):
    r"""A mixture of factor analysers, fitted by Ghahramani & Hinton's (1996) EM.

    Component ``k`` is a factor analyser,
    :math:`x \mid k \sim \mathcal{N}(\mu_k, W_k W_k^\top + \Psi_k)` with ``n_factors``
    columns in :math:`W_k` and :math:`\Psi_k` diagonal: a Gaussian mixture whose
    covariances are low rank plus diagonal, between the diagonal mixture
    (``n_factors=0``, exactly its EM) and the full one.

    The algorithm is Ghahramani & Hinton's EM, *not* McLachlan & Peel's AECM
    (ch. 8): one E-step per iteration gives the responsibilities and the
    factors' posterior moments, and one M-step updates every component's
    loadings and mean jointly (a regression on :math:`(z, 1)`), then the noise
    and the weights (:class:`emcore.factor.MFAModel`). Densities go through
    Woodbury and the determinant lemma, so an iteration costs
    :math:`O(n K d q)` and never forms a d x d matrix: d = 1000 is routine.

    Parameters
    ----------
    n_components : int, default 1
        Number of components ``K``.
    n_factors : int, default 1
        From 0 to the Ledermann bound of d.
    common_noise : bool, default False
        One :math:`\Psi` shared by all components (Ghahramani & Hinton's model).
    tol : float, default 1e-4
        Stop when the mean log-likelihood per sample changes by less than ``tol``.
    reg_noise : float, default 1e-6
        Added to each noise variance after every M-step (as ``reg_covar`` in
        :class:`emcore.GaussianMixture`); 0 gives exact EM.
    max_iter : int, default 200
        Most EM iterations of each start.
    n_init : int, default 1
        Starts; the one with the highest log-likelihood is kept.
    init_params : {"kmeans", "random"}, default "kmeans"
        Means, weights and noise from :class:`emcore.GaussianMixture`'s k-means
        start (diagonal, no EM iteration), or random rows as means with the
        data's variances; loadings random, taking half of each variance.
    random_state : None, int or numpy.random.Generator
        Seeds the starts and the random loadings.
    verbose : int, default 0
        1: a line at the start and end of each run; 2: also the change of the mean
        log-likelihood every 10 iterations.

    Attributes
    ----------
    weights_ : numpy.ndarray of shape (n_components,)
    means_ : numpy.ndarray of shape (n_components, n_features)
    components_ : numpy.ndarray of shape (n_components, n_factors, n_features)
        The loadings :math:`W_k^\top`.
    noise_variance_ : numpy.ndarray of shape (n_components, n_features)
        The diagonals :math:`\psi_k` (equal rows with ``common_noise``).
    log_likelihood_history_ : numpy.ndarray
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int

    See Also
    --------
    emcore.FactorAnalysis : One factor analyser.
    emcore.GaussianMixture : Full, diagonal, tied or spherical covariances.
    emcore.factor.MFAModel : The EM model each fit runs.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import MixtureOfFactorAnalyzers
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(600, 1))
    >>> X = np.vstack([z[:300] @ [[2.0, 1.0, 0.0, 0.0]], z[300:] @ [[0.0, 0.0, 1.0, 2.0]] + 5])
    >>> X += 0.3 * rng.normal(size=X.shape)
    >>> mfa = MixtureOfFactorAnalyzers(2, n_factors=1, random_state=0).fit(X)
    >>> print(np.sort(mfa.weights_).round(2), np.bincount(mfa.predict(X)))
    [0.5 0.5] [300 300]
    >>> print(mfa.sample(5, random_state=1)[0].shape)
    (5, 4)
    """

    _estimator_type_tag = "density_estimator"
    _parameter_constraints = {
        "n_components": [Integer(1)],
        "n_factors": [Integer(0)],
        "common_noise": [Boolean()],
        "tol": [Real(0)],
        "reg_noise": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "init_params": [Options(("kmeans", "random"))],
        "verbose": [Integer(0)],
    }

    def __init__(self, n_components=1, n_factors=1, *, common_noise=False, tol=1e-4, reg_noise=1e-6,
                 max_iter=200, n_init=1, init_params="kmeans", random_state=None, verbose=0):
        self.n_components = n_components
        self.n_factors = n_factors
        self.common_noise = common_noise
        self.tol = tol
        self.reg_noise = reg_noise
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.verbose = verbose

    def _start(self, model, X, rng, method):
        if method == "random":
            return model.initial_params(rng)
        from ..mixture import GaussianMixture

        gm = GaussianMixture(model.n_components, covariance_type="diag", max_iter=0,
                             random_state=rng).fit(X)
        return model.initial_params(rng, means=gm.means_, weights=gm.weights_,
                                    noise=gm.covariances_)

    def fit(self, X, y=None):
        """Fit by EM; the best log-likelihood of ``n_init`` runs is kept.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        self
            The fitted estimator.

        Warns
        -----
        emcore.ConvergenceWarning
            When the best run reached ``max_iter`` unconverged.
        """
        p = self._checked_params()
        X = check_data(X)
        model = MFAModel(X, p["n_components"], p["n_factors"], common_noise=p["common_noise"],
                         reg_noise=p["reg_noise"])
        rng = self._rng()
        best = self._best_run(model, lambda i: self._start(model, X, rng, p["init_params"]), p)
        theta = best.theta
        self.weights_, self.means_ = theta.weights.copy(), theta.means.copy()
        self.components_ = np.swapaxes(theta.loadings, 1, 2).copy()
        self.noise_variance_ = theta.noise.copy()
        self.n_features_in_ = model.d
        self.log_likelihood_history_ = np.asarray(best.log_likelihood_history, dtype=float).copy()
        self.n_iter_, self.converged_ = int(best.n_iter), bool(best.converged)
        return self

    # -- using the fit -------------------------------------------------------------------
    def _params(self) -> MFAParams:
        self._check_fitted("weights_")
        return MFAParams(self.weights_, self.means_, np.swapaxes(self.components_, 1, 2),
                         self.noise_variance_)

    def _log_joint(self, X) -> np.ndarray:
        theta = self._params()
        X = check_data(X, min_rows=1, n_features=self.n_features_in_, owner=type(self).__name__)
        return log_joint(X, theta)

    def score_samples(self, X) -> np.ndarray:
        """The log-likelihood of each row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log-density of each row under the fitted mixture.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return log_sum_rows(self._log_joint(X))

    def score(self, X, y=None) -> float:
        """The mean log-likelihood per row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        float
            The mean over the rows of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X) -> np.ndarray:
        """The responsibilities ``p(k | x)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_components)
            Rows sum to 1.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        logp = self._log_joint(X)
        return np.exp(logp - log_sum_rows(logp)[:, None])

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of largest responsibility.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return np.argmax(self._log_joint(X), axis=1)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the most probable component of each row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of largest responsibility.
        """
        return self.fit(X).predict(X)

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        q = self.components_.shape[1]
        noise = d if self.common_noise else k * d
        return (k - 1) + k * d + k * (d * q - q * (q - 1) // 2) + noise

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        float
            ``p`` counts the loadings up to rotation.
        """
        n = check_data(X, min_rows=1).shape[0]
        return -2.0 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        float
            With ``p`` the free parameters; lower is better.
        """
        n = check_data(X, min_rows=1).shape[0]
        return -2.0 * self.score(X) * n + 2.0 * self._n_parameters()

    def sample(self, n_samples=1, random_state=None):
        """Draw ``n_samples`` rows from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default 1
            How many rows.
        random_state : int or numpy.random.Generator, optional
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : numpy.ndarray of shape (n_samples, n_features)
            The rows.
        labels : numpy.ndarray of int of shape (n_samples,)
            The component of each.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        theta = self._params()
        n = check_params({"n_samples": [Integer(1)]}, {"n_samples": n_samples})["n_samples"]
        rng = self._rng(random_state)
        labels = rng.choice(theta.weights.size, size=n, p=theta.weights)
        q = theta.loadings.shape[2]
        z = rng.normal(size=(n, q))
        noise = rng.normal(size=(n, theta.means.shape[1])) * np.sqrt(theta.noise[labels])
        X = theta.means[labels] + np.einsum("ndq,nq->nd", theta.loadings[labels], z) + noise
        return X, labels

    def em_problem(self, X):
        """The fitted mixture as an :class:`emcore.EMModel` on ``X``, and its parameters.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        model : emcore.factor.MFAModel
            For :func:`emcore.run_em` and :func:`emcore.em_rate`.
        theta : numpy.ndarray
            The fitted parameters, flat.
        """
        theta = self._params()
        model = MFAModel(X, self.n_components, self.components_.shape[1],
                         common_noise=self.common_noise, reg_noise=self.reg_noise)
        return model, theta
