"""Hidden Markov models fitted by EM (Baum-Welch): :class:`GaussianHMM` and :class:`CategoricalHMM`.

``_scan`` holds the forward-backward and Viterbi recursions (shared by both
models) and picks how forward-backward runs: its own loop over time, the
blocked scan of ``_blocked`` or the tree (parallel prefix scan) of ``_tree``;
``_model`` the HMM as an
:class:`emcore.EMModel`, ``_emissions`` the emission contract
(:class:`Emissions`) and the Gaussian (on :mod:`emcore.gaussian`) and
categorical emissions, ``_base`` and ``_estimator`` the scikit-learn-style classes.
"""

from ._emissions import DegenerateStateError, Emissions
from ._estimator import CategoricalHMM, GaussianHMM
from ._model import HMMModel

__all__ = ["CategoricalHMM", "DegenerateStateError", "Emissions", "GaussianHMM", "HMMModel"]
