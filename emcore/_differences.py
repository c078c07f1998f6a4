"""Central differences of a model's log-likelihood, for :mod:`emcore.inference`.

``vec`` is the parameter vector, ``scalar`` whether the model takes a float, ``h`` the step
of each coordinate.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OnFace", "gradient", "hessian", "loglik"]


def loglik(model, vec, scalar) -> float:
    """``model.log_likelihood`` at ``vec`` (a float when ``scalar``)."""
    return float(model.log_likelihood(float(vec[0]) if scalar else vec.copy()))


def gradient(model, vec, scalar, h) -> np.ndarray:
    """The gradient by central differences, ``2 p`` evaluations."""
    grad = np.empty(vec.size)
    for i in range(vec.size):
        e = np.zeros(vec.size)
        e[i] = h[i]
        grad[i] = (loglik(model, vec + e, scalar) - loglik(model, vec - e, scalar)) / (2 * h[i])
    return grad


def hessian(model, vec, scalar, h) -> np.ndarray:
    """The Hessian by second central differences (four-point cross differences off the
    diagonal)."""
    p = vec.size
    f0 = loglik(model, vec, scalar)
    hess = np.empty((p, p))
    for i in range(p):
        ei = np.zeros(p)
        ei[i] = h[i]
        hess[i, i] = (loglik(model, vec + ei, scalar) - 2 * f0
                      + loglik(model, vec - ei, scalar)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(p)
            ej[j] = h[j]
            f = [loglik(model, vec + si * ei + sj * ej, scalar)
                 for si in (1, -1) for sj in (1, -1)]
            hess[i, j] = hess[j, i] = (f[0] - f[1] - f[2] + f[3]) / (4 * h[i] * h[j])
    return hess


class OnFace:
    """The model's log-likelihood as a function of free coordinates."""

    def __init__(self, model, coords):
        self.model, self.coords = model, coords

    def log_likelihood(self, phi):
        return self.model.log_likelihood(self.coords.from_free(phi))
