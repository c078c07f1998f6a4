"""The parameters of a linear-Gaussian state-space model, their checks and their flat layout.

The model, for each sequence and steps ``t = 1, ..., n``::

    x_1 ~ N(initial_mean, initial_cov)
    x_t = transition x_{t-1} + w_t,     w_t ~ N(0, transition_cov)
    y_t = observation x_t + v_t,        v_t ~ N(0, observation_cov)

``SSMLayout`` turns the parameters that EM updates into one flat vector (the
others stay fixed in the layout): a matrix row by row, a covariance by its
lower triangle (or its diagonal when it is declared diagonal). That vector is
what :func:`emcore.run_em`, :func:`emcore.em_rate`, :func:`emcore.standard_errors`
and SQUAREM see.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["COVARIANCES", "NAMES", "SSMLayout", "SSMParams", "check_covariance", "check_matrix"]

#: The parameter names, in the order of the flat vector.
NAMES = ("transition", "transition_cov", "observation", "observation_cov", "initial_mean",
         "initial_cov")
#: The names of the covariance parameters (the ones that may be declared diagonal).
COVARIANCES = ("transition_cov", "observation_cov", "initial_cov")


@dataclasses.dataclass(frozen=True)
class SSMParams:
    """The six parameters of a linear-Gaussian state-space model (``k`` states, ``p`` outputs).

    Attributes
    ----------
    transition : numpy.ndarray of shape (k, k)
        ``A`` in ``x_t = A x_{t-1} + w_t``.
    transition_cov : numpy.ndarray of shape (k, k)
        ``Q``, the covariance of ``w_t``.
    observation : numpy.ndarray of shape (p, k)
        ``C`` in ``y_t = C x_t + v_t``.
    observation_cov : numpy.ndarray of shape (p, p)
        ``R``, the covariance of ``v_t``.
    initial_mean, initial_cov : numpy.ndarray of shape (k,) and (k, k)
        Mean and covariance of the state at the first step of each sequence.

    See Also
    --------
    emcore.statespace.SSMLayout : Which of them EM updates, as a flat vector.
    emcore.statespace.SSMModel.params : The matrices of a flat vector.

    Examples
    --------
    A local-level model: a random walk seen with noise.

    >>> import numpy as np
    >>> from emcore.statespace import SSMParams
    >>> params = SSMParams(transition=np.eye(1), transition_cov=0.5 * np.eye(1),
    ...                    observation=np.eye(1), observation_cov=np.eye(1),
    ...                    initial_mean=np.zeros(1), initial_cov=4.0 * np.eye(1))
    >>> params.n_states, params.n_outputs
    (1, 1)
    """

    transition: np.ndarray
    transition_cov: np.ndarray
    observation: np.ndarray
    observation_cov: np.ndarray
    initial_mean: np.ndarray
    initial_cov: np.ndarray

    @property
    def n_states(self) -> int:
        """The dimension of the hidden state."""
        return self.transition.shape[0]

    @property
    def n_outputs(self) -> int:
        """The dimension of an observation."""
        return self.observation.shape[0]


def _as_array(value, name: str, shape: tuple) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array of shape {shape}, "
                        f"got {type(value).__name__}") from None
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_matrix(value, name: str, shape: tuple) -> np.ndarray:
    """A finite float64 array of exactly ``shape``; TypeError/ValueError naming ``name``."""
    return _as_array(value, name, shape)


def check_covariance(value, name: str, k: int, *, diagonal: bool = False) -> np.ndarray:
    """A symmetric positive-definite (k, k) matrix; an error naming ``name`` otherwise.

    Symmetry is required to round-off (``1e-10`` relative to the largest
    entry); the matrix returned is exactly symmetric. With ``diagonal`` its
    off-diagonal entries must be 0.
    """
    arr = _as_array(value, name, (k, k))
    scale = max(float(np.max(np.abs(arr))), np.finfo(float).tiny)
    if np.max(np.abs(arr - arr.T)) > 1e-10 * scale:
        raise ValueError(f"{name} must be symmetric")
    arr = 0.5 * (arr + arr.T)
    if diagonal and np.any(arr[~np.eye(k, dtype=bool)] != 0):
        raise ValueError(f"{name} is declared diagonal (diagonal=...) but has off-diagonal entries")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (singular or indefinite)") from None
    return arr


class SSMLayout:
    """Which parameters EM updates and how they sit in the flat vector ``theta``.

    Parameters
    ----------
    fixed : SSMParams
        Values of the parameters that are not updated (and the shapes of all).
    update : tuple of str
        The names (from ``NAMES``) that EM updates; the rest stay at ``fixed``.
    diagonal : tuple of str
        Covariance names whose off-diagonal entries are held at 0.

    See Also
    --------
    emcore.statespace.SSMParams : The six matrices.
    emcore.statespace.SSMModel : The EM problem whose ``theta`` this lays out.

    Examples
    --------
    Only the two noise variances of a local-level model are free:

    >>> import numpy as np
    >>> from emcore.statespace import SSMLayout, SSMParams
    >>> params = SSMParams(transition=np.eye(1), transition_cov=0.5 * np.eye(1),
    ...                    observation=np.eye(1), observation_cov=np.eye(1),
    ...                    initial_mean=np.zeros(1), initial_cov=4.0 * np.eye(1))
    >>> layout = SSMLayout(params, update=("transition_cov", "observation_cov"))
    >>> print(layout.pack(params))
    [0.5 1. ]
    >>> print(layout.unpack([0.25, 2.0]).transition_cov)
    [[0.25]]
    """

    def __init__(self, fixed: SSMParams, update=NAMES, diagonal=()):
        self.fixed = fixed
        self.update = tuple(n for n in NAMES if n in update)
        self.diagonal = tuple(n for n in COVARIANCES if n in diagonal)
        self.k, self.p = fixed.n_states, fixed.n_outputs
        self._sizes = {n: self._size(n) for n in self.update}
        self.size = int(sum(self._sizes.values()))

    def _shape(self, name):
        return getattr(self.fixed, name).shape

    def _size(self, name):
        shape = self._shape(name)
        if name in self.diagonal:
            return shape[0]
        if name in COVARIANCES:
            return shape[0] * (shape[0] + 1) // 2
        return int(np.prod(shape))

    def pack(self, params: SSMParams) -> np.ndarray:
        """The flat vector of the updated parameters of ``params``.

        Parameters
        ----------
        params : SSMParams
            All the matrices.

        Returns
        -------
        ndarray
            The entries of the parameters in ``update``, in ``NAMES`` order (covariances by
            their lower triangle, or their diagonal).
        """
        parts = []
        for name in self.update:
            value = getattr(params, name)
            if name in self.diagonal:
                parts.append(np.diag(value))
            elif name in COVARIANCES:
                parts.append(value[np.tril_indices(value.shape[0])])
            else:
                parts.append(np.ravel(value))
        return np.concatenate(parts) if parts else np.zeros(0)

    def unpack(self, theta) -> SSMParams:
        """The parameters of a flat vector; ValueError if a covariance is not positive definite.

        (SQUAREM's extrapolation may leave the parameter space; this error is
        what tells it to fall back to plain EM steps.)

        Parameters
        ----------
        theta : array_like
            A flat vector (:meth:`pack`).

        Returns
        -------
        SSMParams
            The six matrices: those in ``update`` from ``theta``, the others from ``fixed``.
        """
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {theta.shape}")
        if not np.all(np.isfinite(theta)):
            raise ValueError("theta contains NaN or infinite values")
        values, start = {}, 0
        for name in self.update:
            chunk = theta[start:start + self._sizes[name]]
            start += self._sizes[name]
            shape = self._shape(name)
            if name in self.diagonal:
                value = np.diag(chunk)
            elif name in COVARIANCES:
                value = np.zeros(shape)
                value[np.tril_indices(shape[0])] = chunk
                value = value + np.tril(value, -1).T
            else:
                value = chunk.reshape(shape).copy()
            if name in COVARIANCES:
                try:
                    np.linalg.cholesky(value)
                except np.linalg.LinAlgError:
                    raise ValueError(f"{name} is not positive definite") from None
            values[name] = value
        return dataclasses.replace(self.fixed, **values)
