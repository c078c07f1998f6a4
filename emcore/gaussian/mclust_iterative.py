"""The five mclust models whose M-step has no closed form: VEI, VEE, VEV, EVE, VVE.

Each maximises ``Q`` over the covariances by blocks (Celeux & Govaert 1995, mclust's
``msvei``, ``msvee``, ``msvev``, ``mseve``, ``msvve``): volumes given the shape, the shape
given the volumes, and for a common orientation ``D`` a sweep of plane rotations, each the
best in its plane (where mclust takes the MM step of Browne & McNicholas 2014). Every block
update is the exact maximiser given the others, so ``Q`` never decreases
along the way; the loop starts from the current covariances (mclust starts from the
identity every time) and stops when no parameter moves by more than ``INNER_TOL`` relative,
or after ``INNER_MAX_ITER`` rounds. The M-step is then a conditional maximisation of the
ECM kind, and EM's log-likelihood still never decreases.

With ``W_k`` the scatter and ``n_k`` the weight of component ``k``, the objective to
minimise is ``sum_k [n_k log det Sigma_k + tr(Sigma_k^{-1} W_k)]``.
"""

from __future__ import annotations

import numpy as np

from .mclust import MclustModel, det_root, diagonal_matrices, eigh_ascending, geometric_mean, rotate

__all__ = ["INNER_MAX_ITER", "INNER_TOL", "ITERATIVE"]

#: The inner loop stops when no parameter changes by more than this, relative to its size.
INNER_TOL = 1e-10
#: At most this many rounds of the inner loop per M-step.
INNER_MAX_ITER = 1000


def _moved(new, old):
    """The largest change from ``old`` to ``new``, relative to the size of ``new``."""
    return float(np.max(np.abs(new - old)) / np.max(np.abs(new)))


def _common_volume_shape_loop(values, n, shape):
    """Volumes ``lambda_k`` and one shape ``a`` (det 1) for per-component diagonals ``values``.

    Minimises ``sum_k [n_k d log lambda_k + sum_j values_kj / (lambda_k a_j)]``, the
    objective of VEI (``values`` the diagonals of ``W_k``) and of VEV (the eigenvalues of
    ``W_k``), by alternating the two closed-form updates from the shape ``shape``.
    """
    d = values.shape[1]
    volumes = (values / shape).sum(axis=1) / (d * n)
    for _ in range(INNER_MAX_ITER):
        summed = (values / volumes[:, None]).sum(axis=0)
        new_shape = summed / geometric_mean(summed)
        new_volumes = (values / new_shape).sum(axis=1) / (d * n)
        moved = max(_moved(new_shape, shape), _moved(new_volumes, volumes))
        shape, volumes = new_shape, new_volumes
        if moved <= INNER_TOL:
            break
    return volumes, shape


class _VEI(MclustModel):
    name, volume, shape, orientation = "VEI", "V", "E", "I"
    iterative = True

    def fit_scatter(self, scatter, n, start=None):
        diagonals = np.diagonal(scatter, axis1=1, axis2=2)
        shape = np.ones(diagonals.shape[1])
        if start is not None:
            shape = np.diagonal(start[0]) / geometric_mean(np.diagonal(start[0]))
        volumes, shape = _common_volume_shape_loop(diagonals, n, shape)
        return diagonal_matrices(volumes[:, None] * shape)


class _VEV(MclustModel):
    name, volume, shape, orientation = "VEV", "V", "E", "V"
    iterative = True

    def fit_scatter(self, scatter, n, start=None):
        # Given any shape whose entries ascend, the best D_k holds the eigenvectors of W_k
        # in ascending order of eigenvalue; the volumes and the shape then solve VEI's problem
        # on the eigenvalues.
        eigenvalues, vectors = eigh_ascending(scatter)
        shape = np.ones(scatter.shape[1])
        if start is not None:
            start_values = np.linalg.eigvalsh(start[0])
            shape = start_values / geometric_mean(start_values)
        volumes, shape = _common_volume_shape_loop(eigenvalues, n, shape)
        return rotate(vectors, volumes[:, None] * shape)


