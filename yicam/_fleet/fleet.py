"""`Fleet`: several cameras driven together; one camera's failure never stops the others.

```python
async with Fleet(["left", "right", "192.168.1.53"]) as fleet:  # names or hosts
    shot = await fleet.start_recording()  # every request written in one pass
    print(shot.summary(), f"spread {shot.send_spread * 1000:.2f} ms")
```

Every operation returns a `FleetResult` (a `ShotReport` for shots): per camera a value or
the exception, in fleet order, with `ok`, `failed` and `summary()`. A camera that dropped is
reconnected before the next operation (and right after a shot it missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from .._camera import Camera
from .._jobs.profiles import Profile, ProfileReport
from .._transfers.download import Progress
from .._transfers.media import MediaItem
from .._transfers.sync import SyncReport
from .._wire.ids import MsgId, Notify
from .clock import align_clocks
from .config import CameraConfig, load_cameras
from .fleet_results import (
    CameraResult,
    CameraStatus,
    ClockSync,
    FleetResult,
    ShotReport,
    Trigger,
)
from .schedule import check_start_time, start_at
from .trigger import fire

__all__ = ["CameraSpec", "Fleet", "camera_folder"]

T = TypeVar("T")
CameraSpec = Camera | CameraConfig | str  # str: a named camera, or HOST / HOST:PORT
_UNSAFE_FOLDER = re.compile(r"[^A-Za-z0-9._-]")


class Fleet:
    """Several cameras: `async with Fleet([...]) as fleet:` connects them all concurrently.

    Raises `ValueError` for no cameras, a spec that is neither a named camera nor HOST or
    HOST:PORT, or two specs for one camera; `ConfigError` when the file of named cameras
    cannot be read.
    """

    def __init__(
        self,
        cameras: Iterable[CameraSpec] | Mapping[str, CameraSpec],
        *,
        config: Path | None = None,
    ) -> None:
        items = cameras.items() if isinstance(cameras, Mapping) else [(None, c) for c in cameras]
        named = load_cameras(config) if any(isinstance(c, str) for _, c in items) else {}
        self._cameras: dict[str, Camera] = {}
        seen: dict[tuple[str, int, str | None], str] = {}
        for name, spec in items:
            camera, default_name = _camera(spec, named)
            name = _unique(name or default_name, self._cameras)
            # One camera has one session: a second would take it over. The same address
            # through another interface is another camera (each its own access point).
            where = (camera.host, camera.settings.port, camera.settings.interface)
            if where in seen:
                raise ValueError(f"{name} and {seen[where]} are the same camera ({where[0]})")
            seen[where] = name
            self._cameras[name] = camera
        if not self._cameras:
            raise ValueError("a fleet needs at least one camera")

    @property
    def names(self) -> tuple[str, ...]:
        """The cameras' names, in fleet order."""
        return tuple(self._cameras)

    @property
    def cameras(self) -> dict[str, Camera]:
        """The cameras by name."""
        return dict(self._cameras)

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> FleetResult[None]:
        """Connect every camera concurrently; returns a `FleetResult`: which could not connect."""

        async def connect(name: str) -> None:
            if not self._cameras[name].connected:
                await self._reconnect(name)

        return await self._gather(connect)

    async def close(self) -> None:
        """End every session; errors while closing are ignored, so it raises nothing."""
        await asyncio.gather(*(c.close() for c in self._cameras.values()), return_exceptions=True)

    # -- shots -----------------------------------------------------------------------------

    async def take_photo(self) -> ShotReport:
        """Every camera takes a photo at once; returns a `ShotReport` with the paths."""
        return await self._shot(MsgId.TAKE_PHOTO, Notify.PHOTO_TAKEN)

    async def start_recording(self, *, at: datetime | None = None) -> ShotReport:
        """Every camera starts recording at once (now, or at `at`); returns a `ShotReport`.

        With `at` (local time, at least `MIN_LEAD` = 3 s and less than a day ahead; a
        fraction of a second rounds up) the clocks are aligned first; a camera that can start
        itself at a clock time (Yi 4K) is told the time (`Trigger.scheduled`), the others
        are started by this computer at that moment; each result waits for the camera's
        `start_video_record` (`Trigger.started`). Raises `ValueError` for such an `at`.
        """
        if at is None:
            return await self._shot(MsgId.START_RECORD, None)
        at = check_start_time(at)
        before = await self.connect()
        live = {n: c for n, c in self._cameras.items() if before[n].ok}
        outcomes = await start_at(live, at) if live else {}
        return ShotReport(
            tuple(
                _result(n, outcomes[n]) if n in outcomes else _failed(n, before[n].error)
                for n in self._cameras
            )
        )

    async def stop_recording(self) -> ShotReport:
        """Every camera stops recording at once; returns a `ShotReport` with the videos' paths."""
        return await self._shot(MsgId.STOP_RECORD, Notify.VIDEO_RECORD_COMPLETE)

    # -- settings, clocks, status, files ---------------------------------------------------

    async def set_setting(self, name: str, value: str) -> FleetResult[None]:
        """Change a setting on every camera; returns a `FleetResult` per camera."""
        return await self.each(lambda _name, cam: cam.set_setting(name, value))

    async def apply_profile(self, profile: Profile) -> FleetResult[ProfileReport]:
        """Apply a settings profile to every camera; returns each camera's `ProfileReport`."""
        return await self.each(lambda _name, cam: profile.apply(cam))

    async def sync_clock(self) -> FleetResult[ClockSync]:
        """Set every camera's clock at the same whole second; returns the offsets before."""
        reconnect = await self.connect()
        live = {n: c for n, c in self._cameras.items() if reconnect[n].ok}
        outcomes: dict[str, ClockSync | Exception] = await align_clocks(live) if live else {}
        return FleetResult(
            tuple(
                _result(n, outcomes[n]) if n in outcomes else _failed(n, reconnect[n].error)
                for n in self._cameras
            )
        )

    async def status(self) -> FleetResult[CameraStatus]:
        """Returns the battery, card, recording and model of every camera."""
        return await self.each(lambda _name, cam: _status(cam))

    async def sync(
        self,
        dest: Path | str,
        *,
        delete_after: bool = False,
        progress: Callable[[str, MediaItem], Progress | None] | None = None,
    ) -> FleetResult[SyncReport]:
        """Download every camera's new media into `dest/<camera name>/`, concurrently.

        `progress(camera_name, item)` may return a per-file progress callback. Returns each
        camera's `SyncReport`.
        """
        root = Path(dest)

        async def sync_one(name: str, cam: Camera) -> SyncReport:
            folder = root / camera_folder(name)
            per_file = None if progress is None else (lambda item: progress(name, item))
            return await cam.sync(folder, delete_after=delete_after, progress=per_file)

        return await self.each(sync_one)

    async def each(self, job: Callable[[str, Camera], Awaitable[T]]) -> FleetResult[T]:
        """Run `job(name, camera)` on every camera concurrently (reconnecting dropped ones).

        Returns a `FleetResult` of the jobs' values. An exception `job` raises
        (any `Exception`) is in that camera's result.
        """

        async def run(name: str) -> T:
            if not self._cameras[name].connected:
                await self._reconnect(name)
            return await job(name, self._cameras[name])

        return await self._gather(run)

    # -- internals -------------------------------------------------------------------------

    async def _shot(self, msg_id: MsgId, then: Notify | None) -> ShotReport:
        down = {n for n, c in self._cameras.items() if not c.connected}
        before = await self.connect()
        live = {n: c for n, c in self._cameras.items() if before[n].ok}
        outcomes = await fire(live, msg_id, then=then) if live else {}
        for name, outcome in outcomes.items():
            if isinstance(outcome, Exception) and not self._cameras[name].connected:
                with contextlib.suppress(Exception):  # reported below; retried next time
                    await self._reconnect(name)
        results: list[CameraResult[Trigger]] = []
        for name in self._cameras:
            if name not in outcomes:
                results.append(_failed(name, before[name].error))
                continue
            outcome = outcomes[name]
            if isinstance(outcome, Trigger) and name in down:
                outcome = dataclasses.replace(outcome, reconnected=True)
            results.append(_result(name, outcome))
        return ShotReport(tuple(results))

    async def _gather(self, job: Callable[[str], Awaitable[T]]) -> FleetResult[T]:
        names = list(self._cameras)
        outcomes = await asyncio.gather(*(job(n) for n in names), return_exceptions=True)
        return FleetResult(tuple(_result(n, o) for n, o in zip(names, outcomes, strict=True)))

    async def _reconnect(self, name: str) -> None:
        """Open the camera's session again (after a drop, or a failed first connect)."""
        cam = self._cameras[name]
        with contextlib.suppress(Exception):
            await cam.close()
        await cam.connect()


