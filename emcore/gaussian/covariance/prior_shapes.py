"""The conjugate prior's scale in each built-in type's shape (MAP-EM, :mod:`emcore.mixture._prior`).

:class:`PriorShapes` is mixed into the four built-in types. It builds on what each
of them defines: ``scale_shape(d)`` (the shape of the scale ``Psi``),
``scale_from_number(scale, d)`` and ``_nu_part(nu, d)`` (the prior's degrees of
freedom in the M-step's denominator). A type without ``scale_shape`` takes no
covariance prior (:class:`emcore.GaussianMixture` refuses one).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PriorShapes"]


class PriorShapes:
    """The prior's scale and exponent for a type that defines ``scale_shape`` and ``_nu_part``.

    See Also
    --------
    emcore.gaussian.CovarianceType : The base the four built-in types share with this mixin.
    emcore.mixture.MixturePrior : The prior whose scale and degrees of freedom these shape.

    Examples
    --------
    ``diag``'s scale holds one variance per feature; ``tied`` spreads the determinant
    term's exponent, ``(nu + d + 1 + c k) / k``, over its ``k`` components:

    >>> from emcore.gaussian import covariance_model
    >>> covariance_model("diag").zero_scale(3)
    array([0., 0., 0.])
    >>> covariance_model("tied").prior_exponent(5.0, 1.0, 2, 3)
    5.5
    """

    def zero_scale(self, d):
        """The zero of a prior's scale parameter (its shape for this type).

        Parameters
        ----------
        d : int
            Number of features.

        Returns
        -------
        float or ndarray
            A zero of the scale's shape.
        """
        shape = self.scale_shape(d)
        return np.zeros(shape) if shape else 0.0

    def per_component(self, psi, k):
        """A prior's scale ``psi`` repeated for each of ``k`` components.

        Parameters
        ----------
        psi : float or ndarray
            The scale.
        k : int
            Number of components.

        Returns
        -------
        ndarray
            Shaped as the second moments.
        """
        return np.broadcast_to(psi, (k,) + np.shape(psi))

    def default_scale(self, second, n, k, d):
        """mclust's default prior scale from the data's second moments ``second``.

        Parameters
        ----------
        second : ndarray of shape ``cov_shape(1, d)``
            The data's second moments about their mean, as one component's.
        n : int
            Number of samples.
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        float or ndarray
            The scale ``Psi``, shaped as this type's scale.
        """
        return second[0] / n / k ** (2.0 / d)

    def prior_exponent(self, nu, c, k, d):
        """The exponent of the conjugate prior's determinant term for this type.

        Parameters
        ----------
        nu : float or None
            The prior's degrees of freedom (None: no covariance prior).
        c : float
            1 when the prior has a mean (its normal part adds one), else 0.
        k : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        float
            The exponent ``p`` of the M-step's denominator.
        """
        return (0.0 if nu is None else self._nu_part(nu, d)) + c
