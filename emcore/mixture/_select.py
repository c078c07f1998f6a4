"""Choosing the number of components (and covariance type) by BIC or AIC."""

from __future__ import annotations

import dataclasses
import math
import warnings

from .._checks import check_sample_weight, check_X
from .._validation import Options, check_params, validated
from ..gaussian.covariance import covariance_model
from ..gaussian.mstep import DegenerateComponentError
from ._estimator import GaussianMixture

__all__ = ["ModelSelection", "select_n_components"]

_CRITERIA = ("bic", "aic")
_COLUMNS = ("n_components", "covariance_type", "n_parameters", "log_likelihood", "bic", "aic",
            "converged")


@dataclasses.dataclass
class ModelSelection:
    """What :func:`emcore.select_n_components` returns.

    Attributes
    ----------
    table : list of dict
        One record per fitted model, in the order fitted, with keys
        ``n_components``, ``covariance_type``, ``n_parameters``,
        ``log_likelihood`` (total, weighted), ``bic``, ``aic``,
        ``converged``, ``n_iter`` and ``error`` (``None``, or why the fit
        degenerated; its numbers are then NaN).
    best : dict
        The record with the lowest ``criterion``.
    best_model : GaussianMixture
        The fitted model of ``best``.
    criterion : str
    """

    table: list
    best: dict
    best_model: GaussianMixture
    criterion: str

    def format(self) -> str:
        """The table as aligned text, the best model marked with ``*``."""
        head = (f"{'K':>3} {'covariance':<10} {'params':>6} {'log-lik':>12} {'BIC':>12} "
                f"{'AIC':>12}  conv")
        lines = [head]
        for rec in self.table:
            mark = "*" if rec is self.best else " "
            if rec["error"] is not None:
                lines.append(f"{rec['n_components']:>3} {rec['covariance_type']:<10} "
                             f"{rec['n_parameters']:>6}  degenerate: {rec['error'][:40]}")
                continue
            lines.append(
                f"{rec['n_components']:>3} {rec['covariance_type']:<10} {rec['n_parameters']:>6} "
                f"{rec['log_likelihood']:>12.4f} {rec['bic']:>12.4f} {rec['aic']:>12.4f}  "
                f"{'yes' if rec['converged'] else 'no':<4}{mark}"
            )
        return "\n".join(lines)


@validated({"criterion": [Options(_CRITERIA)]})  # ks, covariance_types: checked below, one by one
def select_n_components(X, ks, covariance_types=("full",), criterion="bic", *, sample_weight=None,
                        **kwargs) -> ModelSelection:
    """Fit a :class:`GaussianMixture` for every number of components and covariance type.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    ks : iterable of int
        Numbers of components to try.
    covariance_types : str or iterable of str, default ("full",)
    criterion : {"bic", "aic"}, default "bic"
        The best model has the lowest value: ``BIC = -2 log L + p log n``,
        ``AIC = -2 log L + 2 p``, with ``p`` free parameters and ``n`` the
        total sample weight (the number of samples without weights).
    sample_weight : array-like of shape (n_samples,), optional
    **kwargs
        Passed to every :class:`GaussianMixture` (``random_state``,
        ``n_init``, ``tol``, ...); with ``missing="marginalize"``, ``X`` may
        hold NaN, and the log-likelihood in the criteria is the observed
        data's (``n`` still counts rows).

    Returns
    -------
    ModelSelection
        ``table`` (a list of records), ``best`` and ``best_model``. A fit that
        degenerates (see :class:`DegenerateComponentError`) stays in the table
        with its ``error``; it cannot be the best.

    Examples
    --------
    >>> from emcore import select_n_components
    >>> from emcore.datasets import load_faithful
    >>> sel = select_n_components(load_faithful(), range(1, 4), "full", random_state=0)
    >>> sel.best["n_components"], sel.best["covariance_type"]
    (2, 'full')
    >>> [round(rec["bic"], 1) for rec in sel.table]
    [2607.6, 2322.2, 2335.1]
    """
    if isinstance(covariance_types, str):
        covariance_types = (covariance_types,)
    ks = list(ks)
    if not ks:
        raise ValueError("ks must be a non-empty sequence of integers")
    covariance_types = list(covariance_types)
    if not covariance_types:
        raise ValueError("covariance_types must name at least one covariance type")
    for k in ks:  # each is checked as a GaussianMixture argument, named as an element of ks
        check_params({"ks": GaussianMixture._parameter_constraints["n_components"]}, {"ks": k})
    for cov_type in covariance_types:
        check_params(
            {"covariance_types": GaussianMixture._parameter_constraints["covariance_type"]},
            {"covariance_types": cov_type})
    X = check_X(X, missing=kwargs.get("missing", "raise"))  # NaN only with missing="marginalize"
    w = check_sample_weight(sample_weight, X.shape[0])
    n = float(X.shape[0] if w is None else w.sum())
    table, models = [], []
    for cov_type in covariance_types:
        for k in ks:
            gm = GaussianMixture(int(k), covariance_type=cov_type, **kwargs)
            record = {"n_components": int(k), "covariance_type": cov_type}
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    gm.fit(X, sample_weight=w)
                # a collapsed fit: GaussianMixture's rule keeps it with a warning
                error = gm._collapse
            except DegenerateComponentError as err:
                caught, error = [], str(err)
            if error is None:
                for w_ in caught:
                    warnings.warn_explicit(w_.message, w_.category, w_.filename, w_.lineno)
            else:
                nan = math.nan
                record.update(
                    n_parameters=covariance_model(cov_type).n_parameters(int(k), X.shape[1]),
                    log_likelihood=nan, bic=nan, aic=nan, converged=False, n_iter=0, error=error)
                table.append(record)
                models.append(None)
                continue
            ll = float(gm.log_likelihood_history_[-1])
            p = covariance_model(cov_type).n_parameters(int(k), X.shape[1])
            record.update(n_parameters=p, log_likelihood=ll, bic=-2 * ll + p * math.log(n),
                          aic=-2 * ll + 2 * p, converged=gm.converged_, n_iter=gm.n_iter_,
                          error=None)
            table.append(record)
            models.append(gm)
    fitted = [i for i, m in enumerate(models) if m is not None]
    if not fitted:
        raise DegenerateComponentError("every model degenerated: " + table[-1]["error"])
    best = min(fitted, key=lambda i: table[i][criterion])
    return ModelSelection(table, table[best], models[best], criterion)

