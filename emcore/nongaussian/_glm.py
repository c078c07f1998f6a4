"""Weighted generalised linear models: the M-steps of a mixture of regressions.

A mixture of regressions maximises, per component ``k``, the weighted
log-likelihood :math:`\\sum_n c_{nk} \\log f(y_n \\mid x_n^\\top \\beta_k)` with
:math:`c_{nk}` the sample weight times the responsibility; the gating network
maximises :math:`\\sum_n \\sum_k c_{nk} \\log \\pi_k(g_n)`. Both are concave in
their coefficients (canonical links), so Newton's method with step halving
finds the maximiser and never lowers the objective, which keeps EM monotone.

* :class:`Family` -- one object per response family (``gaussian``,
  ``binomial``, ``poisson``): its log-density, mean and variance function;
* :func:`fit_glm` -- weighted least squares (Gaussian) or weighted Newton/IRLS;
* :func:`fit_gating` -- the weighted multinomial logit of the gating network.

A weighted design of rank below its number of columns (too few rows with
weight, or collinear columns) raises :class:`DegenerateComponentError`; a
Newton iteration whose coefficients keep growing without converging (the
weighted data are separated: the maximum is at infinity) raises
:class:`SeparationError`.
"""

from __future__ import annotations

import math

import numpy as np

from ..gaussian.mstep import DegenerateComponentError

__all__ = ["FAMILIES", "DegenerateComponentError", "Family", "SeparationError", "fit_gating",
           "fit_glm", "softmax_log"]

_EPS = np.finfo(np.float64).eps
#: Newton stops when no coefficient moves by more than this, relative to the largest.
NEWTON_TOL = 1e-11
#: Newton iterations before the weighted data count as separated.
NEWTON_MAX_ITER = 100
#: Halvings of a Newton step at most (a step is halved until it is below NEWTON_TOL).
MAX_HALVINGS = 2000
#: A weighted design is rank deficient when its smallest singular value is below this
#: fraction of its largest.
RANK_RTOL = 1e3 * _EPS


class SeparationError(ValueError):
    """A weighted logistic (or Poisson, or gating) regression has no finite maximum.

    The weighted rows are separated: some direction of the coefficients
    raises the log-likelihood for ever (fitted probabilities go to 0 or 1,
    fitted rates to 0), so Newton's iterations do not converge. In a mixture
    this means a component (or the gating network) explains its rows
    perfectly; use fewer components, another start, or drop the separating
    variables.

    See Also
    --------
    emcore.RegressionMixture : Raises it when every start ends in a separated fit.
    emcore.mixture.DegenerateComponentError : The other way a component's fit fails.

    Examples
    --------
    A binomial response that the regressor predicts perfectly:

    >>> import numpy as np
    >>> from emcore import RegressionMixture
    >>> from emcore.nongaussian import SeparationError
    >>> x = np.r_[np.zeros(10), np.ones(10)][:, None]
    >>> y = np.r_[np.zeros(10), np.ones(10)]
    >>> try:
    ...     RegressionMixture(1, family="binomial").fit(x, y)
    ... except SeparationError as err:
    ...     print(isinstance(err, ValueError), "separated" in str(err))
    True True
    """


class Family:
    """A response family with its canonical link: log-density, mean and variance.

    ``y`` is (n,) for the Gaussian and Poisson families; for the binomial it
    is (n, 2), successes and failures, as R's ``glm`` takes them.
    """

    name = ""
    has_scale = False

    def log_density(self, y, eta, sigma=None):
        """``log f(y_n | eta_n)`` (n,)."""
        raise NotImplementedError

    def mean(self, eta, y=None):
        """The mean ``E[y_n]`` (of the successes, for the binomial: per trial)."""
        raise NotImplementedError


class _Gaussian(Family):
    name, has_scale = "gaussian", True

    def log_density(self, y, eta, sigma=None):
        return -0.5 * math.log(2 * math.pi) - np.log(sigma) - 0.5 * ((y - eta) / sigma) ** 2

    def mean(self, eta, y=None):
        return eta


