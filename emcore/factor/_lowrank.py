r"""A covariance :math:`C = W W^\top + \Psi` (low rank plus diagonal) without a d x d inverse.

Factor analysis, its mixtures and PPCA all have this covariance. With
:math:`M = I_q + W^\top \Psi^{-1} W` (q x q) the Woodbury identity and the matrix
determinant lemma give

* :math:`C^{-1} = \Psi^{-1} - \Psi^{-1} W M^{-1} W^\top \Psi^{-1}`;
* :math:`\log\lvert C\rvert = \log\lvert M\rvert + \sum_j \log\psi_j`;
* the posterior of the factors,
  :math:`z \mid x \sim \mathcal{N}(M^{-1} W^\top \Psi^{-1}(x - \mu),\ M^{-1})`,

so a quadratic form, a log-density or a posterior mean costs O(d q) per row
and O(d q^2) once, never O(d^2).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LowRankPlusDiagonal", "ledermann_bound", "varimax"]

LOG_2PI = float(np.log(2 * np.pi))


def ledermann_bound(d: int) -> int:
    r"""The most factors ``q`` that ``d`` variables identify: :math:`(d - q)^2 \ge d + q`.

    (Ledermann 1937.)

    Then the model has no more free parameters (:math:`dq + d - q(q-1)/2`)
    than the covariance has entries (:math:`d(d+1)/2`).

    Parameters
    ----------
    d : int
        Number of variables.

    Returns
    -------
    int
        The largest ``q`` with ``(d - q)**2 >= d + q``.

    See Also
    --------
    emcore.FactorAnalysis : Takes ``n_factors`` up to this bound.
    emcore.factor.FactorModel : The factor model.

    Examples
    --------
    >>> [ledermann_bound(d) for d in (1, 2, 3, 5, 10, 100)]
    [0, 0, 1, 2, 6, 86]
    """
    q = int(math.floor((2 * d + 1 - math.sqrt(8 * d + 1)) / 2))
    while q > 0 and (d - q) ** 2 < d + q:  # guard against the square root's round-off
        q -= 1
    while (d - q - 1) ** 2 >= d + q + 1:
        q += 1
    return q


class LowRankPlusDiagonal:
    r""":math:`C = W W^\top + \operatorname{diag}(\psi)` through its q x q matrix :math:`M`.

    Parameters
    ----------
    W : numpy.ndarray of shape (d, q)
        The loadings (``q`` may be 0).
    psi : numpy.ndarray of shape (d,)
        The diagonal, positive (the caller checks it: every division below is by it).

    Examples
    --------
    >>> import numpy as np
    >>> W, psi = np.array([[1.0], [2.0]]), np.array([0.5, 1.0])
    >>> C = LowRankPlusDiagonal(W, psi)
    >>> bool(np.allclose(C.precision(), np.linalg.inv(W @ W.T + np.diag(psi))))
    True
    >>> bool(np.isclose(C.logdet, np.linalg.slogdet(W @ W.T + np.diag(psi))[1]))
    True
    """

    def __init__(self, W, psi):
        self.W, self.psi = W, psi
        self.inv_psi = 1.0 / psi
        #: :math:`\Psi^{-1} W`, shape (d, q).
        self.scaled = W * self.inv_psi[:, None]
        m = np.eye(W.shape[1]) + W.T @ self.scaled
        chol = np.linalg.cholesky(m)
        #: :math:`M^{-1}`, shape (q, q): the posterior covariance of the factors.
        self.m_inv = np.linalg.inv(m)
        self.logdet = 2.0 * float(np.sum(np.log(np.diag(chol)))) + float(np.sum(np.log(psi)))
        #: :math:`(M^{-1} W^\top \Psi^{-1})^\top`, (d, q): ``(x - mu) @ gain`` is E[z | x].
        self.gain = self.scaled @ self.m_inv

    def quadratic_and_factors(self, D):
        r"""Per centred row of ``D``: :math:`(x - \mu)^\top C^{-1} (x - \mu)`, and the factor means.

        The factor means are :math:`\mathbb{E}[z \mid x]`, shape (n, q).
        """
        v = D @ self.scaled
        factors = v @ self.m_inv
        quad = np.einsum("ij,ij->i", D * self.inv_psi, D) - np.einsum("ij,ij->i", v, factors)
        return quad, factors

    def log_density(self, D):
        """Gaussian log-densities of the centred rows ``D`` (n, d), and the factor means (n, q)."""
        quad, factors = self.quadratic_and_factors(D)
        return -0.5 * (D.shape[1] * LOG_2PI + self.logdet + quad), factors

    def covariance(self) -> np.ndarray:
        """The dense d x d covariance (for display: O(d^2) memory)."""
        return self.W @ self.W.T + np.diag(self.psi)

    def precision(self) -> np.ndarray:
        r"""The dense d x d precision by Woodbury.

        :math:`C^{-1} = \Psi^{-1} - \Psi^{-1} W M^{-1} W^\top \Psi^{-1}`.
        """
        return np.diag(self.inv_psi) - self.gain @ self.scaled.T


def varimax(loadings, *, tol=1e-10, max_iter=500):
    r"""Kaiser's varimax rotation of ``loadings`` (d, q): ``(loadings @ R, R)``.

    ``R`` is orthogonal, so :math:`W W^\top` (and the likelihood) are unchanged.
    The iteration is the SVD form (as in R's ``varimax`` without Kaiser
    normalisation): :math:`R \leftarrow U V^\top` from the SVD of
    :math:`W^\top (\Lambda^3 - \Lambda \operatorname{diag}(\Lambda^\top\Lambda)/d)`.

    Parameters
    ----------
    loadings : array_like of shape (d, q)
        The loadings to rotate.
    tol : float, default 1e-10
        Stop when the criterion's relative gain is below it.
    max_iter : int, default 500
        Most iterations.

    Returns
    -------
    rotated : ndarray of shape (d, q)
        The rotated loadings, ``loadings @ R``.
    R : ndarray of shape (q, q)
        The orthogonal rotation, ``rotated = loadings @ R``.

    See Also
    --------
    emcore.FactorAnalysis : Rotates its loadings with ``rotation="varimax"``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 1.0], [1.0, -1.0], [2.0, 2.0]])
    >>> rotated, R = varimax(W)
    >>> bool(np.allclose(rotated @ rotated.T, W @ W.T)), bool(np.allclose(R @ R.T, np.eye(2)))
    (True, True)
    """
    W = np.asarray(loadings, dtype=float)
    d, q = W.shape
    R = np.eye(q)
    if q < 2:
        return W.copy(), R
    objective = 0.0
    for _ in range(max_iter):
        lam = W @ R
        u, s, vt = np.linalg.svd(W.T @ (lam**3 - lam * (np.sum(lam**2, axis=0) / d)))
        R = u @ vt
        new = float(np.sum(s))
        if new < objective * (1 + tol):
            break
        objective = new
    return W @ R, R
