"""Hidden Markov models fitted by EM (Baum-Welch): Gaussian, categorical, Poisson and
Gaussian-mixture emissions.

``_scan`` holds the forward-backward and Viterbi recursions (shared by all
models) and picks how forward-backward runs: its own loop over time, the
blocked scan of ``_blocked`` or the tree (parallel prefix scan) of ``_tree``;
``_model`` the HMM as an
:class:`emcore.EMModel`, ``_emissions`` the emission contract
(:class:`Emissions`); one file per emission: ``_gaussian`` (on :mod:`emcore.gaussian`),
``_categorical``, ``_poisson`` and ``_gmm`` (a Gaussian mixture per state); ``_base``
(fitting), ``_scoring`` (scoring, decoding and sampling a fit), ``_estimator``
(``GaussianHMM``), ``_discrete`` (``CategoricalHMM``, ``PoissonHMM``), ``_gmm_hmm``
(``GMMHMM``) and ``_emission_hmm`` (:class:`EmissionHMM`, for any :class:`Emissions`) the
scikit-learn-style classes; ``_contract`` the checks of an emission against the contract;
``_missing`` the Gaussian emissions with NaN entries integrated out
(``missing="marginalize"``) and ``_frozen`` the parameters ``update=`` leaves out.
"""

from ._discrete import CategoricalHMM, PoissonHMM
from ._emission_hmm import EmissionHMM
from ._emissions import DegenerateStateError, Emissions
from ._estimator import GaussianHMM
from ._gmm import GMMEmissions
from ._gmm_hmm import GMMHMM
from ._model import HMMModel
from ._poisson import PoissonEmissions

__all__ = ["CategoricalHMM", "DegenerateStateError", "EmissionHMM", "Emissions", "GMMEmissions",
           "GMMHMM", "GaussianHMM", "HMMModel", "PoissonEmissions", "PoissonHMM"]
