"""Free coordinates of mclust's eight curved covariance models, for standard errors.

VEI, EVI, VEE, EVE, VVE, EEV, VEV and EVV tie volume, shape or orientation across
components while others vary, so their covariances do not form a linear set (the six
others do: :func:`emcore.mixture._problem.mclust_span`). Celeux & Govaert's
decomposition ``Sigma_k = lambda_k D_k A_k D_k^T`` gives them coordinates in which
nothing is tied: ``log lambda`` (one, or one per component), the logarithms of ``A``'s
diagonal in an orthonormal basis of the vectors summing to 0 (``det A = 1``; d - 1
numbers, one set or one per component, none for ``I``) and, for each orientation (one
shared or one per component), a skew-symmetric ``S`` (d(d-1)/2 numbers, 0 at the fit)
turning the fitted ``D`` into ``C(S) D`` with ``C(S) = (I - S/2)^{-1} (I + S/2)``, the
Cayley transform, orthogonal and equal to ``exp(S)`` to second order. Their number is
mclust's count of covariance parameters.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mclust_curve"]


def _sum_zero_basis(d: int) -> np.ndarray:
    """An orthonormal basis (columns, d x (d - 1)) of the vectors whose entries sum to 0."""
    q, _ = np.linalg.qr(np.eye(d)[:, :d - 1] - 1.0 / d)
    return q


def _cayley(skew_entries, d: int) -> np.ndarray:
    """The rotation ``(I - S/2)^{-1} (I + S/2)`` of the skew ``S`` with these upper entries."""
    s = np.zeros((d, d))
    s[np.triu_indices(d, 1)] = skew_entries
    s = s - s.T
    return np.linalg.solve(np.eye(d) - s / 2, np.eye(d) + s / 2)


def _decompose(name: str, covariances: np.ndarray):
    """Orientations (K, d, d) and the logarithms of the variances along them (K, d)."""
    k, d, _ = covariances.shape
    if name[2] == "I":
        orientations = np.broadcast_to(np.eye(d), (k, d, d))
    elif name[2] == "E":
        # one orientation: the eigenvectors of the first covariance diagonalise them all
        orientations = np.broadcast_to(np.linalg.eigh(covariances[0])[1], (k, d, d))
    else:
        orientations = np.linalg.eigh(covariances)[1]
    variances = np.einsum("kji,kjl,kli->ki", orientations, covariances, orientations)
    if np.any(~(variances > 0)):
        raise ValueError("the covariances must be positive definite")
    return np.array(orientations), np.log(variances)


def mclust_curve(name: str, covariances):
    """Free coordinates of mclust model ``name`` at the fitted ``covariances`` (K, d, d).

    Returns
    -------
    start : numpy.ndarray
        The coordinates at the fit: log volumes, shape coordinates, then the skew
        entries of each orientation (zeros).
    function : callable
        Coordinates -> the raveled (K, d, d) covariances; ``function(start)`` gives
        ``covariances`` back when they are of the model's form.
    """
    covariances = np.asarray(covariances, dtype=float)
    k, d, _ = covariances.shape
    volume, shape, orientation = name
    orientations, log_variances = _decompose(name, covariances)
    log_volumes = log_variances.mean(axis=1)
    basis = _sum_zero_basis(d)
    shapes = (log_variances - log_volumes[:, None]) @ basis         # (K, d - 1)
    n_volumes = 1 if volume == "E" else k
    n_shapes = {"E": 1, "V": k, "I": 0}[shape]
    n_turns = {"E": 1, "V": k, "I": 0}[orientation]
    n_skew = d * (d - 1) // 2
    # a tied quantity takes its mean over the components (equal at a fit of the model)
    start = np.concatenate([
        log_volumes.mean(keepdims=True) if n_volumes == 1 else log_volumes,
        (shapes.mean(axis=0) if n_shapes == 1 else shapes[:n_shapes]).ravel(),
        np.zeros(n_turns * n_skew)])

    def function(coords):
        coords = np.asarray(coords, dtype=float)
        logs = np.broadcast_to(coords[:n_volumes], (k,))
        used = n_volumes
        forms = coords[used:used + n_shapes * (d - 1)].reshape(n_shapes, d - 1) @ basis.T
        used += n_shapes * (d - 1)
        log_var = logs[:, None] + (np.broadcast_to(forms, (k, d)) if n_shapes else 0.0)
        turns = coords[used:].reshape(n_turns, n_skew)
        rotations = np.broadcast_to(
            np.array([_cayley(t, d) for t in turns]) if n_turns else np.eye(d), (k, d, d))
        axes = rotations @ orientations
        return np.einsum("kij,kj,klj->kil", axes, np.exp(log_var), axes).ravel()

    return start, function
