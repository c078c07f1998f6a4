"""Gaussian emissions with missing entries (NaN): :class:`MissingGaussianEmissions`.

``GaussianHMM(missing="marginalize")`` integrates a step's NaN entries out of
its emission density: state ``k`` emits the marginal Gaussian of the observed
coordinates ``o``, ``log N(x_o | mu_ko, S_k,oo)``, and a step with every
entry missing emits ``log p = 0`` in every state (it contributes only its
transition). Forward-backward then gives the posteriors and the
log-likelihood of the observed data.

The M-step takes, per state, the expected complete-data statistics given
the observed entries: a row's missing block is completed by its
conditional mean ``x^_m = mu_m - C P_mo (x_o - mu_o)`` (``C = P_mm^{-1}``)
and ``C`` is added to the second moments on that block -- EM for the
observed-data likelihood, so it never decreases. Steps with nothing observed
carry no information and add nothing to the statistics (the fixed points are
the same; the steps are larger).

The algebra is the mixture's: rows grouped by pattern
(:class:`emcore.gaussian.holes.HoledRows`, one factorisation of each
state's missing block per pattern) and the conditional-Gaussian methods of
the covariance types (:mod:`emcore.gaussian._conditional`). The states play
the components, with weight 1 each, so the mixture's log-joints are the
states' log-densities; the posteriors come from forward-backward instead of
from those log-joints.

Two paths, as for the complete rows. The *expanded* one (where the round-off
bound of :mod:`emcore.gaussian.expanded` holds for the holed rows): a row
``x0`` (about the centre, 0 at its holes) is scored by its features
``[q(x0); 1; x0]`` times its pattern's marginal coefficients, one product per
pattern, and the statistics come from each pattern's feature moments
``sum gamma [q(x0); 1; x0]`` through the completion, affine in ``x0``
(``hole_maps`` and ``hole_moments``). The *plain* one completes each row
about each state's mean (``complete_rows``, ``completed_moments``); it serves
the patterns too rare for their own coefficients, the rows too far for the
bound, and ``impute``, and ``plain=True`` forces it (the tests' reference).
Where the statistics about the centre would give covariances that cancel (states
far apart next to their spread, as for the complete emissions), every row is
taken about each state's mean instead, the holed ones on the plain path.
"""

from __future__ import annotations

import numpy as np

from .. import _tuning
from .._checks import check_lengths, check_X
from ..exceptions import NotFittedError
from ..gaussian import expanded
from ..gaussian.holes import HoledRows, observed_mean
from ..gaussian.stats import MixtureParams, SufficientStats
from . import _scan
from ._gaussian import GaussianEmissions, data_origin

__all__ = ["ImputeMixin", "MissingGaussianEmissions"]

_LOG_2PI = float(np.log(2 * np.pi))


