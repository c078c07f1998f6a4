"""emcore: the EM library of the executable course book on the EM algorithm.

Only numpy is imported here; sympy, matplotlib and scipy are imported lazily
by the functions that need them.
"""

from . import models
from .em import EMModel, EMResult, run_em
from .exceptions import ConvergenceWarning, MonotonicityWarning

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "EMModel",
    "EMResult",
    "MonotonicityWarning",
    "models",
    "run_em",
]
