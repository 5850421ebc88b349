"""Shared fixtures and the Hypothesis settings profiles.

Profiles: ``dev`` (the default, quick) and ``ci`` (more examples), chosen by the
``CI`` environment variable; ``HYPOTHESIS_PROFILE`` overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from lifecycle import FixedClock
from lifecycle.definitions import ACCOUNT_LIFECYCLE, CONTACT_LIFECYCLE, LEAD_LIFECYCLE
from tests.strategies import CLOCK_TIME

settings.register_profile(
    "dev",
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[FixedClock]:
    """Pin every lifecycle's clock to ``CLOCK_TIME`` and restore the real clocks afterwards."""
    lifecycles = (LEAD_LIFECYCLE, CONTACT_LIFECYCLE, ACCOUNT_LIFECYCLE)
    saved = [lc.clock for lc in lifecycles]
    clock = FixedClock(CLOCK_TIME)
    for lc in lifecycles:
        lc.clock = clock
    try:
        yield clock
    finally:
        for lc, old in zip(lifecycles, saved, strict=True):
            lc.clock = old
