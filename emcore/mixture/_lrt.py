"""The parametric bootstrap likelihood-ratio test for the number of components.

For K against K + 1 components the statistic is
``-2 log Lambda = 2 (log L_{K+1} - log L_K)`` at the two maximum-likelihood fits. It is
*not* chi-square distributed, with any number of degrees of freedom: under the null the
K + 1 model's extra component sits on the boundary of the parameter space (a zero weight) or
is not identified (two equal components), so the regularity conditions of Wilks' theorem
fail. McLachlan (1987) calibrates it instead by the parametric bootstrap: data sets of the
same size are drawn from the fitted K-component model, each is fitted with K and K + 1
components, and the observed statistic is compared with these replicates. This is mclust's
``mclustBootstrapLRT``: each replicate is refitted by EM from the fitted K and K + 1 models,
a replicate whose fit fails is drawn again, and the p-value is
``(1 + #{replicates >= observed}) / (n_bootstrap + 1)``.
"""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._base import replicate_progress
from .._checks import Integer, Real, check_params, check_random_state, check_X
from ..gaussian.mstep import DegenerateComponentError
from ._estimator import GaussianMixture
from ._pool import N_JOBS, resolve_n_jobs

__all__ = ["BootstrapLRT", "bootstrap_lrt"]

#: Draws of one replicate before it is given up (mclust draws again without a limit).
_MAX_DRAWS = 20


@dataclasses.dataclass
class BootstrapLRT:
    """What :func:`emcore.bootstrap_lrt` returns.

    Attributes
    ----------
    covariance_type : str
        The covariance type of every model.
    n_components : numpy.ndarray of int
        The null models' numbers of components ``K`` that were tested (K against K + 1),
        ``1, 2, ...``.
    observed : numpy.ndarray
        The observed statistics ``2 (log L_{K+1} - log L_K)``, one per tested ``K``.
    replicates : numpy.ndarray of shape (n_bootstrap, n_tests)
        The statistic on each bootstrap data set drawn from the fitted K-component model.
    p_values : numpy.ndarray
        ``(1 + #{replicates >= observed}) / (n_bootstrap + 1)``, one per tested ``K``.
    log_likelihoods : numpy.ndarray
        The total log-likelihood of each fitted model, ``K = 1, ..., n_tests + 1``.
    models : list of GaussianMixture
        The fitted models, ``K = 1, ..., n_tests + 1``.
    level : float
        The significance level of the sequential stopping rule.

    See Also
    --------
    emcore.bootstrap_lrt : Returns it.
    emcore.mixture.ModelSelection : The choice by an information criterion.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import bootstrap_lrt
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-3, 1, 100), rng.normal(3, 1, 100)][:, None]
    >>> lrt = bootstrap_lrt(X, "full", 2, n_bootstrap=4, n_init=1, random_state=0)
    >>> print(lrt.n_components, lrt.replicates.shape, lrt.p_values, len(lrt.models))
    [1] (4, 1) [0.2] 2
    """

    covariance_type: str
    n_components: np.ndarray
    observed: np.ndarray
    replicates: np.ndarray
    p_values: np.ndarray
    log_likelihoods: np.ndarray
    models: list
    level: float

    def summary(self) -> str:
        """The tests as text, one line per ``K vs K + 1``, as mclust prints them.

        Returns
        -------
        str
            A heading, then each test's likelihood-ratio statistic and bootstrap p-value.
        """
        lines = ["Bootstrap sequential LRT for the number of mixture components",
                 f"Model = {self.covariance_type}, replicates = {self.replicates.shape[0]}",
                 f"{'':<9}{'LRTS':>12}{'bootstrap p-value':>20}"]
        for k, obs, p in zip(self.n_components, self.observed, self.p_values):
            lines.append(f"{f'{k} vs {k + 1}':<9}{obs:>12.4f}{p:>20.4g}")
        return "\n".join(lines)


