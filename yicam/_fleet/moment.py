"""Waiting for a moment as precisely as a busy computer allows ("fire at T").

The last milliseconds before the moment are waited out blocking: the event loop's timers
wake up to a millisecond late (the selector counts whole milliseconds) plus whatever the loop
runs first; a thread sleep wakes within the OS timer slack and the scheduler's wake-up delay,
and the last half millisecond is spent polling the clock, which absorbs both. (Polling much
longer makes it worse on a busy computer: a process that spins through its time slice is the
one preempted, right at T.)
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["sleep_until"]

_BLOCK = 0.003
_SPIN = 0.0005


async def sleep_until(at: float) -> None:
    """Return at `at` (a `time.time()` moment) as precisely as the OS allows, or now if past.

    Blocks the event loop for the last few milliseconds: for a shot, that is the point."""
    ahead = at - time.time()
    if ahead > _BLOCK:
        await asyncio.sleep(ahead - _BLOCK)
        ahead = at - time.time()
    if ahead > _SPIN:
        time.sleep(ahead - _SPIN)  # noqa: ASYNC251 (deliberate: the precise part of the wait)
    give_up = time.monotonic() + 2 * _SPIN  # should the wall clock be set back meanwhile
    while time.time() < at and time.monotonic() < give_up:
        pass
