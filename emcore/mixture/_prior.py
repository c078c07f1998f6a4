"""Conjugate priors for MAP-EM: :class:`MixturePrior` and its M-step.

The prior enters the M-step as *pseudo-statistics*: ``kappa`` pseudo-samples
at the prior mean ``m0`` added to ``N_k``, the first and the second moments,
the scale ``Psi`` added to the scatter, and ``p`` extra "samples" in the
covariance's denominator. The covariance structure's own code
(:mod:`emcore.gaussian.covariance`) then turns these statistics into the posterior mode,
and its ``scatter_trace`` evaluates the prior's quadratic terms, so MAP-EM
shares every line of the likelihood M-step but the bookkeeping here.

Per covariance type (``d`` features, ``c = 1`` with a mean prior, else 0,
``nu`` the degrees of freedom; without a scale the ``nu`` terms are absent):

* ``full``: per component ``Sigma_k ~ IW(Psi, nu)`` and
  ``mu_k | Sigma_k ~ N(m0, Sigma_k / kappa)``; ``p = nu + d + 1 + c``;
* ``tied``: one ``Sigma ~ IW(Psi, nu)``, every ``mu_k | Sigma ~ N(m0, Sigma / kappa)``;
  ``p = nu + d + 1 + c K`` in total;
* ``diag``: each variance ``sigma_kj^2 ~ IG(nu / 2, psi_j / 2)``, ``mu_kj`` normal
  with variance ``sigma_kj^2 / kappa``; ``p = nu + 2 + c``;
* ``spherical``: ``sigma_k^2 ~ IG(nu / 2, psi / 2)``,
  ``mu_k | sigma_k^2 ~ N(m0, sigma_k^2 I / kappa)``; ``p = (nu + 2) / d + c``
  (in units of ``d`` features).

The mode is then ``w_k = (N_k + alpha - 1) / (N + K (alpha - 1))``,
``mu_k = (s1_k + kappa m0) / (N_k + kappa)`` and
``Sigma_k = (Psi + S_k + kappa N_k / (N_k + kappa) (xbar_k - m0)(xbar_k - m0)^T) / (N_k + p)``
(``S_k`` the scatter about ``xbar_k``; ``/ (d (N_k + p))`` of the traces for
``spherical``, ``/ (N + p)`` of the summed scatter for ``tied``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import Real, check_params
from ..gaussian.covariance import covariance_model
from ..gaussian.stats import MixtureParams, SufficientStats, stats_from_resp

__all__ = ["MixturePrior", "ResolvedPrior", "default_prior", "resolve_prior"]

_EPS = np.finfo(np.float64).eps


#: The scalar arguments of :class:`MixturePrior` (alpha < 1 has no mode).
_CONSTRAINTS = {
    "weight_concentration": [Real(1)],
    "mean_precision": [Real(0)],
    "degrees_of_freedom": [None, Real(0, low_open=True)],
}


@dataclasses.dataclass(frozen=True, eq=False)
class MixturePrior:
    """A conjugate prior on a Gaussian mixture's parameters, for MAP-EM.

    Pass it as ``GaussianMixture(prior=...)``; the M-step then returns the
    posterior mode instead of the maximum-likelihood estimate (see
    :class:`emcore.GaussianMixture`, *MAP estimation*). All parts are optional;
    ``MixturePrior()`` is flat and gives the maximum-likelihood fit.

    Parameters
    ----------
    weight_concentration : float, default 1.0
        ``alpha >= 1`` of a symmetric Dirichlet prior on the weights; 1 is flat,
        ``alpha > 1`` adds ``alpha - 1`` pseudo-samples to every component and
        keeps every weight positive.
    mean : array-like of shape (n_features,), optional
        Prior mean ``m0`` of every component mean; needs ``mean_precision > 0``.
    mean_precision : float, default 0.0
        ``kappa``: the mean prior is ``N(m0, Sigma_k / kappa)``, worth ``kappa``
        samples at ``m0``. 0 (only without ``mean``) is a flat prior on the means.
    degrees_of_freedom : float, optional
        ``nu`` of the inverse-Wishart (``full``, ``tied``; ``nu > d - 1``) or
        inverse-gamma (``diag``, ``spherical``: ``IG(nu/2, scale/2)``, ``nu > 0``)
        prior on the covariances; given together with ``scale``.
    scale : float or array-like, optional
        ``Psi``: a positive definite (n_features, n_features) matrix for
        ``full`` and ``tied``, positive (n_features,) variances for ``diag``, a
        positive number for ``spherical``; a positive number ``c`` also stands
        for ``c I`` or ``c`` per feature. Without it the covariances have a flat prior.

    See Also
    --------
    emcore.GaussianMixture : Takes it as ``prior`` and fits the posterior mode.
    emcore.mixture.DegenerateComponentError : What a covariance prior prevents.

    Notes
    -----
    The string ``"default"`` in place of a ``MixturePrior`` gives data-dependent
    values in the spirit of mclust's ``defaultPrior`` (Fraley & Raftery 2007):
    ``mean`` = the (weighted) data mean, ``mean_precision = 0.01``,
    ``degrees_of_freedom = d + 2``, ``scale`` = the data's (maximum-likelihood)
    covariance divided by ``K^(2/d)`` -- its diagonal for ``diag``, the mean
    variance over the features for ``spherical`` -- and no weight prior.

    Examples
    --------
    >>> from emcore.mixture import MixturePrior
    >>> MixturePrior(mean=[0.0], mean_precision=0.01, degrees_of_freedom=3,
    ...              scale=1.0).degrees_of_freedom
    3.0
    """

    weight_concentration: float = 1.0
    mean: np.ndarray | None = None
    mean_precision: float = 0.0
    degrees_of_freedom: float | None = None
    scale: object = None

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        values = check_params(_CONSTRAINTS, {name: getattr(self, name) for name in _CONSTRAINTS},
                              prefix="prior.")
        for name, value in values.items():
            set_(name, value)
        kappa = self.mean_precision
        if self.mean is not None:
            mean = _finite_array(self.mean, "mean")
            if mean.ndim != 1 or mean.size == 0:
                raise ValueError("prior.mean must be a 1-D array of length n_features, got shape "
                                 f"{mean.shape}")
            set_("mean", mean)
        if (self.mean is None) != (kappa == 0):
            raise ValueError("prior.mean and prior.mean_precision > 0 go together: give both or "
                             "neither")
        if (self.scale is None) != (self.degrees_of_freedom is None):
            raise ValueError("prior.scale and prior.degrees_of_freedom go together: give both or "
                             "neither")
        if self.scale is not None:
            scale = _finite_array(self.scale, "scale")
            if scale.ndim > 2 or np.any(np.diagonal(scale) <= 0 if scale.ndim == 2 else scale <= 0):
                raise ValueError("prior.scale must be a positive number, positive variances or a "
                                 "positive definite matrix")
            set_("scale", float(scale) if scale.ndim == 0 else scale)

    def __eq__(self, other):
        if not isinstance(other, MixturePrior):
            return NotImplemented
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name))
                   if getattr(self, f.name) is not None else getattr(other, f.name) is None
                   for f in dataclasses.fields(self))

    __hash__ = None


def _finite_array(value, name):
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"prior.{name} must be numeric, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"prior.{name} contains NaN or infinite values")
    arr.setflags(write=False)
    return arr


@dataclasses.dataclass
class ResolvedPrior:
    """A prior checked against the data, with ``mean`` in the parameters' coordinates.

    ``psi`` is shaped like one component's statistics (or the shared one for
    ``tied``), ``p`` is the per-component exponent (``tied``: its total / K).
    """

    cov_type: str
    alpha: float
    kappa: float
    mean: np.ndarray  # (d,), zeros without a mean prior
    psi: np.ndarray | float
    p: float

    def counts(self, n):
        """The weights' pseudo-counts ``N_k + alpha - 1``."""
        return n + (self.alpha - 1.0)

    def m_step(self, cov, stats: SufficientStats, reg_covar: float):
        """Posterior-mode ``(weights, delta, covariances, bare)``, delta about ``stats.shift``,
        ``bare`` the covariances before ``reg_covar``."""
        n = stats.n
        a = self.mean - stats.shift
        counts = self.counts(n) + 10 * _EPS
        weights = counts / counts.sum()
        # the guard keeps n_k + kappa and n_k + p positive; an empty component is reported
        # before, or (alpha > 1) sits on the prior mean and scale
        delta = (stats.first + self.kappa * a) / (n + self.kappa + 10 * _EPS)[:, None]
        denom = n + self.p + 10 * _EPS
        m2 = (stats.second + cov.per_component(self.psi, n.size) + cov.outer(self.kappa * a, a)
              + cov.outer((denom - n - self.kappa)[:, None] * delta, delta))
        covariances, bare = cov.covariances(m2, denom, denom, delta, reg_covar)
        return weights, delta, covariances, bare

    def log_density(self, params: MixtureParams) -> float:
        """``log p(theta)`` without its normalising constants (they depend on the prior alone)."""
        cov = covariance_model(self.cov_type)
        k, d = params.means.shape
        out = 0.0
        if self.alpha != 1.0:
            with np.errstate(divide="ignore"):
                out += (self.alpha - 1.0) * float(np.sum(np.log(params.weights)))
        chol = params.precisions_cholesky
        out += self.p * float(np.sum(cov.half_log_det(chol, k, d)))
        m0 = np.broadcast_to(self.mean, (k, d))
        kappa = np.full(k, self.kappa)
        m2 = cov.per_component(self.psi, k) + cov.outer(self.kappa * m0, m0)
        return out - 0.5 * cov.scatter_trace(chol, kappa, self.kappa * m0, m2, params.means)


