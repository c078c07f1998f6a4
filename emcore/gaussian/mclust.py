"""mclust's 14 covariance models: ``Sigma_k = lambda_k D_k A_k D_k^T``, volume, shape, orientation.

Celeux & Govaert (1995) write each covariance by its eigen-decomposition:
``lambda_k = det(Sigma_k)^(1/d)`` is its volume, ``A_k`` (diagonal, determinant 1) its
shape, ``D_k`` (orthogonal) its orientation. Holding each of the three Equal across
components, letting it Vary, or (shape and orientation) fixing it to the Identity gives
the models R's mclust names by three letters (Scrucca et al. 2016):

======  ===================================  ==========================================
model   covariance                           M-step
======  ===================================  ==========================================
EII     ``lambda I``                          closed form
VII     ``lambda_k I``                        closed form (scikit-learn's ``spherical``)
EEI     ``lambda A``                          closed form
VEI     ``lambda_k A``                        iterative (:mod:`.mclust_iterative`)
EVI     ``lambda A_k``                        closed form
VVI     ``lambda_k A_k``                      closed form (scikit-learn's ``diag``)
EEE     ``lambda D A D^T``                    closed form (scikit-learn's ``tied``)
VEE     ``lambda_k D A D^T``                  iterative
EVE     ``lambda D A_k D^T``                  iterative (rotations for D)
VVE     ``lambda_k D A_k D^T``                iterative (rotations for D)
EEV     ``lambda D_k A D_k^T``                closed form
VEV     ``lambda_k D_k A D_k^T``              iterative
EVV     ``lambda D_k A_k D_k^T``              closed form
VVV     ``lambda_k D_k A_k D_k^T``            closed form (scikit-learn's ``full``)
======  ===================================  ==========================================

Every model is stored as ``full`` is, ``(K, d, d)`` covariances and Cholesky factors of the
precisions, so the E-step, sampling and missing entries are ``full``'s; a model adds only
its M-step, :meth:`MclustModel.fit_scatter`, and its parameter count (mclust's ``df``).

The M-step receives each component's weight ``n_k`` and scatter matrix about its new mean,
``W_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T``, and maximises
``-1/2 sum_k [n_k log det Sigma_k + tr(Sigma_k^{-1} W_k)]`` over the model. ``reg_covar``
enters as ``n_k reg_covar I`` added to ``W_k`` (the maximiser then stays in the model; for
the four models that scikit-learn has, this is its ``reg_covar`` on the diagonal).
"""

from __future__ import annotations

import numpy as np

from .covariance.full import _Full
from .mstep import DegenerateComponentError

__all__ = ["MCLUST_MODELS", "MclustModel", "det_root", "eigh_ascending"]

#: mclust's names of the 14 models, in mclust's order.
MCLUST_MODELS = ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
                 "EEV", "VEV", "EVV", "VVV")


def det_root(matrices):
    """``det(S)^(1/d)`` of each positive definite ``S`` in a stack (..., d, d)."""
    sign, logdet = np.linalg.slogdet(matrices)
    if np.any(sign <= 0):
        raise np.linalg.LinAlgError("a scatter matrix is not positive definite")
    return np.exp(logdet / matrices.shape[-1])


def geometric_mean(values):
    """The geometric mean along the last axis of positive ``values``."""
    if np.any(~(values > 0)):
        raise np.linalg.LinAlgError("a variance is not positive")
    return np.exp(np.mean(np.log(values), axis=-1))


def eigh_ascending(matrices):
    """Eigenvalues (ascending) and eigenvectors (columns) of each symmetric matrix."""
    return np.linalg.eigh(matrices)


def diagonal_matrices(diagonals):
    """(K, d) -> (K, d, d): each row on the diagonal of a matrix."""
    k, d = diagonals.shape
    out = np.zeros((k, d, d))
    out[:, np.arange(d), np.arange(d)] = diagonals
    return out


