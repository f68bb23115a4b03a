"""Test settings shared by the whole suite.

Under CI (the ``CI`` environment variable set), hypothesis draws its examples from a
seed derived from each test's name, so that a run is reproducible; elsewhere it
explores new examples on every run. ``HYPOTHESIS_PROFILE=ci`` gives the CI behaviour
locally.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
