"""The mixture of generalised linear regressions as an :class:`emcore.EMModel`."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..em import EMModel
from ..gaussian.mstep import EMPTY_FRACTION, DegenerateComponentError
from ._base import log_sum_exp
from ._glm import FAMILIES, fit_gating, fit_glm, softmax_log

__all__ = ["RegressionMixtureModel", "RegressionParams", "RegressionStats"]


@dataclasses.dataclass(frozen=True)
class RegressionParams:
    r"""Parameters of a mixture of regressions.

    Attributes
    ----------
    coef : numpy.ndarray of shape (K, p)
        Each component's coefficients on the design's ``p`` columns.
    sigma : numpy.ndarray of shape (K,) or None
        Each component's residual standard deviation (Gaussian family only).
    gating : numpy.ndarray of shape (K, q)
        The multinomial-logit coefficients of the mixing weights on the
        concomitant design's ``q`` columns, row 0 zero:
        :math:`\pi_k(g) \propto \exp(g^\top \alpha_k)`. Without concomitant
        variables ``q = 1`` (the intercept) and :math:`\pi_k \propto e^{\alpha_k}`.

    See Also
    --------
    emcore.nongaussian.RegressionMixtureModel : The model they parametrise.
    emcore.RegressionMixture : Its fitted ``coef_``, ``sigma_`` and ``gating_coef_``.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.nongaussian import RegressionParams
    >>> theta = RegressionParams(coef=np.array([[1.0, 2.0], [4.0, -2.0]]),
    ...                          sigma=np.array([0.1, 0.1]), gating=np.zeros((2, 1)))
    >>> theta.coef.shape, theta.gating.shape
    ((2, 2), (2, 1))
    """

    coef: np.ndarray
    sigma: np.ndarray | None
    gating: np.ndarray


@dataclasses.dataclass
class RegressionStats:
    """The E-step's output.

    Attributes
    ----------
    weighted_resp : numpy.ndarray of shape (n, K)
        Each row's sample weight times its responsibilities, ``c``.
    params : RegressionParams or None
        The parameters they came from (None at a start), from which the M-step's Newton
        iterations warm-start.
    packed : bool
        Whether the parameters came as a vector (:meth:`RegressionMixtureModel.pack`); then
        the M-step returns a vector too.

    See Also
    --------
    emcore.nongaussian.RegressionMixtureModel.e_step : Computes them.
    emcore.nongaussian.RegressionMixtureModel.m_step : Turns them into new parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore.nongaussian import RegressionStats
    >>> stats = RegressionStats(np.full((4, 2), 0.5))
    >>> stats.weighted_resp.sum(axis=0), stats.params is None
    (array([2., 2.]), True)
    """

    weighted_resp: np.ndarray
    params: RegressionParams | None = None
    packed: bool = False


class RegressionMixtureModel(EMModel):
    r"""A mixture of GLM regressions with a multinomial-logit gating network, for EM.

    :math:`p(y_n \mid x_n, g_n) = \sum_k \pi_k(g_n) f(y_n \mid x_n^\top \beta_k)`.
    The E-step gives the responsibilities :math:`\gamma_{nk}`; with sample
    weights :math:`w_n`, the M-step maximises, separately,
    :math:`\sum_n w_n \gamma_{nk} \log f(y_n \mid x_n^\top \beta_k)` for each
    component (``fit_glm`` in ``_glm``) and
    :math:`\sum_n w_n \sum_k \gamma_{nk} \log \pi_k(g_n)` for the gating
    coefficients (``fit_gating`` in ``_glm``; in closed form, the weighted
    share of each component, when ``G`` is the intercept alone).

    Parameters
    ----------
    X : numpy.ndarray of shape (n, p)
        The regression design (intercept column included when wanted), float64.
    y : numpy.ndarray
        The response: (n,), or (n, 2) successes and failures for the binomial.
    family : {"gaussian", "binomial", "poisson"}
        The components' GLM family (canonical link).
    n_components : int
        The number of components ``K``.
    G : numpy.ndarray of shape (n, q) or None
        The concomitant design (intercept column included); None: the intercept alone.
    sample_weight : numpy.ndarray of shape (n,) or None
        Non-negative weights of the rows; None for ones.

    See Also
    --------
    emcore.RegressionMixture : The estimator that fits it.
    emcore.nongaussian.RegressionParams : Its parameters.
    emcore.run_em : Runs EM on it.

    Examples
    --------
    Two regression lines through one cloud of ``x``, started from the labels of the
    nearer line:

    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.nongaussian import RegressionMixtureModel
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(0, 1, 200)
    >>> y = np.where(rng.uniform(size=200) < 0.5, 1 + 2 * x, 4 - 2 * x) + 0.1 * rng.normal(size=200)
    >>> model = RegressionMixtureModel(np.c_[np.ones(200), x], y, "gaussian", 2)
    >>> nearer = (np.abs(y - 1 - 2 * x) > np.abs(y - 4 + 2 * x)).astype(int)
    >>> run = run_em(model, model.params_from_responsibilities(np.eye(2)[nearer]), tol=1e-10)
    >>> print(run.theta.coef.round(1))
    [[ 1.  2.]
     [ 4. -2.]]
    """

    def __init__(self, X, y, family, n_components, G=None, sample_weight=None):
        self.X, self.y = X, y
        self.family = FAMILIES[family]
        self.n_components = n_components
        self.n = X.shape[0]
        self.G = np.ones((self.n, 1)) if G is None else G
        self.constant_weights = G is None
        self.weights = np.ones(self.n) if sample_weight is None else sample_weight

    def log_joint(self, theta: RegressionParams, X=None, y=None, G=None) -> np.ndarray:
        """``log pi_k(g_n) + log f(y_n | x_n^T beta_k)``, shape (n, K).

        Parameters
        ----------
        theta : RegressionParams
            The mixture's parameters.
        X : numpy.ndarray of shape (n, p), optional
            The regression design; the model's when None.
        y : numpy.ndarray of shape (n,) or (n, 2), optional
            The response; the model's when None.
        G : numpy.ndarray of shape (n, q), optional
            The concomitant design; the model's when None.

        Returns
        -------
        numpy.ndarray of shape (n, K)
            The joint log-densities.
        """
        X = self.X if X is None else X
        y = self.y if y is None else y
        G = self.G if G is None else G
        out = softmax_log(G, theta.gating)
        for k in range(self.n_components):
            sigma = None if theta.sigma is None else theta.sigma[k]
            out[:, k] += self.family.log_density(y, X @ theta.coef[k], sigma)
        return out

    # -- the parameters as one vector (for emcore.standard_errors and emcore.em_rate) ----------
    def pack(self, theta: RegressionParams) -> np.ndarray:
        """``theta`` as one vector: coefficients, sigmas (Gaussian), gating rows 1, ..., K-1.

        Parameters
        ----------
        theta : RegressionParams
            The mixture's parameters.

        Returns
        -------
        1-D numpy.ndarray
            The parameter vector, of length :meth:`n_parameters`.
        """
        parts = [theta.coef.ravel()]
        if theta.sigma is not None:
            parts.append(theta.sigma)
        parts.append(theta.gating[1:].ravel())
        return np.concatenate(parts)

    def unpack(self, vector) -> RegressionParams:
        """The :class:`RegressionParams` of a vector from :meth:`pack`.

        Parameters
        ----------
        vector : 1-D array_like
            A parameter vector; its sigmas (Gaussian family) must be positive.

        Returns
        -------
        RegressionParams
            The parameters, gating row 0 zero.
        """
        v = np.asarray(vector, dtype=float)
        k_, p, q = self.n_components, self.X.shape[1], self.G.shape[1]
        coef, rest = v[:k_ * p].reshape(k_, p), v[k_ * p:]
        sigma = None
        if self.family.has_scale:
            sigma, rest = rest[:k_], rest[k_:]
            if not np.all(sigma > 0):
                raise ValueError("the sigmas in theta must be positive")
        gating = np.vstack([np.zeros((1, q)), rest.reshape(k_ - 1, q)])
        return RegressionParams(coef, sigma, gating)

    def e_step_with_log_likelihood(self, theta):
        """The E-step and the log-likelihood from one pass over the data.

        Parameters
        ----------
        theta : RegressionParams or 1-D numpy.ndarray
            The parameters, or a vector from :meth:`pack`
            (then the M-step returns a vector too).

        Returns
        -------
        stats : RegressionStats
            The weighted responsibilities and the parameters they came from.
        log_likelihood : float
            The weighted log-likelihood.
        """
        packed = isinstance(theta, np.ndarray)
        params = self.unpack(theta) if packed else theta
        logp = self.log_joint(params)
        norm = log_sum_exp(logp)
        resp = np.exp(logp - norm[:, None])
        stats = RegressionStats(self.weights[:, None] * resp, params, packed)
        return stats, float(self.weights @ norm)

    def e_step(self, theta):
        """Each row's weight times its responsibilities, a :class:`RegressionStats`.

        Parameters
        ----------
        theta : RegressionParams or 1-D numpy.ndarray
            The parameters, or a vector from :meth:`pack`.

        Returns
        -------
        RegressionStats
            The weighted responsibilities, and the parameters they came from.
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        """``sum_n w_n log sum_k pi_k(g_n) f(y_n | x_n^T beta_k)``.

        Parameters
        ----------
        theta : RegressionParams or 1-D numpy.ndarray
            The parameters, or a vector from :meth:`pack`.

        Returns
        -------
        float
            The weighted log-likelihood.
        """
        return self.e_step_with_log_likelihood(theta)[1]

    def m_step(self, stats: RegressionStats) -> RegressionParams:
        """Each component's weighted GLM and the gating model's weighted multinomial logit.

        Parameters
        ----------
        stats : RegressionStats
            The E-step's output (:meth:`e_step`).

        Returns
        -------
        RegressionParams or 1-D numpy.ndarray
            The new parameters; a vector when the E-step was given one.

        Raises
        ------
        emcore.mixture.DegenerateComponentError
            When a component loses all its weight, or its weighted design is rank-deficient.
        emcore.nongaussian.SeparationError
            When a component's (or the gating model's) weighted regression has no finite
            maximum.
        """
        c, old = stats.weighted_resp, stats.params
        counts = c.sum(axis=0)
        empty = np.flatnonzero(~(counts > EMPTY_FRACTION * counts.sum()))
        if empty.size:
            raise DegenerateComponentError(
                f"component {int(empty[0])} lost all its weight: no row is explained by it; "
                "use fewer components or another start")
        k_ = self.n_components
        coef = np.empty((k_, self.X.shape[1]))
        sigma = np.empty(k_) if self.family.has_scale else None
        for k in range(k_):
            start = None if old is None else old.coef[k]
            coef[k], s = fit_glm(self.family, self.X, self.y, c[:, k], start,
                                 what=f"component {k}")
            if sigma is not None:
                sigma[k] = s
        if self.constant_weights:
            gating = (np.log(counts) - np.log(counts[0]))[:, None]
        else:
            gating = fit_gating(self.G, c, None if old is None else old.gating)
        new = RegressionParams(coef, sigma, gating)
        return self.pack(new) if stats.packed else new

    def params_from_responsibilities(self, resp) -> RegressionParams:
        """The M-step on given responsibilities (n, K): a start.

        Parameters
        ----------
        resp : numpy.ndarray of shape (n, K)
            Responsibilities, each row summing to one.

        Returns
        -------
        RegressionParams
            The M-step's parameters for these responsibilities.
        """
        return self.m_step(RegressionStats(self.weights[:, None] * resp))

    def n_parameters(self) -> int:
        """Free parameters: coefficients, sigmas (Gaussian), gating coefficients.

        Returns
        -------
        int
            The number of free parameters.
        """
        k_ = self.n_components
        scale = k_ if self.family.has_scale else 0
        return k_ * self.X.shape[1] + scale + (k_ - 1) * self.G.shape[1]