def rotate(orientations, diagonals):
    """``D_k diag(a_k) D_k^T`` for orientations (K, d, d) or (d, d) and diagonals (K, d)."""
    if orientations.ndim == 2:
        return np.einsum("ij,kj,lj->kil", orientations, diagonals, orientations)
    return np.einsum("kij,kj,klj->kil", orientations, diagonals, orientations)


class MclustModel(_Full):
    """A covariance model of mclust: ``full``'s storage, a constrained M-step.

    Subclasses set ``name`` and ``volume``, ``shape``, ``orientation`` (each
    ``"E"``, ``"V"`` or ``"I"``) and define :meth:`fit_scatter`.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianMixture
    >>> from emcore.datasets import load_faithful
    >>> from emcore.gaussian import covariance_model
    >>> gm = GaussianMixture(2, covariance_type="VVE", reg_covar=0, tol=1e-8, max_iter=1000,
    ...                      random_state=0).fit(load_faithful())
    >>> S = gm.covariances_
    >>> S.shape
    (2, 2, 2)

    One orientation for both components: the two covariances commute.

    >>> bool(np.allclose(S[0] @ S[1], S[1] @ S[0]))
    True

    Two volumes, two shapes (one free number each in 2-D), one angle, as mclust counts:

    >>> covariance_model("VVE").n_cov_parameters(2, 2)
    5
    """

    volume = shape = orientation = ""
    #: Whether the M-step iterates (an ECM step); then it starts from the current covariances.
    iterative = False
    #: The M-step receives the current covariances as ``start`` (:func:`.mstep.m_step`).
    warm_m_step = True
    #: The built-in conjugate priors are written for the four scikit-learn types only.
    scale_shape = None

    def n_cov_parameters(self, k, d):
        """mclust's ``nVarParams``: volumes, shapes, orientations, each counted once if Equal."""
        count = {"E": 1, "V": k, "I": 0}
        volumes = count[self.volume]
        shapes = count[self.shape] * (d - 1)
        orientations = count[self.orientation] * d * (d - 1) // 2
        return volumes + shapes + orientations

    def covariances(self, m2, n, n_guarded, delta, reg, start=None):
        """The model's M-step: scatter about the new means, then :meth:`fit_scatter`."""
        d = delta.shape[1]
        scatter = m2 - (2 * n_guarded - n)[:, None, None] * delta[:, :, None] * delta[:, None, :]
        scatter[:, np.arange(d), np.arange(d)] += (n_guarded * reg)[:, None]
        try:
            cov = self.fit_scatter(scatter, n_guarded, start)
        except np.linalg.LinAlgError:
            raise DegenerateComponentError(
                f"the {self.name} M-step met a singular scatter matrix (reg_covar={reg:g}): "
                "some component has fewer distinct samples than dimensions, or no spread "
                "along some direction; increase reg_covar or use fewer components") from None
        # reg_covar entered the scatter as n_k reg I: taking reg I off again gives the model's
        # covariance without it where the fit is linear in the scatter (VVV, EEE, EEI, VVI,
        # EII, VII), and an approximation, off by about reg, for the other models
        bare = cov.copy()
        bare[:, np.arange(d), np.arange(d)] -= reg
        return cov, bare

    def fit_scatter(self, scatter, n, start=None):
        """The covariances (K, d, d) of the model that maximise
        ``-1/2 sum_k [n_k log det S_k + tr(S_k^{-1} W_k)]`` for scatters ``W_k``, weights ``n``.

        ``start``: current covariances (an iterative M-step starts from them) or None.
        """
        raise NotImplementedError

    def check_form(self, cov, rtol=1e-6):
        """ValueError unless the covariances (K, d, d) belong to the model (to ``rtol``).

        Covariances of the model are their own maximiser for the scatters ``W_k = S_k``,
        so a model's matrices are those that :meth:`fit_scatter` returns unchanged.
        """
        k = cov.shape[0]
        projected = self.fit_scatter(cov, np.ones(k), start=cov)
        gap = np.max(np.abs(projected - cov)) / np.max(np.abs(cov))
        if not gap <= rtol:
            raise ValueError(
                f"precisions_init are not of the form of model {self.name} "
                f"({self.formula}): relative distance {gap:.2g} from the nearest such matrices"
            )

    @property
    def formula(self):
        """The model's covariance in Celeux & Govaert's letters, e.g. ``lambda D A_k D^T``."""
        volume = {"E": "lambda", "V": "lambda_k"}[self.volume]
        shape = {"E": " A", "V": " A_k", "I": ""}[self.shape]
        if self.orientation == "I":
            return f"{volume}{shape or ' I'}"
        d = {"E": "D", "V": "D_k"}[self.orientation]
        return f"{volume} {d}{shape} {d}^T"

    def min_samples(self, k, d):
        """The fewest samples a fit accepts: as many as the mixture has free parameters."""
        return self.n_parameters(k, d)


