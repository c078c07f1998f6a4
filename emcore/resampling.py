"""The bootstrap for a fitted mixture or HMM: standard errors and intervals by refitting.

The observed information (:func:`emcore.standard_errors`) gives standard errors from
one fit; the bootstrap gives them from many, which needs no derivative and no
asymptotic normality, at the price of ``n_boot`` fits (McLachlan & Krishnan 2008,
§4.6; mclust's ``MclustBootstrap``). Each replicate data set is drawn from the data
(``"nonparametric"``: rows of a mixture's data, whole sequences of an HMM's) or from
the fitted model (``"parametric"``), refitted by EM *from the fitted values*, and its
components matched to the original fit's (so label switching does not blur the
spread).
"""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._base import replicate_progress
from ._checks import Integer, Options, check_lengths, check_params, check_random_state

__all__ = ["BootstrapResult", "bootstrap"]

#: The attributes holding the components' (or states') parameters, in the order they are
#: tried when matching a replicate's components to the original's; ``emission_params_``
#: (an :class:`emcore.EmissionHMM`'s) is flat, K equal blocks state by state.
MATCH_ON = ("means_", "emissionprob_", "lambdas_", "emission_params_")

#: The fitted parameters a bootstrap reports, where the estimator has them.
REPORTED = ("weights_", "means_", "covariances_", "degrees_of_freedom_", "startprob_",
            "transmat_", "emissionprob_", "lambdas_", "emission_params_")


