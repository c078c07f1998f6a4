"""What a fitted :class:`LinearGaussianSSM` says about data: the filter, the smoother,
the log-likelihood, forecasts, draws, and the EM problem on new data.

:class:`FittedSSMMixin` holds the estimator's methods that read the fitted
parameters and never write them.
"""

from __future__ import annotations

import numpy as np

from .._checks import Integer, check_lengths, check_params, check_random_state
from ..exceptions import NotFittedError
from ._checks import check_Y
from ._kalman import FilterResult, SSMData, covariance_pass, filter_means, kalman_filter
from ._model import SSMModel
from ._params import NAMES, SSMLayout, SSMParams
from ._scan import linear_recursion
from ._smoother import SmootherResult, smoothed_covariances, smoothed_means

__all__ = ["FittedSSMMixin"]


class FittedSSMMixin:
    """``em_problem``, ``score``, ``filter``, ``smooth``, ``forecast`` and ``sample``."""

    @staticmethod
    def _last_state(data, params):
        filt, _ = kalman_filter(data, params)
        return filt.means[-1].copy(), filt.covariances[-1].copy()

    def _params(self) -> SSMParams:
        if not hasattr(self, "transition_"):
            raise NotFittedError("this LinearGaussianSSM is not fitted yet: call fit first")
        return SSMParams(*(getattr(self, f"{name}_") for name in NAMES))

    def _data(self, Y, lengths):
        params = self._params()
        Y = check_Y(Y, self.n_features_in_)
        return SSMData(Y, check_lengths(lengths, Y.shape[0], "Y")), params

    def em_problem(self, Y, lengths=None):
        """The fitted model as an :class:`emcore.EMModel` on ``Y``, and its parameters.

        ``theta`` is the flat vector of the parameters in ``update`` (matrices
        row by row, covariances by their lower triangle, or diagonal), for
        :func:`emcore.run_em` (e.g. with ``accelerate="squarem"``),
        :func:`emcore.em_rate` and :func:`emcore.standard_errors`;
        ``model.params(theta)`` turns it back into matrices.

        Parameters
        ----------
        Y : array_like of shape (n_steps, n_outputs)
            The observations of the sequences, concatenated; NaN marks a missing entry.
        lengths : array_like of int, optional
            The lengths of the sequences in ``Y`` (default: one sequence).

        Returns
        -------
        model : emcore.EMModel
            The state-space model on ``Y``.
        theta : numpy.ndarray
            The fitted parameters in ``update``, flat.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.statespace.SSMModel : The model it returns.
        emcore.run_em : Runs EM on it (e.g. accelerated).

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
        >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]],
        ...                         observation_init=[[1.0]], transition_cov_init=[[0.5]],
        ...                         observation_cov_init=[[1.0]], initial_mean_init=[0.0],
        ...                         initial_cov_init=[[4.0]]).fit(Y)
        >>> model, theta = ssm.em_problem(Y)
        >>> print(np.round(model.params(theta).transition_cov, 6))
        [[0.5]]
        """
        update, diagonal = self._check_params()
        data, params = self._data(Y, lengths)
        layout = SSMLayout(params, update, diagonal)
        return SSMModel(data, layout), layout.pack(params)

    def score(self, Y, lengths=None) -> float:
        """Total log-likelihood ``log p(Y)`` by the prediction-error decomposition.

        Parameters
        ----------
        Y : array_like of shape (n_steps, n_outputs)
            The observations of the sequences, concatenated; NaN marks a missing entry.
        lengths : array_like of int, optional
            The lengths of the sequences in ``Y`` (default: one sequence).

        Returns
        -------
        float
            The total over the steps, as the HMMs' ``score``.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.LinearGaussianSSM.filter : The filter whose by-product it is.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
        >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]],
        ...                         observation_init=[[1.0]], transition_cov_init=[[0.5]],
        ...                         observation_cov_init=[[1.0]], initial_mean_init=[0.0],
        ...                         initial_cov_init=[[4.0]]).fit(Y)
        >>> print(round(ssm.score(Y), 8))
        -6.13002818
        """
        data, params = self._data(Y, lengths)
        return filter_means(data, params, covariance_pass(data, params))[2]

    def filter(self, Y, lengths=None) -> FilterResult:
        """The Kalman filter: filtered and predicted state moments and the log-likelihood.

        Parameters
        ----------
        Y : array_like of shape (n_steps, n_outputs)
            The observations of the sequences, concatenated; NaN marks a missing entry.
        lengths : array_like of int, optional
            The lengths of the sequences in ``Y`` (default: one sequence).

        Returns
        -------
        FilterResult
            Filtered and predicted means and covariances, and the log-likelihood.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.LinearGaussianSSM.smooth : The states given the whole sequence.
        emcore.statespace.FilterResult : What it returns.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
        >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]],
        ...                         observation_init=[[1.0]], transition_cov_init=[[0.5]],
        ...                         observation_cov_init=[[1.0]], initial_mean_init=[0.0],
        ...                         initial_cov_init=[[4.0]]).fit(Y)
        >>> print(ssm.filter(Y).means.ravel().round(6))
        [0.8      1.195652 1.195652 1.686441 1.430522]
        """
        data, params = self._data(Y, lengths)
        return kalman_filter(data, params)[0]

    def smooth(self, Y, lengths=None) -> SmootherResult:
        """The RTS smoother: ``E[x_t | Y]``, ``Cov(x_t | Y)`` and ``Cov(x_t, x_{t-1} | Y)``.

        Parameters
        ----------
        Y : array_like of shape (n_steps, n_outputs)
            The observations of the sequences, concatenated; NaN marks a missing entry.
        lengths : array_like of int, optional
            The lengths of the sequences in ``Y`` (default: one sequence).

        Returns
        -------
        SmootherResult
            ``means``, ``covariances`` and ``cross`` (NaN at each sequence's first step).

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.LinearGaussianSSM.filter : The states given the past only.
        emcore.statespace.SmootherResult : What it returns.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
        >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]],
        ...                         observation_init=[[1.0]], transition_cov_init=[[0.5]],
        ...                         observation_cov_init=[[1.0]], initial_mean_init=[0.0],
        ...                         initial_cov_init=[[4.0]]).fit(Y)
        >>> print(ssm.smooth(Y).means.ravel().round(6))
        [1.121285 1.322088 1.433936 1.545783 1.430522]
        """
        data, params = self._data(Y, lengths)
        fcov = covariance_pass(data, params)
        pred, filt, _ = filter_means(data, params, fcov)
        scov = smoothed_covariances(data, params, fcov)
        cross = np.full((data.n, params.n_states, params.n_states), np.nan)
        inner = np.ones(data.n, dtype=bool)
        inner[data.starts] = False
        cross[inner] = scov.cross[scov.index[np.flatnonzero(inner) - 1]]
        return SmootherResult(smoothed_means(data, scov, pred, filt), scov.cov[scov.index], cross)

    def forecast(self, steps, Y=None, lengths=None):
        """Forecast the next ``steps`` observations.

        Parameters
        ----------
        steps : int
            How many steps ahead.
        Y : array_like of shape (n_steps, n_outputs), optional
            Forecast from the end of its last sequence (default: the data ``fit`` saw).
        lengths : array_like of int, optional
            The lengths of the sequences in ``Y``.

        Returns
        -------
        means : numpy.ndarray of shape (steps, n_outputs)
            The forecasts.
        covariances : numpy.ndarray of shape (steps, n_outputs, n_outputs)
            Their covariances.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.LinearGaussianSSM.filter : The last filtered state the forecast starts from.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
        >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]],
        ...                         observation_init=[[1.0]], transition_cov_init=[[0.5]],
        ...                         observation_cov_init=[[1.0]], initial_mean_init=[0.0],
        ...                         initial_cov_init=[[4.0]]).fit(Y)
        >>> means, covariances = ssm.forecast(2)     # a random walk: flat, widening
        >>> print(means.ravel().round(6), covariances.ravel().round(6))
        [1.430522 1.430522] [2.026104 2.526104]
        """
        check_params({"steps": [Integer(1)]}, {"steps": steps})
        params = self._params()
        if Y is None:
            m, P = self._origin
        else:
            data, params = self._data(Y, lengths)
            m, P = self._last_state(data, params)
        A, Q = params.transition, params.transition_cov
        C, R = params.observation, params.observation_cov
        means, covs = np.empty((steps, C.shape[0])), np.empty((steps, C.shape[0], C.shape[0]))
        for h in range(steps):
            m, P = A @ m, A @ P @ A.T + Q
            P = 0.5 * (P + P.T)
            means[h], covs[h] = C @ m, C @ P @ C.T + R
        return means, covs

    def sample(self, n_samples=1, random_state=None):
        """Draw one sequence of ``n_samples`` steps from the fitted model.

        Parameters
        ----------
        n_samples : int, default 1
            The length of the sequence.
        random_state : int or numpy.random.Generator, optional
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        Y : numpy.ndarray of shape (n_samples, n_outputs)
            The observations.
        X : numpy.ndarray of shape (n_samples, n_states)
            The hidden states.

        Raises
        ------
        emcore.exceptions.NotFittedError
            When the estimator is not fitted.

        See Also
        --------
        emcore.LinearGaussianSSM.smooth : Recovers the states from observations.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import LinearGaussianSSM
        >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
        >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]],
        ...                         observation_init=[[1.0]], transition_cov_init=[[0.5]],
        ...                         observation_cov_init=[[1.0]], initial_mean_init=[0.0],
        ...                         initial_cov_init=[[4.0]]).fit(Y)
        >>> Y_new, X_new = ssm.sample(3, random_state=0)
        >>> Y_new.shape, X_new.shape
        ((3, 1), (3, 1))
        """
        params = self._params()
        check_params({"n_samples": [Integer(1)]}, {"n_samples": n_samples})
        rng = check_random_state(self.random_state if random_state is None else random_state)
        k, p = params.n_states, params.n_outputs
        x1 = rng.multivariate_normal(params.initial_mean, params.initial_cov)
        w = rng.multivariate_normal(np.zeros(k), params.transition_cov, size=n_samples - 1)
        v = rng.multivariate_normal(np.zeros(p), params.observation_cov, size=n_samples)
        F = np.broadcast_to(params.transition, (n_samples - 1, k, k))
        X = linear_recursion(F, w.reshape(n_samples - 1, k), x1)
        return X @ params.observation.T + v, X
