"""Names to objects: ``covariance_model(name)`` and the names it knows.

``_MODELS`` holds one object per built-in type, and only those (they hold no data,
so one is shared by every fit). R mclust's 14 models (:mod:`emcore.gaussian.mclust`)
are looked up on first use. A :class:`.CovarianceType` object of one's own is not
registered: it is passed as the ``covariance_type`` itself, and ``covariance_model``
checks that the ``is_shared`` and ``is_matrix`` it sets agree with its shapes.
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
    only the abstract methods, and runs on the reference E-step. Pass it as
    ``covariance_type=`` wherever a name is taken; it is never registered.

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
    TypeError
        When an object sets ``is_shared`` or ``is_matrix`` against its own
        ``cov_shape`` (the base derives both from it).

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
        return _agrees_with_its_shapes(name)
    return _MODELS[name] if name in _MODELS else _mclust_models()[name]


def _agrees_with_its_shapes(cov):
    """``cov``, once its ``is_shared`` and ``is_matrix`` are what its ``cov_shape`` says.

    A wrong ``is_shared`` gives wrong numbers silently (the bootstrap would reorder a
    shared covariance as if it were one per component), so it is refused here, where
    every estimator looks its covariance type up.
    """
    for flag in ("is_shared", "is_matrix"):
        stated, derived = getattr(cov, flag), getattr(CovarianceType, flag).fget(cov)
        if stated != derived:
            raise TypeError(
                f"covariance_type {type(cov).__name__} sets {flag} = {stated!r}, but its "
                f"cov_shape(k, d) says {derived!r}: leave {flag} unset (CovarianceType "
                "derives it from cov_shape)")
    return cov


@functools.cache
def _mclust_models():
    """mclust's 14 models (:mod:`.mclust`), imported on first use: they build on ``_Full``."""
    from ..mclust import CLOSED_FORM
    from ..mclust_iterative import ITERATIVE

    return {m.name: m for m in CLOSED_FORM + ITERATIVE}
