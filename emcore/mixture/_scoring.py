"""What a fitted mixture says about new data: densities, responsibilities,
labels, criteria, imputations.

:class:`ScoringMixin` holds the methods of :class:`GaussianMixture` that read
the fitted parameters and never write them. With ``missing="marginalize"``
``X`` may hold NaN: those entries are integrated out (:mod:`._missing`).
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import Integer, check_params, check_random_state, check_sample_weight, check_X
from ..exceptions import NotFittedError
from ..gaussian.covariance import covariance_model
from ..gaussian.stats import MixtureParams
from ._estep import normalize
from ._missing import impute, log_prob_rows
from ._model import rowwise
from ._pool import resolve_n_jobs

__all__ = ["ScoringMixin"]


class ScoringMixin:
    """``score_samples``, ``predict_proba``, ``predict``, ``score``, ``bic``,
    ``aic``, ``icl``, ``impute``, ``em_problem``, ``standard_errors`` and ``sample``."""

    def _each_chunk(self, X, shape, dtype, finish):
        """Rows of ``X`` as ``finish(log_joint, shared)`` gives them, chunk by
        chunk on ``n_jobs`` threads.

        ``shape`` is the shape of one row of the output.
        """
        params = self._params()
        X = check_X(X, n_features=self.n_features_in_, missing=self.missing)
        center = params.weights @ params.means
        out = np.empty((X.shape[0],) + shape, dtype=dtype)

        def fill(rows, log_joint, shared):
            out[rows] = finish(log_joint, shared)

        log_prob_rows(X, self.covariance_type, params.moved(-center), center, fill,
                      resolve_n_jobs(self.n_jobs), absolute=params)
        return out

    @rowwise
    def score_samples(self, X):
        """Log-density ``log p(x)`` of each sample (of its observed entries, with NaN).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log-density of each sample under the fitted mixture.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._each_chunk(X, (), np.float64,
                                lambda log_joint, shared: normalize(log_joint, shared)[1])

    @rowwise
    def predict_proba(self, X):
        """The responsibilities ``gamma_nk``, the posterior probability of each component.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_components)
            Rows sum to 1.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._each_chunk(X, (self.n_components,), np.float64,
                                lambda log_joint, shared: normalize(log_joint, shared)[0].T)

    @rowwise
    def predict(self, X):
        """The most responsible component of each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.

        Returns
        -------
        numpy.ndarray of int of shape (n_samples,)
            The component (0 to ``n_components - 1``) of largest responsibility.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        return self._each_chunk(X, (), np.intp,
                                lambda log_joint, shared: np.argmax(log_joint, axis=0))

    @rowwise
    def impute(self, X):
        """``X`` with each NaN replaced by its conditional expectation under the mixture.

        A missing block ``x_m`` of a row with observed block ``x_o`` becomes
        ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + S_k,mo S_k,oo^{-1} (x_o - mu_ko))``;
        a row with nothing observed becomes the mixture's mean. Needs a fitted
        mixture (with either value of ``missing``); a dask array gives a lazy one.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_features)
            A float64 copy, holes filled.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianMixture
        >>> X = np.array([[0.0, 0.1], [1.0, 1.1], [2.0, 1.9], [3.0, 3.2], [4.0, 3.9]])
        >>> gm = GaussianMixture(1, missing="marginalize").fit(X)
        >>> print(gm.impute([[2.5, np.nan]]).round(3))
        [[2.5   2.525]]

        With one component this is the regression of the missing on the observed coordinate:

        >>> mu, S = gm.means_[0], gm.covariances_[0]
        >>> print(round(mu[1] + S[1, 0] / S[0, 0] * (2.5 - mu[0]), 3))
        2.525
        """
        params = self._params()
        X = check_X(X, n_features=self.n_features_in_, missing="marginalize")
        center = params.weights @ params.means
        return impute(X, self.covariance_type, params.moved(-center), center, absolute=params)

    def score(self, X, y=None, *, sample_weight=None):
        """Mean (weighted) log-likelihood per sample of ``X``, as scikit-learn's.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.
        y : None
            Ignored (scikit-learn's signature).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; a row of integer weight ``m`` counts as ``m`` rows.

        Returns
        -------
        float
            The mean per sample (the HMMs' ``score`` is the total).
        """
        logp = self.score_samples(X)
        w = check_sample_weight(sample_weight, logp.size)
        return float(logp.mean() if w is None else logp @ w / w.sum())

    def _n_parameters(self):
        return covariance_model(self.covariance_type).n_parameters(self.n_components,
                                                                   self.n_features_in_)

    def bic(self, X, *, sample_weight=None):
        """Bayesian information criterion ``-2 log L + p log n`` on ``X`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; a row of integer weight ``m`` counts as ``m`` rows.

        Returns
        -------
        float
            With ``p`` the free parameters and ``n`` the (weighted) number of samples.
        """
        total, n = self._total_log_likelihood(X, sample_weight)
        return -2.0 * total + self._n_parameters() * math.log(n)

    def aic(self, X, *, sample_weight=None):
        """Akaike information criterion ``-2 log L + 2 p`` on ``X`` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; a row of integer weight ``m`` counts as ``m`` rows.

        Returns
        -------
        float
            With ``p`` the free parameters.
        """
        return -2.0 * self._total_log_likelihood(X, sample_weight)[0] + 2.0 * self._n_parameters()

    def icl(self, X, *, sample_weight=None):
        """Integrated complete-data likelihood criterion on ``X`` (lower is better).

        mclust's ICL (Biernacki, Celeux & Govaert 2000, in the form of mclust's
        ``icl``): the BIC plus ``-2 sum_i log z_i``, where ``z_i`` is the largest
        responsibility of sample ``i``, the posterior of its MAP component. The
        added term is the entropy of the hard classification: ICL prefers
        components that do not overlap. mclust reports ``-icl`` (higher is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Samples (NaN entries allowed with ``missing="marginalize"``), or a dask array.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights; a row of integer weight ``m`` counts as ``m`` rows.

        Returns
        -------
        float
            BIC plus the classification's entropy term.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.concatenate([rng.normal(0, 1, 100), rng.normal(6, 1, 100)])[:, None]
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> gm.icl(X) > gm.bic(X)
        True
        >>> z = gm.predict_proba(X).max(axis=1)
        >>> bool(np.isclose(gm.icl(X), gm.bic(X) - 2 * np.log(z).sum()))
        True
        """
        proba = self.predict_proba(X)
        w = check_sample_weight(sample_weight, proba.shape[0])
        log_map = np.log(proba.max(axis=1))
        entropy_term = -2.0 * float(log_map.sum() if w is None else log_map @ w)
        return self.bic(X, sample_weight=sample_weight) + entropy_term

    def _total_log_likelihood(self, X, sample_weight):
        logp = self.score_samples(X)
        w = check_sample_weight(sample_weight, logp.size)
        return (float(logp.sum() if w is None else logp @ w),
                (logp.size if w is None else float(w.sum())))

    def em_problem(self, X, sample_weight=None):
        """The fitted mixture as an :class:`emcore.EMModel` on ``X``, and its parameters.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Complete samples (no NaN), normally those the mixture was fitted to.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        model : emcore.mixture._problem.MixtureProblem
            For :func:`emcore.em_rate`, :func:`emcore.standard_errors` and
            :func:`emcore.run_em`.
        theta : numpy.ndarray
            The flat vector of ``weights_``, ``means_`` and ``covariances_``.
        """
        from ._problem import MixtureProblem

        params = self._params()
        X = check_X(X, n_features=self.n_features_in_, estimator="GaussianMixture")
        w = check_sample_weight(sample_weight, X.shape[0])
        model = MixtureProblem(X, self.covariance_type, self.n_components, w)
        return model, model.pack(params.weights, params.means, params.covariances)

    def standard_errors(self, X, sample_weight=None) -> dict:
        """Standard errors of the fitted parameters from the observed information on ``X``.

        The Hessian of the log-likelihood is taken in free coordinates (drop-one
        weights, the upper triangle of each covariance matrix) and mapped back by
        the delta method (:func:`emcore.standard_errors` on :meth:`em_problem`).
        They are the errors of a maximum-likelihood fit: with ``reg_covar`` or a
        prior the fitted values are not exactly that maximum. mclust's models whose
        covariances form a linear set (``"EII"``, ``"VII"``, ``"EEI"``, ``"VVI"``,
        ``"EEE"``, ``"VVV"``) are differentiated in a basis of that set (entries the model
        fixes at 0 get NaN); the eight others (a common volume, shape or orientation with
        others varying) in log volumes, log shapes and rotations of the fitted orientations
        (``emcore.mixture._curved``), as many as the model has parameters.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The complete samples the mixture was fitted to.
        sample_weight : array_like of shape (n_samples,), optional
            The weights it was fitted with.

        Returns
        -------
        dict
            ``"weights_"``, ``"means_"``, ``"covariances_"``: arrays shaped like the
            attributes; NaN for a weight on the boundary (0), listed under
            ``"boundary"`` as ``(attribute, index)`` pairs.
        """
        from ..inference import standard_errors_by_attribute

        model, theta = self.em_problem(X, sample_weight)
        return standard_errors_by_attribute(model, theta, model.as_attributes)

    def _params(self) -> MixtureParams:
        if not hasattr(self, "means_"):
            raise NotFittedError("this GaussianMixture is not fitted yet: call fit first")
        return MixtureParams(np.asarray(self.weights_), np.asarray(self.means_),
                             np.asarray(self.covariances_), np.asarray(self.precisions_cholesky_))

    def sample(self, n_samples=1, random_state=None):
        """Draw ``n_samples`` points from the fitted mixture.

        Parameters
        ----------
        n_samples : int, default 1
            How many points.
        random_state : int or numpy.random.Generator, optional
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : numpy.ndarray of shape (n_samples, n_features)
            The points, in random order.
        labels : numpy.ndarray of int of shape (n_samples,)
            The component that drew each.

        Raises
        ------
        emcore.mixture.NotFittedError
            Before ``fit``.
        """
        params = self._params()
        check_params({"n_samples": [Integer(1)]}, {"n_samples": n_samples})
        rng = check_random_state(self.random_state if random_state is None else random_state)
        k, d = params.means.shape
        labels = rng.choice(k, size=n_samples, p=params.weights / params.weights.sum())
        z = rng.standard_normal((n_samples, d))
        cov = covariance_model(self.covariance_type)
        return cov.sample(params.means, params.covariances, labels, z), labels
