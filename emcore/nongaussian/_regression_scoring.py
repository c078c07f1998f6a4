"""What a fitted :class:`RegressionMixture` says about data: log-likelihoods,
responsibilities, components, predictions, criteria, and the EM problem on new data.

:class:`RegressionScoringMixin` holds the estimator's methods that read the fitted
parameters and never write them.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_sample_weight
from ._base import log_sum_exp
from ._glm import FAMILIES, softmax_log
from ._regression_model import RegressionMixtureModel, RegressionParams

__all__ = ["RegressionScoringMixin"]


class RegressionScoringMixin:
    """``score_samples``, ``score``, ``predict_proba``, ``predict_component``,
    ``predict``, ``em_problem``, ``bic`` and ``aic``."""

    def _params(self) -> RegressionParams:
        self._check_fitted("coef_")
        coef = np.column_stack([self.intercept_, self.coef_]) if self.fit_intercept else self.coef_
        gating = (self.gating_coef_ if hasattr(self, "gating_coef_")
                  else np.log(self.weights_ / self.weights_[0])[:, None])
        return RegressionParams(coef, getattr(self, "sigma_", None), gating)

    def _log_joint(self, X, y, concomitant):
        theta = self._params()
        D = self._design(X, fitted=True)
        y = self._check_y(y, D.shape[0])
        G = self._gating_design(concomitant, D.shape[0], fitted=True)
        model = RegressionMixtureModel(D, y, self.family, self.n_components, G)
        return model.log_joint(theta)

    def score_samples(self, X, y, *, concomitant=None) -> np.ndarray:
        """``log p(y_n | x_n, g_n)`` for each row, shape (n_samples,).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        y : array_like of shape (n_samples,) or (n_samples, 2)
            The response (see ``family``; binomial: 0/1, or successes and failures).
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log-likelihood of each row.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return log_sum_exp(self._log_joint(X, y, concomitant))

    def score(self, X, y, *, concomitant=None, sample_weight=None) -> float:
        """The mean (weighted) log-likelihood per row.

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
        float
            The mean (weighted) log-likelihood per row.
        """
        ll = self.score_samples(X, y, concomitant=concomitant)
        w = check_sample_weight(sample_weight, ll.size)
        return float(ll.mean() if w is None else ll @ w / w.sum())

    def predict_proba(self, X, y, *, concomitant=None) -> np.ndarray:
        """The responsibilities ``p(k | x_n, y_n, g_n)``, shape (n_samples, n_components).

        Their ``argmax`` along the rows is each row's component (:meth:`predict_component`).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        y : array_like of shape (n_samples,) or (n_samples, 2)
            The response (see ``family``; binomial: 0/1, or successes and failures).
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_components)
            Rows sum to 1.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        logp = self._log_joint(X, y, concomitant)
        return np.exp(logp - log_sum_exp(logp)[:, None])

    def predict_component(self, X, y=None, *, concomitant=None) -> np.ndarray:
        r"""The component of each row.

        With ``y``, the most probable given ``(x, y, g)`` (flexmix's ``clusters``);
        without, the one the gating weights :math:`\pi_k(g)` favour (the expert a
        mixture of experts consults for a new ``x``).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        y : array_like, optional
            The response; without it, the gating weights decide.
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of each row.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        if y is not None:
            return np.argmax(self._log_joint(X, y, concomitant), axis=1)
        return np.argmax(self.predict(X, concomitant=concomitant, return_components=True)[2],
                         axis=1)

    def predict(self, X, *, concomitant=None, return_components=False):
        """The mixture's mean ``E[y | x, g] = sum_k pi_k(g) mu_k(x)``, shape (n_samples,).

        For the binomial family, the probability of a success per trial. With
        ``return_components``, also each component's mean ``mu_k(x)`` (n_samples,
        n_components) and the weights ``pi_k(g)`` (n_samples, n_components).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).
        return_components : bool, default False
            Also return each component's mean and the weights.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The mixture's mean; with ``return_components``, also the components' means
            (n_samples, n_components) and the weights.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        theta = self._params()
        D = self._design(X, fitted=True)
        G = self._gating_design(concomitant, D.shape[0], fitted=True)
        G = np.ones((D.shape[0], 1)) if G is None else G
        means = FAMILIES[self.family].mean(D @ theta.coef.T)
        prior = np.exp(softmax_log(G, theta.gating))
        mixed = np.sum(prior * means, axis=1)
        return (mixed, means, prior) if return_components else mixed

    def em_problem(self, X, y, *, concomitant=None, sample_weight=None):
        r"""The fitted mixture as an :class:`emcore.EMModel` of the data, and its parameters.

        The model is :class:`emcore.nongaussian.RegressionMixtureModel`; ``theta`` is one
        vector (``model.pack``), for :func:`emcore.standard_errors` (``method="hessian"``)
        and :func:`emcore.em_rate`.

        The vector holds each component's coefficients (intercept first), the sigmas
        (Gaussian family) and the gating coefficients of components 1, ..., K-1 (those
        of component 0 are fixed at 0; without concomitant variables, the log-odds
        :math:`\log(\pi_k / \pi_1)`).

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
        model : emcore.EMModel
            The model of the data.
        theta : numpy.ndarray
            The fitted parameters as one vector (``model.pack``).
        """
        theta = self._params()
        D = self._design(X, fitted=True)
        y = self._check_y(y, D.shape[0])
        G = self._gating_design(concomitant, D.shape[0], fitted=True)
        w = check_sample_weight(sample_weight, D.shape[0])
        model = RegressionMixtureModel(D, y, self.family, self.n_components, G, w)
        return model, model.pack(theta)

    def bic(self, X, y, *, concomitant=None) -> float:
        """``-2 log L + p log n`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        y : array_like of shape (n_samples,) or (n_samples, 2)
            The response (see ``family``; binomial: 0/1, or successes and failures).
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).

        Returns
        -------
        float
            With ``p`` the free parameters and ``n`` the number of rows.
        """
        ll = self.score_samples(X, y, concomitant=concomitant)
        return -2.0 * float(ll.sum()) + self._n_parameters * math.log(ll.size)

    def aic(self, X, y, *, concomitant=None) -> float:
        """``-2 log L + 2 p`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The regressors (an intercept is added with ``fit_intercept``).
        y : array_like of shape (n_samples,) or (n_samples, 2)
            The response (see ``family``; binomial: 0/1, or successes and failures).
        concomitant : array_like of shape (n_samples, n_concomitant), optional
            The gating variables (default: the constructor's).

        Returns
        -------
        float
            With ``p`` the free parameters.
        """
        ll = self.score_samples(X, y, concomitant=concomitant)
        return -2.0 * float(ll.sum()) + 2.0 * self._n_parameters
