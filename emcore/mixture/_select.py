"""Choosing the number of components (and covariance type) by BIC, AIC or ICL."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from .._checks import Options, check_params, check_sample_weight, check_X, validated
from ..gaussian.covariance import covariance_model
from ..gaussian.mclust import MCLUST_MODELS
from ..gaussian.mstep import DegenerateComponentError
from ._estimator import GaussianMixture
from ._hierarchical import hierarchical_partitions

__all__ = ["ModelSelection", "select_n_components"]

_CRITERIA = ("bic", "aic", "icl")
_COLUMNS = ("n_components", "covariance_type", "n_parameters", "log_likelihood", "bic", "aic",
            "icl", "converged")


@dataclasses.dataclass
class ModelSelection:
    """What :func:`emcore.select_n_components` returns.

    Attributes
    ----------
    table : list of dict
        One record per fitted model, in the order fitted, with keys
        ``n_components``, ``covariance_type``, ``n_parameters``,
        ``log_likelihood`` (total, weighted), ``bic``, ``aic``, ``icl``,
        ``converged``, ``n_iter`` and ``error`` (``None``, or why the fit
        degenerated; its numbers are then NaN).
    best : dict
        The record with the lowest ``criterion``.
    best_model : GaussianMixture
        The fitted model of ``best``.
    criterion : str
        The criterion that chose ``best``: ``"bic"``, ``"aic"`` or ``"icl"``.

    See Also
    --------
    emcore.select_n_components : Returns it.
    emcore.mixture.BootstrapLRT : The bootstrap test's result.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import select_n_components
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-3, 1, 100), rng.normal(3, 1, 100)][:, None]
    >>> sel = select_n_components(X, [1, 2, 3], random_state=0)
    >>> print(sel.criterion, len(sel.table), sel.best["n_components"], sel.best_model.n_components)
    bic 3 2 2
    """

    table: list
    best: dict
    best_model: GaussianMixture
    criterion: str

    def format(self) -> str:
        """The table as aligned text, the best model marked with ``*``.

        Returns
        -------
        str
            One line per fitted model (K, covariance type, parameters, log-likelihood, BIC,
            AIC, converged), a degenerate fit with the start of its error instead.
        """
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

    def grid(self):
        """The criterion as a (K, type) array, as mclust's ``mclustBIC`` prints it.

        Returns
        -------
        ks : list of int
            The numbers of components, sorted.
        covariance_types : list of str
            The covariance types, in the order first fitted.
        values : numpy.ndarray of shape (len(ks), len(covariance_types))
            The criterion; NaN where a fit degenerated or was not run.
        """
        ks = sorted({rec["n_components"] for rec in self.table})
        types = list(dict.fromkeys(rec["covariance_type"] for rec in self.table))
        values = np.full((len(ks), len(types)), np.nan)
        for rec in self.table:
            values[ks.index(rec["n_components"]), types.index(rec["covariance_type"])] = (
                rec[self.criterion])
        return ks, types, values

    def format_grid(self) -> str:
        """The criterion as text, one row per K and one column per covariance type.

        Returns
        -------
        str
            The :meth:`grid` as text, with two decimals; the best cell marked with ``*``, a
            degenerate or missing one shown as ``-``.
        """
        ks, types, values = self.grid()
        width = max(10, max(len(t) for t in types) + 1)
        lines = [f"{self.criterion.upper():>3} " + "".join(f"{t:>{width}}" for t in types)]
        for i, k in enumerate(ks):
            cells = []
            for j, cov_type in enumerate(types):
                best = (k, cov_type) == (self.best["n_components"], self.best["covariance_type"])
                text = "-" if np.isnan(values[i, j]) else f"{values[i, j]:.2f}" + "*" * best
                cells.append(f"{text:>{width}}")
            lines.append(f"{k:>3} " + "".join(cells))
        return "\n".join(lines)

    def plot(self, ax=None):
        """The criterion against K, one line per covariance type, as mclust's ``plot(BIC)``.

        Each covariance type gets its own colour and marker; a degenerate fit leaves a gap
        in its line, and the best model is ringed. matplotlib is imported here.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure's axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on, with one line per covariance type (labelled by its name).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from emcore import select_n_components
        >>> from emcore.datasets import load_faithful
        >>> sel = select_n_components(load_faithful(), [1, 2], ["EII", "VVV"], random_state=0)
        >>> [line.get_label() for line in sel.plot().get_lines()[:2]]
        ['EII', 'VVV']
        """
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.subplots(figsize=(7, 4.5))[1]
        ks, types, values = self.grid()
        markers = "osD^v<>phH*Xd8P"
        for j, cov_type in enumerate(types):
            ax.plot(ks, values[:, j], marker=markers[j % len(markers)], ms=5, lw=1,
                    color=f"C{j % 10}", ls="-" if j < 10 else "--", label=cov_type)
        ax.plot([self.best["n_components"]], [self.best[self.criterion]], "o", ms=14,
                mfc="none", mec="k", label="_best")
        ax.set(xlabel="number of components $K$", xticks=ks,
               ylabel=f"{self.criterion.upper()} (lower is better)")
        ax.legend(ncol=2 if len(types) > 7 else 1, fontsize=8)
        return ax

    def summary(self, top: int = 3) -> str:
        """A few lines: the ``top`` models by the criterion, and how many fits degenerated.

        Parameters
        ----------
        top : int, default 3
            How many of the best models to list.

        Returns
        -------
        str
            Each listed model's criterion and its gap to the best, then a count of the
            degenerate fits when there are any.
        """
        ranked = sorted((rec for rec in self.table if rec["error"] is None),
                        key=lambda rec: rec[self.criterion])
        lines = [f"Best {self.criterion.upper()} values (lower is better):"]
        for rec in ranked[:top]:
            gap = rec[self.criterion] - ranked[0][self.criterion]
            lines.append(f"  {rec['covariance_type']},{rec['n_components']}: "
                         f"{rec[self.criterion]:.2f} ({gap:+.2f})")
        degenerate = len(self.table) - len(ranked)
        if degenerate:
            lines.append(f"{degenerate} of {len(self.table)} fits degenerated (no value)")
        return "\n".join(lines)


@validated({"criterion": [Options(_CRITERIA)]})  # ks, covariance_types: checked below, one by one
def select_n_components(X, ks, covariance_types=("full",), criterion="bic", *, sample_weight=None,
                        **kwargs) -> ModelSelection:
    """Fit a :class:`GaussianMixture` for every number of components and covariance type.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples every model is fitted to.
    ks : iterable of int
        Numbers of components to try.
    covariance_types : str or iterable of str, default ("full",)
        Names accepted by :class:`GaussianMixture`; ``"all"`` stands for mclust's 14
        models (``"EII"`` ... ``"VVV"``, which include the four scikit-learn types).
    criterion : {"bic", "aic", "icl"}, default "bic"
        The best model has the lowest value: ``BIC = -2 log L + p log n``,
        ``AIC = -2 log L + 2 p``, with ``p`` free parameters and ``n`` the
        total sample weight (the number of samples without weights), and
        ``ICL`` = BIC plus the classification's entropy term
        (:meth:`GaussianMixture.icl`). mclust reports ``-BIC`` and ``-ICL``.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights, passed to every fit (``n`` is then their total).
    **kwargs
        Passed to every :class:`GaussianMixture` (``random_state``,
        ``n_init``, ``tol``, ...); with ``missing="marginalize"``, ``X`` may
        hold NaN, and the log-likelihood in the criteria is the observed
        data's (``n`` still counts rows).

    Returns
    -------
    ModelSelection
        ``table`` (a list of records), ``best`` and ``best_model``; ``format_grid()``
        and ``summary()`` print it as mclust does. A fit that degenerates (see
        :class:`DegenerateComponentError`) stays in the table with its ``error``; it
        cannot be the best.

    Raises
    ------
    ValueError
        For an empty ``ks`` or ``covariance_types``, or an invalid argument.
    emcore.mixture.DegenerateComponentError
        When every model degenerated.

    See Also
    --------
    emcore.mixture.ModelSelection : What it returns.
    emcore.bootstrap_lrt : A test of K against K + 1 components instead of a criterion.
    emcore.GaussianMixture.bic : The criterion of one fitted model.
    emcore.hierarchical_partitions : The hierarchical clustering that starts mclust.

    Examples
    --------
    >>> from emcore import select_n_components
    >>> from emcore.datasets import load_faithful
    >>> sel = select_n_components(load_faithful(), range(1, 4), "full", random_state=0)
    >>> sel.best["n_components"], sel.best["covariance_type"]
    (2, 'full')
    >>> [round(rec["bic"], 1) for rec in sel.table]
    [2607.6, 2322.2, 2335.1]

    mclust's 14 models, in mclust's layout (its ``mclustBIC`` shows ``-BIC``):

    >>> sel = select_n_components(load_faithful(), [1, 2], "all", random_state=0, tol=1e-8,
    ...                           max_iter=1000)
    >>> print(sel.summary(top=2))
    Best BIC values (lower is better):
      VVE,2: 2320.28 (+0.00)
      VVV,2: 2322.19 (+1.91)
    """
    if isinstance(covariance_types, str):
        covariance_types = MCLUST_MODELS if covariance_types == "all" else (covariance_types,)
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
    starts = {}
    if (kwargs.get("init_params") == "hc" and kwargs.get("resp_init") is None
            and not np.isnan(X).any()):
        # mclust's start: one tree serves every model and K, so it is grown once here
        # instead of once per fit (the partitions are the same; the fits are too)
        partitions = hierarchical_partitions(X, [int(k) for k in ks])
        starts = {k: {"resp_init": np.eye(k)[labels - 1]} for k, labels in partitions.items()}
    table, models = [], []
    for cov_type in covariance_types:
        for k in ks:
            gm = GaussianMixture(int(k), covariance_type=cov_type, **kwargs,
                                 **starts.get(int(k), {}))
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
                    log_likelihood=nan, bic=nan, aic=nan, icl=nan, converged=False, n_iter=0,
                    error=error)
                table.append(record)
                models.append(None)
                continue
            ll = float(gm.log_likelihood_history_[-1])
            p = covariance_model(cov_type).n_parameters(int(k), X.shape[1])
            record.update(n_parameters=p, log_likelihood=ll, bic=-2 * ll + p * math.log(n),
                          aic=-2 * ll + 2 * p, icl=gm.icl(X, sample_weight=w),
                          converged=gm.converged_, n_iter=gm.n_iter_, error=None)
            table.append(record)
            models.append(gm)
    fitted = [i for i, m in enumerate(models) if m is not None]
    if not fitted:
        raise DegenerateComponentError("every model degenerated: " + table[-1]["error"])
    best = min(fitted, key=lambda i: table[i][criterion])
    return ModelSelection(table, table[best], models[best], criterion)