class _Binomial(Family):
    name = "binomial"

    @staticmethod
    def _log_choose(y):
        from scipy.special import gammaln

        m = y.sum(axis=1)
        return gammaln(m + 1) - gammaln(y[:, 0] + 1) - gammaln(y[:, 1] + 1)

    def log_density(self, y, eta, sigma=None):
        # s eta - m log(1 + e^eta), with log(1 + e^eta) = logaddexp(0, eta) (no overflow)
        return y[:, 0] * eta - y.sum(axis=1) * np.logaddexp(0.0, eta) + self._log_choose(y)

    def mean(self, eta, y=None):
        return 0.5 * (1 + np.tanh(0.5 * eta))  # the logistic function, without overflow

    def gradient_terms(self, y, eta):
        """``(score terms y - E y, variance terms)`` per row, for Newton's method."""
        p, m = self.mean(eta), y.sum(axis=1)
        return y[:, 0] - m * p, m * p * (1 - p)

    def start(self, y):
        """glm's start: ``mu = (m s/m + 1/2) / (m + 1)`` per trial, and its logit."""
        m = y.sum(axis=1)
        mu = (y[:, 0] + 0.5) / (m + 1)
        return np.log(mu / (1 - mu)), m * mu * (1 - mu), (y[:, 0] - m * mu)


class _Poisson(Family):
    name = "poisson"

    def log_density(self, y, eta, sigma=None):
        from scipy.special import gammaln

        return y * eta - np.exp(eta) - gammaln(y + 1)

    def mean(self, eta, y=None):
        return np.exp(eta)

    def gradient_terms(self, y, eta):
        mu = np.exp(eta)
        return y - mu, mu

    def start(self, y):
        """glm's start: ``mu = y + 0.1`` and its log."""
        mu = y + 0.1
        return np.log(mu), mu, y - mu


#: The families by name.
FAMILIES = {f.name: f for f in (_Gaussian(), _Binomial(), _Poisson())}


def _check_rank(X, c, what):
    """A DegenerateComponentError when ``sqrt(c) X`` has rank below its columns."""
    sv = np.linalg.svd(np.sqrt(c)[:, None] * X, compute_uv=False)
    if sv.size < X.shape[1] or not sv[-1] > RANK_RTOL * sv[0]:
        raise DegenerateComponentError(
            f"{what}'s weighted design has rank below its {X.shape[1]} columns: too few rows "
            "carry its weight, or its columns are collinear there; use fewer components or "
            "another start")


def _solve(h, g):
    """``h^{-1} g`` for a symmetric positive definite ``h``; LinAlgError otherwise."""
    chol = np.linalg.cholesky(h)
    return np.linalg.solve(chol.T, np.linalg.solve(chol, g))


def _halved(objective, x, step, value):
    """``(step, objective(x + step))`` with ``step`` halved until the objective does not fall
    (beyond round-off); ``(None, value)`` once the step is below ``NEWTON_TOL``: then ``x``
    is the maximum to round-off. (A Newton step of a concave objective is an ascent direction,
    so halving ends; from a start far away the first step may need many halvings.)"""
    scale = NEWTON_TOL * max(1.0, float(np.max(np.abs(x))))
    for _ in range(MAX_HALVINGS):
        with np.errstate(over="ignore", invalid="ignore"):  # a step too long: -inf or nan
            new_value = objective(x + step)
        if new_value >= value - 1e-13 * abs(value):
            return step, max(new_value, value)
        step = step / 2
        if np.max(np.abs(step)) <= scale:
            break
    return None, value


