"""The Rauch-Tung-Striebel smoother, with the lag-one cross-covariances EM needs.

Backwards from the last step of each sequence (``m_{n|n}``, ``P_{n|n}``)::

    J_t = P_{t|t} A' P_{t+1|t}^{-1}
    m_{t|n} = m_{t|t} + J_t (m_{t+1|n} - m_{t+1|t})
    P_{t|n} = P_{t|t} + J_t (P_{t+1|n} - P_{t+1|t}) J_t'
    Cov(x_{t+1}, x_t | Y) = P_{t+1|n} J_t'

As in the filter, the covariances come first, in a loop that jumps over a
stretch where the filter's covariances are constant once ``P_{t|n}`` has
stopped changing (to round-off); the means are then a linear recursion.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._chunked import chunked_smoothed_covariances, worth_chunking
from ._kalman import CovariancePass, SSMData, _runs, steady
from ._params import SSMParams
from ._scan import linear_recursion

__all__ = ["SmootherResult", "SmoothedCovariances", "smoothed_covariances", "smoothed_means"]


@dataclasses.dataclass
class SmoothedCovariances:
    """The smoother's covariances, one table row per distinct step, and each step's row."""

    index: np.ndarray  # (n,)
    cov: np.ndarray  # (r, k, k) P_{t|n}
    gain: np.ndarray  # (r, k, k) J_t (zero at a sequence's last step)
    cross: np.ndarray  # (r, k, k) Cov(x_{t+1}, x_t | Y) (zero at a sequence's last step)


@dataclasses.dataclass
class SmootherResult:
    """What the RTS smoother returns (steps of all sequences, concatenated).

    Attributes
    ----------
    means, covariances : numpy.ndarray of shape (n, k) and (n, k, k)
        The moments of ``x_t`` given the whole sequence.
    cross_covariances : numpy.ndarray of shape (n, k, k)
        ``cross_covariances[t]`` is ``Cov(x_t, x_{t-1} | Y)``; NaN at the first
        step of each sequence (there is no ``x_{t-1}``).

    See Also
    --------
    emcore.LinearGaussianSSM.smooth : Returns it.
    emcore.statespace.FilterResult : The moments given the past only.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import LinearGaussianSSM
    >>> Y = np.array([[1.0], [1.5], [np.nan], [2.0], [1.2]])     # one step missing
    >>> ssm = LinearGaussianSSM(1, max_iter=0, transition_init=[[1.0]], observation_init=[[1.0]],
    ...                         transition_cov_init=[[0.5]], observation_cov_init=[[1.0]],
    ...                         initial_mean_init=[0.0], initial_cov_init=[[4.0]]).fit(Y)
    >>> smoothed = ssm.smooth(Y)
    >>> print(smoothed.means.ravel().round(6))
    [1.121285 1.322088 1.433936 1.545783 1.430522]
    >>> print(smoothed.cross_covariances.ravel().round(6))
    [     nan 0.257028 0.287149 0.295181 0.289157]
    """

    means: np.ndarray
    covariances: np.ndarray
    cross_covariances: np.ndarray


def smoothed_covariances(data: SSMData, params: SSMParams,
                         fcov: CovariancePass) -> SmoothedCovariances:
    """The backward covariance recursion of every sequence, jumping over steady stretches.

    After a filter that ran in chunks (one row per step), so does the smoother.
    """
    k = params.n_states
    gain_of_pair, pair = _gains(data, params, fcov)
    if fcov.pred_cov.shape[0] == data.n and worth_chunking(data):
        gains = gain_of_pair[pair]
        gains[data.stops - 1] = 0.0
        chunked = chunked_smoothed_covariances(data, gains, fcov)
        if chunked is not None:
            return SmoothedCovariances(np.arange(data.n), chunked[0], gains, chunked[1])
    run_start = _runs(fcov.index, data.starts, data.stops)[0]
    index = np.empty(data.n, dtype=np.intp)
    covs, gains, crosses = [], [], []
    zero = np.zeros((k, k))
    for start, stop in zip(data.starts, data.stops):
        P_s = fcov.filt_cov[fcov.index[stop - 1]]
        index[stop - 1] = len(covs)
        covs.append(P_s)
        gains.append(zero)
        crosses.append(zero)
        t = stop - 2
        while t >= start:
            row, row_next = fcov.index[t], fcov.index[t + 1]
            J = gain_of_pair[pair[t]]
            P_new = fcov.filt_cov[row] + J @ (P_s - fcov.pred_cov[row_next]) @ J.T
            P_new = 0.5 * (P_new + P_new.T)
            index[t] = len(covs)
            covs.append(P_new)
            gains.append(J)
            crosses.append(P_s @ J.T)
            if row == row_next and steady(P_new, P_s):
                first = max(run_start[t], start)  # the same filter covariances back to here
                index[first:t] = index[t]
                t = first
            P_s = P_new
            t -= 1
    return SmoothedCovariances(index, np.array(covs), np.array(gains), np.array(crosses))


def _gains(data: SSMData, params: SSMParams, fcov: CovariancePass):
    """``J = P_{t|t} A' P_{t+1|t}^{-1}`` for each distinct pair of filter rows; each step's pair."""
    r = fcov.pred_cov.shape[0]
    code = np.zeros(data.n, dtype=np.int64)  # the pair (index[t], index[t+1]), as one number
    code[:-1] = fcov.index[:-1] * r + fcov.index[1:]
    code[data.stops - 1] = 0  # no pair at a sequence's last step
    codes, pair = np.unique(code, return_inverse=True)
    current, following = codes // r, codes % r
    AP = params.transition @ fcov.filt_cov[current]  # A P_{t|t}
    # P_{t+1|t} is symmetric, so J' = P_{t+1|t}^{-1} A P_{t|t}
    J = np.swapaxes(np.linalg.solve(fcov.pred_cov[following], AP), 1, 2)
    return J, pair.ravel()


def smoothed_means(data: SSMData, scov: SmoothedCovariances, pred: np.ndarray,
                   filt: np.ndarray) -> np.ndarray:
    """``m_{t|n}``: backwards, ``m_{t|n} = J_t m_{t+1|n} + (m_{t|t} - J_t m_{t+1|t})``."""
    means = np.empty_like(filt)
    for start, stop in zip(data.starts, data.stops):
        J = scov.gain[scov.index[start:stop - 1]]
        c = filt[start:stop - 1] - np.einsum("tij,tj->ti", J, pred[start + 1:stop])
        means[start:stop] = linear_recursion(J[::-1], c[::-1], filt[stop - 1])[::-1]
    return means
