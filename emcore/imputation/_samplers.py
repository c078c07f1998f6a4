"""The I-step and P-step of data augmentation for each model: one draw of the missing
entries given the parameters, one draw of the parameters given the completed data."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..em import run_em
from ..gaussian.covariance import covariance_model
from ..models._gaussian import pack
from ..models.mvn_missing import MVNMissing

__all__ = ["MixtureSampler", "NormalSampler", "draw_normal_inverse_wishart"]


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


def _packed_names(d, prefix):
    """The names of a packed mean and covariance's entries (the lower triangle row by row)."""
    return ([f"{prefix}mean[{j}]" for j in range(d)]
            + [f"{prefix}cov[{i}, {j}]" for i in range(d) for j in range(i + 1)])


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
        constant = [j for j in range(d) if np.nanstd(table[:, j]) == 0]
        if constant:
            raise ValueError(f"X has columns whose observed entries are all equal: {constant}; "
                             "their covariance is singular: drop them")

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

    def monitored_names(self):
        return _packed_names(self.model.n_features, "")

    def as_tuple(self, theta):
        return self.model.unpack(theta)


def _mixture_moments(weights, means, covs):
    """The overall mean and covariance of a mixture, packed: the same whatever the labels."""
    mean = weights @ means
    second = np.einsum("k,kij->ij", weights, covs + np.einsum("ki,kj->kij", means, means))
    return pack(mean, second - np.outer(mean, mean))


class MixtureSampler:
    r"""Data augmentation for a Gaussian mixture with ``full`` covariances, under the
    conjugate prior :math:`w \sim \mathrm{Dirichlet}(\alpha)`,
    :math:`\Sigma_k \sim \mathrm{IW}(\nu, \Psi)`, :math:`\mu_k \mid \Sigma_k \sim
    \mathcal N(m_0, \Sigma_k/\kappa)`; the I-step also draws each row's component.

    ``estimator``: a :class:`emcore.GaussianMixture`; its ``prior`` is used when it is a
    :class:`emcore.mixture.MixturePrior` with all four parts, otherwise mclust's default
    (Fraley & Raftery 2007) with the data's mean and covariance estimated by EM under
    the one-normal model. The chain starts at the MAP-EM fit of a copy of the
    estimator with that prior and ``missing="marginalize"``.
    """

    def __init__(self, table, estimator):
        from ..mixture import MixturePrior

        params = estimator.get_params(deep=False)
        # The P-step draws unconstrained covariances: only the full type's own object fits.
        if covariance_model(params["covariance_type"]) is not covariance_model("full"):
            raise ValueError("multiple_imputation supports GaussianMixture with covariance_type="
                             f"'full' only, got {params['covariance_type']!r}")
        self.model = MVNMissing(table)
        k, d = params["n_components"], table.shape[1]
        prior = params["prior"]
        if isinstance(prior, MixturePrior) and prior.mean is not None and prior.scale is not None:
            scale = prior.scale * np.eye(d) if np.ndim(prior.scale) == 0 else prior.scale
            prior = dataclasses.replace(prior, scale=scale)
        else:
            one = NormalSampler(table)
            mean, cov = one.as_tuple(one.start())
            prior = MixturePrior(weight_concentration=getattr(prior, "weight_concentration", 1.0),
                                 mean=mean, mean_precision=0.01, degrees_of_freedom=d + 2.0,
                                 scale=cov / k ** (2.0 / d))
        self.prior, self.k = prior, k
        params.update(prior=prior, missing="marginalize", warm_start=False, callback=None)
        self.estimator = type(estimator)(**params)

    def start(self):
        fitted = self.estimator.fit(self.model.X)
        return fitted.weights_, fitted.means_, fitted.covariances_

    def _labels(self, theta, rng):
        weights, means, covs = theta
        with np.errstate(divide="ignore"):  # a weight of 0 is a component no row can join
            log_joint = np.log(weights) + np.column_stack(
                [self.model.row_log_likelihoods(pack(mu, cov)) for mu, cov in zip(means, covs)])
        post = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
        cumulative = np.cumsum(post / post.sum(axis=1, keepdims=True), axis=1)
        u = rng.random(len(post))[:, None]
        return np.minimum(np.sum(cumulative < u, axis=1), self.k - 1)

    def impute(self, theta, rng):
        self.labels = self._labels(theta, rng)
        filled = self.model.X.copy()
        for j, (mu, cov) in enumerate(zip(theta[1], theta[2])):
            chosen = self.labels == j
            filled[chosen] = self.model.draw_missing(pack(mu, cov), rng, rows=chosen)[chosen]
        return filled

    def draw_params(self, data, rng):
        p = self.prior
        counts = np.bincount(self.labels, minlength=self.k)
        weights = rng.dirichlet(counts + p.weight_concentration)
        means, covs = [], []
        for j in range(self.k):
            part = data[self.labels == j]
            n = part.shape[0]
            centre = part.mean(axis=0) if n else p.mean
            scatter = (part - centre).T @ (part - centre)
            kappa = p.mean_precision + n
            shift = centre - p.mean
            scatter = p.scale + scatter + p.mean_precision * n / kappa * np.outer(shift, shift)
            mean, cov = draw_normal_inverse_wishart(
                rng, (p.mean_precision * p.mean + n * centre) / kappa, kappa, scatter,
                p.degrees_of_freedom + n)
            means.append(mean)
            covs.append(cov)
        return weights, np.array(means), np.array(covs)

    def monitored(self, theta):
        return _mixture_moments(*theta)

    def monitored_names(self):
        return _packed_names(self.model.n_features, "overall ")

    def as_tuple(self, theta):
        return theta
