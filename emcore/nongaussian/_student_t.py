"""``StudentTMixture``: robust mixtures of multivariate t distributions, fitted by EM."""

from __future__ import annotations

import numpy as np

from .._checks import RANDOM_STATE, Integer, Options, Real, check_sample_weight, check_X
from ..gaussian.covariance import COVARIANCE_TYPES, covariance_model
from ._base import DensityMixtureEstimator, log_sum_exp
from ._problem import StandardErrorsMixin, student_t_problem
from ._student_t_model import DOF_BOUNDS, StudentTModel, StudentTParams, mahalanobis

__all__ = ["StudentTMixture"]


class StudentTMixture(StandardErrorsMixin, DensityMixtureEstimator):
    r"""A mixture of multivariate Student t distributions, fitted by EM: a robust Gaussian mixture.

    Component ``k`` is :math:`t_{\nu_k}(\mu_k, \Sigma_k)`, a Gaussian whose precision is
    scaled by a gamma variable :math:`u \sim \text{Gamma}(\nu_k/2, \text{rate } \nu_k/2)`.
    EM treats the component *and* :math:`u` as latent (McLachlan & Peel 2000, ch. 7; Peel
    & McLachlan 2000): a point far from a component's centre gets a small weight
    :math:`u_{nk} = (\nu_k + D)/(\nu_k + \delta_{nk})` (:math:`\delta_{nk}` its Mahalanobis
    distance) and pulls that component's mean and scale little. Each iteration is exact EM
    (:class:`emcore.nongaussian.StudentTModel`); with ``dof="estimate"`` each
    :math:`\nu_k` is the root of a one-dimensional equation per iteration. As
    :math:`\nu \to \infty` the t is the Gaussian and the fit is :class:`emcore.GaussianMixture`'s.

    Parameters
    ----------
    n_components : int, default 1
        Number of components ``K``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
        The shape of the scale matrices :math:`\Sigma_k`, as in :class:`emcore.GaussianMixture`.
    dof : "estimate" or float, default "estimate"
        Estimate every :math:`\nu_k` (in ``DOF_BOUNDS = (0.01, 1e6)``), or fix all to this
        positive number.
    dof_init : float, default 10.0
        The starting :math:`\nu_k` when estimated.
    tol : float, default 1e-5
        Stop when the mean log-likelihood per unit weight changes by less than ``tol``.
    reg_covar : float, default 1e-6
        Added to the diagonal of each scale matrix after every M-step (0: exact EM).
    max_iter : int, default 500
        Most EM iterations of each start.
    n_init : int, default 1
        Starts; the one with the highest log-likelihood is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default "kmeans"
        The starting responsibilities, as :class:`emcore.GaussianMixture` draws them (one
        M-step of the Gaussian mixture turns them into the starting means and scales).
    resp_init : array-like of shape (n_samples, n_components), optional
        Starting responsibilities (rows normalised); then one start.
    random_state : None, int or numpy.random.Generator
        Seeds the starts.
    verbose : int, default 0
        1: a line at the start and end of each run; 2: also the change of the mean
        log-likelihood every 10 iterations.

    Attributes
    ----------
    weights_, means_, covariances_, precisions_cholesky_
        As :class:`emcore.GaussianMixture`'s; ``covariances_`` are the *scale* matrices
        :math:`\Sigma_k` (a t's covariance is :math:`\Sigma_k \nu_k / (\nu_k - 2)`).
    degrees_of_freedom_ : numpy.ndarray of shape (n_components,)
    log_likelihood_history_, n_iter_, converged_, n_features_in_

    See Also
    --------
    emcore.GaussianMixture : The Gaussian mixture, the limit ``nu -> infinity``.
    emcore.nongaussian.StudentTModel : The EM model each fit runs.
    emcore.models.MultivariateT : One multivariate t.

    Examples
    --------
    One cluster with a few wild points: the t component's centre stays put, the Gaussian's
    moves.

    >>> import numpy as np
    >>> from emcore import GaussianMixture, StudentTMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(200, 2)), [[40.0, 40.0], [45.0, 38.0]]])
    >>> t = StudentTMixture(1, random_state=0).fit(X)
    >>> gauss = GaussianMixture(1).fit(X)
    >>> print(t.means_.round(1) + 0.0, gauss.means_.round(1))
    [[-0.1  0. ]] [[0.3 0.4]]
    >>> print(t.degrees_of_freedom_.round(1), np.argsort(t.outlier_scores(X))[:2])
    [3.6] [201 200]
    """

    _parameter_constraints = {
        "n_components": [Integer(1)],
        "covariance_type": [Options(COVARIANCE_TYPES)],
        "dof": [Options(("estimate",)), Real(0, low_open=True)],
        "dof_init": [Real(0, low_open=True)],
        "tol": [Real(0)],
        "reg_covar": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "random_state": RANDOM_STATE,
        "verbose": [Integer(0, 2)],
    }  # init_params and resp_init are GaussianMixture's, checked by it

    def __init__(self, n_components=1, *, covariance_type="full", dof="estimate",
                 dof_init=10.0, tol=1e-5, reg_covar=1e-6, max_iter=500, n_init=1,
                 init_params="kmeans", resp_init=None, random_state=None, verbose=0):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.dof = dof
        self.dof_init = dof_init
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.resp_init = resp_init
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None, *, sample_weight=None):
        """Fit the mixture by EM, the gamma scale weights a second latent layer.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.
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
            When the best run reached ``max_iter`` unconverged, or the model stopped it at a
            collapsing component (the parameters before the collapse stay).
        """
        from ..mixture import GaussianMixture

        p = self._checked_params()
        X = np.asarray(check_X(X, estimator=type(self).__name__), dtype=np.float64)
        w = check_sample_weight(sample_weight, X.shape[0])
        k = p["n_components"]
        estimate = p["dof"] == "estimate"
        dof0 = p["dof_init"] if estimate else p["dof"]
        if estimate and not DOF_BOUNDS[0] <= dof0 <= DOF_BOUNDS[1]:
            raise ValueError(f"dof_init must be within {DOF_BOUNDS}, got {dof0}")
        model = StudentTModel(X, k, p["covariance_type"], estimate_dof=estimate,
                              reg_covar=p["reg_covar"], sample_weight=w)
        rng = self._rng()

        def start(i):  # the Gaussian mixture's start: its first M-step, no EM iteration
            gm = GaussianMixture(k, covariance_type=p["covariance_type"], max_iter=0,
                                 reg_covar=p["reg_covar"], init_params=self.init_params,
                                 resp_init=self.resp_init, random_state=rng)
            gm.fit(X, sample_weight=w)
            return StudentTParams(gm.weights_, gm.means_, gm.covariances_,
                                  gm.precisions_cholesky_, np.full(k, float(dof0)))

        total = float(model.weights.sum())
        best = self._best_run(model, start, dict(p, resp_init=self.resp_init), total)
        theta = best.theta
        self.weights_, self.means_ = theta.weights, theta.means
        self.covariances_, self.precisions_cholesky_ = theta.covariances, theta.precisions_cholesky
        self.degrees_of_freedom_ = theta.dofs
        self.n_features_in_ = X.shape[1]
        self._n_parameters = model.n_parameters()
        self._set_run(best)
        return self

    # -- using the fit -------------------------------------------------------------------
    def _model_and_params(self, X):
        self._check_fitted("means_")
        X = np.asarray(check_X(X, n_features=self.n_features_in_, estimator=type(self).__name__),
                       dtype=np.float64)
        theta = StudentTParams(self.weights_, self.means_, self.covariances_,
                               self.precisions_cholesky_, self.degrees_of_freedom_)
        return StudentTModel(X, self.n_components, self.covariance_type), theta

    def _flat_problem(self, X, sample_weight):
        """The fit as a :class:`FlatMixtureProblem` on ``X``, and its parameters."""
        model, theta = self._model_and_params(X)
        model = StudentTModel(model.X, self.n_components, self.covariance_type,
                              estimate_dof=self.dof == "estimate",
                              sample_weight=check_sample_weight(sample_weight, model.n))
        return student_t_problem(model, self.dof == "estimate"), theta

    def _log_joint(self, X):
        model, theta = self._model_and_params(X)
        return model.log_joint(theta)

    def score_samples(self, X) -> np.ndarray:
        """The log-density of each row, shape (n_samples,).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log-likelihood of each row.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return log_sum_exp(self._log_joint(X)[0])

    def predict_proba(self, X) -> np.ndarray:
        """The responsibilities ``p(k | x_n)``, shape (n_samples, n_components).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_components)
            Rows sum to 1.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        logp = self._log_joint(X)[0]
        return np.exp(logp - log_sum_exp(logp)[:, None])

    def predict(self, X) -> np.ndarray:
        """The most probable component of each row.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of largest responsibility.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return np.argmax(self._log_joint(X)[0], axis=1)

    def mahalanobis(self, X) -> np.ndarray:
        """Squared Mahalanobis distances ``delta_nk`` of each row to each component, (n, K).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_components)
            Entry ``(n, k)`` is row ``n``'s squared distance to component ``k``.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        model, theta = self._model_and_params(X)
        return mahalanobis(model.X, theta.means, theta.precisions_cholesky, model.cov)

    def outlier_scores(self, X) -> np.ndarray:
        r"""Each row's expected gamma weight :math:`\sum_k \gamma_{nk} u_{nk}`, shape (n_samples,).

        :math:`u_{nk} = (\nu_k + D)/(\nu_k + \delta_{nk})`: about 1 for a typical row,
        near 0 for one far from every component (lower is more outlying, as scikit-learn's
        outlier scores). It is the weight the row has in the M-step's means.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            Lower is more outlying.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        logp, delta = self._log_joint(X)
        resp = np.exp(logp - log_sum_exp(logp)[:, None])
        dofs = self.degrees_of_freedom_
        return np.sum(resp * (dofs + self.n_features_in_) / (dofs + delta), axis=1)

    def sample(self, n_samples=1, random_state=None):
        """``(X, labels)``: draws ``mu_k + z / sqrt(u)``, ``z ~ N(0, Sigma_k)``, ``u ~ Gamma``.

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
        z = rng.standard_normal((n, self.n_features_in_))
        noise = covariance_model(self.covariance_type).sample(
            np.zeros_like(self.means_), self.covariances_, labels, z)
        dofs = self.degrees_of_freedom_[labels]
        u = rng.gamma(dofs / 2, 2 / dofs)
        return self.means_[labels] + noise / np.sqrt(u)[:, None], labels
