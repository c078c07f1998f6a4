"""Factor analysis as an :class:`emcore.EMModel`: Rubin & Thayer's (1982) EM on one vector."""

from __future__ import annotations

import numpy as np

from .._checks import Integer, check_params, check_X
from ..em import EMModel
from ..models import PPCA
from ._lowrank import LOG_2PI, LowRankPlusDiagonal, ledermann_bound

__all__ = ["FactorModel", "check_data", "check_n_factors"]

#: Rows per block when the sample covariance is accumulated.
GRAM_ROWS = 4096

#: A uniqueness is kept at least this fraction of its variable's variance (only round-off reaches
#: it: an EM step keeps every uniqueness positive); a fit reports the variables that get near it.
PSI_FLOOR = 1e-12


def check_data(X, name: str = "X", *, min_rows: int = 2, n_features: int | None = None,
               owner: str = "the model") -> np.ndarray:
    """``X`` as a finite 2-D float64 array of ``min_rows`` rows or more; errors name ``name``.

    :func:`emcore._checks.check_X` (every estimator's check, with scikit-learn's
    phrases in its messages) plus what factor analysis adds: float64, at least
    ``min_rows`` rows, and a TypeError for a string.
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D numeric array, got {type(X).__name__}")
    arr = check_X(X, name, n_features=n_features, estimator=owner).astype(np.float64, copy=False)
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} has n_samples={arr.shape[0]}: it needs at least {min_rows} "
                         f"row(s), got shape {arr.shape}")
    return arr


def check_n_factors(n_factors, d: int, name: str = "n_factors") -> int:
    """``n_factors`` as an int in ``[0, ledermann_bound(d)]``; errors name ``name``."""
    q = check_params({name: [Integer(0)]}, {name: n_factors})[name]
    bound = ledermann_bound(d)
    if q > bound:
        raise ValueError(
            f"{name}={q} is more factors than {d} variables (n_features={d}) identify: the "
            "Ledermann bound "
            f"(d - q)^2 >= d + q allows at most {bound}"
        )
    return q


class FactorModel(EMModel):
    r"""Factor analysis, :math:`x = \mu + W z + \varepsilon` with uncorrelated noise.

    :math:`z \sim \mathcal{N}(0, I_q)` and :math:`\varepsilon \sim \mathcal{N}(0, \Psi)`.

    :math:`\Psi = \operatorname{diag}(\psi)` holds the uniquenesses. The mean is
    profiled out (:math:`\hat\mu = \bar x` whatever :math:`W, \Psi`), so the
    parameters are one vector, ``theta = [W.ravel(), psi]`` (``W`` row-major,
    d x q), as :func:`emcore.em_rate` needs. With :math:`S` the sample
    covariance (divisor n) and :math:`M = I + W^\top\Psi^{-1}W`, Rubin & Thayer's EM is

    * E-step: :math:`A = S \Psi^{-1} W M^{-1}` (the average of
      :math:`(x - \bar x)\,\mathbb{E}[z \mid x]^\top`) and
      :math:`B = M^{-1} + M^{-1} W^\top \Psi^{-1} S \Psi^{-1} W M^{-1}`
      (the average of :math:`\mathbb{E}[z z^\top \mid x]`);
    * M-step: :math:`W = A B^{-1}`, :math:`\psi = \operatorname{diag}(S - W A^\top)`.

    :math:`S` enters only through a square root :math:`R` (``R.T @ R == S``) of
    :math:`r = \min(n, d)` rows: the centred data when :math:`n \le d`, else
    from the eigendecomposition of :math:`S`. One iteration then costs
    :math:`O(r d q)` (linear in d when n < d), with Woodbury in place of a
    d x d inverse, and the log-likelihood
    :math:`-\frac n2(d\log 2\pi + \log\lvert C\rvert + \operatorname{tr} C^{-1}S)` comes
    out of the same products.

    Parameters
    ----------
    X : array_like of shape (n, d)
        The data: finite, at least 2 rows, no constant column.
    n_factors : int
        ``q``, from 0 to the Ledermann bound (:func:`ledermann_bound`).

    See Also
    --------
    emcore.FactorAnalysis : The estimator that fits it.
    emcore.run_em : Runs EM on it.
    emcore.em_rate : Its rate of convergence, slow near a Heywood case.
    emcore.factor.ledermann_bound : The most factors ``d`` variables identify.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.factor import FactorModel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 1)) @ [[1.0, 0.8, 0.6, 0.4]] + 0.5 * rng.normal(size=(500, 4))
    >>> model = FactorModel(X, n_factors=1)
    >>> run = run_em(model, model.initial_params(), tol=1e-12, stop="loglik", max_iter=5000)
    >>> W, psi = model.unpack(run.theta)
    >>> print(np.round(np.abs(W.ravel()), 2), run.converged)
    [1.02 0.8  0.65 0.39] True
    """

    def __init__(self, X, n_factors):
        X = check_data(X)
        self.n, self.d = X.shape
        self.n_factors = check_n_factors(n_factors, self.d)
        self.mean = X.mean(axis=0)
        if self.n <= self.d:
            self.root = (X - self.mean) / np.sqrt(self.n)
        else:  # S block by block (no centred copy of X), then its symmetric square root
            gram = np.zeros((self.d, self.d))
            for s in range(0, self.n, GRAM_ROWS):
                block = X[s:s + GRAM_ROWS] - self.mean
                gram += block.T @ block
            lam, vec = np.linalg.eigh(gram / self.n)
            self.root = np.sqrt(np.maximum(lam, 0.0))[:, None] * vec.T
        #: The sample variances (divisor n), the diagonal of S.
        self.variance = np.einsum("ij,ij->j", self.root, self.root)
        flat = np.flatnonzero(~(self.variance > 1e-14 * max(float(self.variance.max()), 1e-300)))
        if flat.size:
            raise ValueError(f"X has constant columns {flat.tolist()}: "
                             "factor analysis needs variance")

    # -- parameters --------------------------------------------------------------
    def pack(self, W, psi) -> np.ndarray:
        """``theta`` from the loadings (d, q) and the uniquenesses (d,).

        Parameters
        ----------
        W : array_like of shape (d, q)
            The loadings.
        psi : array_like of shape (d,)
            The uniquenesses, positive.

        Returns
        -------
        ndarray of shape (d * (q + 1),)
            ``W`` row by row, then ``psi``.
        """
        return np.concatenate([np.asarray(W, dtype=float).ravel(), np.asarray(psi, dtype=float)])

    def unpack(self, theta):
        """``(W, psi)`` from ``theta``; ValueError for a wrong length or a uniqueness <= 0.

        Parameters
        ----------
        theta : array_like of shape (d * (q + 1),)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        W : ndarray of shape (d, q)
            The loadings.
        psi : ndarray of shape (d,)
            The uniquenesses, all positive.
        """
        d, q = self.d, self.n_factors
        vec = np.asarray(theta, dtype=float)
        if vec.shape != (d * (q + 1),):
            raise ValueError(f"theta must have length d * (q + 1) = {d * (q + 1)}, "
                             f"got shape {vec.shape}")
        psi = vec[d * q:]
        if not np.all(psi > 0) or not np.all(np.isfinite(vec)):
            raise ValueError("theta must be finite with positive uniquenesses (its last d entries)")
        return vec[:d * q].reshape(d, q), psi

    def initial_params(self, random_state=None, *, method="ppca") -> np.ndarray:
        r"""A start: ``"ppca"``, the closed-form PPCA fit of the standardised data, rescaled
        (:meth:`emcore.models.PPCA.mle`; deterministic); ``"random"``, Gaussian loadings
        of the data's scale and uniquenesses half the variances.

        PPCA sees only the standardised covariance, through the ``2 r`` rows
        :math:`\pm\sqrt r\, R\, \mathrm{diag}(s)^{-1}`, whose mean is 0 and whose covariance
        is the standardised :math:`S` (``s`` the standard deviations), not a copy of the data.

        Parameters
        ----------
        random_state : int, numpy.random.Generator or None, default None
            The seed of the ``"random"`` start.
        method : {"ppca", "random"}, default "ppca"
            Which start.

        Returns
        -------
        ndarray of shape (d * (q + 1),)
            The packed start.
        """
        q, sd = self.n_factors, np.sqrt(self.variance)
        if method == "random":
            rng = np.random.default_rng(random_state)
            return self.pack(rng.normal(size=(self.d, q)) * sd[:, None] / np.sqrt(max(q, 1)),
                             0.5 * self.variance)
        if q == 0:
            return self.pack(np.zeros((self.d, 0)), self.variance)
        # PPCA of rows with the standardised data's covariance: +-sqrt(r) R / sd, mean 0.
        half = np.sqrt(self.root.shape[0]) * self.root / sd
        fit = PPCA(np.vstack([half, -half]), q).mle()
        return self.pack(fit.W * sd[:, None], fit.sigma2 * self.variance)

    # -- EM ----------------------------------------------------------------------
    def e_step_with_log_likelihood(self, theta):
        """The E-step's averages and the log-likelihood, from one factorisation of ``C``.

        Parameters
        ----------
        theta : array_like of shape (d * (q + 1),)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        stats : tuple of ndarray
            ``(A, B)``, of shapes (d, q) and (q, q).
        log_likelihood : float
            As :meth:`log_likelihood`.
        """
        W, psi = self.unpack(theta)
        cov = LowRankPlusDiagonal(W, psi)
        g = self.root @ cov.scaled          # R Psi^-1 W, (r, q)
        gm = g @ cov.m_inv
        a = self.root.T @ gm                 # S Psi^-1 W M^-1, (d, q)
        b = cov.m_inv + gm.T @ gm
        trace = float(np.sum(self.variance * cov.inv_psi)) - float(np.sum(g * gm))
        ll = -0.5 * self.n * (self.d * LOG_2PI + cov.logdet + trace)
        return (a, b), ll

    def e_step(self, theta):
        """The averages ``(A, B)`` above.

        Parameters
        ----------
        theta : array_like of shape (d * (q + 1),)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        tuple of ndarray
            ``(A, B)``, of shapes (d, q) and (q, q).
        """
        return self.e_step_with_log_likelihood(theta)[0]

    def log_likelihood(self, theta) -> float:
        """The observed-data log-likelihood at ``theta`` (mean at the sample mean).

        Parameters
        ----------
        theta : array_like of shape (d * (q + 1),)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        float
            The total over the rows, with the mean at the sample mean.
        """
        return self.e_step_with_log_likelihood(theta)[1]

    def zero_uniqueness_gain(self, theta) -> np.ndarray:
        r"""Per variable j, :math:`\ell` with :math:`\psi_j` set to 0 (all else fixed) minus
        :math:`\ell(\theta)`, shape (d,): positive means the likelihood still rises toward the
        boundary :math:`\psi_j = 0`, where a Heywood case's maximum lies.

        EM approaches such a boundary only like :math:`1/t`, so a fit stopped by a
        tolerance leaves :math:`\psi_j` small but not tiny; this test does not depend on how
        small. :math:`\psi_j = 0` is a rank-one downdate of :math:`C`: with :math:`W_j^\top`
        the j-th row of :math:`W`, :math:`s_j = W_j^\top M^{-1} W_j / \psi_j`
        (= :math:`1 - \psi_j (C^{-1})_{jj}`, formed without cancellation) and
        :math:`c_j = C^{-1} e_j`, the determinant lemma and Sherman--Morrison give
        :math:`-\frac n2(\log s_j + \psi_j c_j^\top S c_j / s_j)`.
        A variable with no loading (:math:`s_j = 0`) gets :math:`-\infty`. Costs one E-step.

        Parameters
        ----------
        theta : array_like of shape (d * (q + 1),)
            A parameter vector (:meth:`pack`).

        Returns
        -------
        ndarray of shape (d,)
            The change of the log-likelihood when each uniqueness alone is set to 0.
        """
        W, psi = self.unpack(theta)
        cov = LowRankPlusDiagonal(W, psi)
        s = np.einsum("jq,jq->j", cov.gain, W)          # W_j^T M^-1 W_j / psi_j
        root_prec = self.root * cov.inv_psi - (self.root @ cov.gain) @ cov.scaled.T  # R C^-1
        quad = psi * np.einsum("ij,ij->j", root_prec, root_prec)  # psi_j c_j^T S c_j
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = -0.5 * self.n * (np.log(s) + quad / s)
        return np.where(s > 0, gain, -np.inf)

    def m_step(self, stats) -> np.ndarray:
        r"""The M-step: :math:`W = A B^{-1}`, :math:`\psi = \operatorname{diag}(S - W A^\top)`.

        A uniqueness below ``PSI_FLOOR`` times its variance (round-off only)
        is set to that floor; the estimator reports such variables.

        Parameters
        ----------
        stats : tuple of ndarray
            ``(A, B)`` from :meth:`e_step`.

        Returns
        -------
        ndarray of shape (d * (q + 1),)
            The packed loadings and uniquenesses.
        """
        a, b = stats
        W = np.linalg.solve(b, a.T).T
        psi = self.variance - np.einsum("ij,ij->i", W, a)
        return self.pack(W, np.maximum(psi, PSI_FLOOR * self.variance))
