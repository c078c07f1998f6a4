"""Names to objects: ``covariance_model(name)`` and the names it knows.

``_MODELS`` holds one object per built-in type (they hold no data, so one is
shared by every fit); a new built-in type is registered by adding its object
there. R mclust's 14 models (:mod:`emcore.gaussian.mclust`) are looked up on first
use. A :class:`.CovarianceType` object of one's own needs no registration: it is
passed as the ``covariance_type`` itself.
"""

from __future__ import annotations

import functools

from .base import CovarianceType
from .diag import _Diag, _Spherical
from .full import _Full, _Tied

__all__ = ["COVARIANCE_TYPES", "covariance_model"]


_MODELS = {m.name: m for m in (_Full(), _Tied(), _Diag(), _Spherical())}
#: The names of the covariance types, in the order the documentation lists them.
COVARIANCE_TYPES = tuple(_MODELS)


def covariance_model(name) -> CovarianceType:
    """The object of covariance type ``name`` (one of ``COVARIANCE_TYPES`` or of mclust's
    ``MCLUST_MODELS``, :mod:`.mclust`), or ``name`` itself.

    A :class:`CovarianceType` instance of one's own passes through: it needs
    only the abstract methods, and runs on the reference E-step.

    Parameters
    ----------
    name : str or CovarianceType
        A name of ``COVARIANCE_TYPES`` or ``MCLUST_MODELS``, or a covariance type object.

    Returns
    -------
    CovarianceType
        The covariance type's object (shared: it holds no data).

    Raises
    ------
    KeyError
        When ``name`` is neither a covariance type nor one of mclust's models.

    See Also
    --------
    emcore.gaussian.CovarianceType : What the object provides.
    emcore.GaussianMixture : Takes the same names as ``covariance_type``.

    Examples
    --------
    >>> from emcore.gaussian import covariance_model
    >>> covariance_model("full").cov_shape(3, 2), covariance_model("spherical").cov_shape(3, 2)
    ((3, 2, 2), (3,))
    >>> covariance_model("VVV").cov_shape(3, 2)           # mclust's name for full
    (3, 2, 2)
    >>> covariance_model("tied").is_shared
    True
    """
    if isinstance(name, CovarianceType):
        return name
    return _MODELS[name] if name in _MODELS else _mclust_models()[name]


@functools.cache
def _mclust_models():
    """mclust's 14 models (:mod:`.mclust`), imported on first use: they build on ``_Full``."""
    from ..mclust import CLOSED_FORM
    from ..mclust_iterative import ITERATIVE

    return {m.name: m for m in CLOSED_FORM + ITERATIVE}
