"""What the linear mixed model's E-step hands to its M-step: :class:`LMMStats`."""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["LMMStats"]


@dataclasses.dataclass
class LMMStats:
    r"""What the E-step hands to the M-step.

    Attributes
    ----------
    means : numpy.ndarray of shape (m, q)
        The posterior means :math:`\mathbb{E}[b_i \mid y]`.
    second : numpy.ndarray of shape (m, q, q)
        The posterior second moments :math:`\mathbb{E}[b_i b_i^\top \mid y]`.
    fe_mean : numpy.ndarray of shape (p,)
        REML: the posterior mean of :math:`\beta` (its GLS estimate); ML: the
        current :math:`\beta`.
    fe_inverse : numpy.ndarray of shape (p, p) or None
        REML: the posterior covariance of :math:`\beta`, :math:`(X^\top V^{-1} X)^{-1}`;
        None for ML.
    cross : numpy.ndarray of shape (m, q, p) or None
        REML: :math:`H_i = G Z_i^\top V_i^{-1} X_i`, so that
        :math:`\operatorname{Cov}(b_i, \beta \mid y) = -H_i (X^\top V^{-1} X)^{-1}`.

    See Also
    --------
    emcore.mixed.LMMModel : Its ``e_step`` returns these moments, its ``m_step`` takes them.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import run_em
    >>> from emcore.mixed import LimitDistance, LMMModel
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(6), 4)                # six groups of four
    >>> x = np.tile(np.arange(4.0), 6)
    >>> y = 1 + 0.5 * x + rng.normal(size=6)[groups] + rng.normal(size=24)
    >>> X, Z = np.column_stack([np.ones(24), x]), np.ones((24, 1))
    >>> model = LMMModel(X, y, Z, groups)                  # a random intercept, REML
    >>> stats = model.e_step(model.initial_params())
    >>> stats.means.shape, stats.second.shape, stats.fe_inverse.shape
    ((6, 1), (6, 1, 1), (2, 2))
    """

    means: np.ndarray
    second: np.ndarray
    fe_mean: np.ndarray
    fe_inverse: np.ndarray | None = None
    cross: np.ndarray | None = None
