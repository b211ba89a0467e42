"""Scheduled starts: every camera recording from one moment of this computer's clock.

The clocks are aligned first (`align_clocks`: written at the same whole second). A camera
that can start itself at a clock time (the Yi 4K: msg 16777247 with Synctime_Hour/Minute/
Second, as the official SDK's startRecording(hour, minute, second)) is told the time; the
others get the fleet's one-pass 513 from this computer at that moment. Either way the
start counts once its `start_video_record` arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from .._camera import Camera
from .._session.events import Expectation
from .._wire.ids import MsgId, Notify
from .clock import align_clocks
from .fleet_results import Trigger
from .moment import sleep_until
from .trigger import ARM_AHEAD, fire

__all__ = ["MIN_LEAD", "check_start_time", "start_at"]

MIN_LEAD = 3.0  # seconds: the clock alignment and the schedule requests need that long
LATE = 1.0  # less than this left after the alignment: this computer starts them all
_DAY = timedelta(hours=23, minutes=59)  # a camera takes a time of day, not a date

Outcome = Trigger | Exception


def check_start_time(at: datetime, now: datetime | None = None) -> datetime:
    """`at` as a whole second of local time, checked; raises `ValueError` when it is less
    than `MIN_LEAD` seconds ahead, or a day or more (a camera takes no date)."""
    now = now or datetime.now()
    if at.tzinfo is not None:
        at = at.astimezone().replace(tzinfo=None)  # the cameras' clocks are set in local time
    if at.microsecond:
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    if at < now + timedelta(seconds=MIN_LEAD):
        raise ValueError(
            f"start time {at:%H:%M:%S} is less than {MIN_LEAD:g} s ahead (the clocks are set first)"
        )
    if at > now + _DAY:
        raise ValueError(f"start time {at:%Y-%m-%d %H:%M:%S} is a day or more ahead")
    return at


async def start_at(cameras: Mapping[str, Camera], at: datetime) -> dict[str, Outcome]:
    """Start every camera recording at `at` (local time, checked by `check_start_time`)."""
    deadline = time.monotonic() + (at.timestamp() - time.time())
    clocks = await align_clocks(cameras)
    able = {
        name: cam
        for name, cam in cameras.items()
        if cam.quirks.scheduled_record and not isinstance(clocks[name], Exception)
    }
    if deadline - time.monotonic() < LATE:
        able = {}  # too late to tell them: this computer starts them, on time
    by_computer = {name: cam for name, cam in cameras.items() if name not in able}
    outcomes: dict[str, Outcome] = {}
    with contextlib.ExitStack() as stack:
        starts = {
            name: stack.enter_context(cam.session.expect(Notify.START_VIDEO_RECORD))
            for name, cam in cameras.items()
        }
        told = await asyncio.gather(*(_tell(cam, at) for cam in able.values()))
        outcomes.update(zip(able, told, strict=True))
        if by_computer:  # armed just before the moment, written at it
            moment = time.time() + (deadline - time.monotonic())
            await sleep_until(moment - ARM_AHEAD)
            outcomes.update(await fire(by_computer, MsgId.START_RECORD, at=moment))
        else:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        late = max(cam.settings.event_timeout for cam in cameras.values())
        await asyncio.gather(*(_started(outcomes, n, starts[n], late) for n in cameras))
    return {name: outcomes[name] for name in cameras}


async def _tell(cam: Camera, at: datetime) -> Outcome:
    sent = time.monotonic()
    try:
        await cam.schedule_recording(at)
    except Exception as exc:
        return exc
    return Trigger(sent, time.monotonic(), scheduled=True)


async def _started(
    outcomes: dict[str, Outcome], name: str, start: Expectation, timeout: float
) -> None:
    outcome = outcomes[name]
    if not isinstance(outcome, Trigger):
        return
    try:
        await start.wait(timeout)
    except Exception as exc:
        outcomes[name] = exc
        return
    outcomes[name] = Trigger(
        outcome.sent,
        outcome.replied,
        outcome.path,
        outcome.retried,
        outcome.reconnected,
        outcome.scheduled,
        started=time.monotonic(),
    )