@dataclasses.dataclass
class BootstrapResult:
    """What :func:`bootstrap` returns.

    Attributes
    ----------
    replicates : dict
        For each fitted attribute (``"weights_"``, ``"means_"``, ...), the refitted
        values, an array of shape ``(n_boot - n_failed, *attribute shape)``, components
        in the original fit's order.
    se : dict
        The bootstrap standard errors, shaped like the attributes (the standard
        deviation over the replicates).
    n_failed : int
        Replicates whose refit failed (a component emptied or collapsed) and were
        left out.
    kind : str
        ``"nonparametric"`` or ``"parametric"``.

    See Also
    --------
    emcore.bootstrap : Returns it.
    emcore.StandardErrors : Standard errors from the observed information instead.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianMixture, bootstrap
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 1, 100), rng.normal(2, 1, 100)][:, None]
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> boot = bootstrap(gm, X, n_boot=10, random_state=1)
    >>> print(boot.kind, boot.n_failed, boot.replicates["means_"].shape, boot.se["means_"].shape)
    nonparametric 0 (10, 2, 1) (2, 1)
    >>> low, high = boot.interval(0.9)["means_"]
    >>> bool(np.all(low <= high))
    True
    """

    replicates: dict
    se: dict
    n_failed: int
    kind: str

    def interval(self, level: float = 0.95) -> dict:
        """Percentile intervals of every reported parameter.

        Parameters
        ----------
        level : float, default 0.95
            The coverage, in (0, 1).

        Returns
        -------
        dict
            ``{attribute: (low, high)}``, two arrays shaped like the attribute.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        tail = 100 * (1 - level) / 2
        return {key: (np.percentile(values, tail, axis=0),
                      np.percentile(values, 100 - tail, axis=0))
                for key, values in self.replicates.items()}


def _fitted_attributes(estimator) -> dict:
    """The fitted parameter attributes that a ``*_init`` argument can start a refit from."""
    params = estimator.get_params()
    out = {}
    for name in params:
        if name.endswith("_init") and name != "resp_init":
            attribute = name[: -len("_init")] + "_"
            if hasattr(estimator, attribute):
                out[name] = np.array(getattr(estimator, attribute), dtype=float)
    return out


def _permuted(values: dict, order: np.ndarray, shared_covariance: bool,
              permute_emission=None) -> dict:
    """``values`` with component (or state) ``j`` taking those of ``order[j]``;
    ``permute_emission(params, order)`` reorders a flat ``emission_params_`` (the emission's
    own :meth:`emcore.hmm.Emissions.permuted`)."""
    out = {}
    for key, value in values.items():
        if key == "transmat_":
            out[key] = value[np.ix_(order, order)]
        elif key == "emission_params_":
            out[key] = permute_emission(value, order)
        elif key in ("covariances_", "precisions_") and shared_covariance:
            out[key] = value
        else:
            out[key] = value[order]
    return out


def _shares_covariance(estimator) -> bool:
    """Whether one covariance serves every component (it is then not permuted)."""
    from .gaussian import covariance_model

    name = getattr(estimator, "covariance_type", None)
    return name is not None and covariance_model(name).is_shared


def _match(reference: dict, values: dict) -> np.ndarray:
    """The order of ``values``' components closest to ``reference``'s (assignment problem)."""
    from scipy.optimize import linear_sum_assignment

    key = next(k for k in MATCH_ON if k in reference)
    # one row per component or state (a flat emission vector: K blocks, K from transmat_)
    k = len(reference["transmat_"]) if "transmat_" in reference else len(reference[key])
    a = np.reshape(reference[key], (k, -1))
    b = np.reshape(values[key], (k, -1))
    scale = np.where(a.std(axis=0) > 0, a.std(axis=0), 1.0)
    cost = (((a[:, None, :] - b[None, :, :]) / scale) ** 2).sum(axis=2)
    return linear_sum_assignment(cost)[1]


def bootstrap(estimator, X, lengths=None, *, n_boot: int = 200, kind: str = "nonparametric",
              random_state=None, n_jobs=None, verbose: int = 0) -> BootstrapResult:
    """Bootstrap standard errors and percentile intervals of a fitted mixture or HMM.

    Parameters
    ----------
    estimator : GaussianMixture, StudentTMixture, BernoulliMixture, or an HMM
        A fitted estimator; it is not changed (each replicate refits a clone, from the
        fitted values, or for the t and Bernoulli mixtures from the fit's responsibilities
        on the replicate's rows).
    X : array_like of shape (n_samples, n_features)
        The data it was fitted to.
    lengths : array_like of int, optional
        For an HMM, the lengths of the sequences in ``X``: a nonparametric
        replicate resamples whole sequences.
    n_boot : int, default 200
        Number of replicates.
    kind : {"nonparametric", "parametric"}, default "nonparametric"
        Resample the data, or draw new data from the fitted model.
    random_state : int or numpy.random.Generator, optional
        Seeds every replicate (replicate ``b`` gets its own stream), so the
        result does not depend on ``n_jobs``.
    n_jobs : int, optional
        Threads over replicates (-1: every core; default as the estimators').
    verbose : int, default 0
        1 prints a progress bar each tenth of the replicates.

    Returns
    -------
    BootstrapResult
        ``se`` and ``interval(level)`` keyed by the fitted attributes' names.

    Raises
    ------
    TypeError
        When ``estimator`` is not a fitted emcore mixture or HMM.
    ValueError
        When fewer than two refits succeed, or for an invalid argument.

    See Also
    --------
    emcore.BootstrapResult : What it returns.
    emcore.standard_errors : Standard errors from the observed information.
    emcore.GaussianMixture.standard_errors : The same for a fitted mixture.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianMixture, bootstrap
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 1, 150), rng.normal(2, 1, 150)][:, None]
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> boot = bootstrap(gm, X, n_boot=20, random_state=1)
    >>> bool(0.03 < boot.se["means_"].min() < 0.2)
    True
    """
    from sklearn.base import clone

    from .mixture._pool import resolve_n_jobs

    check_params({"n_boot": [Integer(2)], "kind": [Options(("nonparametric", "parametric"))],
                  "verbose": [Integer(0)]}, {"n_boot": n_boot, "kind": kind, "verbose": verbose})
    # a mixture without *_init arguments (the t and Bernoulli mixtures) starts each refit
    # from the fit's responsibilities on the replicate's rows
    by_resp = ("resp_init" in getattr(estimator, "get_params", dict)()
               and hasattr(estimator, "weights_") and not _fitted_attributes(estimator))
    if not hasattr(estimator, "get_params") or not (_fitted_attributes(estimator) or by_resp):
        raise TypeError("estimator must be a fitted emcore mixture or HMM, got "
                        f"{type(estimator).__name__}")
    is_hmm = hasattr(estimator, "transmat_")
    X = np.asarray(X)
    lengths = check_lengths(lengths, X.shape[0]) if is_hmm else None
    starts = _fitted_attributes(estimator)
    reference = {key: np.array(getattr(estimator, key), dtype=float) for key in REPORTED
                 if hasattr(estimator, key)}
    shared = _shares_covariance(estimator)
    emissions = getattr(estimator, "emissions", None)  # an EmissionHMM's emission object
    permute_emission = None if emissions is None else emissions.permuted
    seeds = np.random.SeedSequence(
        check_random_state(random_state).integers(2**63)).spawn(int(n_boot))

    def replicate(b):
        rng = np.random.default_rng(seeds[b])
        Xb, lb = _resample(estimator, X, lengths, kind, rng, is_hmm)
        model = clone(estimator).set_params(n_init=1, **starts)
        if by_resp:
            model.set_params(resp_init=estimator.predict_proba(Xb))
        if "n_jobs" in model.get_params():
            model.set_params(n_jobs=1)  # the replicates share the threads
        try:
            model.fit(Xb, lb) if is_hmm else model.fit(Xb)
        except (ValueError, ArithmeticError):
            return None
        values = {key: np.array(getattr(model, key), dtype=float) for key in reference}
        return _permuted(values, _match(reference, values), shared, permute_emission)

    # a replicate's fit may warn (not converged, a component emptied): silenced here, in the
    # calling thread, because warnings' filters are process-wide and not safe to change per thread
    with warnings.catch_warnings(), ThreadPoolExecutor(resolve_n_jobs(n_jobs)) as pool:
        warnings.simplefilter("ignore")
        results = list(replicate_progress(pool.map(replicate, range(int(n_boot))),
                                          int(n_boot), "bootstrap", verbose))
    kept = [r for r in results if r is not None]
    if len(kept) < 2:
        raise ValueError(f"only {len(kept)} of {n_boot} bootstrap refits succeeded")
    replicates = {key: np.stack([r[key] for r in kept]) for key in reference}
    se = {key: values.std(axis=0, ddof=1) for key, values in replicates.items()}
    return BootstrapResult(replicates=replicates, se=se, n_failed=len(results) - len(kept),
                           kind=kind)


def _resample(estimator, X, lengths, kind, rng, is_hmm):
    """One replicate data set (and its lengths, for an HMM)."""
    if kind == "parametric":
        if not is_hmm:
            return estimator.sample(X.shape[0], random_state=rng)[0], None
        parts = [estimator.sample(int(n), random_state=rng)[0] for n in lengths]
        return np.concatenate(parts), lengths
    if not is_hmm:
        return X[rng.integers(X.shape[0], size=X.shape[0])], None
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    picked = rng.integers(len(lengths), size=len(lengths))
    return np.concatenate([X[bounds[i]:bounds[i + 1]] for i in picked]), lengths[picked]
