"""Parameters and sufficient statistics of a Gaussian mixture, and their algebra.

:class:`MixtureParams` holds weights, means and covariances; inside a fit the
means are relative to the data's centre (``emcore.mixture._model``), and
:meth:`MixtureParams.moved` is the one change of origin, used wherever
parameters cross between coordinates.

The M-step needs, per component, the responsibility-weighted sums ``N_k``,
``sum r (x - s_k)`` and the second moments about a shift ``s_k``, whose shape
the covariance type decides (:mod:`.covariance`). Sums about one point are
re-expressed about another by :meth:`SufficientStats.about`; a change of
origin of the coordinates is :meth:`SufficientStats.moved`, as for
:meth:`MixtureParams.moved`. :func:`stats_from_resp` computes them
from given responsibilities; the E-step (:mod:`emcore.mixture._estep`) from parameters.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .covariance import covariance_model

__all__ = ["MixtureParams", "SufficientStats", "add_centred", "centred_terms", "exact_origin",
           "stats_from_resp"]

_EPS = np.finfo(np.float64).eps


def exact_origin(mean, low, high) -> np.ndarray:
    """The origin of a fit's coordinates: per feature ``mean`` where subtracting it is exact.

    For floats ``b / 2 <= a <= 2 b``, ``a - b`` is exact (Sterbenz's lemma). A
    feature whose samples all lie in ``[low, high]`` within a factor 2 of
    ``mean`` is centred at ``mean`` and loses nothing; any other feature keeps
    the origin 0, so that a sample near 0 keeps the digits it has (centred at a
    mean ``c`` far away, it would be rounded to ``eps |c|``). Such a feature has
    a sample closer to 0 than ``|c| / 2``, or across 0, or beyond ``2 |c|``, so its
    largest ``|x|`` is at most 3 times its largest ``|x - c|``: the expanded
    path's round-off bound (:mod:`.fast`) grows by at most a factor 9.

    Parameters
    ----------
    mean : numpy.ndarray of shape (d,)
        The data's (weighted) mean.
    low, high : numpy.ndarray of shape (d,)
        Each feature's smallest and largest sample.

    Returns
    -------
    numpy.ndarray of shape (d,)
    """
    mean = np.asarray(mean, dtype=np.float64)
    exact = np.where(mean > 0, (low >= mean / 2) & (high <= 2 * mean),
                     (high <= mean / 2) & (low >= 2 * mean))
    return np.where(exact, mean, 0.0)


@dataclasses.dataclass
class MixtureParams:
    """Parameters of a Gaussian mixture (means relative to the data's centre inside a fit).

    Attributes
    ----------
    weights : numpy.ndarray of shape (K,)
        The mixing weights.
    means : numpy.ndarray of shape (K, d)
        The components' means.
    covariances : numpy.ndarray
        The covariances, shaped as the covariance type's
        (:class:`emcore.gaussian.CovarianceType`).
    precisions_cholesky : numpy.ndarray
        The Cholesky factors of the precisions, shaped as the covariances.

    See Also
    --------
    emcore.GaussianMixture : Its fitted ``weights_``, ``means_``, ``covariances_`` and
        ``precisions_cholesky_`` are these, in the data's coordinates.
    emcore.gaussian.CovarianceType : The shapes of the covariances.
    emcore.animation.Frame : Holds one per frame of a mixture's animation.

    Examples
    --------
    Two one-dimensional components with variances 1 and 4 (``spherical``):

    >>> import numpy as np
    >>> from emcore.gaussian import covariance_model
    >>> from emcore.mixture import MixtureParams
    >>> variances = np.array([1.0, 4.0])
    >>> params = MixtureParams(np.array([0.3, 0.7]), np.array([[0.0], [5.0]]), variances,
    ...                        covariance_model("spherical").precision_cholesky(variances))
    >>> print(params.precisions_cholesky, params.moved(np.array([1.0])).means.ravel())
    [1.  0.5] [1. 6.]
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray

    def moved(self, offset) -> MixtureParams:
        """The same mixture with ``offset`` added to every mean (a change of origin).

        Parameters
        ----------
        offset : numpy.ndarray of shape (d,)
            What to add to each mean.

        Returns
        -------
        MixtureParams
            A new instance; the other arrays are shared, not copied.
        """
        return MixtureParams(self.weights, self.means + offset, self.covariances,
                             self.precisions_cholesky)


@dataclasses.dataclass
class SufficientStats:
    """Responsibility-weighted sums over the samples, about ``shift`` (K, d).

    ``n`` (K,) sums of weights times responsibilities, ``first`` (K, d) sums of
    ``r (x - shift_k)``, ``second`` the second moments about ``shift`` in the
    shape of the covariance type (:mod:`.covariance`). ``params``: the
    parameters whose responsibilities these are (None for given ones).
    """

    n: np.ndarray
    first: np.ndarray
    second: np.ndarray
    shift: np.ndarray
    params: MixtureParams | None = None

    def about(self, shift, cov_type: str) -> SufficientStats:
        """The same sums about another ``shift`` ((K, d), or (d,) for all components).

        With ``b = old shift - new shift``, ``x - new = (x - old) + b``: the
        first moments gain ``N_k b_k``, the second ``f_k b_k^T + b_k f_k^T + N_k b_k b_k^T``.
        """
        cov = covariance_model(cov_type)
        shift = np.array(np.broadcast_to(shift, self.first.shape), dtype=np.float64)
        n, f, b = self.n, self.first, self.shift - shift
        nb = n[:, None] * b
        extra = cov.outer(f, b) + cov.outer(b, f + nb)
        return SufficientStats(n.copy(), f + nb, self.second + extra, shift, self.params)

    def moved(self, offset) -> SufficientStats:
        """The same sums in coordinates whose origin moved by ``-offset`` (``shift + offset``)."""
        return SufficientStats(self.n, self.first, self.second, self.shift + offset, self.params)

    def plus(self, other: SufficientStats, cov_type: str) -> SufficientStats:
        """These sums plus ``other``'s (re-expressed about this ``shift``), with
        these ``params``."""
        other = other.about(self.shift, cov_type)
        return SufficientStats(self.n + other.n, self.first + other.first,
                               self.second + other.second, self.shift, self.params)

    def scaled(self, c: float) -> SufficientStats:
        """The sums times ``c`` (without ``params``)."""
        return SufficientStats(self.n * c, self.first * c, self.second * c, self.shift)


def centred_terms(xt, resp, shift, kept=None):
    """``(j, x - shift_j, r_j)`` for every component with kept samples; only
    those when they are few."""
    m = xt.shape[1]
    for j in range(shift.shape[0]):
        r = resp[j]
        x = xt
        if kept is not None:
            idx = np.flatnonzero(kept[j])
            if idx.size == 0:
                continue
            if idx.size < m // 2:
                x, r = xt[:, idx], r[idx]
        yield j, x - shift[j][:, None], r


def add_centred(cov, xt, resp, shift, first, second, kept=None):
    """Add the moments about ``shift`` of every component (:func:`centred_terms`)."""
    for j, diff, r in centred_terms(xt, resp, shift, kept):
        first[j] += diff @ r
        cov.add_centred(second, j, diff, r)


def stats_from_resp(data, resp_chunk, k: int) -> SufficientStats:
    """Statistics of given responsibilities, ``resp_chunk(s, e)`` -> (K, e - s),
    on a :class:`emcore.mixture._model.MixtureData`.

    Two passes: the means first, then the second moments about them, so the
    starting covariances carry no cancellation error whatever the data.
    """
    cov, d = covariance_model(data.cov_type), data.d
    n_k, first = np.zeros(k), np.zeros((k, d))
    for s, e in data.chunks():
        resp = _weighted(data, resp_chunk(s, e), s, e)
        n_k += resp.sum(axis=1)
        first += resp @ data.chunk_T(s, e, data.center).T
    shift = first / np.maximum(n_k, 10 * _EPS)[:, None]
    first = np.zeros((k, d))
    second = cov.empty_second(k, d)
    for s, e in data.chunks():
        resp = _weighted(data, resp_chunk(s, e), s, e)
        add_centred(cov, data.chunk_T(s, e, data.center), resp, shift, first, second)
    return SufficientStats(n_k, first, second, shift)


def _weighted(data, resp, s, e):
    resp = np.asarray(resp, dtype=np.float64)
    w = data.chunk_weights(s, e)
    return resp if w is None else resp * w
