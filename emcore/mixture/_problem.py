"""A fitted Gaussian mixture as an :class:`emcore.EMModel` on a flat parameter vector.

What :meth:`GaussianMixture.em_problem` returns, for :func:`emcore.em_rate`,
:func:`emcore.standard_errors` and :func:`emcore.run_em` (e.g. with SQUAREM). It
runs on the textbook E-step (:mod:`emcore.gaussian.reference`): the point is to
differentiate the log-likelihood, not to be fast.
"""

from __future__ import annotations

import numpy as np

from .._free import FreeCoordinates
from ..em import EMModel
from ..gaussian import reference
from ..gaussian.covariance import covariance_model
from ..gaussian.mstep import m_step
from ..gaussian.stats import MixtureParams
from ._curved import mclust_curve

__all__ = ["LINEAR_MCLUST_MODELS", "MixtureProblem", "mclust_span"]

#: How far from 1 the weights may sum for the log-likelihood (as the HMM's rows).
SIMPLEX_TOLERANCE = 1e-9


class MixtureProblem(EMModel):
    """The mixture's log-likelihood, E-step and M-step on ``X``.

    ``theta`` is the weights (K,), the means (K, d) and the covariances in the
    covariance type's compact shape, concatenated. The log-likelihood refuses
    weights off the simplex and covariances that are not positive definite
    (a ValueError), rather than extending the likelihood outside the
    parameter space.
    """

    def __init__(self, X, covariance_type: str, n_components: int, sample_weight=None):
        from ..gaussian.mclust import MclustModel

        self.X = np.asarray(X, dtype=np.float64)
        self.cov, self.cov_type = covariance_model(covariance_type), covariance_type
        self.k, self.d = n_components, self.X.shape[1]
        # mclust's constrained models have their own free coordinates; a built-in type and a
        # type of the user's own use every entry of the covariances
        self.mclust = isinstance(self.cov, MclustModel)
        self.cov_shape = self.cov.cov_shape(self.k, self.d)
        self.size = self.k * (1 + self.d) + int(np.prod(self.cov_shape))
        self.sample_weight = sample_weight

    def pack(self, weights, means, covariances) -> np.ndarray:
        return np.concatenate([np.ravel(weights), np.ravel(means), np.ravel(covariances)])

    def unpack(self, theta, on_simplex: bool = True) -> MixtureParams:
        """The parameters of ``theta``; ``on_simplex=False`` (for the EM map, which
        :func:`emcore.em_rate` evaluates a difference step off the simplex) takes
        the weights as they come, a tiny negative one as 0."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {theta.shape}")
        k, kd = self.k, self.k * self.d
        weights, means = theta[:k], theta[k:k + kd].reshape(k, self.d)
        covariances = theta[k + kd:].reshape(self.cov_shape)
        if on_simplex and not (np.all(weights >= 0)
                               and abs(weights.sum() - 1.0) <= SIMPLEX_TOLERANCE):
            raise ValueError("the weights must be non-negative and sum to 1: the "
                             "log-likelihood is defined on the simplex only")
        weights = np.maximum(weights, 0.0)
        try:
            chol = self.cov.precision_cholesky(covariances)
        except np.linalg.LinAlgError:
            raise ValueError("the covariances must be positive definite") from None
        return MixtureParams(weights, means, covariances, chol)

    def log_likelihood(self, theta) -> float:
        p = self.unpack(theta)
        _, log_px = reference.responsibilities(self.X, p.weights, p.means,
                                               p.precisions_cholesky, self.cov)
        w = self.sample_weight
        return float(log_px.sum() if w is None else log_px @ w)

    def e_step(self, theta):
        params = self.unpack(theta, on_simplex=False)
        return reference.e_step(self.X, params, self.cov, self.sample_weight)[0]

    def m_step(self, stats) -> np.ndarray:
        new = m_step(stats, self.cov_type, 0.0)
        return self.pack(new.weights, new.means, new.covariances)

    def free_coordinates(self, theta) -> FreeCoordinates:
        """Drop-one weights, the means, the covariances' upper triangles (for
        :func:`emcore.standard_errors`); for mclust's models with a linear constraint, the
        covariances' coordinates in a basis of what the model allows (:func:`mclust_span`),
        for the eight curved ones log volumes, log shapes and rotations (:func:`mclust_curve`).
        """
        cov_block = ("symmetric" if self.cov.is_matrix else "free", self.cov_shape)
        if self.cov_type in LINEAR_MCLUST_MODELS:
            cov_block = ("span", self.cov_shape, mclust_span(self.cov_type, self.k, self.d))
        elif self.mclust:
            curve = mclust_curve(self.cov_type, self.unpack(theta).covariances)
            if curve[0].size != self.cov.n_cov_parameters(self.k, self.d):
                raise RuntimeError(f"{curve[0].size} coordinates for the covariances of "
                                   f"{self.cov_type!r}, which has "
                                   f"{self.cov.n_cov_parameters(self.k, self.d)} parameters")
            cov_block = ("curved", self.cov_shape, curve)
        blocks = [("simplex", (1, self.k)), ("free", (self.k, self.d)), cov_block]
        return FreeCoordinates(blocks, theta)

    def as_attributes(self, vec) -> dict:
        """A vector laid out as ``theta``, as the estimator's attributes' names and shapes."""
        vec = np.asarray(vec)
        k, kd = self.k, self.k * self.d
        return {"weights_": vec[:k], "means_": vec[k:k + kd].reshape(k, self.d),
                "covariances_": vec[k + kd:].reshape(self.cov_shape)}


#: mclust's models whose covariances form a linear subspace of the (K, d, d) stacks; the
#: other eight (a common volume or shape with varying others, a common orientation) are
#: curved sets (:mod:`emcore.mixture._curved`).
LINEAR_MCLUST_MODELS = ("EII", "VII", "EEI", "VVI", "EEE", "VVV")


def mclust_span(name: str, k: int, d: int) -> np.ndarray:
    """A basis (columns) of the raveled (K, d, d) covariances that mclust model ``name`` allows.

    ``EII``: one multiple of the identity for all; ``VII``: one per component; ``EEI``/``VVI``:
    a diagonal shared / per component; ``EEE``/``VVV``: a symmetric matrix shared / per
    component. The other models' covariances form a curved set: a ValueError (they have
    :func:`emcore.mixture._curved.mclust_curve`).
    """
    if name not in LINEAR_MCLUST_MODELS:
        raise ValueError(f"mclust's {name!r} is not one of the linear models "
                         f"{LINEAR_MCLUST_MODELS}: its covariances form a curved set")
    if name in ("EII", "VII"):
        units = [np.eye(d)]
    elif name in ("EEI", "VVI"):
        units = [np.diag(np.eye(d)[j]) for j in range(d)]
    else:
        units = [np.eye(d)[:, [i]] @ np.eye(d)[[j]] + (i != j) * np.eye(d)[:, [j]] @ np.eye(d)[[i]]
                 for i in range(d) for j in range(i, d)]
    shared = name[0] == "E"
    columns = []
    for unit in units:
        for c in ([None] if shared else range(k)):
            stack = np.zeros((k, d, d))
            stack[slice(None) if c is None else c] = unit
            columns.append(stack.ravel())
    return np.column_stack(columns)
