"""``FactorAnalysis``: a scikit-learn-style estimator on :class:`FactorModel` and ``run_em``."""

from __future__ import annotations

import warnings

import numpy as np

from .._checks import Integer, Options, Real
from ..exceptions import HeywoodWarning
from ._fa_model import FactorModel, check_data
from ._lowrank import LowRankPlusDiagonal, varimax
from ._params import EstimatorParams

__all__ = ["FactorAnalysis"]


class FactorAnalysis(EstimatorParams):
    r"""Factor analysis fitted by EM (Rubin & Thayer 1982).

    The model is :math:`x = \mu + W z + \varepsilon` with :math:`z \sim \mathcal{N}(0, I_q)`
    and :math:`\varepsilon \sim \mathcal{N}(0, \Psi)`, :math:`\Psi` diagonal (the
    uniquenesses), so :math:`x \sim \mathcal{N}(\mu, W W^\top + \Psi)`. It
    maximises the same likelihood as scikit-learn's ``FactorAnalysis`` (which
    alternates an SVD for :math:`W` with an update of :math:`\Psi`); here each
    iteration is one EM step of :class:`emcore.factor.FactorModel`, costing
    :math:`O(\min(n, d)\, d q)` with no d x d inverse.

    Parameters
    ----------
    n_factors : int, default 1
        ``q``, from 0 to the Ledermann bound :math:`(d - q)^2 \ge d + q`.
    tol : float, default 1e-6
        Stop when the mean log-likelihood per sample changes by less than
        ``tol`` in one iteration. EM is slow near a Heywood case; scikit-learn's
        default (1e-2 on the total) stops far shorter.
    max_iter : int, default 1000
        Most EM iterations of each start.
    n_init : int, default 1
        Starts; the best log-likelihood is kept. The first is ``init_params``,
        the others random.
    init_params : {"ppca", "random"}, default "ppca"
        ``"ppca"``: the closed-form PPCA fit of the standardised data, rescaled
        (deterministic); ``"random"``: random loadings.
    rotation : {None, "varimax"}, default None
        Rotate the fitted loadings (the likelihood does not change).
    heywood_tol : float, default 1e-3
        A variable is a Heywood case, reported in ``heywood_`` and by a
        :class:`emcore.HeywoodWarning` naming it, when its uniqueness ends below
        ``heywood_tol`` times its variance, or when the log-likelihood at the fit
        still rises as that uniqueness is set to 0
        (:meth:`emcore.factor.FactorModel.zero_uniqueness_gain`): EM reaches such a
        boundary maximum only like 1/t, so ``tol`` stops it short.
    random_state : None, int or numpy.random.Generator
        Seeds the random starts (``init_params="random"`` or ``n_init > 1``).
    verbose : int, default 0
        1: a line at the start and end of each run; 2: also the change of the mean
        log-likelihood every 10 iterations.

    Attributes
    ----------
    components_ : numpy.ndarray of shape (n_factors, n_features)
        The loadings :math:`W^\top` (rotated if ``rotation`` is set).
    noise_variance_ : numpy.ndarray of shape (n_features,)
        The uniquenesses :math:`\psi`.
    mean_ : numpy.ndarray of shape (n_features,)
    rotation_matrix_ : numpy.ndarray of shape (n_factors, n_factors) or None
        The orthogonal ``R`` with ``components_ = R.T @ W.T``.
    heywood_ : numpy.ndarray of int
        Columns whose uniqueness is at the boundary 0 (see ``heywood_tol``).
    log_likelihood_ : float
        The total log-likelihood at the fit.
    log_likelihood_history_ : numpy.ndarray
        The total log-likelihood at the start and after each iteration of the best run.
    n_iter_ : int
    converged_ : bool
    n_features_in_ : int

    See Also
    --------
    emcore.MixtureOfFactorAnalyzers : A mixture of factor analysers.
    emcore.factor.FactorModel : The EM model each fit runs.
    emcore.models.PPCA : One noise variance for every feature.
    emcore.HeywoodWarning : Warned when a uniqueness reaches the boundary 0.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import FactorAnalysis
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 1)) @ [[1.0, 0.8, 0.6, 0.4]] + 0.5 * rng.normal(size=(500, 4))
    >>> fa = FactorAnalysis(1, tol=1e-10, random_state=0).fit(X)
    >>> print(np.round(fa.noise_variance_, 2), fa.converged_)
    [0.26 0.22 0.24 0.25] True
    >>> print(f"{fa.score(X):.4f}", fa.transform(X[:2]).shape)
    -4.0189 (2, 1)
    """

    _parameter_constraints = {
        "n_factors": [Integer(0)],
        "tol": [Real(0)],
        "max_iter": [Integer(0)],
        "n_init": [Integer(1)],
        "init_params": [Options(("ppca", "random"))],
        "rotation": [None, Options(("varimax",))],
        "heywood_tol": [Real(0, 1)],
        "verbose": [Integer(0)],
    }

    def __init__(self, n_factors=1, *, tol=1e-6, max_iter=1000, n_init=1, init_params="ppca",
                 rotation=None, heywood_tol=1e-3, random_state=None, verbose=0):
        self.n_factors = n_factors
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.rotation = rotation
        self.heywood_tol = heywood_tol
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Fit the loadings and uniquenesses by EM.

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
        emcore.HeywoodWarning
            When a uniqueness ends at the boundary 0 (``heywood_`` lists the variables).
        emcore.ConvergenceWarning
            When the best run reached ``max_iter`` unconverged.
        """
        params = self._checked_params()
        model = FactorModel(X, params["n_factors"])
        rng = self._rng()

        def start(i):
            method = params["init_params"] if i == 0 else "random"
            return model.initial_params(rng, method=method)

        self._set_fitted(model, self._best_run(model, start, params), X)
        return self

    def _set_fitted(self, model, run, X):
        W, psi = model.unpack(run.theta)
        self.rotation_matrix_ = None
        if self.rotation == "varimax":
            W, self.rotation_matrix_ = varimax(W)
        self.components_ = W.T.copy()
        self.noise_variance_ = psi.copy()
        self.mean_ = model.mean.copy()
        self.n_features_in_ = model.d
        self.log_likelihood_ = float(run.log_likelihood)
        self.log_likelihood_history_ = np.asarray(run.log_likelihood_history, dtype=float).copy()
        self.n_iter_ = int(run.n_iter)
        self.converged_ = bool(run.converged)
        # On the boundary: tiny, or the likelihood still rises as psi_j goes to 0 (EM creeps
        # there like 1/t, so a tolerance stops it with psi_j small but not below heywood_tol).
        on_boundary = (psi < self.heywood_tol * model.variance) | (
            model.zero_uniqueness_gain(run.theta) > 0)
        self.heywood_ = np.flatnonzero(on_boundary)
        if self.heywood_.size:
            columns = getattr(X, "columns", None)
            names = [str(j) if columns is None else f"{j} ({columns[j]!r})" for j in self.heywood_]
            ratios = ", ".join(f"{psi[j] / model.variance[j]:.2g}" for j in self.heywood_)
            warnings.warn(
                f"Heywood case: the uniqueness of variable(s) {', '.join(names)} fell to {ratios} "
                f"of its variance (heywood_tol={self.heywood_tol:g}), or the likelihood still "
                "rises as it goes to 0; the maximum lies on the boundary psi = 0, where EM "
                "converges slowly and these estimates are not reliable. "
                "FactorAnalysis.heywood_ lists them.", HeywoodWarning, stacklevel=3)

    # -- using the fit ---------------------------------------------------------------
    def _covariance_model(self):
        self._check_fitted("components_")
        return LowRankPlusDiagonal(self.components_.T, self.noise_variance_)

    def _centred(self, X):
        self._check_fitted("components_")
        return check_data(X, min_rows=1, n_features=self.n_features_in_,
                          owner=type(self).__name__) - self.mean_

    def score_samples(self, X) -> np.ndarray:
        """The log-likelihood of each row (by Woodbury: O(d q) per row).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log-density of each row under the fitted model.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._covariance_model().log_density(self._centred(X))[0]

    def score(self, X, y=None) -> float:
        """The mean log-likelihood per row, as scikit-learn's ``FactorAnalysis.score``.

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

    def transform(self, X) -> np.ndarray:
        r"""The factors' posterior means :math:`\mathbb{E}[z \mid x]`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_factors)
            Row ``n`` is the posterior mean of the factors given ``X[n]``.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._covariance_model().quadratic_and_factors(self._centred(X))[1]

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit, then return the factors' posterior means, ``fit(X).transform(X)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_factors)
            Row ``n`` is the posterior mean of the factors given ``X[n]``.
        """
        return self.fit(X).transform(X)

    def get_covariance(self) -> np.ndarray:
        r"""The model covariance.

        Returns
        -------
        numpy.ndarray of shape (n_features, n_features)
            :math:`W W^\top + \Psi`.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._covariance_model().covariance()

    def get_precision(self) -> np.ndarray:
        """The inverse of :meth:`get_covariance`, by Woodbury (no d x d inverse).

        Returns
        -------
        numpy.ndarray of shape (n_features, n_features)
            The inverse of the model covariance ``W W^T + Psi``.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._covariance_model().precision()

    def em_problem(self, X):
        """The fitted model as an :class:`emcore.EMModel` on ``X``, and its parameters.

        The model's mean is the sample mean of ``X`` (it is profiled out).
        Rotations of ``W`` leave the likelihood flat, so the EM map's Jacobian has
        eigenvalues 1 along them (``q(q-1)/2`` of them).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows (complete: no NaN).

        Returns
        -------
        model : emcore.factor.FactorModel
            For :func:`emcore.run_em` and :func:`emcore.em_rate`.
        theta : numpy.ndarray
            The fitted loadings and uniquenesses, flat.
        """
        self._check_fitted("components_")
        model = FactorModel(X, self.components_.shape[0])
        return model, model.pack(self.components_.T, self.noise_variance_)