def _fit(X, k, covariance_type, rng, kwargs):
    """The best of ``n_init`` fits with ``k`` components, or None if it degenerated."""
    gm = GaussianMixture(k, covariance_type=covariance_type, random_state=rng, **kwargs)
    try:
        gm.fit(X)
    except DegenerateComponentError:
        return None
    return None if gm._collapse is not None else gm


def _total_log_likelihood(gm, n):
    return float(gm.lower_bound_) * n


def _refit(model, Xb):
    """EM on ``Xb`` from ``model``'s fitted parameters (one start): its total log-likelihood."""
    # the fit's own settings (tol, max_iter, reg_covar, ...), one start at its parameters,
    # one thread: the replicates share the threads
    gm = GaussianMixture(**dict(
        model.get_params(), n_init=1, weights_init=model.weights_, means_init=model.means_,
        precisions_init=model.precisions_, resp_init=None, n_jobs=1, verbose=0))
    gm.fit(Xb)
    if gm._collapse is not None:
        raise DegenerateComponentError(gm._collapse)
    return _total_log_likelihood(gm, Xb.shape[0])


def _replicate(null, alternative, n, seed):
    """One bootstrap statistic: draw from the null fit, refit both models from their fits."""
    rng = np.random.default_rng(seed)
    for _ in range(_MAX_DRAWS):
        Xb = null.sample(n, random_state=rng)[0]
        try:
            statistic = 2 * (_refit(alternative, Xb) - _refit(null, Xb))
        except (ValueError, ArithmeticError):  # a degenerate refit: draw again, as mclust
            continue
        if np.isfinite(statistic):
            return statistic
    raise DegenerateComponentError(f"{_MAX_DRAWS} bootstrap data sets in a row could not be "
                                   f"fitted with {null.n_components} and "
                                   f"{alternative.n_components} components")


