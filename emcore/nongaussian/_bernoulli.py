"""``BernoulliMixture``: mixtures of multivariate Bernoulli distributions for binary data."""

from __future__ import annotations

import numpy as np

from .._checks import RANDOM_STATE, Integer, Options, Real, check_sample_weight, check_X
from ._base import DensityMixtureEstimator, log_sum_exp, responsibilities_from
from ._bernoulli_model import BernoulliModel, BernoulliParams, check_binary
from ._problem import StandardErrorsMixin, bernoulli_problem

__all__ = ["BernoulliMixture"]


class BernoulliMixture(StandardErrorsMixin, DensityMixtureEstimator):
    r"""A mixture of multivariate Bernoulli distributions (latent class analysis), fitted by EM.

    Each component ``k`` switches feature ``d`` on with probability :math:`\mu_{kd}`,
    independently of the others given the component; the mixture is not independent, and
    the :math:`\mu_k` are the prototypes of the clusters (Bishop 2006, §9.3.3). The
    E-step's responsibilities and the M-step's weighted frequencies are
    :class:`emcore.nongaussian.BernoulliModel`'s.

    Parameters
    ----------
    n_components : int, default 1
        Number of components ``K``.
    smoothing : float, default 0.0
        :math:`s \ge 0`: the M-step adds :math:`s` to each feature's weighted count of
        ones and :math:`2 s` to :math:`N_k`, the posterior mode under a
        :math:`\text{Beta}(1 + s, 1 + s)` prior (Laplace's add-one rule with :math:`s = 1`).
        0 is maximum likelihood; then a feature that no row of a component switches on
        gets probability exactly 0, and a new row that switches it on has density 0 under
        that component.
    tol : float, default 1e-5
        Stop when the objective per unit weight changes by less than ``tol``.
    max_iter : int, default 500
        Most EM iterations of each start.
    n_init : int, default 1
        Starts; the one with the highest log-likelihood is kept.
    init_params : {"random", "random_from_data"}, default "random"
        ``"random"``: probabilities uniform on [0.25, 0.75], equal weights (Bishop's start);
        ``"random_from_data"``: ``K`` distinct rows, each shrunk halfway to 1/2, as the
        prototypes.
    resp_init : array-like of shape (n_samples, n_components), optional
        Starting responsibilities (rows normalised); then one start.
    random_state : None, int or numpy.random.Generator
        Seeds the starts.
    verbose : int, default 0
        1: a line at the start and end of each run; 2: also the change of the mean
        log-likelihood every 10 iterations.
    binarize : float or None, default None
        None: ``X`` must hold 0/1 values (anything else is a ValueError). A number ``b``:
        every method first sets each entry of a real ``X`` to 1 if it is above ``b`` and to
        0 otherwise (as scikit-learn's ``BernoulliNB(binarize=b)``).

    Attributes
    ----------
    weights_ : numpy.ndarray of shape (n_components,)
    means_ : numpy.ndarray of shape (n_components, n_features)
        The probabilities :math:`\mu_{kd}`.
    log_likelihood_history_ : numpy.ndarray
        The total (weighted) log-likelihood at the start and after each iteration.
    log_posterior_history_ : numpy.ndarray
        The objective EM climbs: the log-likelihood plus the log prior (equal to
        ``log_likelihood_history_`` without ``smoothing``); it never decreases.
    n_iter_, converged_, n_features_in_

    See Also
    --------
    emcore.nongaussian.BernoulliModel : The EM model each fit runs.
    emcore.GaussianMixture : The mixture of Gaussians.
    emcore.datasets.load_binary_digits : Binary images to cluster.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import BernoulliMixture
    >>> rng = np.random.default_rng(0)
    >>> prototypes = np.array([[0.9, 0.9, 0.9, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.9, 0.9, 0.9]])
    >>> labels = rng.integers(2, size=500)
    >>> X = (rng.uniform(size=(500, 6)) < prototypes[labels]).astype(int)
    >>> bm = BernoulliMixture(2, n_init=3, random_state=0).fit(X)
    >>> print(bm.means_[np.argsort(bm.means_[:, 0])].round(1))
    [[0.1 0.1 0.1 0.9 0.9 0.9]
     [0.9 0.9 0.9 0.1 0.1 0.1]]
    >>> print(bm.predict(np.array([[1, 1, 0, 0, 0, 0]])) == np.argmax(bm.means_[:, 0]))
    [ True]
    """

    _parameter_constraints = {
        "n_components": [Integer(1)],
        "smoothing": [Real(0)],
        "tol": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "init_params": [Options(("random", "random_from_data"))],
        "random_state": RANDOM_STATE,
        "verbose": [Integer(0, 2)],
        "binarize": [None, Real()],
    }  # resp_init is checked against the data

    def __init__(self, n_components=1, *, smoothing=0.0, tol=1e-5, max_iter=500, n_init=1,
                 init_params="random", resp_init=None, random_state=None, verbose=0,
                 binarize=None):
        self.n_components = n_components
        self.smoothing = smoothing
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.resp_init = resp_init
        self.random_state = random_state
        self.verbose = verbose
        self.binarize = binarize

    def _binary(self, X, n_features=None) -> np.ndarray:
        """``X`` checked as 0/1 rows, or, with ``binarize``, as real rows thresholded."""
        if self.binarize is None:
            return check_binary(X, n_features=n_features)
        X = check_X(X, n_features=n_features, estimator=type(self).__name__)
        return (X > self.binarize).astype(np.float64)

    def _start(self, model, rng, method) -> BernoulliParams:
        k = model.n_components
        if self.resp_init is not None:
            return model.m_step(model.weights[:, None]
                                * responsibilities_from(self.resp_init, model.n, k))
        if method == "random":
            means = rng.uniform(0.25, 0.75, size=(k, model.d))
        else:
            rows = rng.choice(model.n, size=k, replace=False, p=model.weights / model.weights.sum())
            means = 0.5 * model.X[rows] + 0.25
        return BernoulliParams(np.full(k, 1.0 / k), means)

    def fit(self, X, y=None, *, sample_weight=None):
        """Fit the mixture to binary rows by EM.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Binary rows (0/1).
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; integer weight ``m`` counts as ``m`` repeated rows.

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        emcore.mixture.DegenerateComponentError
            When every start ends in a degenerate component.

        Warns
        -----
        emcore.ConvergenceWarning
            When the best run reached ``max_iter`` unconverged.
        """
        p = self._checked_params()
        X = self._binary(X)
        w = check_sample_weight(sample_weight, X.shape[0])
        k = p["n_components"]
        if k > (X.shape[0] if w is None else np.count_nonzero(w)):
            raise ValueError(f"n_components={k} exceeds the number of rows of X with weight")
        model = BernoulliModel(X, k, smoothing=p["smoothing"], sample_weight=w)
        rng = self._rng()
        best = self._best_run(model, lambda i: self._start(model, rng, p["init_params"]),
                              dict(p, resp_init=self.resp_init), float(model.weights.sum()))
        self.weights_, self.means_ = best.theta.weights, best.theta.means
        self.n_features_in_ = X.shape[1]
        self._n_parameters = model.n_parameters()
        self._set_run(best)
        self.log_posterior_history_ = self.log_likelihood_history_
        self.log_likelihood_history_ = self.log_posterior_history_ - np.array(
            [model.log_prior(theta) for theta in best.theta_history])
        return self

    # -- using the fit -------------------------------------------------------------------
    def _flat_problem(self, X, sample_weight):
        """The fit as a :class:`FlatMixtureProblem` on ``X``, and its parameters."""
        X = check_binary(X, n_features=self.n_features_in_)
        model = BernoulliModel(X, self.n_components, smoothing=self.smoothing,
                               sample_weight=check_sample_weight(sample_weight, X.shape[0]))
        return bernoulli_problem(model), BernoulliParams(self.weights_, self.means_)

    def _log_joint(self, X) -> np.ndarray:
        self._check_fitted("means_")
        X = self._binary(X, n_features=self.n_features_in_)
        return BernoulliModel(X, self.n_components).log_joint(
            BernoulliParams(self.weights_, self.means_))

    def score_samples(self, X) -> np.ndarray:
        """The log-probability of each row, shape (n_samples,) (``-inf`` if impossible).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Binary rows (0/1).

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log-likelihood of each row.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return log_sum_exp(self._log_joint(X))

    def predict_proba(self, X) -> np.ndarray:
        """The responsibilities ``p(k | x_n)``, shape (n_samples, n_components).

        A ValueError for a row that no component can produce (possible only with
        ``smoothing=0``).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Binary rows (0/1).

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
        norm = log_sum_exp(logp)
        impossible = np.flatnonzero(~np.isfinite(norm))
        if impossible.size:
            raise ValueError(f"row {int(impossible[0])} of X has probability zero under every "
                             "component (a feature switched on that no component ever switches "
                             "on): fit with smoothing > 0")
        return np.exp(logp - norm[:, None])

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Binary rows (0/1).

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

    def sample(self, n_samples=1, random_state=None):
        """``(X, labels)``: ``n_samples`` binary rows (int) drawn from the fitted mixture.

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
        rng, labels = self._draw_labels(n_samples, random_state)
        n = labels.size
        X = (rng.uniform(size=(n, self.n_features_in_)) < self.means_[labels]).astype(int)
        return X, labels
