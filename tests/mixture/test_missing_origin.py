"""The first E-step of a fit with missing entries, on hostile data, against 50 digits.

Complete rows and rows with holes are two blocks of one fit, in one set of coordinates about
the fit's origin (:func:`emcore.gaussian.holes.observed_origin`: the complete data's
:func:`emcore.gaussian.stats.exact_origin` over the observed entries). A
holed row is taken about that origin with 0 at its holes, so what fills a hole elsewhere (the
column's observed mean, in the copy the initialisation reads) does not move its coordinates.
Centred at the observed mean of two clusters 1e5 apart and 1e-3 wide, a sample near 0 would be
rounded to the mean's last bit (about 7e-12), and its log-density would move by about 1e-8.

These tests compare the fit's responsibilities, log-likelihood and sufficient statistics (the
observed data's: each component's completion of a row and its conditional covariance) with an
mpmath computation at 50 digits, and show that centring at the observed mean fails the same
comparison.
"""

import numpy as np
import pytest

from emcore import GaussianMixture
from emcore.gaussian import holes
from emcore.gaussian.covariance import COVARIANCE_TYPES, covariance_model
from emcore.gaussian.stats import MixtureParams
from emcore.mixture import _data, _estep, _missing
from emcore.mixture._data import MixtureData

D, K = 3, 3


def _hostile(cov_type, seed=0, n=40, weighted=False, far=1e5):
    """Clusters ``far`` apart and 1e-3 wide with 10% of the entries missing, and a mixture of
    three correlated components for them (two overlapping near 0, one at ``far``)."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0] * D, [1e-3] * D, [far] * D])
    X = np.concatenate([rng.normal(m, 1e-3, size=(n, D)) for m in means])
    X[rng.random(X.shape) < 0.1] = np.nan
    X[5] = [np.nan, np.nan, X[5, 2]]  # at least one row with two holes
    X[6] = np.nan  # and one with nothing observed
    assert 0.08 < np.isnan(X).mean() < 0.15
    cov = covariance_model(cov_type)
    full = []
    for scale in (1e-6, 4e-6, 2e-6):
        a = rng.normal(size=(D, D))
        full.append(scale * (a @ a.T / D + 0.5 * np.eye(D)))
    full = np.stack(full)
    diagonals = np.diagonal(full, axis1=1, axis2=2).copy()
    covariances = {"full": full, "tied": full[0], "diag": diagonals,
                   "spherical": diagonals[:, 0].copy()}[cov_type]
    params = MixtureParams(np.array([0.3, 0.3, 0.4]), means + rng.normal(0, 1e-4, size=means.shape),
                           covariances, cov.precision_cholesky(covariances))
    w = rng.uniform(0.5, 2.0, size=X.shape[0]) if weighted else None
    return X, w, params


def _fit_first_e_step(X, w, cov_type, params):
    """The fit's own first E-step: responsibilities (n, K) and ``log p(x_n)`` of each row
    (rows with nothing observed: NaN, the E-step skips them), the log-likelihood, and the
    statistics about each component's mean."""
    data = MixtureData(X, w, cov_type, K, missing=True)
    rel = params.moved(-data.center)
    stats, loglik = data.e_step(rel)
    resp, log_px = np.full((X.shape[0], K), np.nan), np.full(X.shape[0], np.nan)
    complete = np.flatnonzero(~np.isnan(X).any(axis=1))
    scorer = _estep.ChunkScorer(cov_type, rel, data.radius2)
    xt, feats = scorer.chunk(data.complete.XT, data.center)
    r, lp, _ = _estep.normalize(*scorer.log_joint(xt, feats), truncate=True)
    resp[complete], log_px[complete] = r.T, lp
    # the holed rows: each slice as the E-step runs it, its normalized log-joints recorded
    seen, by_expanded = [], 0
    real = _missing.normalize

    def record(*args, **kwargs):
        out = real(*args, **kwargs)
        seen.append((out[0].copy(), out[1].copy()))
        return out

    inc, cov = data.incomplete, covariance_model(cov_type)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_missing, "normalize", record)
        for task in inc.tasks(rel, cov, base=scorer.offset if scorer.expanded else None):
            if task[3] is None:
                inc._direct_partial(rel, cov, task, False)
            else:
                inc._expanded_partial(scorer, cov, task, False)
                by_expanded += task[5] - task[4]
            g, s, e = task[0], task[4], task[5]
            resp[g.rows[s:e]], log_px[g.rows[s:e]] = seen[-1][0].T, seen[-1][1]
    about = stats.about(rel.means, cov_type)
    # the paths taken, for the tests to check: the complete rows' and the holed rows' share
    _fit_first_e_step.expanded = scorer.expanded, by_expanded / sum(g.rows.size for g in inc.groups)
    return resp, log_px, loglik, (about.n, about.first, about.second)


