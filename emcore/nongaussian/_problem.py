"""A fitted t or Bernoulli mixture as an :class:`emcore.EMModel` on one flat parameter vector.

What ``StudentTMixture.em_problem`` and ``BernoulliMixture.em_problem`` return, for
:func:`emcore.standard_errors`, :func:`emcore.em_rate` and :func:`emcore.run_em`, as
:meth:`emcore.GaussianMixture.em_problem` does for the Gaussian mixture. The vector is the
fitted attributes, raveled and concatenated in the order of ``layout``; its
``free_coordinates`` say how each block may move: the weights on the simplex, the means
free, the scale matrices symmetric, the degrees of freedom within ``DOF_BOUNDS`` and the
success probabilities within [0, 1] (at an end: on the boundary, flagged).
"""

from __future__ import annotations

import math

import numpy as np

from .._free import FreeCoordinates
from ..em import EMModel
from ._bernoulli_model import BernoulliParams
from ._student_t_model import DOF_BOUNDS, StudentTParams

__all__ = ["FlatMixtureProblem"]

#: How far from 1 the weights may sum for the log-likelihood (as the Gaussian mixture's).
SIMPLEX_TOLERANCE = 1e-9


class FlatMixtureProblem(EMModel):
    """``model`` (a :class:`StudentTModel` or :class:`BernoulliModel`) on a flat vector.

    Parameters
    ----------
    model : EMModel
        The mixture's own model, whose parameters are a dataclass.
    layout : list of tuple
        ``(attribute, shape, block)`` per fitted attribute, in the vector's order;
        ``block`` is a :class:`emcore._free.FreeCoordinates` block without its shape:
        ``("simplex",)``, ``("free",)``, ``("symmetric",)``, ``("fixed",)`` or
        ``("bounded", (low, high))``.
    to_params : callable
        ``to_params(attributes)``: the model's parameters from a dict of the attributes;
        raises ValueError where they are not valid.
    from_params : callable
        ``from_params(params)``: the dict of attributes of the model's parameters.

    The log-likelihood refuses weights off the simplex and bounded entries outside their
    bounds (ValueError), rather than extending the likelihood outside the parameter space.
    """

    def __init__(self, model, layout, to_params, from_params):
        self.model, self.layout = model, layout
        self.to_params, self.from_params = to_params, from_params
        self.size = sum(math.prod(shape) for _, shape, _ in layout)

    def as_attributes(self, vec) -> dict:
        """A vector laid out as ``theta``, as the attributes' names and shapes."""
        vec, out, start = np.asarray(vec), {}, 0
        if vec.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {vec.shape}")
        for name, shape, _ in self.layout:
            size = math.prod(shape)
            out[name] = vec[start:start + size].reshape(shape)
            start += size
        return out

    def pack(self, params) -> np.ndarray:
        attributes = self.from_params(params)
        return np.concatenate([np.ravel(attributes[name]) for name, _, _ in self.layout])

    def _params(self, theta, strict: bool):
        attributes = {name: np.array(value, dtype=float)
                      for name, value in self.as_attributes(np.asarray(theta, float)).items()}
        for name, _, block in self.layout:
            value = attributes[name]
            if block[0] == "simplex":
                if strict and not (np.all(value >= 0)
                                   and abs(value.sum() - 1.0) <= SIMPLEX_TOLERANCE):
                    raise ValueError(f"{name} must be non-negative and sum to 1: the "
                                     "log-likelihood is defined on the simplex only")
                attributes[name] = np.maximum(value, 0.0)
            elif block[0] == "bounded":
                low, high = block[1]
                if strict and not np.all((value >= low) & (value <= high)):
                    raise ValueError(f"{name} must lie within [{low}, {high}]")
                attributes[name] = np.clip(value, low, high)
        return self.to_params(attributes)

    def log_likelihood(self, theta) -> float:
        return self.model.log_likelihood(self._params(theta, strict=True))

    def e_step(self, theta):
        # the EM map is evaluated a difference step off the simplex by em_rate: take the
        # weights as they come (a tiny negative one as 0), as the Gaussian mixture's problem does
        return self.model.e_step(self._params(theta, strict=False))

    def m_step(self, stats) -> np.ndarray:
        return self.pack(self.model.m_step(stats))

    def free_coordinates(self, theta) -> FreeCoordinates:
        """The blocks of ``layout`` as free coordinates (for :func:`emcore.standard_errors`)."""
        blocks = [(block[0], shape, *block[1:]) for _, shape, block in self.layout]
        return FreeCoordinates(blocks, theta)