def _eye(k, d):
    return np.broadcast_to(np.eye(d), (k, d, d)).copy()


class _EII(MclustModel):
    name, volume, shape, orientation = "EII", "E", "I", "I"

    def fit_scatter(self, scatter, n, start=None):
        k, d, _ = scatter.shape
        volume = np.trace(scatter, axis1=1, axis2=2).sum() / (n.sum() * d)
        return volume * _eye(k, d)


class _VII(MclustModel):
    name, volume, shape, orientation = "VII", "V", "I", "I"

    def fit_scatter(self, scatter, n, start=None):
        k, d, _ = scatter.shape
        volumes = np.trace(scatter, axis1=1, axis2=2) / (n * d)
        return volumes[:, None, None] * _eye(k, d)


class _EEI(MclustModel):
    name, volume, shape, orientation = "EEI", "E", "E", "I"

    def fit_scatter(self, scatter, n, start=None):
        k = scatter.shape[0]
        pooled = np.diagonal(scatter, axis1=1, axis2=2).sum(axis=0) / n.sum()
        return diagonal_matrices(np.tile(pooled, (k, 1)))


class _EVI(MclustModel):
    name, volume, shape, orientation = "EVI", "E", "V", "I"

    def fit_scatter(self, scatter, n, start=None):
        diagonals = np.diagonal(scatter, axis1=1, axis2=2)
        roots = geometric_mean(diagonals)  # det(diag W_k)^(1/d)
        volume = roots.sum() / n.sum()
        return diagonal_matrices(volume * diagonals / roots[:, None])


class _VVI(MclustModel):
    name, volume, shape, orientation = "VVI", "V", "V", "I"

    def fit_scatter(self, scatter, n, start=None):
        return diagonal_matrices(np.diagonal(scatter, axis1=1, axis2=2) / n[:, None])


class _EEE(MclustModel):
    name, volume, shape, orientation = "EEE", "E", "E", "E"

    def fit_scatter(self, scatter, n, start=None):
        pooled = scatter.sum(axis=0) / n.sum()
        return np.broadcast_to(pooled, scatter.shape).copy()


class _EEV(MclustModel):
    name, volume, shape, orientation = "EEV", "E", "E", "V"

    def fit_scatter(self, scatter, n, start=None):
        # D_k: eigenvectors of W_k; the common shape pairs with the eigenvalues in one order
        eigenvalues, vectors = eigh_ascending(scatter)
        summed = eigenvalues.sum(axis=0)
        root = geometric_mean(summed)
        volume = root / n.sum()
        shape = summed / root
        return rotate(vectors, volume * np.tile(shape, (scatter.shape[0], 1)))


class _EVV(MclustModel):
    name, volume, shape, orientation = "EVV", "E", "V", "V"

    def fit_scatter(self, scatter, n, start=None):
        roots = det_root(scatter)
        volume = roots.sum() / n.sum()
        return volume * scatter / roots[:, None, None]


class _VVV(MclustModel):
    name, volume, shape, orientation = "VVV", "V", "V", "V"

    def fit_scatter(self, scatter, n, start=None):
        return scatter / n[:, None, None]


CLOSED_FORM = (_EII(), _VII(), _EEI(), _EVI(), _VVI(), _EEE(), _EEV(), _EVV(), _VVV())
