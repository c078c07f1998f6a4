"""Hidden Markov models fitted by EM (Baum-Welch): Gaussian, categorical, Poisson and
Gaussian-mixture emissions.

``_scan`` holds the forward-backward and Viterbi recursions (shared by all
models) and picks how forward-backward runs: its own loop over time, the
blocked scan of ``_blocked`` or the tree (parallel prefix scan) of ``_tree``;
``_model`` the HMM as an
:class:`emcore.EMModel`, ``_emissions`` the emission contract
(:class:`Emissions`) and the Gaussian (on :mod:`emcore.gaussian`) and
categorical emissions, ``_poisson`` the Poisson emission and ``_gmm`` the
Gaussian-mixture one (a new emission is one such file), ``_base`` (fitting),
``_scoring`` (scoring, decoding and sampling a fit), ``_estimator`` and ``_gmm_hmm``
the scikit-learn-style classes; ``_missing`` the
Gaussian emissions with NaN entries integrated out (``missing="marginalize"``) and
``_frozen`` the parameters ``update=`` leaves out.

``_emission_hmm`` is the scikit-learn-style class for any :class:`Emissions`
(:class:`EmissionHMM`), and ``_contract`` the checks of an emission against the contract.
"""

from ._emission_hmm import EmissionHMM
from ._emissions import DegenerateStateError, Emissions
from ._estimator import CategoricalHMM, GaussianHMM, PoissonHMM
from ._gmm import GMMEmissions
from ._gmm_hmm import GMMHMM
from ._model import HMMModel
from ._poisson import PoissonEmissions

__all__ = ["CategoricalHMM", "DegenerateStateError", "EmissionHMM", "Emissions", "GMMEmissions",
           "GMMHMM", "GaussianHMM", "HMMModel", "PoissonEmissions", "PoissonHMM"]