class _VEE(MclustModel):
    name, volume, shape, orientation = "VEE", "V", "E", "E"
    iterative = True

    def fit_scatter(self, scatter, n, start=None):
        k, d, _ = scatter.shape
        common = np.eye(d) if start is None else start[0] / det_root(start[0])
        volumes = np.trace(np.linalg.solve(common, scatter), axis1=1, axis2=2) / (d * n)
        for _ in range(INNER_MAX_ITER):
            summed = np.einsum("kij,k->ij", scatter, 1.0 / volumes)
            new_common = summed / det_root(summed)
            new_volumes = (np.trace(np.linalg.solve(new_common, scatter), axis1=1, axis2=2)
                           / (d * n))
            moved = max(_moved(new_common, common), _moved(new_volumes, volumes))
            common, volumes = new_common, new_volumes
            if moved <= INNER_TOL:
                break
        return volumes[:, None, None] * common


def _rotation_sweep(scatter, orientation, inverse_diagonals):
    """One sweep of plane rotations of a common orientation ``D``, each the best in its plane.

    The objective is ``f(D) = sum_k tr(W_k D B_k D^T)`` with ``B_k =
    diag(inverse_diagonals[k])``. Turning columns ``u, v`` of ``D`` by an angle ``t``
    changes ``f`` by ``P cos 2t + R sin 2t`` plus a constant, where, with ``M_k = D^T W_k D``
    and ``b_k`` the difference of the two columns' entries of ``B_k``,
    ``P = sum_k b_k (M_k,uu - M_k,vv) / 2`` and ``R = sum_k b_k M_k,uv``; the minimiser is
    ``2t = atan2(-R, -P)``. Each turn is an exact conditional minimiser, so ``f`` never rises
    (the pairwise scheme of Flury & Gautschi's common principal components, 1986).
    """
    d = orientation.shape[0]
    orientation = orientation.copy()
    rotated = np.einsum("ji,kjl,lm->kim", orientation, scatter, orientation)  # the M_k
    for i in range(d - 1):
        for j in range(i + 1, d):
            b = inverse_diagonals[:, i] - inverse_diagonals[:, j]
            p = b @ (rotated[:, i, i] - rotated[:, j, j]) / 2
            r = b @ rotated[:, i, j]
            if p == 0 and r == 0:  # f does not depend on this angle
                continue
            angle = np.arctan2(-r, -p) / 2
            turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            pair = [i, j]
            orientation[:, pair] = orientation[:, pair] @ turn
            rotated[:, :, pair] = rotated[:, :, pair] @ turn
            rotated[:, pair, :] = turn.T @ rotated[:, pair, :]
    return orientation


class _CommonOrientation(MclustModel):
    """EVE and VVE: ``Sigma_k = D diag(c_k) D^T`` with one orientation ``D``.

    Given ``D``, the diagonals ``c_k`` have a closed form (:meth:`diagonals`); given them,
    ``D`` takes a sweep of plane rotations (:func:`_rotation_sweep`). The two alternate from
    the current covariances. mclust takes MM steps for ``D`` instead (Browne & McNicholas
    2014); on the test problems a sweep did as much as a hundred of them.
    """

    iterative = True
    orientation = "E"

    def diagonals(self, rotated, n):
        """The best ``c_k`` (K, d) given the diagonals of ``D^T W_k D``."""
        raise NotImplementedError

    def fit_scatter(self, scatter, n, start=None):
        d = scatter.shape[1]
        orientation = np.eye(d) if start is None else eigh_ascending(start[0])[1]
        diagonals = self.diagonals(self._rotated(scatter, orientation), n)
        for _ in range(INNER_MAX_ITER):
            if not np.all(diagonals > 0):
                raise np.linalg.LinAlgError("a component has no spread along some direction")
            new_orientation = _rotation_sweep(scatter, orientation, 1.0 / diagonals)
            new_diagonals = self.diagonals(self._rotated(scatter, new_orientation), n)
            moved = max(_moved(new_orientation, orientation), _moved(new_diagonals, diagonals))
            orientation, diagonals = new_orientation, new_diagonals
            if moved <= INNER_TOL:
                break
        return rotate(orientation, diagonals)

    @staticmethod
    def _rotated(scatter, orientation):
        """The diagonals of ``D^T W_k D``, (K, d)."""
        return np.einsum("ji,kjl,li->ki", orientation, scatter, orientation)


class _EVE(_CommonOrientation):
    name, volume, shape = "EVE", "E", "V"

    def diagonals(self, rotated, n):
        roots = geometric_mean(rotated)
        return rotated / roots[:, None] * (roots.sum() / n.sum())


class _VVE(_CommonOrientation):
    name, volume, shape = "VVE", "V", "V"

    def diagonals(self, rotated, n):
        return rotated / n[:, None]


ITERATIVE = (_VEI(), _VEE(), _VEV(), _EVE(), _VVE())
