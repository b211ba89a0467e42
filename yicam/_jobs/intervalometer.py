"""An intervalometer: a photo (or a short clip) every N seconds, on a schedule that never drifts.

Shot n is due at start + n x `every`, whatever happened to the shots before it: a late shot
never shifts the rest. A shot whose due time comes while the previous one is still in progress
(a slow camera, a clip longer than expected) is skipped and reported, not stacked behind it;
so are shots whose whole slot passed while the computer was busy, and shots the camera refuses
as busy. The run stops cleanly when it is cancelled (Ctrl-C), `stop()`ped, or when the card's
free space falls under `min_free`; a clip being recorded is always stopped first. A shot
that fails (no `photo_taken` in time, or the session dropped and reconnects) is reported as
failed and the schedule goes on; without a session to come back to, the run stops. With a
`Tether`, each shot is downloaded (and, with `delete_after`, deleted) while the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from .._durations import parse_duration
from .._errors import (
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    InvalidOperationError,
    YicamError,
)
from .._session.session import ConnectionState
from .._tasks import cancel_and_wait

if TYPE_CHECKING:
    from .._camera import Camera
    from .tether import Tether

__all__ = ["Intervalometer", "Shot", "TimelapseReport"]

Mode = Literal["photo", "clip"]
ShotStatus = Literal["taken", "skipped", "failed"]
StopReason = Literal["done", "stopped", "cancelled", "card full", "error"]

DEFAULT_MIN_FREE = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Shot:
    """One scheduled shot; times are seconds after the start of the run."""

    index: int
    due: float  # exactly index x every
    status: ShotStatus
    started: float | None = None  # when the request went out (None when skipped)
    finished: float | None = None
    path: str | None = None
    reason: str | None = None  # why it was skipped or failed

    @property
    def late(self) -> float | None:
        """How long after its due time the shot started."""
        return None if self.started is None else self.started - self.due


@dataclass(frozen=True, slots=True)
class TimelapseReport:
    """What a run did, shot by shot, and why it ended."""

    every: float
    shots: tuple[Shot, ...]
    stopped: StopReason
    late_after: float  # a shot that started later than this after its due time is late
    error: str | None = None

    def count(self, status: ShotStatus) -> int:
        """Returns how many shots ended with `status`; raises nothing."""
        return sum(1 for s in self.shots if s.status == status)

    @property
    def late(self) -> int:
        """Shots taken more than `late_after` after their due time."""
        return sum(1 for s in self.shots if s.late is not None and s.late > self.late_after)

    @property
    def worst_late(self) -> float:
        """The largest lateness of a shot that was taken (0 when none)."""
        return max((s.late for s in self.shots if s.late is not None), default=0.0)


class Intervalometer:
    """`await Intervalometer(cam, every=10, count=360).run()`; see the module docstring.

    `every` and `clip_seconds` are seconds or durations such as "10s"; `until` is a wall-clock
    `datetime` or a `timedelta` from the start (the shots due before it are taken). Raises
    `ValueError` for an interval, count, mode or clip length that cannot work, or unless
    exactly one of `count` and `until` is given.
    """

    def __init__(
        self,
        cam: Camera,
        *,
        every: float | str,
        count: int | None = None,
        until: datetime | timedelta | None = None,
        mode: Mode = "photo",
        clip_seconds: float | str | None = None,
        min_free: int = DEFAULT_MIN_FREE,
        tether: Tether | None = None,
        on_shot: Callable[[Shot], None] | None = None,
        late_after: float | None = None,
    ) -> None:
        self.cam = cam
        self.every = parse_duration(every) if isinstance(every, str) else float(every)
        if not self.every > 0:
            raise ValueError("the interval must be longer than zero")
        if (count is None) == (until is None):
            raise ValueError("give either count or until")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if mode not in ("photo", "clip"):
            raise ValueError(f"mode must be 'photo' or 'clip', not {mode!r}")
        clip = parse_duration(clip_seconds) if isinstance(clip_seconds, str) else clip_seconds
        if mode == "clip" and (clip is None or not 0 < clip < self.every):
            raise ValueError("a clip needs clip_seconds, longer than zero and shorter than every")
        self.count = count
        self.until = until
        self.mode: Mode = mode
        self.clip_seconds = float(clip or 0.0)
        self.min_free = min_free
        self.tether = tether
        self.on_shot = on_shot
        self.late_after = late_after if late_after is not None else min(1.0, self.every / 4)
        self.shots: list[Shot] = []
        self.report: TimelapseReport | None = None  # set when the run ends
        self.card_free: int | None = None  # bytes, after the last check
        self.total: int | None = count  # shots planned (known once the run starts)
        self._start: float | None = None
        self._next: int = 0  # index of the next shot due
        self._stop = asyncio.Event()
        self._shooting: asyncio.Task[None] | None = None
        self._current: int | None = None  # the shot in progress

    @property
    def next_in(self) -> float | None:
        """Seconds until the next shot is due (None before the start or after the end)."""
        if self._start is None or self.total is None or self._next >= self.total:
            return None
        due = self._start + self._next * self.every
        return max(0.0, due - asyncio.get_running_loop().time())

    def stop(self) -> None:
        """Take no more shots; `run()` returns once the shot in progress is done."""
        self._stop.set()

    async def run(self) -> TimelapseReport:
        """Take the shots; returns the report (when cancelled, sets `report` and re-raises).

        A camera error (any `YicamError`) ends the run: the report says why (`stopped` "error")
        instead of raising. Only `asyncio.CancelledError` propagates.
        """
        stopped: StopReason = "done"
        error: str | None = None
        own_tether = self.tether is not None and not self.tether.running
        try:
            await self._check_card()
            if self.tether is not None:
                await self.tether.start()
            stopped = await self._schedule()
            await self._finish_shot()
            if self.tether is not None:
                await self.tether.drain()
        except asyncio.CancelledError:
            await self._finish_shot(cancel=True)
            self.report = self._report("cancelled", None)
            await self._cleanup(own_tether)
            raise
        except YicamError as exc:
            await self._finish_shot(cancel=True)
            stopped, error = "error", str(exc)
        await self._cleanup(own_tether)
        self.report = self._report(stopped, error)
        return self.report

    async def _schedule(self) -> StopReason:
        """Start each shot at its due time; returns why the schedule ended."""
        loop = asyncio.get_running_loop()
        self._start = start = loop.time()
        self.total = total = self._planned()
        while self._next < total:
            n = self._next
            if await self._wait_until(start + n * self.every):
                return "stopped"
            missed = int((loop.time() - start) // self.every)
            while n < min(missed, total) and not self._stop.is_set():  # their slot has passed
                self._record(Shot(n, n * self.every, "skipped", reason="missed its slot"))
                n += 1
            self._next = n
            if self._stop.is_set():
                return "stopped"
            if n >= total:
                break
            if self.card_free is not None and self.card_free < self.min_free:
                return "card full"
            self._next = n + 1
            if self._shooting is not None and not self._shooting.done():
                reason = f"shot {self._current} still in progress"
                self._record(Shot(n, n * self.every, "skipped", reason=reason))
                continue
            self._current = n
            self._shooting = asyncio.create_task(self._shoot(n, start))
        return "done"

    def _planned(self) -> int:
        if self.count is not None:
            return self.count
        assert self.until is not None
        if isinstance(self.until, timedelta):
            seconds = self.until.total_seconds()
        else:
            now = datetime.now(self.until.tzinfo)
            seconds = (self.until - now).total_seconds()
        return max(0, math.ceil(seconds / self.every - 1e-9))

    async def _wait_until(self, when: float) -> bool:
        """Sleep until loop time `when`; True when `stop()` was called meanwhile."""
        delay = when - asyncio.get_running_loop().time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop.wait()
        return self._stop.is_set()

    async def _shoot(self, n: int, start: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time() - start
        try:
            if self.mode == "photo":
                path = await self.cam.take_photo()
            else:
                path = await self._clip()
        except (CameraBusyError, InvalidOperationError) as exc:
            reason = f"camera busy: {exc}"
            self._record(Shot(n, n * self.every, "skipped", reason=reason))
        except (CameraError, CameraConnectionError) as exc:
            if isinstance(exc, CameraConnectionError) and not self._may_come_back():
                raise  # the camera is gone: the run stops with this error
            # A timeout, or a drop the session reconnects from: the schedule goes on.
            self._record(Shot(n, n * self.every, "failed", started, loop.time() - start,
                              reason=str(exc)))  # fmt: skip
        else:
            finished = loop.time() - start
            self._record(Shot(n, n * self.every, "taken", started, finished, path))
        await self._check_card()

    async def _clip(self) -> str:
        await self.cam.start_recording()
        await asyncio.sleep(self.clip_seconds)  # cancelled: `_cleanup` stops the recording
        return await self.cam.stop_recording()

    async def _check_card(self) -> None:
        with contextlib.suppress(CameraError, CameraConnectionError):
            self.card_free = (await self.cam.get_storage()).free

    def _may_come_back(self) -> bool:
        return self.cam.connected or self.cam.connection_state is ConnectionState.RECONNECTING

    async def _finish_shot(self, *, cancel: bool = False) -> None:
        shooting, self._shooting = self._shooting, None
        if shooting is None:
            return
        if cancel:
            await cancel_and_wait(shooting)
        else:
            await shooting

    async def _cleanup(self, own_tether: bool) -> None:
        """Leave the camera as it was (never recording after the run); close our tether."""
        if self.mode == "clip" and self.cam.connected:
            with contextlib.suppress(YicamError, TimeoutError):
                if await self.cam.get_setting("app_status") == "record":
                    await self.cam.stop_recording()
        if own_tether and self.tether is not None:
            await self.tether.close()

    def _record(self, shot: Shot) -> None:
        self.shots.append(shot)
        if self.on_shot is not None:
            self.on_shot(shot)

    def _report(self, stopped: StopReason, error: str | None) -> TimelapseReport:
        shots = tuple(sorted(self.shots, key=lambda s: s.index))
        return TimelapseReport(self.every, shots, stopped, self.late_after, error)