class MissingGaussianEmissions(GaussianEmissions):
    """:class:`GaussianEmissions` whose ``X`` may hold NaN (missing at random), integrated out.

    Rows without NaN take the complete emissions' fast paths; the others are
    grouped by pattern once per ``X`` (kept while the same array is passed)
    and take the expanded path where it is safe, unless ``plain``.
    """

    _grouped: tuple | None = None

    def __init__(self, cov_type: str, k: int, d: int, reg_covar: float = 0.0, center=None,
                 plain: bool = False):
        super().__init__(cov_type, k, d, reg_covar, center)
        self.plain = plain

    def _incomplete(self, X: np.ndarray):
        """``(indices of the rows without NaN, those rows, HoledRows or None)`` of ``X``,
        cached by identity."""
        if self._grouped is not None and self._grouped[0] is X:
            return self._grouped[1:]
        holed = np.isnan(X).any(axis=1)
        complete = np.flatnonzero(~holed)
        rows = HoledRows(X, np.flatnonzero(holed), self.center) if holed.any() else None
        self._grouped = (X, complete, X[complete], rows)
        return self._grouped[1:]

    def _params(self, params: np.ndarray) -> MixtureParams:
        """The states as a mixture's components of weight 1, means about ``center``."""
        means, covariances = self.unpack(params)
        return MixtureParams(np.ones(self.k), means - self.center, covariances,
                             self._chol(covariances))

    def _tasks(self, incomplete: HoledRows, mixture: MixtureParams, plain=None) -> list:
        """The slices of the holed rows (``HoledRows.tasks``), the frequent patterns'
        with their expanded coefficients where the path's round-off bound holds (unless
        ``plain``, by default the emissions' own)."""
        plain = self.plain if plain is None else plain
        cov, chol = self.cov, mixture.precisions_cholesky
        k, d = mixture.means.shape
        safe = (not plain and cov.has_expanded_path and d <= cov.expanded_max_d
                and expanded.expansion_error(cov, mixture.means, chol, incomplete.radius2)
                <= _tuning.MAX_ROUND_OFF)
        offset = cov.half_log_det(chol, k, d) - 0.5 * d * _LOG_2PI  # log N's constant
        return incomplete.tasks(mixture, cov, base=offset if safe else None)

    def log_prob(self, X: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``log N(x_no | mu_ko, S_k,oo)`` on each step's observed block; 0 where none is."""
        complete, complete_X, incomplete = self._incomplete(X)
        if incomplete is None:
            return super().log_prob(X, params)
        # state-major, as the complete emissions' (forward-backward takes it so, without a copy)
        out = np.zeros((self.k, X.shape[0]))
        if complete.size:
            out[:, complete] = super().log_prob(complete_X, params).T
        mixture = self._params(params)
        for task in self._tasks(incomplete, mixture):
            group, _, _, maps, s, e = task
            if maps is None:  # plain: each row completed about each state's mean
                log_dens = HoledRows.slice(mixture, self.cov, task)[0]
            else:  # expanded: the row's features times its pattern's marginal coefficients
                feats = group.features(s, e, self.cov)
                log_dens, shared = self.cov.hole_log_joint(
                    maps, feats[-self.d:], feats, group.pid[s:e], group.segments(s, e))
                if shared is not None:
                    log_dens += shared
            out[:, group.rows[s:e]] = log_dens
        return out.T

    def accumulate(self, X: np.ndarray, posteriors: np.ndarray,
                   params: np.ndarray) -> SufficientStats:
        """As the complete emissions', each holed row completed by its conditional mean
        under each state, with the conditional covariance added to its second moments.

        The sums about the centre, on the expanded path where it is safe; where the
        covariances they give would cancel (``cancels``), or with ``plain``, every
        row's about each state's mean (the holed rows completed about it).
        """
        complete, complete_X, incomplete = self._incomplete(X)
        if incomplete is None:
            return super().accumulate(X, posteriors, params)
        if not self.plain:
            stats = self._holed_stats(complete, complete_X, incomplete, posteriors, params, False)
            if not self.cancels(stats):
                return stats
        return self._holed_stats(complete, complete_X, incomplete, posteriors, params, True)

    def _holed_stats(self, complete, complete_X, incomplete, posteriors, params,
                     plain: bool) -> SufficientStats:
        """:meth:`accumulate`'s sums: about the centre (the plain slices' re-expressed
        about it), or with ``plain`` every slice plain and all of them about the means."""
        cov, k, d = self.cov, self.k, self.d
        by_state = posteriors.T  # (K, n): rows are gathered along its last axis
        complete_posteriors = by_state[:, complete].T
        stats = (self.about_means(complete_X, complete_posteriors, params) if plain
                 else self.about_center(complete_X, complete_posteriors))
        mixture = self._params(params)
        # the plain slices' sums, about each state's mean
        plain_sums = SufficientStats(np.zeros(k), np.zeros((k, d)), cov.empty_second(k, d),
                                     mixture.means)
        by_pattern = {}  # per group: its frequent patterns' feature moments (P, F, K)
        for task in self._tasks(incomplete, mixture, plain):
            group, c, _, maps, s, e = task
            r = by_state[:, group.rows[s:e]]  # (K, m)
            if maps is None:
                xhat = HoledRows.slice(mixture, cov, task)[1]
                pid, n_pat = group.pid[s:e], group.mis.shape[0]
                r_pattern = np.stack([np.bincount(pid, weights=rk, minlength=n_pat) for rk in r])
                first, second = cov.completed_moments(xhat, r, c, r_pattern, group.mis)
                plain_sums.n += r.sum(axis=1)
                plain_sums.first += first
                plain_sums.second += second
                continue
            feats = group.features(s, e, cov)
            moments = by_pattern.setdefault(id(maps), (group, maps, np.zeros(
                (maps["u"].shape[0], feats.shape[0], k))))[2]
            for a, z, p in group.segments(s, e):
                moments[p] += feats[:, a:z] @ r[:, a:z].T
        for group, maps, moments in by_pattern.values():  # about the centre
            extra = group.pattern_second(moments.shape[0]) if cov.needs_data_second else None
            n, first, second = cov.hole_moments(maps, moments, cov.n_quadratic(d), extra)
            stats = stats.plus(SufficientStats(n, first, second, np.zeros((k, d))), self.cov_type)
        # the plain sums re-expressed about the complete rows' origin (the same means if plain)
        return stats.plus(plain_sums, self.cov_type)

    def impute(self, X: np.ndarray, posteriors: np.ndarray, params: np.ndarray) -> np.ndarray:
        """A copy of ``X``, each NaN replaced by ``sum_k gamma_nk E[x_nm | x_no, state k]``."""
        out = np.array(X, dtype=np.float64)
        incomplete = self._incomplete(X)[2]
        if incomplete is None:
            return out
        mixture = self._params(params)
        for task in incomplete.tasks(mixture, self.cov):  # the plain path: x^ for every row
            group, s, e = task[0], task[4], task[5]
            xhat = HoledRows.slice(mixture, self.cov, task)[1]
            rows = group.rows[s:e]
            xhat += mixture.means[:, None, :]  # the completed rows, about the centre
            filled = np.einsum("nk,knd->nd", posteriors[rows], xhat) + self.center
            out[rows] = np.where(np.isnan(out[rows]), filled, out[rows])
        empty = incomplete.empty
        out[empty] = posteriors[empty] @ (mixture.means + self.center)
        return out

    def initial(self, X: np.ndarray, method: str, rng) -> np.ndarray:
        """The complete emissions' start, on ``X`` with each hole filled by its column's mean."""
        return super().initial(np.where(np.isnan(X), observed_mean(X), X), method, rng)


class ImputeMixin:
    """``GaussianHMM.impute``: the missing entries' conditional expectations given all of ``X``."""

    def impute(self, X, lengths=None) -> np.ndarray:
        """``X`` with each NaN replaced by its conditional expectation given the observed data.

        A step's missing block becomes ``E[x_m | X_obs] = sum_k p(z_n = k |
        X_obs) E[x_m | x_o, z_n = k]``: the posteriors of forward-backward on
        the observed entries (so the neighbouring steps count) times each
        state's conditional mean, ``mu_km + S_k,mo S_k,oo^{-1} (x_o - mu_ko)``;
        a step with nothing observed gets the posterior mean of the states'
        means. Works for a fit with either value of ``missing``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The steps of the sequences, concatenated; NaN where missing.
        lengths : array_like of int, optional
            The lengths of the sequences in ``X`` (default: one sequence).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_features)
            A float64 copy, holes filled.

        See Also
        --------
        emcore.GaussianHMM.predict_proba : The state posteriors the fill is weighted by.
        emcore.multiple_imputation : Draws the holes instead, for Rubin's rules.

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianHMM
        >>> hmm = GaussianHMM(2, max_iter=0, startprob_init=[0.5, 0.5],
        ...                   transmat_init=[[0.9, 0.1], [0.1, 0.9]],
        ...                   means_init=[[0.0, 0.0], [5.0, 5.0]],
        ...                   covariances_init=[[1.0, 1.0], [1.0, 1.0]]).fit(np.zeros((2, 2)))
        >>> print(hmm.impute([[5.2, 4.9], [np.nan, np.nan], [4.8, np.nan]]).round(2))
        [[5.2  4.9 ]
         [4.94 4.94]
         [4.8  5.  ]]
        """
        if not hasattr(self, "transmat_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")
        X = np.asarray(check_X(X, n_features=self.n_features_in_, missing="marginalize",
                               estimator=type(self).__name__), dtype=np.float64)
        lengths = check_lengths(lengths, X.shape[0])
        em = MissingGaussianEmissions(self.covariance_type, self.n_components, X.shape[1],
                                      center=data_origin(X))
        params = em.pack(self.means_, self.covariances_)
        posteriors = _scan.forward_backward(em.log_prob(X, params), lengths, self.startprob_,
                                            self.transmat_)[1]
        return em.impute(X, posteriors, params)
