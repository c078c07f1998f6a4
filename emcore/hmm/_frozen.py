"""Frozen parameters: ``update=`` names what EM re-estimates; the rest keeps its ``*_init``.

A frozen parameter is a coordinate the M-step skips. Each M-step then
maximises ``Q`` over the free parameters with the frozen ones held -- a
conditional maximisation (ECM), so the log-likelihood still never
decreases. For Gaussian emissions the two blocks are each other's exact
conditional maximisers: with the covariances frozen the means are the
weighted means (whatever the covariances, also when tied); with the means
frozen the covariances are the weighted scatter about those means.

BIC and AIC count the free parameters only (``n_free_parameters``).
"""

from __future__ import annotations

import numpy as np

from ..gaussian.stats import SufficientStats

__all__ = ["UPDATE_DOC", "check_update", "frozen_gaussian_m_step", "n_free_parameters"]

#: The ``update`` entry of the estimators' Parameters sections (``{names}``: theirs).
UPDATE_DOC = """    update : collection of str, optional
        The parameters EM re-estimates (default: all of them), a subset of
        {names}.
        A parameter left out is frozen at its ``*_init`` value, which must then
        be given; each M-step maximises over the others (a conditional
        maximisation, so the log-likelihood still never decreases). ``bic``
        and ``aic`` count only the parameters that are estimated."""


def check_update(estimator) -> frozenset:
    """The frozen parameter names of ``estimator`` (its ``_update_names`` not in ``update``).

    A ValueError naming ``update`` for an unknown name or a bare string, and
    naming the ``*_init`` argument a frozen parameter lacks.
    """
    names, update = type(estimator)._update_names, estimator.update
    if update is None:
        return frozenset()
    if isinstance(update, str) or not np.iterable(update):
        raise ValueError(f"update must be a collection of parameter names from {names}, "
                         f"e.g. ('transmat',); got {update!r}")
    unknown = [name for name in update if name not in names]
    if unknown:
        raise ValueError(f"update may hold only {names}; got {unknown[0]!r}")
    frozen = frozenset(names) - set(update)
    for name in names:
        if name in frozen and getattr(estimator, f"{name}_init") is None:
            raise ValueError(f"update leaves out {name!r}, so {name}_init must be given: a "
                             f"frozen parameter keeps its starting value")
    return frozen


def n_free_parameters(estimator, emissions) -> int:
    """The parameters BIC and AIC count: the start and transition probabilities (each row one
    fewer than its length) and the emissions' own, those frozen left out."""
    k, frozen = estimator.n_components, check_update(estimator)
    names = type(estimator)._update_names
    counts = {"startprob": k - 1, "transmat": k * (k - 1),
              **emissions.n_free_by_name(names[2:])}
    return sum(count for name, count in counts.items() if name not in frozen)


def frozen_gaussian_m_step(emissions, stats: SufficientStats, params: np.ndarray) -> np.ndarray:
    """Gaussian emissions' M-step with ``emissions.frozen`` (``"means"`` and/or
    ``"covariances"``) held at ``params``; ``stats`` about any shifts (the centre, or the
    current means: ``GaussianEmissions.accumulate``)."""
    frozen = emissions.frozen
    means, covariances = emissions.unpack(params)
    if {"means", "covariances"} <= frozen:
        return params
    if "covariances" in frozen:  # Q's mean part separates by state: the weighted means
        n_guarded = stats.n + 10 * np.finfo(np.float64).eps
        new_means = stats.first / n_guarded[:, None] + stats.shift + emissions.center
        return emissions.pack(new_means, covariances)
    # means frozen: the sums about them, with the first moments 0, make the core's M-step's
    # means those and its covariances the scatter about them (its Q check then compares the
    # covariances alone, both sides having the same means)
    about = stats.about(means - emissions.center, emissions.cov_type)
    held = SufficientStats(about.n, np.zeros_like(about.first), about.second, about.shift,
                           about.params)
    new = emissions.finish_m_step(held, params)
    return emissions.pack(means, emissions.unpack(new)[1])  # the given means, not (mu - c) + c