def fit_glm(family: Family, X, y, c, beta=None, *, what="a component"):
    """The coefficients maximising ``sum_n c_n log f(y_n | x_n^T beta)``; also sigma (Gaussian).

    Gaussian: weighted least squares, ``sigma^2 = sum c (y - X beta)^2 / sum c``
    (maximum likelihood, not R's ``n - p``). Binomial and Poisson: Newton's
    method (IRLS with the canonical link) from ``beta`` (default: one IRLS
    step from glm's start), halving any step that lowers the objective, to
    ``NEWTON_TOL``. Returns ``(beta, sigma or None)``.
    """
    _check_rank(X, c, what)
    if family.has_scale:
        sw = np.sqrt(c)
        beta = np.linalg.lstsq(sw[:, None] * X, sw * y, rcond=None)[0]
        resid = y - X @ beta
        var = float(c @ resid**2 / c.sum())
        scale = float(c @ y**2 / c.sum())
        if not var > 64 * _EPS * max(scale, np.finfo(float).tiny):
            raise DegenerateComponentError(
                f"{what} fits its rows exactly (residual variance {var:.3g}): the likelihood is "
                "unbounded there; use fewer components or another start")
        return beta, math.sqrt(var)
    if beta is None:  # one IRLS step from glm's starting means
        eta, v, r = family.start(y)
        beta = _solve(X.T @ ((c * v)[:, None] * X), X.T @ (c * (v * eta + r)))

    def objective(b):
        return float(c @ family.log_density(y, X @ b))

    value = objective(beta)
    for _ in range(NEWTON_MAX_ITER):
        resid, v = family.gradient_terms(y, X @ beta)
        try:
            step = _solve(X.T @ ((c * v)[:, None] * X), X.T @ (c * resid))
        except np.linalg.LinAlgError:
            break  # the curvature vanished: the fitted means sit at the boundary
        step, value = _halved(objective, beta, step, value)
        if step is None:  # no step raises the objective: the maximum, to round-off
            return beta, None
        beta = beta + step
        if np.max(np.abs(step)) <= NEWTON_TOL * max(1.0, np.max(np.abs(beta))):
            return beta, None
    raise SeparationError(
        f"{what}'s weighted {family.name} regression does not converge (largest |coefficient| "
        f"{np.max(np.abs(beta)):.3g} after {NEWTON_MAX_ITER} Newton steps): its rows are "
        "separated, so the maximum is at infinity; use fewer components, another start, or "
        "drop the separating variables")


def softmax_log(G, alpha):
    """``log pi_k(g_n)``, (n, K): the log of the softmax of ``G alpha^T`` by rows."""
    eta = G @ alpha.T
    top = eta.max(axis=1, keepdims=True)
    return eta - top - np.log(np.exp(eta - top).sum(axis=1, keepdims=True))


def fit_gating(G, c, alpha=None):
    """Coefficients ``alpha`` (K, q), row 0 zero, maximising ``sum_nk c_nk log pi_k(g_n)``.

    The multinomial logit with the first component as reference (flexmix's
    ``FLXPmultinom``), by Newton's method with step halving from ``alpha``
    (default zeros). ``c`` (n, K) are sample weights times responsibilities.
    """
    n, q = G.shape
    k = c.shape[1]
    row = c.sum(axis=1)
    _check_rank(G, row, "the concomitant (gating) model")
    alpha = np.zeros((k, q)) if alpha is None else np.array(alpha, dtype=float)

    def objective(a):
        return float(np.sum(c * softmax_log(G, a)))

    value = objective(alpha)
    for _ in range(NEWTON_MAX_ITER):
        p = np.exp(softmax_log(G, alpha))[:, 1:]
        grad = (G.T @ (c[:, 1:] - row[:, None] * p)).T.ravel()       # ((K-1) q,)
        hess = np.empty((k - 1, q, k - 1, q))
        for j in range(k - 1):
            for m in range(k - 1):
                v = row * p[:, j] * ((j == m) - p[:, m])
                hess[j, :, m, :] = G.T @ (v[:, None] * G)
        try:
            step = _solve(hess.reshape(grad.size, grad.size), grad).reshape(k - 1, q)
        except np.linalg.LinAlgError:
            break
        step = np.vstack([np.zeros((1, q)), step])
        step, value = _halved(objective, alpha, step, value)
        if step is None:
            return alpha
        alpha = alpha + step
        if np.max(np.abs(step)) <= NEWTON_TOL * max(1.0, np.max(np.abs(alpha))):
            return alpha
    raise SeparationError(
        f"the concomitant (gating) model does not converge (largest |coefficient| "
        f"{np.max(np.abs(alpha)):.3g} after {NEWTON_MAX_ITER} Newton steps): the concomitant "
        "variables separate the components, so the maximum is at infinity; use fewer components "
        "or fewer concomitant variables")