def bootstrap_lrt(X, covariance_type="full", max_components=None, *, n_bootstrap=199,
                  level=0.05, n_init=5, random_state=None, n_jobs=None, verbose=0,
                  **kwargs) -> BootstrapLRT:
    """The parametric bootstrap likelihood-ratio test of K against K + 1 components.

    For ``K = 1, 2, ...`` the mixtures with K and K + 1 components are fitted (the best of
    ``n_init`` starts), the statistic ``2 (log L_{K+1} - log L_K)`` is computed, and
    ``n_bootstrap`` data sets drawn from the fitted K-component mixture calibrate it: each
    is refitted by EM from the fitted K and K + 1 models (McLachlan 1987; mclust's
    ``mclustBootstrapLRT``).

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The samples.
    covariance_type : str, default "full"
        Any name :class:`GaussianMixture` accepts: scikit-learn's four or mclust's 14.
    max_components : int, optional
        The largest number of components fitted: ``K = 1, ..., max_components - 1`` are
        all tested. None (mclust's default, up to 9 components) tests sequentially and
        stops at the first ``K`` that is not rejected at ``level``.
    n_bootstrap : int, default 199
        Bootstrap data sets per test (mclust's default is 999).
    level : float, default 0.05
        Significance level of the sequential stopping rule (with ``max_components=None``).
    n_init : int, default 5
        Starts of each fit to the data; the fit with the highest log-likelihood is kept.
    random_state : int or numpy.random.Generator, optional
        Seeds the fits and every replicate (each its own stream), so the result does not
        depend on ``n_jobs``.
    n_jobs : int, optional
        Threads over the replicates (-1: every core; default as the estimators').
    verbose : int, default 0
        1 prints a progress bar each tenth of the replicates of each test.
    **kwargs
        Passed to every :class:`GaussianMixture` (``tol``, ``max_iter``, ``reg_covar``,
        ``init_params``, ...). mclust fits each K once, from its hierarchical start:
        ``init_params="hc", n_init=1`` does the same (and, on faithful, gives mclust's
        statistics); the default best of ``n_init`` k-means starts may find higher maxima.

    Returns
    -------
    BootstrapLRT
        ``observed``, ``replicates`` and ``p_values`` for each tested ``K``, the fitted
        models, and ``summary()``.

    Raises
    ------
    emcore.mixture.DegenerateComponentError
        When a model to test could not be fitted to ``X`` without a collapsing component,
        or 20 bootstrap data sets in a row could not be refitted.

    See Also
    --------
    emcore.mixture.BootstrapLRT : What it returns.
    emcore.select_n_components : The number of components by BIC, AIC or ICL.
    emcore.GaussianMixture : The models fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import bootstrap_lrt
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-3, 1, 150), rng.normal(3, 1, 150)][:, None]
    >>> lrt = bootstrap_lrt(X, "full", 3, n_bootstrap=19, random_state=0)
    >>> lrt.n_components.tolist()  # K = 1 against 2, and 2 against 3
    [1, 2]
    >>> bool(lrt.p_values[0] <= 0.05), bool(lrt.p_values[1] <= 0.05)  # rejects K = 1 only
    (True, False)
    """
    check_params({"max_components": [None, Integer(2)], "n_bootstrap": [Integer(1)],
                  "level": [Real(0.0, 1.0, low_open=True, high_open=True)], "n_init": [Integer(1)],
                  "verbose": [Integer(0)], "n_jobs": N_JOBS},
                 {"max_components": max_components, "n_bootstrap": n_bootstrap,
                  "level": level, "n_init": n_init, "verbose": verbose, "n_jobs": n_jobs})
    check_params({"covariance_type": GaussianMixture._parameter_constraints["covariance_type"]},
                 {"covariance_type": covariance_type})
    X = check_X(X)
    n = X.shape[0]
    sequential = max_components is None
    largest = 9 if sequential else int(max_components)
    entropy = int(check_random_state(random_state).integers(2**63))
    kwargs = dict(kwargs, n_init=n_init)

    def fit(k):
        rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k, 0)))
        return _fit(X, k, covariance_type, rng, kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [fit(1)]
    if models[0] is None:
        raise DegenerateComponentError(f"the 1-component {covariance_type} model could not "
                                       "be fitted")
    observed, replicates, p_values = [], [], []
    stopped = None
    # the fits' warnings (slow convergence, collapse) are expected here and silenced once, in
    # this thread: catch_warnings changes process-wide state and must not be entered by the
    # replicates' threads
    with warnings.catch_warnings(), ThreadPoolExecutor(resolve_n_jobs(n_jobs)) as pool:
        warnings.simplefilter("ignore")
        for k in range(1, largest):
            alternative = fit(k + 1)
            if alternative is None:
                stopped = (f"the {k + 1}-component {covariance_type} model degenerated; "
                           f"tests stop at {k - 1} vs {k}")
                break
            null = models[-1]
            models.append(alternative)
            obs = 2 * (_total_log_likelihood(alternative, n) - _total_log_likelihood(null, n))
            seeds = [np.random.SeedSequence(entropy, spawn_key=(k, 1, b))
                     for b in range(n_bootstrap)]
            boot = np.array(list(replicate_progress(
                pool.map(lambda seed: _replicate(null, alternative, n, seed), seeds),
                n_bootstrap, f"bootstrap_lrt {k} vs {k + 1}", verbose)))
            observed.append(obs)
            replicates.append(boot)
            p_values.append((1 + np.sum(boot >= obs)) / (n_bootstrap + 1))
            if sequential and p_values[-1] > level:
                break
    if stopped is not None:
        warnings.warn(stopped, stacklevel=2)
    if not observed:
        raise DegenerateComponentError(f"no {covariance_type} model with 2 components could "
                                       "be fitted: nothing to test")
    return BootstrapLRT(
        covariance_type=covariance_type, n_components=np.arange(1, len(observed) + 1),
        observed=np.array(observed), replicates=np.column_stack(replicates),
        p_values=np.array(p_values),
        log_likelihoods=np.array([_total_log_likelihood(m, n) for m in models]),
        models=models, level=float(level))
