"""The I-step and P-step of data augmentation for each model: one draw of the missing
entries given the parameters, one draw of the parameters given the completed data."""

from __future__ import annotations

import math

import numpy as np

from ..em import run_em
from ..models._gaussian import pack
from ..models.mvn_missing import MVNMissing

__all__ = ["NormalSampler", "draw_normal_inverse_wishart"]


def draw_normal_inverse_wishart(rng, centre, kappa, scatter, df):
    r"""One draw of :math:`\Sigma \sim \mathrm{IW}(\text{df}, \text{scatter})`,
    :math:`\mu \mid \Sigma \sim \mathcal N(\text{centre}, \Sigma / \kappa)`.

    Bartlett's decomposition: with :math:`A` lower triangular,
    :math:`A_{ii}^2 \sim \chi^2_{\text{df} - i}` and standard normal entries below the
    diagonal, :math:`AA^\top` is Wishart(df, I); with :math:`CC^\top` = scatter,
    :math:`\Sigma = C A^{-\top} A^{-1} C^\top` is then the inverse of a Wishart(df,
    scatter⁻¹) matrix.
    """
    d = centre.size
    A = np.tril(rng.standard_normal((d, d)), -1)
    A[np.diag_indices(d)] = np.sqrt(rng.chisquare(df - np.arange(d)))
    root = np.linalg.solve(A, np.linalg.cholesky(scatter).T).T  # C A^{-T}
    cov = root @ root.T
    mean = centre + root @ rng.standard_normal(d) / math.sqrt(kappa)
    return mean, (cov + cov.T) / 2


class NormalSampler:
    r"""Data augmentation for one multivariate normal, under the Jeffreys prior
    :math:`p(\mu, \Sigma) \propto |\Sigma|^{-(D+1)/2}`, whose complete-data posterior is
    :math:`\Sigma \mid Y \sim \mathrm{IW}(N - 1, S)`, :math:`\mu \mid \Sigma, Y \sim
    \mathcal N(\bar y, \Sigma / N)` (:math:`S` the scatter about the mean :math:`\bar y`)."""

    def __init__(self, table):
        self.model = MVNMissing(table)
        n, d = table.shape
        if n - 1 < d:
            raise ValueError(f"X has {n} rows for {d} columns: the posterior of the covariance "
                             f"needs at least D + 1 = {d + 1} rows")

    def start(self):
        run = run_em(self.model, self.model.initial_params(), tol=1e-10, max_iter=10_000)
        return run.theta

    def impute(self, theta, rng):
        return self.model.draw_missing(theta, rng)

    def draw_params(self, data, rng):
        centre = data.mean(axis=0)
        scatter = (data - centre).T @ (data - centre)
        return pack(*draw_normal_inverse_wishart(rng, centre, data.shape[0], scatter,
                                                  data.shape[0] - 1))

    def monitored(self, theta):
        return np.asarray(theta, dtype=float)

    def as_tuple(self, theta):
        return self.model.unpack(theta)
