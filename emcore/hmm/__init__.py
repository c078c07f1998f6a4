"""Hidden Markov models fitted by EM (Baum-Welch): :class:`GaussianHMM` and :class:`CategoricalHMM`.

``_scan`` holds the forward-backward and Viterbi recursions (blocked
associative scans over time, shared by both models), ``_model`` the HMM as an
:class:`emcore.EMModel`, ``_emissions`` the Gaussian and categorical emission
distributions, ``_base`` and ``_estimator`` the scikit-learn-style classes.
"""

from ._emissions import DegenerateStateError
from ._estimator import CategoricalHMM, GaussianHMM
from ._model import HMMModel

__all__ = ["CategoricalHMM", "DegenerateStateError", "GaussianHMM", "HMMModel"]
