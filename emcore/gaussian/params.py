"""The parameters of a Gaussian mixture, :class:`MixtureParams`, and their change of origin.

Inside a fit the means are relative to the data's centre (see :mod:`._data`);
:meth:`MixtureParams.moved` is the one change of origin, used wherever
parameters cross between coordinates.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["MixtureParams"]


@dataclasses.dataclass
class MixtureParams:
    """Parameters of a Gaussian mixture (means relative to the data's centre inside a fit)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray

    def moved(self, offset) -> MixtureParams:
        """The same mixture with ``offset`` added to every mean (a change of origin)."""
        return MixtureParams(self.weights, self.means + offset, self.covariances,
                             self.precisions_cholesky)
