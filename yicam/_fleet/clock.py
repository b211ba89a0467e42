"""Fleet clock alignment: every camera's clock written at the same whole second.

Each camera's clock is read a few times to measure its round trip and its offset. Then a
whole second T is chosen far enough ahead, and each camera is sent "T" half its round trip
before T, so that the write lands on every camera at T: file times then line up to well
under a second, where writing the clocks one after another drifts by round trips and by
the part of the second that `datetime.now()` truncates.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from .._camera import Camera
from .fleet_results import ClockSync

__all__ = ["align_clocks"]

SAMPLES = 3
LEAD = 0.3  # seconds between the last measurement and the earliest write
_CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"


async def align_clocks(cameras: Mapping[str, Camera]) -> dict[str, ClockSync | Exception]:
    """Set every camera's clock to this computer's local time, all at the same instant."""
    names = list(cameras)
    measured = await asyncio.gather(*(_measure(cameras[n]) for n in names), return_exceptions=True)
    outcomes: dict[str, ClockSync | Exception] = {}
    ready: dict[str, tuple[float, float]] = {}
    for name, result in zip(names, measured, strict=True):
        if isinstance(result, BaseException):
            outcomes[name] = result if isinstance(result, Exception) else RuntimeError(result)
        else:
            ready[name] = result
    if ready:
        slowest = max(rtt for rtt, _ in ready.values())
        target = float(int(time.time() + LEAD + slowest / 2) + 1)  # a whole second, ahead
        set_to = datetime.fromtimestamp(target)
        written = await asyncio.gather(
            *(_write_at(cameras[n], set_to, target, ready[n][0]) for n in ready),
            return_exceptions=True,
        )
        for name, done in zip(ready, written, strict=True):
            if isinstance(done, BaseException):
                outcomes[name] = done if isinstance(done, Exception) else RuntimeError(done)
            else:
                rtt, offset = ready[name]
                outcomes[name] = ClockSync(offset_before=offset, set_to=set_to, round_trip=rtt)
    return {name: outcomes[name] for name in names}


async def _measure(cam: Camera) -> tuple[float, float]:
    """The shortest round trip of a clock read, and the clock's offset from ours (seconds)."""
    best: tuple[float, float] | None = None
    for _ in range(SAMPLES):
        start = time.monotonic()
        reading = await cam.get_setting("camera_clock")
        rtt = time.monotonic() - start
        middle = datetime.now() - timedelta(seconds=rtt / 2)
        try:
            camera_time = datetime.strptime(reading, _CLOCK_FORMAT)
        except ValueError:
            raise ValueError(f"camera clock reads {reading!r}, not a date") from None
        # The camera shows whole seconds: its clock is on average half a second later.
        offset = (camera_time - middle).total_seconds() + 0.5
        if best is None or rtt < best[0]:
            best = (rtt, offset)
    assert best is not None
    return best


async def _write_at(cam: Camera, set_to: datetime, target: float, rtt: float) -> None:
    """Send `set_to` so that it reaches the camera at `target` (a `time.time()` instant)."""
    await asyncio.sleep(max(0.0, target - rtt / 2 - time.time()))
    await cam.sync_clock(set_to)
