"""Hypothesis profiles: ``make test`` (and so CI) draws the same examples on every run.

``repeatable`` (the default) derandomises hypothesis, so a green run stays green
and a failure reproduces; ``HYPOTHESIS_PROFILE=explore make test`` draws fresh
random examples, for looking for new counterexamples before a change lands.
"""

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
