"""The mixture of multivariate Bernoulli distributions as an :class:`emcore.EMModel`."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..em import EMModel
from ..gaussian.mstep import EMPTY_FRACTION, DegenerateComponentError
from ._base import log_sum_exp

__all__ = ["BernoulliModel", "BernoulliParams", "bernoulli_log_density", "check_binary"]


def check_binary(X, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """``X`` as a 2-D float64 array of zeros and ones; a ValueError naming ``name`` otherwise."""
    if X is None or isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D array of 0/1 values, got {type(X).__name__}")
    if type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(f"Sparse data was passed for {name}, but dense data is required: "
                        f"use {name}.toarray()")
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0/1 values, got dtype {arr.dtype}")
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array of shape (n_samples, "
                         f"n_features), got shape {arr.shape}")
    arr = arr.astype(np.float64)
    bad = ~((arr == 0) | (arr == 1))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{name} must be binary (0/1 only): {name}[{row}, {col}] = "
                         f"{arr[row, col]!r}; threshold or binarise it first")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the mixture is expecting "
                         f"{n_features} features as input")
    return arr


def bernoulli_log_density(X, means) -> np.ndarray:
    r"""``log p(x_n | k) = sum_d x_nd log mu_kd + (1 - x_nd) log(1 - mu_kd)``, shape (n, K).

    A probability of exactly 0 or 1 is allowed: a row it makes impossible gets ``-inf``
    (never ``0 * log 0 = nan``).
    """
    with np.errstate(divide="ignore"):
        log1 = np.where(means > 0, np.log(means), 0.0)
        log0 = np.where(means < 1, np.log1p(-means), 0.0)
    # sum_d x_d (log1 - log0) + sum_d log0: one product with the data
    out = X @ (log1 - log0).T + log0.sum(axis=1)
    zero, one = means == 0, means == 1
    if zero.any() or one.any():
        impossible = X @ zero.T.astype(float) + (1 - X) @ one.T.astype(float)
        out[impossible > 0] = -np.inf
    return out


@dataclasses.dataclass(frozen=True)
class BernoulliParams:
    """Parameters of a Bernoulli mixture.

    Attributes
    ----------
    weights : numpy.ndarray of shape (K,)
        The mixing weights.
    means : numpy.ndarray of shape (K, D)
        Each component's success probabilities.

    See Also
    --------
    emcore.nongaussian.BernoulliModel : The model they parametrise.
    emcore.BernoulliMixture : Its fitted ``weights_`` and ``means_`` are these.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.nongaussian import BernoulliParams
    >>> theta = BernoulliParams(np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.7]]))
    >>> theta.means.shape
    (2, 2)
    """

    weights: np.ndarray
    means: np.ndarray


class BernoulliModel(EMModel):
    r"""A mixture of multivariate Bernoulli distributions (Bishop 2006, §9.3.3), for EM.

    :math:`p(x \mid k) = \prod_d \mu_{kd}^{x_d} (1 - \mu_{kd})^{1 - x_d}`. The E-step gives the
    responsibilities :math:`\gamma_{nk}`; the M-step, with :math:`N_k = \sum_n \gamma_{nk}`,
    :math:`\pi_k = N_k / N` and :math:`\mu_{kd} = (\sum_n \gamma_{nk} x_{nd} + s)/(N_k + 2 s)`:
    the maximum-likelihood estimate with ``smoothing`` :math:`s = 0`, the posterior mode
    under a :math:`\text{Beta}(1 + s, 1 + s)` prior on each :math:`\mu_{kd}` otherwise. Sample
    weights multiply every :math:`\gamma_{nk}`. The objective EM climbs, the
    :meth:`log_likelihood`, is the log-likelihood plus
    :math:`s \sum_{kd} [\log \mu_{kd} + \log(1 - \mu_{kd})]` (the log prior up to a constant).

    Parameters
    ----------
    X : numpy.ndarray of shape (n, D), zeros and ones
        The binary data, as float64.
    n_components : int
        The number of components ``K``.
    smoothing : float, default 0.0
        The prior's :math:`s`; 0 for maximum likelihood.
    sample_weight : numpy.ndarray of shape (n,) or None
        Non-negative weights of the rows; None for ones.

    See Also
    --------
    emcore.BernoulliMixture : The estimator that fits it.
    emcore.nongaussian.BernoulliParams : Its parameters.
    emcore.run_em : Runs EM on it.

    Examples
    --------
    Six binary rows of two kinds, from a start that leans each component to one kind
    (with Laplace's ``smoothing=1`` no probability reaches 0 or 1):

    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.nongaussian import BernoulliModel, BernoulliParams
    >>> X = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 1], [0, 0, 1]],
    ...              dtype=float)
    >>> model = BernoulliModel(X, 2, smoothing=1.0)
    >>> start = BernoulliParams(np.array([0.5, 0.5]), np.array([[0.6, 0.6, 0.4], [0.4, 0.4, 0.6]]))
    >>> run = run_em(model, start, tol=1e-10)
    >>> print(run.theta.weights.round(3), run.theta.means.round(2))
    [0.5 0.5] [[0.74 0.6  0.26]
     [0.26 0.4  0.74]]
    """

    def __init__(self, X, n_components, *, smoothing=0.0, sample_weight=None):
        self.X = X
        self.n, self.d = X.shape
        self.n_components = n_components
        self.smoothing = smoothing
        self.weights = np.ones(self.n) if sample_weight is None else sample_weight

    def log_joint(self, theta: BernoulliParams, X=None) -> np.ndarray:
        """``log pi_k + log p(x_n | k)``, shape (n, K); the model's data by default.

        Parameters
        ----------
        theta : BernoulliParams
            The weights and success probabilities.
        X : numpy.ndarray of shape (n, D), optional
            Zeros and ones; the model's ``X`` when None.

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The joint log-densities; ``-inf`` where a probability of 0 or 1 rules a row out.
        """
        X = self.X if X is None else X
        with np.errstate(divide="ignore"):
            return bernoulli_log_density(X, theta.means) + np.log(theta.weights)

    def log_prior(self, theta: BernoulliParams) -> float:
        """``s sum_kd [log mu_kd + log(1 - mu_kd)]``; 0 without smoothing.

        Parameters
        ----------
        theta : BernoulliParams
            The weights and success probabilities.

        Returns
        -------
        float
            The log prior up to a constant.
        """
        if self.smoothing == 0:
            return 0.0
        return float(self.smoothing * np.sum(np.log(theta.means) + np.log1p(-theta.means)))

    def e_step_with_log_likelihood(self, theta: BernoulliParams):
        """The E-step and the objective from one pass over the data.

        Parameters
        ----------
        theta : BernoulliParams
            The weights and success probabilities.

        Returns
        -------
        weighted_resp : numpy.ndarray of shape (n, K)
            Each row's sample weight times its responsibilities.
        log_likelihood : float
            The weighted log-likelihood plus :meth:`log_prior`.

        Raises
        ------
        FloatingPointError
            When a row of positive weight is impossible under every component.
        """
        logp = self.log_joint(theta)
        norm = log_sum_exp(logp)
        if not np.all(np.isfinite(norm[self.weights > 0])):
            raise FloatingPointError("a row has probability zero under every component")
        resp = np.exp(logp - norm[:, None])
        c = self.weights[:, None] * resp
        return c, float(self.weights @ norm) + self.log_prior(theta)

    def e_step(self, theta):
        """Each row's weight times its responsibilities, (n, K).

        Parameters
        ----------
        theta : BernoulliParams
            The weights and success probabilities.

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The weighted responsibilities.
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        """The log-likelihood, plus the log prior with ``smoothing`` (the objective of EM).

        Parameters
        ----------
        theta : BernoulliParams
            The weights and success probabilities.

        Returns
        -------
        float
            The weighted log-likelihood plus :meth:`log_prior`.
        """
        return self.e_step_with_log_likelihood(theta)[1]

    def m_step(self, c) -> BernoulliParams:
        """``pi_k = N_k / N``, ``mu_kd = (sum_n c_nk x_nd + s) / (N_k + 2 s)``.

        Parameters
        ----------
        c : numpy.ndarray of shape (n, K)
            The weighted responsibilities (:meth:`e_step`).

        Returns
        -------
        BernoulliParams
            The new weights and success probabilities.

        Raises
        ------
        emcore.mixture.DegenerateComponentError
            When a component has lost all its weight.
        """
        counts = c.sum(axis=0)
        empty = np.flatnonzero(~(counts > EMPTY_FRACTION * counts.sum()))
        if empty.size:
            raise DegenerateComponentError(
                f"component {int(empty[0])} lost all its weight: no row is explained by it; "
                "use fewer components or another start")
        s = self.smoothing
        means = (c.T @ self.X + s) / (counts[:, None] + 2 * s)
        return BernoulliParams(counts / counts.sum(), np.clip(means, 0.0, 1.0))

    def n_parameters(self) -> int:
        """``K - 1`` weights and ``K D`` probabilities.

        Returns
        -------
        int
            The number of free parameters.
        """
        return self.n_components - 1 + self.n_components * self.d
