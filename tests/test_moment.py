"""Waiting for a moment ("fire at T"): never early."""

from __future__ import annotations

import time

from yicam._fleet.moment import sleep_until


async def test_a_moment_is_never_left_early() -> None:
    for lead in (0.0, 0.0005, 0.002, 0.02):
        at = time.time() + lead
        await sleep_until(at)
        assert time.time() >= at