def _extended(X, w, params, cov_type):
    """Responsibilities, ``log p(x_o)`` and the statistics about each component's mean of the
    observed data, with 50 significant digits (mpmath): each component completes a row's holes
    by their conditional mean and adds their conditional covariance."""
    import mpmath

    mpmath.mp.dps = 50
    cov, (k, d) = covariance_model(cov_type), params.means.shape
    w = np.ones(X.shape[0]) if w is None else w
    resp, log_px = np.full((X.shape[0], k), np.nan), np.full(X.shape[0], np.nan)
    imputed = np.array(X, dtype=np.float64)
    n_k = [mpmath.mpf(0)] * k
    first = [mpmath.matrix(d, 1) for _ in range(k)]
    second = [mpmath.matrix(d, d) for _ in range(k)]
    sigmas = []
    for j in range(k):
        u = mpmath.matrix(np.broadcast_to(cov.whiten(np.eye(d), params.precisions_cholesky, j),
                                          (d, d)).tolist())
        sigmas.append((u * u.T) ** -1)
    for i, x in enumerate(X):
        o, m = np.flatnonzero(~np.isnan(x)).tolist(), np.flatnonzero(np.isnan(x)).tolist()
        if not o:
            continue
        terms, completions = [], []
        for j in range(k):
            s = sigmas[j]
            s_oo = mpmath.matrix([[s[a, b] for b in o] for a in o])
            s_mo = mpmath.matrix([[s[a, b] for b in o] for a in m]) if m else None
            dz = mpmath.matrix([mpmath.mpf(float(x[a])) - mpmath.mpf(float(params.means[j, a]))
                                for a in o])
            inv = s_oo ** -1
            quad = (dz.T * inv * dz)[0]
            terms.append(mpmath.log(params.weights[j]) - quad / 2 - mpmath.log(mpmath.det(s_oo)) / 2
                         - len(o) * mpmath.log(2 * mpmath.pi) / 2)
            diff = mpmath.matrix(d, 1)  # the completed row minus the mean
            cond = mpmath.matrix(d, d)  # the conditional covariance, on the holes
            for a, b in enumerate(o):
                diff[b] = dz[a]
            if m:
                fill = s_mo * inv * dz
                s_mm = mpmath.matrix([[s[a, b] for b in m] for a in m])
                c = s_mm - s_mo * inv * s_mo.T
                for a, b in enumerate(m):
                    diff[b] = fill[a]
                    for a2, b2 in enumerate(m):
                        cond[b, b2] = c[a, a2]
            completions.append((diff, cond))
        top = max(terms)
        total = top + mpmath.log(sum(mpmath.exp(t - top) for t in terms))
        log_px[i] = float(total)
        fill = [mpmath.mpf(0)] * len(m)
        for j, (diff, cond) in enumerate(completions):
            r = mpmath.exp(terms[j] - total)
            resp[i, j] = float(r)
            for a, b in enumerate(m):
                fill[a] += r * (mpmath.mpf(float(params.means[j, b])) + diff[b])
            rw = r * mpmath.mpf(float(w[i]))
            n_k[j] += rw
            first[j] += rw * diff
            second[j] += rw * (diff * diff.T + cond)
        imputed[i, m] = [float(v) for v in fill]
    loglik = mpmath.fsum(mpmath.mpf(float(a)) * b for a, b in zip(w, log_px) if not np.isnan(b))
    as_array = [np.array(mpmath.matrix(s).tolist(), dtype=float) for s in second]
    second = np.stack(as_array)
    second = {"full": second, "tied": second.sum(axis=0),
              "diag": np.diagonal(second, axis1=1, axis2=2),
              "spherical": np.trace(second, axis1=1, axis2=2)}[cov_type]
    stats = (np.array([float(v) for v in n_k]),
             np.array([[float(v) for v in f] for f in first]), second)
    _extended.imputed = imputed  # each hole by its conditional mean under the mixture
    return resp, log_px, float(loglik), stats


def _errors(got, want):
    """Largest differences of responsibilities (absolute), of ``log p`` (relative to
    ``max(1, |log p|)``) and of each statistic (relative to its largest entry)."""
    (r1, l1, _, s1), (r2, l2, _, s2) = got, want
    seen = ~np.isnan(l2)
    assert np.array_equal(seen, ~np.isnan(l1))
    log_p_error = np.abs(l1 - l2)[seen] / np.maximum(1.0, np.abs(l2[seen]))
    stats_error = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(s1, s2))
    return float(np.max(np.abs(r1 - r2)[seen])), float(np.max(log_p_error)), stats_error


@pytest.mark.parametrize("weighted, dtype", [(False, np.float64), (True, np.float64),
                                             (False, np.float32)])
