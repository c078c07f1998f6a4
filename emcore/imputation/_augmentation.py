"""Multiple imputation by data augmentation: the Gibbs sampler and its result."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from .._autocorrelation import autocorrelations
from .._base import Progress
from .._checks import RANDOM_STATE, Integer, Real, check_random_state, validated
from ..exceptions import ConvergenceWarning
from ..models.mvn_missing import MVNMissing, as_incomplete_table
from ._rubin import RubinResult, rubin_combine
from ._samplers import MixtureSampler, NormalSampler

__all__ = ["ImputationResult", "multiple_imputation"]


@dataclasses.dataclass
class ImputationResult:
    r"""What :func:`emcore.multiple_imputation` returns: ``m`` completed data sets and the
    parameter draws that produced them.

    Attributes
    ----------
    imputations : numpy.ndarray of shape (m, N, D)
        The completed data sets: ``X`` with its missing entries drawn.
    means : numpy.ndarray of shape (m, D), or (m, K, D) for a mixture
        The mean(s) :math:`\mu` of the parameter draw :math:`\theta_{t-1}` that each
        imputation was drawn from (at iteration :math:`t`).
    covariances : numpy.ndarray of shape (m, D, D), or (m, K, D, D)
        The covariance(s) :math:`\Sigma` of those draws.
    weights : numpy.ndarray of shape (m, K), or None
        A mixture's weights of those draws (None for one normal).
    start : tuple
        The EM estimate the chain started at: ``(mean, cov)``, or
        ``(weights, means, covariances)`` for a mixture.
    missing : numpy.ndarray of bool, shape (N, D)
        Where ``X`` had NaN.
    trace : numpy.ndarray of shape (n_burn + m * n_between, P)
        The monitored parameters after every P-step (the mean and the lower
        triangle of the covariance; for a mixture, those of the mixture's overall
        mean and covariance, which do not depend on how the components are labelled).
    trace_names : list of str
        The names of the trace's columns (``"mean[0]"``, ``"cov[1, 0]"``, ...).
    autocorrelation : numpy.ndarray of shape (P,)
        Each monitored parameter's autocorrelation at lag ``n_between`` (between
        successive imputations), estimated from the chain after the burn-in.
    n_burn, n_between : int
        The chain's burn-in and the iterations between kept draws.

    See Also
    --------
    emcore.multiple_imputation : Returns it.
    emcore.RubinResult : What ``pool`` returns.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import multiple_imputation
    >>> from emcore.models import MVNMissing
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.8], [0.8, 1.0]], size=50)
    >>> X[rng.random(50) < 0.3, 1] = np.nan
    >>> result = multiple_imputation(MVNMissing, X, m=5, n_burn=20, n_between=10, random_state=1)
    >>> result.imputations.shape, int(result.missing.sum())
    ((5, 50, 2), 15)
    >>> bool(np.all(result.imputations[:, ~result.missing] == X[~result.missing]))
    True
    >>> result.trace_names
    ['mean[0]', 'mean[1]', 'cov[0, 0]', 'cov[1, 0]', 'cov[1, 1]']
    """

    imputations: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    weights: np.ndarray | None
    start: tuple
    missing: np.ndarray
    trace: np.ndarray
    trace_names: list
    autocorrelation: np.ndarray
    n_burn: int
    n_between: int

    @property
    def n_imputations(self) -> int:
        """The number of imputations.

        See Also
        --------
        emcore.RubinResult.n_imputations : The same count after pooling.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import multiple_imputation
        >>> from emcore.models import MVNMissing
        >>> X = np.array([[0.1, 0.3], [1.2, np.nan], [-0.5, -0.4], [0.8, 1.1], [2.0, 1.7]])
        >>> multiple_imputation(MVNMissing, X, m=3, n_burn=5, n_between=2,
        ...                     random_state=0).n_imputations
        3
        """
        return self.imputations.shape[0]

    def pool(self, analysis, *, df_complete=None) -> RubinResult:
        """Analyse each completed data set and combine the analyses by :func:`emcore.rubin_combine`.

        Parameters
        ----------
        analysis : callable
            ``analysis(data)`` takes one completed data set, shape (N, D), and
            returns ``(estimate, variance)``: scalars, vectors of shape (p,), or a
            vector and its (p, p) covariance matrix.
        df_complete : float, optional
            The analysis's complete-data degrees of freedom, passed on to
            :func:`emcore.rubin_combine`.

        Returns
        -------
        RubinResult
            The pooled estimate, its variances, degrees of freedom and fraction of
            missing information.

        See Also
        --------
        emcore.rubin_combine : The combination, for analyses run by hand.

        Examples
        --------
        The mean of the second column, whose entries are missing at random:

        >>> import numpy as np
        >>> from emcore import multiple_imputation
        >>> from emcore.models import MVNMissing
        >>> rng = np.random.default_rng(0)
        >>> X = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.8], [0.8, 1.0]], size=50)
        >>> X[rng.random(50) < 0.3, 1] = np.nan
        >>> result = multiple_imputation(MVNMissing, X, m=5, n_burn=20, n_between=10,
        ...                              random_state=1)
        >>> pooled = result.pool(lambda Y: (Y[:, 1].mean(), Y[:, 1].var(ddof=1) / len(Y)))
        >>> pooled.n_imputations, bool(0 < pooled.fmi < 1)
        (5, True)
        """
        pairs = [analysis(data) for data in self.imputations]
        return rubin_combine([p[0] for p in pairs], [p[1] for p in pairs],
                             df_complete=df_complete)


@validated({"m": [Integer(2)], "n_burn": [Integer(0)], "n_between": [Integer(1)],
            "random_state": RANDOM_STATE, "verbose": [Integer(0)],
            "max_autocorrelation": [Real(0, 1, high_open=True)]})
def multiple_imputation(model_or_estimator, X, m: int, *, n_burn: int = 100,
                        n_between: int = 20, random_state=None, verbose: int = 0,
                        max_autocorrelation: float = 0.3) -> ImputationResult:
    r"""Proper multiple imputation of the NaN entries of ``X`` by data augmentation.

    A Gibbs sampler (Tanner & Wong 1987; Little & Rubin 2019, ch. 10), started at
    the EM estimate :math:`\theta_0`, alternates the I-step, a draw of every
    row's missing entries from their conditional normal given the row's observed
    entries under :math:`\theta_t` (the same algebra as EM's E-step, in
    :class:`emcore.models.MVNMissing`), and the P-step, a draw of
    :math:`\theta_{t+1}` from its posterior given the completed data. After
    ``n_burn`` iterations it keeps the completed data of every ``n_between``-th
    iteration, ``m`` of them.

    Parameters
    ----------
    model_or_estimator : MVNMissing (the class or an instance), or GaussianMixture
        The model of the complete data, its values missing at random.

        * ``MVNMissing``: one multivariate normal, under the Jeffreys prior
          :math:`p(\mu, \Sigma) \propto |\Sigma|^{-(D+1)/2}` (the P-step draws
          :math:`\Sigma \sim \mathrm{IW}(N-1, S)`, :math:`\mu \sim \mathcal N(\bar y,
          \Sigma/N)`, :math:`S` the scatter of the completed data about their mean
          :math:`\bar y`); the chain starts at the EM estimate. An instance's own data
          are not used: ``X`` is.
        * a :class:`emcore.GaussianMixture` with ``covariance_type="full"``: the
          I-step draws each row's component too, and the P-step draws the weights
          and each component's mean and covariance from their conjugate posterior.
          Improper priors give improper posteriors for mixtures, so the prior is the
          estimator's ``prior`` when it is a :class:`emcore.mixture.MixturePrior`
          with a mean and a scale, else mclust's default (Fraley & Raftery 2007:
          :math:`\kappa = 0.01`, :math:`\nu = D + 2`, the data's EM mean and
          covariance, scaled by :math:`K^{-2/D}`) with flat weights; the chain starts
          at the posterior mode found by MAP-EM (a copy of the estimator with that
          prior and ``missing="marginalize"``, fitted to ``X``). The component
          labels may switch along the chain; the imputations do not depend on them.
    X : array_like of shape (N, D)
        The data, NaN where an entry is missing (at random); at least ``D + 1``
        rows, every row and every column with an observed entry.
    m : int
        The number of imputations, at least 2 (5 to 20 is usual; more for a
        large fraction of missing information).
    n_burn : int, default 100
        Iterations before the first kept draw.
    n_between : int, default 20
        Iterations between kept draws; long enough that successive imputations are
        nearly independent (about as many as EM needs to converge is a rule of thumb:
        Schafer 1997, sec. 4.4).
    random_state : None, int or numpy.random.Generator
        Seeds the chain: the same seed gives the same imputations.
    verbose : int, default 0
        1: a progress bar, a line every ``n_between`` iterations.
    max_autocorrelation : float, default 0.3
        A :class:`emcore.ConvergenceWarning` is raised when a monitored
        parameter's autocorrelation at lag ``n_between`` exceeds this (or
        ``4 / sqrt(m * n_between)``, the noise of its estimate, if larger): the
        imputations are then not independent draws, and ``n_between`` should grow.

    Returns
    -------
    ImputationResult
        ``imputations`` (m, N, D), the parameter draws, the chain's trace and
        autocorrelations; ``pool(analysis)`` applies Rubin's rules.

    Warns
    -----
    emcore.ConvergenceWarning
        When the chain mixes slowly (``max_autocorrelation``).
    UserWarning
        When ``X`` has no missing entries.

    See Also
    --------
    emcore.rubin_combine : Rubin's rules for the analyses of the imputations.
    emcore.ImputationResult : What it returns.
    emcore.models.MVNMissing : EM for the same model, the chain's start.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import multiple_imputation
    >>> from emcore.models import MVNMissing
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.8], [0.8, 1.0]], size=200)
    >>> X[rng.random(200) < 0.3, 1] = np.nan
    >>> result = multiple_imputation(MVNMissing, X, m=10, random_state=1)
    >>> result.imputations.shape
    (10, 200, 2)
    >>> pooled = result.pool(lambda Y: (Y[:, 1].mean(), Y[:, 1].var(ddof=1) / len(Y)))
    >>> bool(0 < pooled.fmi < 1)
    True
    """
    table = as_incomplete_table(X)
    empty = np.flatnonzero(np.isnan(table).all(axis=1))
    if empty.size:
        raise ValueError(f"X has rows with every entry missing: {empty[:10].tolist()}"
                         f"{' ...' if empty.size > 10 else ''}; they carry no information "
                         "about the parameters: drop them before imputing")
    from ..mixture import GaussianMixture

    if model_or_estimator is MVNMissing or isinstance(model_or_estimator, MVNMissing):
        sampler = NormalSampler(table)
    elif isinstance(model_or_estimator, GaussianMixture):
        sampler = MixtureSampler(table, model_or_estimator)
    else:
        raise TypeError("model_or_estimator must be emcore.models.MVNMissing (the class or an "
                        f"instance) or an emcore.GaussianMixture, got {model_or_estimator!r}")
    missing = np.isnan(table)
    if not missing.any():
        warnings.warn("X has no missing entries: every imputation equals X", UserWarning,
                      stacklevel=3)
    rng = check_random_state(random_state)
    theta = sampler.start()
    start = sampler.as_tuple(theta)
    n_iter = n_burn + m * n_between
    trace, kept, params = [], [], []
    progress = Progress(verbose, n_between)
    for t in range(1, n_iter + 1):
        data = sampler.impute(theta, rng)
        if t > n_burn and (t - n_burn) % n_between == 0:
            kept.append(data)
            params.append(sampler.as_tuple(theta))
        theta = sampler.draw_params(data, rng)
        trace.append(sampler.monitored(theta))
        progress.run_step(t, n_iter, f"{len(kept)}/{m} imputations")
    trace = np.array(trace)
    acf = autocorrelations(trace[n_burn:], n_between)[n_between]
    limit = max(max_autocorrelation, 4 / math.sqrt(m * n_between))
    if missing.any() and np.max(acf) > limit:
        worst = sampler.monitored_names()[int(np.argmax(acf))]
        warnings.warn(f"the data-augmentation chain mixes slowly: {worst} "
                      f"has autocorrelation {np.max(acf):.2f} at lag n_between={n_between} "
                      f"(above {limit:.2f}), so the {m} imputations are not independent "
                      "draws; increase n_between (and n_burn)", ConvergenceWarning, stacklevel=3)
    parts = [np.array(part) for part in zip(*params)]
    weights = parts.pop(0) if len(parts) == 3 else None
    return ImputationResult(np.array(kept), parts[0], parts[1], weights, start, missing,
                            trace, sampler.monitored_names(), acf, n_burn, n_between)