def _camera(spec: CameraSpec, named: Mapping[str, CameraConfig]) -> tuple[Camera, str]:
    if isinstance(spec, Camera):
        at = spec.settings
        name = spec.host if at.port == 7878 else f"{spec.host}:{at.port}"
        return spec, name if at.interface is None else f"{name}%{at.interface}"
    if isinstance(spec, CameraConfig):
        return spec.camera(), spec.name
    if spec in named:
        return named[spec].camera(), spec
    host, sep, port = spec.rpartition(":")
    if sep and port.isdigit() and host and ":" not in host:
        return Camera(host, int(port)), spec
    if ":" in spec or not spec or spec.startswith("-"):
        raise ValueError(f"{spec!r} is neither a named camera nor HOST or HOST:PORT")
    return Camera(spec), spec


def _unique(name: str, taken: Mapping[str, Any]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def camera_folder(name: str) -> str:
    """The folder `Fleet.sync` uses for a camera: its name, made safe (no `:` for Windows)."""
    folder = _UNSAFE_FOLDER.sub("_", name).strip(".")
    return folder or "camera"


def _result(name: str, outcome: T | BaseException) -> CameraResult[T]:
    if isinstance(outcome, BaseException):
        if not isinstance(outcome, Exception):
            raise outcome  # cancellation and the like are not a camera's failure
        return CameraResult(name, error=outcome)
    return CameraResult(name, value=outcome)


def _failed(name: str, error: Exception | None) -> CameraResult[T]:
    return CameraResult(name, error=error or RuntimeError("not connected"))


async def _status(cam: Camera) -> CameraStatus:
    state = await cam.refresh()  # settings (model, recording), battery, storage
    storage = state.storage  # None without a card (or busy after a format)
    return CameraStatus(
        host=cam.host,
        connected=cam.connected,
        model=cam.model_name,
        battery=state.battery.level if state.battery else None,
        on_adapter=state.battery.on_adapter if state.battery else None,
        card_free=storage.free if storage else None,
        card_total=storage.total if storage else None,
        recording=state.recording,
    )
