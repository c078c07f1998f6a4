"""``RegressionMixture``: mixtures of GLM regressions and mixtures of experts, fitted by EM.

The estimator, its checks and ``fit``; what the fitted mixture says about data is in
``_regression_scoring``.
"""

from __future__ import annotations

import numpy as np

from .._checks import (RANDOM_STATE, Boolean, Integer, Options, Real, as_count_array,
                       check_sample_weight, check_X)
from ._base import MixtureEstimator, random_labels, responsibilities_from
from ._glm import FAMILIES, SeparationError, softmax_log
from ._regression_model import RegressionMixtureModel, RegressionParams
from ._regression_scoring import RegressionScoringMixin

__all__ = ["RegressionMixture"]


class RegressionMixture(RegressionScoringMixin, MixtureEstimator):
    r"""A mixture of generalised linear regressions, with optional concomitant variables.

    Component ``k`` is a GLM with the canonical link,
    :math:`y \mid x, k \sim f(y \mid x^\top \beta_k + b_k)` (Gaussian with
    standard deviation :math:`\sigma_k`, binomial with the logit link, or
    Poisson with the log link), chosen with probability :math:`\pi_k`:

    .. math:: p(y \mid x, g) = \sum_{k=1}^K \pi_k(g)\, f(y \mid x^\top \beta_k + b_k).

    Without concomitant variables the :math:`\pi_k` are constants. With a
    concomitant design :math:`g` they follow a multinomial logit,
    :math:`\pi_k(g) \propto \exp(\alpha_{k0} + g^\top \alpha_k)` with
    :math:`\alpha_1 = 0`: the model is then a *mixture of experts* (Jacobs et
    al. 1991), the components the experts and the logit the gating network;
    it is this same class, not another one. This is flexmix's ``FLXMRglm``
    with ``FLXPmultinom`` (Grün & Leisch 2008).

    EM's E-step gives the responsibilities :math:`\gamma_{nk}`; its M-step
    fits each component's GLM to all rows with weights :math:`w_n \gamma_{nk}`
    (weighted least squares; weighted Newton/IRLS for the binomial and
    Poisson families, warm-started and run to convergence, so each step is
    exact and the log-likelihood never decreases), and the gating logit to the
    responsibilities as soft labels (weighted Newton). :math:`\sigma_k` is
    the maximum-likelihood one (divided by :math:`\sum_n w_n \gamma_{nk}`,
    not by the ``n - p`` of flexmix's Gaussian family).

    Parameters
    ----------
    n_components : int, default 2
        Number of components ``K``.
    family : {"gaussian", "binomial", "poisson"}, default "gaussian"
        For ``"binomial"``, ``y`` is 0/1 of shape (n_samples,) or counts of
        successes and failures of shape (n_samples, 2); for ``"poisson"``,
        non-negative whole numbers.
    fit_intercept : bool, default True
        Whether each component has an intercept :math:`b_k`.
    concomitant : array-like of shape (n_samples, n_concomitant) or None, default None
        The concomitant design (an intercept is always added), if fixed with
        the estimator; ``fit(..., concomitant=...)`` and the other methods'
        keyword of the same name take precedence (the form that
        cross-validation needs).
    n_init : int, default 1
        Random starts (hard labels drawn uniformly, flexmix's default); the
        run with the highest log-likelihood is kept. A start whose M-step
        fails (a collapsed component, separation) is passed over.
    random_state : None, int or numpy.random.Generator
        Seeds the starts.
    resp_init : array-like of shape (n_samples, n_components), optional
        Starting responsibilities (rows normalised); then one start.
    tol : float, default 1e-6
        Stop when the mean log-likelihood per unit weight changes by less than ``tol``.
    max_iter : int, default 500
        Most EM iterations of each start.
    verbose : int, default 0
        1: a line at the start and end of each run; 2: also the change of the mean
        log-likelihood every 10 iterations.

    Attributes
    ----------
    weights_ : numpy.ndarray of shape (n_components,)
        :math:`\pi_k`; with concomitant variables, their weighted mean over the training rows.
    coef_ : numpy.ndarray of shape (n_components, n_features)
    intercept_ : numpy.ndarray of shape (n_components,)
        Zeros without ``fit_intercept``.
    sigma_ : numpy.ndarray of shape (n_components,)
        Gaussian family only.
    gating_coef_ : numpy.ndarray of shape (n_components, 1 + n_concomitant)
        The gating logit's coefficients (intercept first; row 0 zero). Set
        only when fitted with concomitant variables.
    log_likelihood_history_ : numpy.ndarray
        Total (weighted) log-likelihood at the start and after each iteration.
    n_iter_, converged_, n_features_in_

    Raises
    ------
    ValueError
        Bad ``y`` for the family (non-binary or negative counts for the
        binomial, negative or fractional counts for the Poisson), a design
        with collinear columns.
    emcore.nongaussian.SeparationError
        (a ValueError) When every start ends in a separated component or
        gating model.
    emcore.mixture.DegenerateComponentError
        When every start ends in an empty component, a rank-deficient weighted
        design, or a Gaussian component fitting its rows exactly.

    See Also
    --------
    emcore.nongaussian.RegressionMixtureModel : The EM model each fit runs.
    emcore.GaussianMixture : A mixture of the rows themselves.
    emcore.datasets.load_patents : Counts for a mixture of Poisson regressions.

    Examples
    --------
    Two regression lines through the same cloud of ``x``:

    >>> import numpy as np
    >>> from emcore import RegressionMixture
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 10, size=(400, 1))
    >>> line = rng.integers(2, size=400)
    >>> y = np.where(line == 0, 1 + 2 * x[:, 0], 20 - x[:, 0]) + rng.normal(0, 0.5, 400)
    >>> rm = RegressionMixture(2, n_init=3, random_state=0).fit(x, y)
    >>> order = np.argsort(rm.coef_[:, 0])
    >>> print(rm.coef_[order, 0].round(1), rm.intercept_[order].round(0), rm.sigma_.round(1))
    [-1.  2.] [20.  1.] [0.5 0.5]

    Poisson experts whose weights depend on a concomitant variable ``g`` (a
    mixture of experts):

    >>> g = rng.normal(size=(400, 1))
    >>> expert = rng.uniform(size=400) < 1 / (1 + np.exp(-3 * g[:, 0]))
    >>> counts = rng.poisson(np.exp(np.where(expert, 2.0 + 0.1 * x[:, 0], 0.5)))
    >>> moe = RegressionMixture(2, family="poisson", n_init=3, random_state=0)
    >>> moe = moe.fit(x, counts, concomitant=g)
    >>> order = np.argsort(moe.intercept_)
    >>> print(moe.intercept_[order].round(1), moe.coef_[order, 0].round(1) + 0.0)
    [0.5 1.9] [0.  0.1]

    The gate's slope in ``g`` (the log-odds of the busy expert against the quiet one; the
    data were drawn with 3):

    >>> busy = order[1]
    >>> slope = moe.gating_coef_[1, 1] if busy == 1 else -moe.gating_coef_[1, 1]
    >>> print(moe.gating_coef_.shape, round(float(slope), 1))
    (2, 2) 3.2
    """

    _skip = (SeparationError,) + MixtureEstimator._skip
    _parameter_constraints = {
        "n_components": [Integer(1)],
        "family": [Options(tuple(FAMILIES))],
        "fit_intercept": [Boolean()],
        "n_init": [Integer(1)],
        "random_state": RANDOM_STATE,
        "tol": [Real(0)],
        "max_iter": [Integer(0)],
        "verbose": [Integer(0, 2)],
    }  # concomitant and resp_init are checked against the data

    def __init__(self, n_components=2, *, family="gaussian", fit_intercept=True,
                 concomitant=None, n_init=1, random_state=None, resp_init=None, tol=1e-6,
                 max_iter=500, verbose=0):
        self.n_components = n_components
        self.family = family
        self.fit_intercept = fit_intercept
        self.concomitant = concomitant
        self.n_init = n_init
        self.random_state = random_state
        self.resp_init = resp_init
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    def __sklearn_tags__(self):
        """scikit-learn's tags: a regressor of a 1-D ``y`` on dense real 2-D ``X``.

        ``predict`` is the mixture's mean; ``score`` is the mean log-likelihood, not R^2.
        """
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True),
                    input_tags=InputTags(two_d_array=True, sparse=False),
                    regressor_tags=RegressorTags(), requires_fit=True, non_deterministic=False)

    # -- data ----------------------------------------------------------------------------
    def _design(self, X, *, fitted=False):
        """The regression design: ``X`` checked, a column of ones first with ``fit_intercept``."""
        name = type(self).__name__
        X = np.asarray(check_X(X, "X", n_features=self.n_features_in_ if fitted else None,
                               estimator=name), dtype=np.float64)
        return np.hstack([np.ones((X.shape[0], 1)), X]) if self.fit_intercept else X

    def _check_y(self, y, n):
        """``y`` checked for the family: (n,) floats or counts, (n, 2) for the binomial."""
        family = self.family
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        y = np.asarray(y)
        if family == "gaussian":
            if np.ndim(y) != 1:
                raise ValueError(f"y must be 1-D for the gaussian family, got shape {np.shape(y)}")
            y = np.asarray(check_X(np.asarray(y)[:, None], "y", estimator=type(self).__name__),
                           dtype=np.float64)[:, 0]
        elif family == "poisson":
            y = as_count_array(y, "y (poisson counts)")
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D for the poisson family, got shape {y.shape}")
            y = y.astype(float)
        else:
            arr = np.asarray(y)
            if arr.ndim == 1:
                if arr.dtype.kind not in "biuf" or not np.all(np.isin(arr, (0, 1))):
                    raise ValueError("y must hold only 0 and 1 for the binomial family (or be "
                                     "successes and failures of shape (n_samples, 2))")
                arr = np.column_stack([arr, 1 - arr])
            y = as_count_array(arr, "y (binomial successes and failures)").astype(float)
            if y.ndim != 2 or y.shape[1] != 2:
                raise ValueError("y must be 0/1 of shape (n_samples,) or successes and failures "
                                 f"of shape (n_samples, 2) for the binomial family, got {y.shape}")
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} rows, X has {n}: they must be equal")
        return y

    def _gating_design(self, concomitant, n, *, fitted=False):
        """``[1, g]`` (n, 1 + q), or None without concomitant variables."""
        g = self.concomitant if concomitant is None else concomitant
        if fitted and g is None and hasattr(self, "gating_coef_"):
            raise ValueError("concomitant is needed: this RegressionMixture was fitted with "
                             "concomitant variables")
        if fitted and g is not None and not hasattr(self, "gating_coef_"):
            raise ValueError("concomitant was given, but this RegressionMixture was fitted "
                             "without concomitant variables")
        if g is None:
            return None
        q = self.gating_coef_.shape[1] - 1 if fitted else None
        g = np.asarray(check_X(g, "concomitant", n_features=q, estimator=type(self).__name__),
                       dtype=np.float64)
        if g.shape[0] != n:
            raise ValueError(f"concomitant has {g.shape[0]} rows, X has {n}: they must be equal")
        return np.hstack([np.ones((n, 1)), g])

    @staticmethod
    def _check_full_rank(D, name):
        if D.shape[0] < D.shape[1]:
            raise ValueError(f"{name} has n_samples = {D.shape[0]}, fewer than the "
                             f"{D.shape[1]} columns of its design (with the intercept)")
        sv = np.linalg.svd(D, compute_uv=False)
        if sv.size < D.shape[1] or not sv[-1] > 1e3 * np.finfo(float).eps * sv[0]:
            raise ValueError(f"the design of {name} (with its intercept column) has collinear "
                             "columns: drop the redundant ones")

    # -- fitting -------------------------------------------------------------------------
    def fit(self, X, y, *, concomitant=None, sample_weight=None):
        """Fit the mixture of regressions (of experts, with concomitant variables) by EM.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        y : array_like of shape (n_samples,) or (n_samples, 2)
            The response (see ``family``; binomial: 0/1, or successes and failures).
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; integer weight ``m`` counts as ``m`` repeated rows.

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
        D = self._design(X)
        n = D.shape[0]
        y = self._check_y(y, n)
        G = self._gating_design(concomitant, n)
        w = check_sample_weight(sample_weight, n)
        self._check_full_rank(D, "X")
        if G is not None:
            self._check_full_rank(G, "concomitant")
        model = RegressionMixtureModel(D, y, p["family"], p["n_components"], G, w)
        k = p["n_components"]
        if self.resp_init is not None:
            resp0 = responsibilities_from(self.resp_init, n, k)
        elif k > n:
            raise ValueError(f"n_components={k} exceeds the number of rows of X ({n})")
        rng = self._rng()

        def start(i):
            resp = resp0 if self.resp_init is not None else random_labels(n, k, rng)
            return model.params_from_responsibilities(resp)

        best = self._best_run(model, start, dict(p, resp_init=self.resp_init),
                              float(model.weights.sum()))
        theta = best.theta
        self.n_features_in_ = D.shape[1] - int(self.fit_intercept)
        self._set_params(theta, model)
        self._set_run(best)
        return self

    def _set_params(self, theta: RegressionParams, model) -> None:
        start = int(self.fit_intercept)
        self.coef_ = theta.coef[:, start:].copy()
        self.intercept_ = theta.coef[:, 0].copy() if start else np.zeros(theta.coef.shape[0])
        if theta.sigma is not None:
            self.sigma_ = theta.sigma.copy()
        else:
            self.__dict__.pop("sigma_", None)
        prior = np.exp(softmax_log(model.G, theta.gating))
        self.weights_ = model.weights @ prior / model.weights.sum()
        if model.constant_weights:
            self.__dict__.pop("gating_coef_", None)
        else:
            self.gating_coef_ = theta.gating.copy()
        self._n_parameters = model.n_parameters()
