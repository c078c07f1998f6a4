"""``from_params``: a fitted estimator from given parameters, checked by the estimator's own
checks of its ``*_init`` arguments (:class:`FromParamsMixin`)."""

from __future__ import annotations

import inspect
import re

import numpy as np

__all__ = ["FromParamsMixin"]

#: What ``fit`` sets about its run (not about the model): ``from_params`` runs none.
_RUN_ATTRIBUTES = ("converged_", "n_iter_", "lower_bound_", "log_likelihood_history_",
                   "log_posterior_history_", "_collapse")


class FromParamsMixin:
    """``from_params``: a fitted estimator from given parameters, for estimators whose
    constructor takes every parameter as a ``*_init`` argument and whose ``fit`` with
    ``max_iter=0`` keeps that start.

    The parameters are checked exactly as those ``*_init`` arguments are: ``fit`` runs
    with ``max_iter=0`` on ``n`` rows of zeros (features: the last axis of ``means`` or
    ``lambdas``, else 1), which only the checks and the start's evaluation read; the
    attributes of that run are then removed. A class may convert an argument into its
    ``*_init`` argument (``_from_params_aliases``: name to ``(init name, function)``) and
    ask for more rows (``_from_params_rows``).
    """

    _from_params_aliases: dict = {}

    @classmethod
    def _from_params_rows(cls, k: int, d: int, settings: dict) -> int:
        """How many rows of zeros the checks of the ``*_init`` arguments accept."""
        return max(2, k)

    @classmethod
    def _parameter_inits(cls) -> list:
        """The ``*_init`` constructor arguments that are parameters, in signature order."""
        names = inspect.signature(cls.__init__).parameters
        return [n[:-len("_init")] for n in names
                if n.endswith("_init") and n not in ("n_init", "resp_init", "dof_init")]

    @classmethod
    def from_params(cls, **params):
        """The estimator of the given parameters, fitted without data.

        Parameters
        ----------
        **params
            Every fitted parameter, named as its attribute without the trailing
            underscore (``startprob``, ``transmat``, ``means``, ...), each checked as
            the ``*_init`` argument of the same name; and, optionally, constructor
            arguments (``covariance_type``, ``random_state``, ...).
            ``n_components`` defaults to the length of the first parameter.

        Returns
        -------
        estimator
            Fitted: ``sample``, ``score``, ``score_samples``, ``predict``,
            ``predict_proba`` (and the HMMs' ``decode``) work, ``n_features_in_`` is
            set. Its ``*_init`` arguments hold the parameters, so a later ``fit``
            starts EM from them. Nothing is set about a run (``converged_``,
            ``n_iter_``, ...).

        Raises
        ------
        TypeError
            When a parameter is missing or a ``*_init`` argument is passed.
        ValueError
            When a parameter is invalid (named as given).

        Examples
        --------
        >>> import numpy as np
        >>> from emcore import GaussianMixture
        >>> gm = GaussianMixture.from_params(weights=[0.5, 0.5], means=[[0.0], [4.0]],
        ...                                  covariances=[1.0, 1.0], covariance_type="spherical")
        >>> print(gm.predict([[0.5], [3.0]]), round(gm.score([[2.0]]), 4))
        [0 1] -2.9189
        """
        names = cls._parameter_inits()
        aliases = cls._from_params_aliases
        given = {n: params.pop(n) for n in list(params) if n in names or n in aliases}
        settings = params
        wrong = sorted(n for n in settings if n.endswith("_init") or n == "max_iter")
        if wrong:
            raise TypeError(f"{cls.__name__}.from_params takes the parameters by their "
                            f"attribute names ({', '.join(names)}), not {', '.join(wrong)}")
        covered = {aliases[n][0] if n in aliases else n for n in given}
        missing = [n for n in names if n not in covered]
        if missing or len(covered) < len(given):
            alias = [f"{a} (for {init})" for a, (init, _) in aliases.items()]
            raise TypeError(f"{cls.__name__}.from_params needs each of {', '.join(names)} once"
                            f"{' or ' + ', '.join(alias) if alias else ''}; "
                            f"missing: {', '.join(missing) or 'none'}")
        first = given[next(n for n in names + list(aliases) if n in given)]
        k = settings.setdefault("n_components", int(np.shape(first)[0]) if np.ndim(first) else 1)
        k = int(k) if isinstance(k, (int, np.integer)) else 1  # a bad value: the checks say so
        rates = next((given[n] for n in ("means", "lambdas") if n in given), None)
        d = int(np.shape(rates)[-1]) if np.ndim(rates) else 1
        inits = {}
        for name, value in given.items():
            if name in aliases:
                init, convert = aliases[name]
                inits[init + "_init"] = convert(value, k, d, settings)
            else:
                inits[name + "_init"] = value
        est = cls(**settings, **inits)
        max_iter = est.max_iter
        try:
            est.set_params(max_iter=0).fit(np.zeros((cls._from_params_rows(k, d, settings), d)))
        except ValueError as err:
            raise ValueError(_renamed(str(err), given, aliases)) from None
        finally:
            est.set_params(max_iter=max_iter)
        for name in _RUN_ATTRIBUTES:
            est.__dict__.pop(name, None)
        return est


def _renamed(message: str, given: dict, aliases: dict) -> str:
    """``message`` with each ``*_init`` argument named as ``from_params`` received it."""
    for name in given:
        init = aliases[name][0] if name in aliases else name
        message = re.sub(rf"\b{init}_init\b", name, message)
    return message
