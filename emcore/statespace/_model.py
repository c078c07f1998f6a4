"""The linear-Gaussian state-space model as an :class:`emcore.EMModel`.

E-step: the Kalman filter and the RTS smoother, summed into the expected
complete-data statistics (Shumway & Stoffer 1982; Ghahramani & Hinton 1996).
A missing entry of ``y_t`` is part of the complete data too: given ``x_t``
and the seen entries ``y_o`` it is Gaussian, with mean
``C_m x_t + R_mo R_oo^{-1} (y_o - C_o x_t)`` (Shumway & Stoffer 2000); a step
with nothing seen drops out of the observation equation's statistics.

M-step: regressions on the smoothed moments::

    A = S_10 S_00^{-1}          Q = (S_11 - A S_10' - S_10 A' + A S_00 A') / (n - 1)
    C = S_yx S_xx^{-1}          R = (S_yy - C S_yx' - S_yx C' + C S_xx C') / n_y
    initial_mean = mean of E[x_1],  initial_cov = mean of Cov(x_1) + (E[x_1] - mean)(...)'

A parameter that is not updated stays fixed, and the others use its fixed
value (``Q`` with a fixed ``A``, ``R`` with a fixed ``C``); a covariance
declared diagonal keeps the diagonal of its update, which maximises Q over
diagonal matrices since ``A`` and ``C`` do not depend on the covariances.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..em import EMModel
from ._kalman import SSMData, covariance_pass, filter_means
from ._params import SSMLayout, SSMParams
from ._smoother import smoothed_covariances, smoothed_means

__all__ = ["SSMModel", "SSMStats"]


@dataclasses.dataclass
class SSMStats:
    """Expected complete-data statistics of one E-step (summed over sequences)."""

    S00: np.ndarray  # sum over transitions of E[x_{t-1} x_{t-1}']
    S11: np.ndarray  # sum over transitions of E[x_t x_t']
    S10: np.ndarray  # sum over transitions of E[x_t x_{t-1}']
    n_transitions: int
    Sxx: np.ndarray  # sum over steps with something seen of E[x_t x_t']
    Syx: np.ndarray  # ... of E[y_t x_t']
    Syy: np.ndarray  # ... of E[y_t y_t']
    n_seen_steps: int
    first_means: np.ndarray  # (n_sequences, k) E[x_1]
    first_covs: np.ndarray  # (n_sequences, k, k) Cov(x_1)


def _sym(M):
    return 0.5 * (M + M.T)


class SSMModel(EMModel):
    """A linear-Gaussian state-space model on fixed sequences, for :func:`emcore.run_em`.

    ``theta`` is the flat vector of the parameters EM updates (see
    :class:`emcore.statespace.SSMLayout`); the others are held fixed by the layout.

    Parameters
    ----------
    data : SSMData
        The sequences, with their missing entries.
    layout : SSMLayout
        Which parameters are updated, which covariances are diagonal, the fixed values.

    See Also
    --------
    emcore.LinearGaussianSSM.em_problem : This model and its parameters from a fitted estimator.
    emcore.statespace.SSMLayout : How ``theta`` maps to the matrices.
    emcore.run_em : The EM driver that fits it.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import LinearGaussianSSM
    >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
    >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]], observation_init=[[1.0]],
    ...                         transition_cov_init=[[0.5]], observation_cov_init=[[1.0]],
    ...                         initial_mean_init=[0.0], initial_cov_init=[[4.0]]).fit(Y)
    >>> model, theta = ssm.em_problem(Y)
    >>> print(round(model.log_likelihood(theta), 8), round(ssm.score(Y), 8))
    -6.13002818 -6.13002818
    """

    def __init__(self, data: SSMData, layout: SSMLayout):
        self.data, self.layout = data, layout
        order = np.argsort(data.pattern_ids, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(data.pattern_ids))])
        self._steps = [order[bounds[g]:bounds[g + 1]] for g in range(len(data.observed))]

    def params(self, theta) -> SSMParams:
        """The matrices (:class:`emcore.statespace.SSMParams`) of a flat vector ``theta``.

        Parameters
        ----------
        theta : array_like
            A flat parameter vector (:meth:`SSMLayout.pack`).

        Returns
        -------
        SSMParams
            The six matrices: those EM updates from ``theta``, the others held fixed.
        """
        return self.layout.unpack(theta)

    def log_likelihood(self, theta) -> float:
        """The observed-data log-likelihood, by the Kalman filter.

        Parameters
        ----------
        theta : array_like
            A flat parameter vector (:meth:`SSMLayout.pack`).

        Returns
        -------
        float
            ``log p(Y)``, summed over the sequences.
        """
        params = self.layout.unpack(theta)
        return filter_means(self.data, params, covariance_pass(self.data, params))[2]

    def e_step(self, theta) -> SSMStats:
        """The smoothed moments' sums, by the Kalman filter and the RTS smoother.

        Parameters
        ----------
        theta : array_like
            A flat parameter vector (:meth:`SSMLayout.pack`).

        Returns
        -------
        SSMStats
            The sums of the smoothed moments that :meth:`m_step` takes.
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def e_step_with_log_likelihood(self, theta):
        """The E-step's statistics and the log-likelihood, from one filtering pass.

        Parameters
        ----------
        theta : array_like
            A flat parameter vector (:meth:`SSMLayout.pack`).

        Returns
        -------
        stats : SSMStats
            The sums of the smoothed moments that :meth:`m_step` takes.
        log_likelihood : float
            ``log p(Y)`` at ``theta``, summed over the sequences.
        """
        params = self.layout.unpack(theta)
        data = self.data
        fcov = covariance_pass(data, params)
        pred, filt, ll = filter_means(data, params, fcov)
        scov = smoothed_covariances(data, params, fcov)
        means = smoothed_means(data, scov, pred, filt)
        return self._statistics(params, means, scov), ll

    def _statistics(self, params, means, scov) -> SSMStats:
        data = self.data
        weights = np.bincount(scov.index, minlength=scov.cov.shape[0]).astype(float)
        first, last = data.starts, data.stops - 1
        P_first, P_last = scov.cov[scov.index[first]], scov.cov[scov.index[last]]
        S_all = means.T @ means + np.einsum("r,rij->ij", weights, scov.cov)
        S_first = means[first].T @ means[first] + P_first.sum(axis=0)
        S_last = means[last].T @ means[last] + P_last.sum(axis=0)
        inner = np.ones(data.n - 1, dtype=bool)
        inner[last[:-1]] = False  # pairs (t, t+1) that cross into the next sequence
        S10 = means[1:][inner].T @ means[:-1][inner] + np.einsum("r,rij->ij", weights, scov.cross)
        Sxx, Syx, Syy, n_seen = self._observation_statistics(params, means, scov, S_all)
        return SSMStats(S00=S_all - S_last, S11=S_all - S_first, S10=S10,
                        n_transitions=int(data.n - data.lengths.size), Sxx=Sxx, Syx=Syx, Syy=Syy,
                        n_seen_steps=n_seen, first_means=means[first].copy(), first_covs=P_first)

    def _observation_statistics(self, params, means, scov, S_all):
        data = self.data
        if data.complete:
            return S_all, data.Y0.T @ means, data.Y0.T @ data.Y0, data.n
        C, R = params.observation, params.observation_cov
        k, p = params.n_states, data.p
        Y = data.Y0.copy()  # becomes E[y_t | Y]
        seen = np.ones(data.n, dtype=bool)
        extra_yx, extra_yy = np.zeros((p, k)), np.zeros((p, p))
        Sxx = S_all.copy()
        for o, steps in zip(data.observed, self._steps):
            if steps.size == 0 or o.size == p:
                continue
            P_sum = scov.cov[scov.index[steps]].sum(axis=0)
            if o.size == 0:  # nothing seen: y_t integrates out of the likelihood
                seen[steps] = False
                Sxx -= means[steps].T @ means[steps] + P_sum
                continue
            m = np.setdiff1d(np.arange(p), o)
            H = np.linalg.solve(R[np.ix_(o, o)], R[np.ix_(o, m)]).T  # R_mo R_oo^{-1}
            G = C[m] - H @ C[o]
            Y[np.ix_(steps, m)] = means[steps] @ G.T + data.Y0[np.ix_(steps, o)] @ H.T
            extra_yx[m] += G @ P_sum
            R_given = R[np.ix_(m, m)] - H @ R[np.ix_(o, m)]  # Cov(y_m | x_t, y_o)
            extra_yy[np.ix_(m, m)] += G @ P_sum @ G.T + steps.size * R_given
        Y_seen, x_seen = Y[seen], means[seen]
        Syy = _sym(Y_seen.T @ Y_seen + extra_yy)
        return Sxx, Y_seen.T @ x_seen + extra_yx, Syy, int(seen.sum())

    def m_step(self, stats: SSMStats) -> np.ndarray:
        """The regressions on the smoothed moments, for the parameters that are updated.

        Parameters
        ----------
        stats : SSMStats
            The E-step's statistics.

        Returns
        -------
        ndarray
            The flat vector of the updated parameters.
        """
        layout = self.layout
        update, diagonal, fixed = layout.update, layout.diagonal, layout.fixed
        new = {}
        A = fixed.transition
        if "transition" in update:
            A = new["transition"] = np.linalg.solve(stats.S00, stats.S10.T).T
        if "transition_cov" in update:
            Q = (stats.S11 - A @ stats.S10.T - stats.S10 @ A.T + A @ stats.S00 @ A.T)
            new["transition_cov"] = _sym(Q) / stats.n_transitions
        C = fixed.observation
        if "observation" in update:
            C = new["observation"] = np.linalg.solve(stats.Sxx, stats.Syx.T).T
        if "observation_cov" in update:
            R = stats.Syy - C @ stats.Syx.T - stats.Syx @ C.T + C @ stats.Sxx @ C.T
            new["observation_cov"] = _sym(R) / stats.n_seen_steps
        mu0 = fixed.initial_mean
        if "initial_mean" in update:
            mu0 = new["initial_mean"] = stats.first_means.mean(axis=0)
        if "initial_cov" in update:
            dev = stats.first_means - mu0
            new["initial_cov"] = _sym(stats.first_covs.mean(axis=0) + dev.T @ dev / dev.shape[0])
        for name in diagonal:
            if name in new:
                new[name] = np.diag(np.diag(new[name]))
        return layout.pack(dataclasses.replace(fixed, **new))