@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_holed_rows_first_e_step_is_exact_to_round_off_on_hostile_data(cov_type, weighted, dtype):
    X, w, params = _hostile(cov_type, weighted=weighted)
    X = X.astype(dtype)  # float32: the oracle reads the same (rounded) samples
    got = _fit_first_e_step(X, w, cov_type, params)
    want = _extended(X, w, params, cov_type)
    resp_error, log_p_error, stats_error = _errors(got, want)
    assert resp_error < 1e-13 and log_p_error < 1e-13
    assert stats_error < 1e-13
    assert got[2] == pytest.approx(want[2], rel=1e-14)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_holed_rows_near_the_origin_take_the_expanded_path_as_accurately(cov_type, monkeypatch):
    from emcore import _tuning

    # every pattern its own expanded coefficients, however few its rows
    monkeypatch.setattr(_tuning, "MIN_PATTERN_ROWS", 1)
    X, w, params = _hostile(cov_type, n=120, far=3e-3)  # three clusters 1e-3 wide, near 0
    got = _fit_first_e_step(X, w, cov_type, params)
    complete_path, holed_share = _fit_first_e_step.expanded
    assert complete_path and holed_share > 0.8  # both blocks, complete and holed rows
    want = _extended(X, w, params, cov_type)
    assert max(_errors(got, want)) < 1e-13
    assert got[2] == pytest.approx(want[2], rel=1e-14)
    _fit_first_e_step(*_hostile(cov_type)[:2], cov_type, params)
    assert _fit_first_e_step.expanded == (False, 0.0)  # the other tests: the direct path


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_centring_holed_data_at_the_observed_mean_would_fail_the_comparison(cov_type,
                                                                            monkeypatch):
    # the mutation: the origin at the observed mean, as the fill value of the holes
    X, w, params = _hostile(cov_type)
    want = _extended(X, w, params, cov_type)
    assert max(_errors(_fit_first_e_step(X, w, cov_type, params), want)) < 1e-13
    monkeypatch.setattr(holes, "exact_origin", lambda mean, low, high: mean)
    resp_error, log_p_error, _ = _errors(_fit_first_e_step(X, w, cov_type, params), want)
    assert resp_error > 1e-10 and log_p_error > 1e-11


def _fitted(cov_type, params):
    return GaussianMixture.from_params(weights=params.weights, means=params.means,
                                       covariances=params.covariances, covariance_type=cov_type,
                                       missing="marginalize")


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_a_fitted_mixture_scores_and_imputes_holed_rows_as_accurately(cov_type):
    # new data are taken about their own origin, not about the fitted means' mean (about 4e4)
    X, _, params = _hostile(cov_type)
    gm = _fitted(cov_type, params)
    want = _extended(X, None, params, cov_type)
    got = gm.predict_proba(X), gm.score_samples(X), None, want[3]
    seen = ~np.isnan(want[1])
    got[1][~seen] = np.nan  # a row with nothing observed: log p = 0, the oracle skips it
    assert max(_errors(got, want)) < 1e-13
    # each imputed value within a few units in its last place (a hole near 1e5 holds no more)
    imputed, exact = gm.impute(X), _extended.imputed
    np.testing.assert_array_equal(imputed[~np.isnan(X)], X[~np.isnan(X)])
    holes = np.isnan(X) & seen[:, None]
    assert np.all(np.abs(imputed - exact)[holes] <= 4 * np.spacing(np.abs(exact[holes])) + 1e-16)


@pytest.mark.parametrize("cov_type", COVARIANCE_TYPES)
def test_scoring_holed_rows_about_the_means_mean_would_fail(cov_type, monkeypatch):
    # the mutation: new holed rows about the centre the caller gives, the fitted means' mean
    X, _, params = _hostile(cov_type)
    want = _extended(X, None, params, cov_type)
    monkeypatch.setattr(_missing, "_holed_frame", lambda X, rows, p, center, absolute: (p, center))
    gm = _fitted(cov_type, params)
    got = gm.predict_proba(X), gm.score_samples(X), None, want[3]
    got[1][np.isnan(want[1])] = np.nan
    resp_error, log_p_error, _ = _errors(got, want)
    assert resp_error > 1e-10 and log_p_error > 1e-11
    holes = np.isnan(X) & ~np.isnan(want[1])[:, None]
    error = np.abs(gm.impute(X) - _extended.imputed)[holes]
    assert np.any(error > 100 * np.spacing(np.abs(_extended.imputed[holes])))


def test_the_origin_of_holed_data_is_the_complete_data_rule_on_the_observed_entries():
    from emcore.hmm._gaussian import data_origin

    X, _, _ = _hostile("full")
    origin = holes.observed_origin(X)
    np.testing.assert_array_equal(origin, 0.0)  # 1e-3 and 1e5 in every column
    np.testing.assert_array_equal(origin, data_origin(X))  # the HMM's, the same rule
    far = X[80:]  # the cluster at 1e5 alone: its observed mean, exactly
    np.testing.assert_array_equal(holes.observed_origin(far), holes.observed_mean(far))
    # rows without weight neither move the mean nor count in the range
    w = np.r_[np.zeros(80), np.ones(40)]
    want = holes.observed_mean(X, w)
    np.testing.assert_allclose(want, holes.observed_mean(far), rtol=1e-15)
    np.testing.assert_array_equal(holes.observed_origin(X, w), want)
    np.testing.assert_array_equal(MixtureData(X, w, "full", K, missing=True).center, want)
    # the holes of the initialisation's copy hold the observed mean, not the origin
    data = MixtureData(X, None, "full", K, missing=True)
    nan = np.isnan(X)
    mean = holes.observed_mean(X, np.ones(X.shape[0]))
    np.testing.assert_array_equal(data.X[nan], np.broadcast_to(mean, X.shape)[nan])
