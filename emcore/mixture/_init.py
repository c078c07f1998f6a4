"""Starting points for EM: k-means (seeded by k-means++), k-means++, random, hierarchical.

Every method returns responsibilities, chunk by chunk (``resp(s, e)`` gives a
``(K, e - s)`` array for rows ``s:e``); the estimator turns them into
starting parameters with one M-step. All work happens on
:class:`._model.MixtureData` in its centred coordinates, in chunks, and
honours the sample weights: a row of weight ``w`` counts as ``w`` rows
(sampling probabilities are proportional to ``w``), a row of weight zero is
never chosen.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["INIT_METHODS", "initial_responsibilities", "nearest_centers"]

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data", "hc")

#: Lloyd's iterations stop when the centres move less than this, squared and
#: summed, relative to the data's mean variance (or after KMEANS_MAX_ITER).
KMEANS_TOL = 1e-4
KMEANS_MAX_ITER = 100


def _sq_distances(xt, centers):
    """(K, m) squared distances of the chunk's columns to the centres, >= 0."""
    dist = centers @ xt
    dist *= -2.0
    dist += np.einsum("kj,kj->k", centers, centers)[:, None]
    dist += np.einsum("ij,ij->j", xt, xt)
    return np.maximum(dist, 0.0, out=dist)


def nearest_centers(data, centers):
    """Index of the nearest centre and the squared distance to it, for every row."""
    labels = np.empty(data.n, dtype=np.intp)
    dist2 = np.empty(data.n)
    for s, e in data.chunks():
        dist = _sq_distances(data.chunk_T(s, e, data.center), centers)
        labels[s:e] = np.argmin(dist, axis=0)
        dist2[s:e] = dist[labels[s:e], np.arange(e - s)]
    return labels, dist2


def _sample(rng, mass, size):
    """Indices drawn with probability proportional to ``mass`` (inverse CDF)."""
    cdf = np.cumsum(mass)
    idx = np.searchsorted(cdf, rng.uniform(size=size) * cdf[-1], side="right")
    return np.minimum(idx, mass.size - 1)


def _row_weights(data):
    return np.ones(data.n) if data.weights is None else data.weights


def kmeans_plusplus(data, k, rng):
    """Centres chosen by greedy k-means++ (Arthur & Vassilvitskii, 2007).

    Each new centre is the best of ``2 + floor(log k)`` candidates sampled
    with probability proportional to ``w * D^2``, ``D`` the distance to the
    nearest centre chosen so far; the best candidate lowers ``sum w D^2`` most.
    """
    w = _row_weights(data)
    centers = np.empty((k, data.d))
    centers[0] = _rows(data, _sample(rng, w, 1))[0]
    _, dist2 = nearest_centers(data, centers[:1])
    trials = 2 + int(math.log(k))
    for j in range(1, k):
        mass = w * dist2
        if not mass.sum() > 0:  # every sample sits on a centre: any sample will do
            mass = w
        cand = _rows(data, _sample(rng, mass, trials))
        potential = np.zeros(trials)
        for s, e in data.chunks():
            dist = _sq_distances(data.chunk_T(s, e, data.center), cand)
            potential += np.minimum(dist, dist2[s:e]) @ w[s:e]
        centers[j] = cand[int(np.argmin(potential))]
        for s, e in data.chunks():
            dist = _sq_distances(data.chunk_T(s, e, data.center), centers[j:j + 1])[0]
            np.minimum(dist2[s:e], dist, out=dist2[s:e])
    return centers


def _rows(data, idx):
    """Rows ``idx`` of the data, centred, float64."""
    return np.asarray(data.X[idx], dtype=np.float64) - data.center


def kmeans(data, k, rng):
    """Labels of weighted Lloyd's k-means from k-means++ centres.

    An empty cluster is re-seeded at a sample drawn with probability
    proportional to ``w * D^2`` (far from its centre).
    """
    w = _row_weights(data)
    centers = kmeans_plusplus(data, k, rng)
    tol = KMEANS_TOL * data.variance * data.d
    labels = None
    for _ in range(KMEANS_MAX_ITER):
        new_labels, dist2 = nearest_centers(data, centers)
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, weights=w, minlength=k)
        sums = np.zeros((k, data.d))
        for s, e in data.chunks():
            onehot = (labels[s:e] == np.arange(k)[:, None]) * w[s:e]
            sums += onehot @ data.chunk_T(s, e, data.center).T
        new_centers = centers.copy()
        filled = counts > 0
        new_centers[filled] = sums[filled] / counts[filled, None]
        empty = np.flatnonzero(~filled)
        if empty.size:
            new_centers[empty] = _rows(data, _sample(rng, w * dist2, empty.size))
        shift = float(np.sum((new_centers - centers) ** 2))
        centers = new_centers
        if shift <= tol and not empty.size:
            break
    labels, _ = nearest_centers(data, centers)
    return labels


def _one_hot(labels, k):
    classes = np.arange(k)[:, None]
    return lambda s, e: (labels[s:e] == classes).astype(np.float64)


#: Rows per independently seeded block of random responsibilities (independent of chunking).
RANDOM_BLOCK = 1 << 12


def _random_resp(data, k, rng):
    """Uniform random responsibilities, the same for any chunking: one seed per block of rows."""
    seeds = rng.integers(0, 2**63 - 1, size=-(-data.n // RANDOM_BLOCK))

    def block(b):
        rows = min(RANDOM_BLOCK, data.n - b * RANDOM_BLOCK)
        return np.random.default_rng(seeds[b]).uniform(size=(k, rows))

    def resp(s, e):
        first, last = s // RANDOM_BLOCK, (e - 1) // RANDOM_BLOCK
        r = np.concatenate([block(b) for b in range(first, last + 1)], axis=1)
        r = r[:, s - first * RANDOM_BLOCK: e - first * RANDOM_BLOCK]
        return r / r.sum(axis=0)

    return resp


def initial_responsibilities(method: str, data, k: int, rng, means=None):
    """``resp(s, e)`` for ``method``, or nearest-mean labels when ``means`` (centred) is given."""
    if means is not None:
        return _one_hot(nearest_centers(data, means)[0], k)
    if method == "kmeans":
        return _one_hot(kmeans(data, k, rng), k)
    if method == "k-means++":
        return _one_hot(nearest_centers(data, kmeans_plusplus(data, k, rng))[0], k)
    if method == "random_from_data":
        w = _row_weights(data)
        idx = rng.choice(data.n, size=k, replace=False, p=w / w.sum())
        return _one_hot(nearest_centers(data, _rows(data, idx))[0], k)
    if method == "random":
        return _random_resp(data, k, rng)
    if method == "hc":  # mclust's start; it sees every row once, whatever its weight
        from ._hierarchical import hierarchical_partitions

        X = np.asarray(data.X, dtype=np.float64)
        return _one_hot(hierarchical_partitions(X, k)[k] - 1, k)
    raise ValueError(f"init_params must be one of {INIT_METHODS}, got {method!r}")
