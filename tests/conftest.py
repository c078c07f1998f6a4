"""Hypothesis profiles: ``make test`` (and so CI) draws the same examples on every run.

``repeatable`` (the default) derandomises hypothesis, so a green run stays green
and a failure reproduces; ``HYPOTHESIS_PROFILE=explore make test`` draws fresh
random examples, for looking for new counterexamples before a change lands.
"""

import os
import re

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


#: A live test's name: ``test_live_...`` or ``..._live`` (not ``..._alive``).
LIVE = re.compile(r"(^test_live_|_live(\[|$))")


def pytest_collection_modifyitems(config, items):
    """Tests named ``*live*`` re-run R (mclust, flexmix, lme4) and take minutes: they run
    under ``make test-oracles`` (``EMCORE_ORACLES=1``), not in ``make test``, whose stored
    reference numbers need no R."""
    import pytest

    if os.environ.get("EMCORE_ORACLES") == "1":
        return
    skip = pytest.mark.skip(reason="a live comparison with R: run by make test-oracles")
    for item in items:
        if LIVE.search(item.name):
            item.add_marker(skip)
