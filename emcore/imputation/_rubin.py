"""Rubin's rules: pooling the analyses of multiply imputed data."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import as_float_array

__all__ = ["RubinResult", "rubin_combine"]


@dataclasses.dataclass
class RubinResult:
    r"""Rubin's rules for ``m`` analyses of multiply imputed data (what
    :func:`emcore.rubin_combine` returns).

    Arrays have the estimand's shape: ``()`` for a scalar, ``(p,)`` for a vector
    (``within``, ``between`` and ``total`` are ``(p, p)`` when full covariance
    matrices were combined).

    Attributes
    ----------
    estimate : float or numpy.ndarray
        :math:`\bar Q = \frac1m \sum_j \hat Q_j`, the pooled estimate.
    within : float or numpy.ndarray
        :math:`\bar U = \frac1m \sum_j U_j`, the average complete-data variance.
    between : float or numpy.ndarray
        :math:`B = \frac{1}{m-1}\sum_j (\hat Q_j - \bar Q)^2` (outer products for
        a full matrix), the variance between the imputations.
    total : float or numpy.ndarray
        :math:`T = \bar U + (1 + 1/m) B`, the variance of :math:`\bar Q`.
    df : float or numpy.ndarray
        Degrees of freedom of the reference *t* distribution, per coordinate:
        Rubin's :math:`\nu_m = (m-1)(1 + 1/r)^2`, or Barnard & Rubin's (1999)
        small-sample version when ``df_complete`` was given; ``inf`` when
        :math:`B = 0`.
    relative_increase : float or numpy.ndarray
        :math:`r = (1 + 1/m) B / \bar U`, the relative increase in variance
        due to the missing data.
    fmi : float or numpy.ndarray
        The fraction of missing information,
        :math:`\hat\gamma = (r + 2/(\nu_m + 3)) / (r + 1)`.
    n_imputations : int
        The number of imputations.

    See Also
    --------
    emcore.rubin_combine : Returns it.
    emcore.ImputationResult.pool : Returns it from an analysis of each imputation.

    Examples
    --------
    >>> from emcore import rubin_combine
    >>> pooled = rubin_combine([1.0, 1.2, 0.8, 1.1, 0.9], [0.04] * 5)
    >>> print(round(pooled.within, 6), round(pooled.relative_increase, 6), pooled.n_imputations)
    0.04 0.75 5
    >>> print(round(pooled.std_error, 6))                  # the square root of total
    0.264575
    """

    estimate: object
    within: object
    between: object
    total: object
    df: object
    relative_increase: object
    fmi: object
    n_imputations: int

    @property
    def std_error(self):
        r""":math:`\sqrt{T}` (of the diagonal of :math:`T` for full matrices).

        See Also
        --------
        emcore.RubinResult.interval : A confidence interval on this scale.

        Examples
        --------
        >>> from emcore import rubin_combine
        >>> pooled = rubin_combine([1.0, 1.2, 0.8, 1.1, 0.9], [0.04] * 5)
        >>> print(round(pooled.std_error, 6))
        0.264575
        """
        total = np.asarray(self.total)
        var = np.diagonal(total) if total.ndim == 2 else total
        return _like(self.estimate, np.sqrt(var))

    def interval(self, level: float = 0.95):
        r"""The interval :math:`\bar Q \pm t_{\nu, (1+\text{level})/2} \sqrt{T}`.

        Parameters
        ----------
        level : float, default 0.95
            The confidence level, in (0, 1).

        Returns
        -------
        lower, upper : float or numpy.ndarray
            The bounds, with the estimate's shape.

        See Also
        --------
        emcore.RubinResult.std_error : The interval's scale.

        Examples
        --------
        >>> from emcore import rubin_combine
        >>> pooled = rubin_combine([1.0, 1.2, 0.8, 1.1, 0.9], [0.04] * 5)
        >>> lower, upper = pooled.interval(0.90)
        >>> print(round(lower, 3), round(upper, 3))
        0.545 1.455
        """
        if not isinstance(level, (int, float)) or not 0 < level < 1:
            raise ValueError(f"level must be a number in (0, 1), got {level!r}")
        from scipy import stats

        quantile = stats.t.ppf((1 + level) / 2, np.asarray(self.df, dtype=float))
        half = quantile * np.asarray(self.std_error)
        centre = np.asarray(self.estimate)
        return _like(self.estimate, centre - half), _like(self.estimate, centre + half)


def _like(reference, values):
    values = np.asarray(values, dtype=float)
    return float(values) if np.ndim(reference) == 0 else values


def rubin_combine(estimates, variances, *, df_complete=None) -> RubinResult:
    r"""Pool ``m`` analyses of multiply imputed data by Rubin's rules (Rubin 1987, ch. 3).

    With :math:`\hat Q_j` and :math:`U_j` the estimate and its variance from
    completed data set :math:`j`: :math:`\bar Q = \frac1m\sum_j \hat Q_j`,
    :math:`\bar U = \frac1m\sum_j U_j`, :math:`B = \frac1{m-1}\sum_j (\hat Q_j -
    \bar Q)^2`, and the total variance :math:`T = \bar U + (1 + 1/m)B`. The
    reference distribution of :math:`(Q - \bar Q)/\sqrt T` is a *t* with
    :math:`\nu = (m - 1)(1 + 1/r)^2` degrees of freedom, :math:`r = (1 + 1/m)B/\bar U`;
    with ``df_complete`` (:math:`\nu_{com}`, the degrees of freedom the analysis
    would have without missing data) Barnard & Rubin's (1999)
    :math:`\nu = (1/\nu + 1/\hat\nu_{obs})^{-1}`,
    :math:`\hat\nu_{obs} = \frac{\nu_{com} + 1}{\nu_{com} + 3}\,\nu_{com}(1 - \lambda)`,
    :math:`\lambda = (1 + 1/m)B/T`, which never exceeds :math:`\nu_{com}`.

    Parameters
    ----------
    estimates : array_like of shape (m,) or (m, p)
        The estimate from each completed data set; ``m >= 2``.
    variances : array_like of shape (m,), (m, p) or (m, p, p)
        Their complete-data variances (squared standard errors), or full
        covariance matrices; non-negative.
    df_complete : float, optional
        The complete-data degrees of freedom (e.g. ``n - 1`` for a mean), for
        the small-sample degrees of freedom; default: Rubin's large-sample ones.

    Returns
    -------
    RubinResult
        The pooled estimate, the within, between and total variances, the
        degrees of freedom, the fraction of missing information and
        ``interval(level)``.

    See Also
    --------
    emcore.multiple_imputation : Makes the imputations to analyse.
    emcore.ImputationResult.pool : Analyses each imputation and combines the results.
    emcore.RubinResult : What it returns.

    Examples
    --------
    >>> from emcore import rubin_combine
    >>> pooled = rubin_combine([1.0, 1.2, 0.8, 1.1, 0.9], [0.04] * 5)
    >>> print(round(pooled.estimate, 6), round(pooled.between, 6), round(pooled.total, 6))
    1.0 0.025 0.07
    >>> lower, upper = pooled.interval(0.95)
    >>> print(round(lower, 3), round(upper, 3), round(pooled.df, 2))
    0.451 1.549 21.78
    """
    q = as_float_array(estimates, "estimates")
    u = as_float_array(variances, "variances")
    if q.ndim not in (1, 2):
        raise ValueError(f"estimates must have shape (m,) or (m, p), got {q.shape}")
    m = q.shape[0]
    if m < 2:
        raise ValueError(f"estimates must hold m >= 2 analyses (the between-imputation variance "
                         f"needs two), got m = {m}")
    full = u.ndim == 3
    if u.shape != q.shape and not (q.ndim == 2 and u.shape == q.shape + q.shape[1:]):
        raise ValueError(f"variances must have shape {q.shape}"
                         + (f" or {q.shape + q.shape[1:]}" if q.ndim == 2 else "")
                         + f" to match estimates, got {u.shape}")
    diag_u = np.diagonal(u, axis1=1, axis2=2) if full else u
    if np.any(diag_u < 0):
        raise ValueError("variances must be non-negative")
    if df_complete is not None and (not isinstance(df_complete, (int, float))
                                    or not df_complete > 0):
        raise ValueError(f"df_complete must be a positive number, got {df_complete!r}")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    centred = q - qbar
    between = (np.einsum("ji,jk->ik", centred, centred) if full
               else np.sum(centred ** 2, axis=0)) / (m - 1)
    total = ubar + (1 + 1 / m) * between
    b, w = (np.diagonal(between), np.diagonal(ubar)) if full else (between, ubar)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(b > 0, (1 + 1 / m) * b / w, 0.0)
        df = np.where(b > 0, (m - 1) * (1 + 1 / r) ** 2, np.inf)
        if df_complete is not None:
            lam = r / (1 + r)
            df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
            df = 1 / (1 / df + 1 / df_obs)
        fmi = np.where(np.isinf(r), 1.0, (r + 2 / (df + 3)) / (r + 1))
    if np.ndim(q[0]) == 0:
        qbar, ubar, between, total = (float(v) for v in (qbar, ubar, between, total))
        r, df, fmi = float(r), float(df), float(fmi)
    return RubinResult(qbar, ubar, between, total, df, r, fmi, m)
