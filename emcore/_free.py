"""Free coordinates for parameters that live on a constrained set.

A model's parameter vector may hold probabilities that sum to 1 (mixing weights,
the start probabilities and the rows of a transition matrix) or symmetric matrices
stored in full. Differentiating the log-likelihood in those coordinates steps off
the set: a probability vector that no longer sums to 1 is not a distribution, and
the two copies of an off-diagonal entry cannot move apart. The observed information
is then taken at a point that is not a maximum in those directions, and the
standard errors it gives are wrong. :class:`FreeCoordinates` maps such a vector to
coordinates that can move freely (and back):

* a probability vector keeps its entries except its largest, the *reference*,
  which is one minus the others (drop-one coordinates). An entry below
  :data:`BOUNDARY` is *on the boundary*: it stays fixed, so the log-likelihood is
  differentiated on the face of the simplex the estimate lies on, and it gets no
  standard error;
* a symmetric matrix keeps its upper triangle;
* a parameter confined to an interval (degrees of freedom in ``[0.01, 1e6]``, a
  probability in ``[0, 1]``) is free inside it, and on the boundary when it lies within
  :data:`BOUNDARY` (relative to the bound's size) of an end: then it stays fixed too;
* a block confined to a linear subspace (covariance matrices shared by all components,
  multiples of the identity) keeps its coordinates in a basis of that subspace;
* a block on a curved set (covariances with a common volume, shape or orientation and
  the others varying) is a smooth function of coordinates the model chooses, given by
  their value at ``theta`` and the function.

All these maps but the last are affine, so the delta method's Jacobian is exact; a
curved block's columns are central differences (relative error about 1e-10).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BOUNDARY", "FreeCoordinates"]

#: A probability below this is taken as on the boundary of the simplex: the
#: difference steps of a numerical Hessian (about 1e-4 relative) cannot be taken
#: around it without leaving the parameter space.
BOUNDARY = 1e-8

#: The kinds of block a parameter vector is made of, in order.
KINDS = ("free", "simplex", "symmetric", "fixed", "bounded", "span", "curved")

#: The step of the central differences that give a curved block's Jacobian columns.
CURVED_STEP = 1e-5


class FreeCoordinates:
    """The free coordinates of ``theta``, whose layout ``blocks`` describes.

    Parameters
    ----------
    blocks : list of tuple
        ``(kind, shape)`` for consecutive slices of ``theta``: ``"free"`` (any
        shape, copied), ``"simplex"`` (shape ``(rows, m)``: each row a
        probability vector), ``"symmetric"`` (shape ``(..., d, d)``) or
        ``"fixed"`` (any shape: known, not estimated, so no free coordinate);
        or ``("bounded", shape, (low, high))``: each entry confined to
        ``[low, high]`` (either end may be infinite); or ``("span", shape, basis)``:
        the block, raveled, is ``basis @ c`` for coordinates ``c`` (``basis`` of shape
        ``(size, m)``, full column rank), such as covariances shared by all components
        or multiples of the identity; or ``("curved", shape, (start, function))``: the block
        is ``function(c)`` for coordinates ``c`` that are ``start`` at ``theta``.
    theta : array_like
        The point whose face and reference entries the coordinates use.
    """

    def __init__(self, blocks, theta):
        self.theta = np.asarray(theta, dtype=float).copy()
        sizes = [math.prod(block[1]) for block in blocks]
        if sum(sizes) != self.theta.size:
            raise ValueError(f"the blocks describe {sum(sizes)} parameters, theta has "
                             f"{self.theta.size}")
        self.boundary = np.zeros(self.theta.size, dtype=bool)
        self._moving = []      # indices of theta that are free coordinates
        self._references = []  # (reference index, indices of its row) per simplex row
        self._mirrors = []     # the (d, d) index arrays of the symmetric matrices
        self._room = {}        # index -> distance to the nearest end of its interval
        self._spans = []       # (indices of theta, basis) per "span" block
        self._curves = []      # (indices of theta, start, function) per "curved" block
        start = 0
        for block, size in zip(blocks, sizes):
            kind, shape = block[0], block[1]
            if kind not in KINDS:
                raise ValueError(f"a block's kind must be one of {KINDS}, got {kind!r}")
            index = np.arange(start, start + size).reshape(shape)
            if kind == "free":
                self._moving += list(index.ravel())
            elif kind == "fixed":
                pass  # held at theta: not a coordinate, its standard error is NaN
            elif kind == "span":
                self._spans.append((index.ravel(), np.asarray(block[2], dtype=float)))
            elif kind == "curved":
                start_c, function = block[2]
                start_c = np.atleast_1d(np.asarray(start_c, dtype=float))
                if not np.allclose(function(start_c), self.theta[index.ravel()]):
                    raise ValueError("a curved block's function must give theta at its start")
                self._curves.append((index.ravel(), start_c, function))
            elif kind == "bounded":
                low, high = block[2]
                for i in index.ravel():
                    nearer = low if self.theta[i] - low <= high - self.theta[i] else high
                    gap = abs(self.theta[i] - nearer)
                    if gap < BOUNDARY * max(1.0, abs(nearer)):
                        self.boundary[i] = True
                    else:
                        self._moving.append(i)
                        self._room[int(i)] = gap
            elif kind == "simplex":
                for row in index.reshape(-1, shape[-1]):
                    ref = row[np.argmax(self.theta[row])]
                    others = row[row != ref]
                    self._references.append((ref, row))
                    on_face = self.theta[others] < BOUNDARY
                    self.boundary[others[on_face]] = True
                    self._moving += list(others[~on_face])
                    # a row whose other entries are all 0 holds a 1 that cannot move either
                    self.boundary[ref] = others.size > 0 and bool(np.all(on_face))
            else:
                d = shape[-1]
                upper = np.triu_indices(d)
                for matrix in index.reshape(-1, d, d):
                    self._moving += list(matrix[upper])
                    self._mirrors.append(matrix)
            start += size
        self._moving = np.array(self._moving, dtype=np.intp)
        self.n_free = (self._moving.size + sum(basis.shape[1] for _, basis in self._spans)
                       + sum(c.size for _, c, _ in self._curves))

    def to_free(self, theta=None) -> np.ndarray:
        """The free coordinates of ``theta`` (default: the point given at construction; a
        curved block has them only there)."""
        if theta is not None and self._curves and not np.array_equal(theta, self.theta):
            raise ValueError("a curved block's coordinates are known only at the point given")
        theta = self.theta if theta is None else np.asarray(theta, dtype=float)
        spans = [np.linalg.lstsq(basis, theta[index], rcond=None)[0]
                 for index, basis in self._spans]
        return np.concatenate([theta[self._moving], *spans, *(c for _, c, _ in self._curves)])

    def from_free(self, phi) -> np.ndarray:
        """The parameter vector with free coordinates ``phi`` (the rest as on the face)."""
        theta, phi = self.theta.copy(), np.asarray(phi, dtype=float)
        theta[self._moving] = phi[:self._moving.size]
        start = self._moving.size
        for index, basis in self._spans:
            theta[index] = basis @ phi[start:start + basis.shape[1]]
            start += basis.shape[1]
        for index, start_c, function in self._curves:
            theta[index] = np.ravel(function(phi[start:start + start_c.size]))
            start += start_c.size
        for matrix in self._mirrors:
            upper = theta[matrix]
            theta[matrix] = np.triu(upper) + np.triu(upper, 1).T
        for ref, row in self._references:
            others = row[row != ref]
            theta[ref] = 1.0 - theta[others].sum()
        return theta

    def room(self) -> np.ndarray:
        """How far each free coordinate may move before leaving the set (inf if it may not
        leave it): a probability's own value, a bounded entry's distance to the nearer end.
        A difference step must stay below it."""
        room = np.full(self.n_free, np.inf)
        in_simplex = np.zeros(self.theta.size, dtype=bool)
        for _, row in self._references:
            in_simplex[row] = True
        moving = room[:self._moving.size]   # the span coordinates come after: room inf
        moving[in_simplex[self._moving]] = self.theta[self._moving][in_simplex[self._moving]]
        for j, i in enumerate(self._moving):
            room[j] = self._room.get(int(i), room[j])
        return room

    def tangent_coordinates(self, changes, jacobian=None) -> np.ndarray:
        """The free coordinates of changes of ``theta`` along the set: the columns of
        ``changes`` (shape ``(p, m)``) written in the columns of ``jacobian`` (default
        :meth:`jacobian`), by least squares. Exact for a change in the set's tangent space
        at ``theta``, such as the derivative of a map that stays in the set."""
        jacobian = self.jacobian() if jacobian is None else jacobian
        return np.linalg.lstsq(jacobian, np.asarray(changes, dtype=float), rcond=None)[0]

    def jacobian(self) -> np.ndarray:
        """``d theta / d phi``, shape (p, n_free): exact for the affine maps (unit steps), by
        central differences of step ``CURVED_STEP`` for a curved block's coordinates."""
        if self.n_free == 0:
            return np.zeros((self.theta.size, 0))
        phi = self.to_free()
        steps = np.ones(self.n_free)
        n_curved = sum(c.size for _, c, _ in self._curves)
        if n_curved:
            steps[-n_curved:] = CURVED_STEP * np.maximum(1.0, np.abs(phi[-n_curved:]))
        return np.column_stack([(self.from_free(phi + h * e) - self.from_free(phi - h * e))
                                / (2 * h) for h, e in zip(steps, np.eye(self.n_free))])