def student_t_problem(model, estimate_dof: bool) -> FlatMixtureProblem:
    """The flat problem of a :class:`StudentTModel` (its data, components and scale type)."""
    k, d, cov = model.n_components, model.d, model.cov
    scales = ("symmetric",) if cov.is_matrix else ("free",)
    dofs = ("bounded", DOF_BOUNDS) if estimate_dof else ("fixed",)
    layout = [("weights_", (k,), ("simplex",)), ("means_", (k, d), ("free",)),
              ("covariances_", cov.cov_shape(k, d), scales), ("degrees_of_freedom_", (k,), dofs)]

    def to_params(a):
        try:
            chol = cov.precision_cholesky(a["covariances_"])
        except np.linalg.LinAlgError:
            raise ValueError("the scale matrices must be positive definite") from None
        if not np.all(np.isfinite(chol)):
            raise ValueError("the scale matrices must be positive definite")
        return StudentTParams(a["weights_"], a["means_"], a["covariances_"], chol,
                              a["degrees_of_freedom_"])

    def from_params(p):
        return {"weights_": p.weights, "means_": p.means, "covariances_": p.covariances,
                "degrees_of_freedom_": p.dofs}

    return FlatMixtureProblem(model, layout, to_params, from_params)


def bernoulli_problem(model) -> FlatMixtureProblem:
    """The flat problem of a :class:`BernoulliModel`."""
    k, d = model.n_components, model.d
    layout = [("weights_", (k,), ("simplex",)), ("means_", (k, d), ("bounded", (0.0, 1.0)))]
    return FlatMixtureProblem(
        model, layout,
        lambda a: BernoulliParams(a["weights_"], a["means_"]),
        lambda p: {"weights_": p.weights, "means_": p.means})


class StandardErrorsMixin:
    """``em_problem`` and ``standard_errors`` for a mixture that defines ``_flat_problem``."""

    def em_problem(self, X, sample_weight=None):
        """The fitted mixture as an :class:`emcore.EMModel` on ``X``, and its parameters.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows, normally those the mixture was fitted to.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        model : emcore.nongaussian._problem.FlatMixtureProblem
            For :func:`emcore.standard_errors`, :func:`emcore.em_rate` and
            :func:`emcore.run_em`; ``model.as_attributes(vector)`` splits a vector laid out
            as ``theta`` into the fitted attributes.
        theta : numpy.ndarray
            The fitted attributes, raveled and concatenated.
        """
        self._check_fitted("means_")
        model, params = self._flat_problem(X, sample_weight)
        return model, model.pack(params)

    def standard_errors(self, X, sample_weight=None) -> dict:
        """Standard errors of the fitted parameters from the observed information on ``X``.

        The Hessian of the log-likelihood is taken in free coordinates (drop-one weights,
        the upper triangle of each scale matrix; degrees of freedom and success
        probabilities inside their ranges) and mapped back by the delta method
        (:func:`emcore.standard_errors` on :meth:`em_problem`). A parameter at an end of its
        range (a weight or a probability of 0, degrees of freedom at ``DOF_BOUNDS[1]``, the
        Gaussian limit) is on the boundary: held fixed, NaN, and listed. With ``reg_covar`` or
        ``smoothing`` the fit is not exactly a maximum of the likelihood (with
        ``smoothing``, the curvature is that of the log posterior EM climbed).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The rows the mixture was fitted to.
        sample_weight : array_like of shape (n_samples,), optional
            The weights it was fitted with.

        Returns
        -------
        dict
            One array per fitted attribute, shaped like it (``"weights_"``, ``"means_"``,
            and ``"covariances_"``, ``"degrees_of_freedom_"`` for the t mixture); NaN on the
            boundary, listed under ``"boundary"`` as ``(attribute, index)`` pairs.
        """
        from ..inference import standard_errors_by_attribute

        model, theta = self.em_problem(X, sample_weight)
        return standard_errors_by_attribute(model, theta, model.as_attributes)