def resolve_prior(prior, data, k: int) -> ResolvedPrior | None:
    """Check ``prior`` (None, ``"default"`` or a :class:`MixturePrior`) against ``data``.

    The mean is expressed relative to ``data.center``.
    """
    if prior is None:
        return None
    cov_type, d = data.cov_type, data.d
    cov = covariance_model(cov_type)
    if isinstance(prior, str) and prior == "default":
        prior = default_prior(data, k)
    if not isinstance(prior, MixturePrior):
        raise ValueError("prior must be None, 'default' or an emcore.mixture.MixturePrior, got "
                         f"{prior!r}")
    if prior.mean is not None and prior.mean.shape != (d,):
        raise ValueError(f"prior.mean must have shape ({d},) like X's features, got "
                         f"{prior.mean.shape}")
    c = 0.0 if prior.mean is None else 1.0
    mean = np.zeros(d) if prior.mean is None else prior.mean - data.center
    psi = cov.zero_scale(d) if prior.scale is None else _check_scale(prior.scale, cov, d)
    p = cov.prior_exponent(prior.degrees_of_freedom, c, k, d)
    return ResolvedPrior(cov_type, prior.weight_concentration, prior.mean_precision, mean, psi, p)


def _check_scale(scale, cov, d):
    """``prior.scale`` in the shape of covariance type ``cov``'s scale (a number is broadcast)."""
    if np.ndim(scale) == 0:
        return cov.scale_from_number(scale, d)
    shape = cov.scale_shape(d)
    if not shape:
        raise ValueError(f"prior.scale must be a positive number for covariance_type={cov.name!r}, "
                         f"got shape {np.shape(scale)}")
    if scale.shape != shape:
        raise ValueError(f"prior.scale must have shape {shape} for covariance_type={cov.name!r}, "
                         f"got {scale.shape}")
    if scale.ndim == 2:
        if not np.allclose(scale, scale.T, rtol=1e-10, atol=0):
            raise ValueError("prior.scale must be a symmetric matrix")
        try:
            np.linalg.cholesky(scale)
        except np.linalg.LinAlgError:
            raise ValueError("prior.scale must be positive definite") from None
    return scale


def default_prior(data, k: int) -> MixturePrior:
    """mclust's default prior (Fraley & Raftery 2007) for ``data`` and ``k`` components."""
    return default_prior_from_moments(one_component_stats(data), data.center, data.cov_type, k)


def one_component_stats(data) -> SufficientStats:
    """The data's weight, first and second moments, as one component's
    statistics about their mean."""
    return stats_from_resp(data, lambda s, e: np.ones((1, e - s)), 1)


def default_prior_from_moments(stats: SufficientStats, center, cov_type: str,
                               k: int) -> MixturePrior:
    """The default prior from one component's statistics about the data's mean (``stats.shift``).

    ``center`` is the origin of ``stats``' coordinates; data split into blocks
    give the same statistics as a sum of the blocks' (see :meth:`SufficientStats.about`).
    """
    d = stats.first.shape[1]
    scale = covariance_model(cov_type).default_scale(stats.second, stats.n[0], k, d)
    return MixturePrior(mean=center + stats.shift[0], mean_precision=0.01,
                        degrees_of_freedom=d + 2.0, scale=scale)
