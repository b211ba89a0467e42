"""`RigCamera`: one camera of the rig view, kept connected, its status polled, its picture decoded.

The rig's `Fleet` fires shots on the same `Camera`; this model only keeps the session up
(reconnecting after a drop, backing off while the camera is away), reads battery, card, mode
and recording time, and runs the live view while the camera is there. What a fleet action
did to this camera is shown through `report`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from yicam import (
    Battery,
    Camera,
    CameraConnectionError,
    CameraError,
    Disconnected,
    Event,
    NotConnectedError,
    Notification,
    Notify,
    Storage,
    YicamError,
)

from .jobs import Jobs
from .live_model import LiveImage, to_qimage
from .problems import clean_text, explain

__all__ = ["RigCamera", "TileState", "TileStatus"]

STATUS_INTERVAL = 3.0  # seconds between full status reads (settings, battery, card)
TICK = 1.0  # seconds between recording-time reads while recording
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)  # seconds before each connection attempt after a failure
LIVE_RETRY = 3.0  # seconds before the live view is started again after it stopped
_MODES = {"capture": "Photo mode", "record": "Video mode"}
_REFRESH_ON = frozenset(
    {
        Notify.BATTERY,
        Notify.ADAPTER_STATUS,
        Notify.SD_CARD_STATUS,
        Notify.PHOTO_TAKEN,
        Notify.START_VIDEO_RECORD,
        Notify.VIDEO_RECORD_COMPLETE,
        Notify.SETTING_CHANGED,
        Notify.CARD_REMOVED,
    }
)


class TileState(StrEnum):
    """Where the camera's connection stands."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    AWAY = "away"  # could not connect, or dropped: trying again


@dataclass(frozen=True, slots=True)
class TileStatus:
    """What a tile shows besides the picture."""

    state: TileState = TileState.CONNECTING
    model: str = ""
    battery: Battery | None = None
    storage: Storage | None = None
    card_problem: str = ""  # why there is no card figure
    mode: str = ""  # "Photo mode", "Video mode"
    recording: bool = False
    record_seconds: int | None = None
    connection: str = ""  # why the camera is away
    problem: str = ""  # the last action that failed on this camera, and why
    detail: str = ""  # the library's own words about that failure
    note: str = ""  # the last action's outcome, or a download's progress
    live: str = ""  # why there is no picture


class RigCamera(QObject):
    """One camera of the rig; `start()` connects it and keeps it connected until `aclose()`."""

    statusChanged = Signal(object)  # TileStatus
    frameReady = Signal(object)  # LiveImage
    statsChanged = Signal(object)  # yicam.live.LiveStats

    def __init__(
        self, name: str, camera: Camera, *, live: bool = True, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.camera = camera
        at = camera.settings
        self.address = at.host if at.port == 7878 else f"{at.host}:{at.port}"
        self.status = TileStatus()
        self.frames = 0  # frames decoded so far
        self._live_on = live
        # Held while this model connects the camera; the rig holds every camera's during a
        # fleet action, which reconnects what dropped itself: one session, one opener at a time.
        self.connecting = asyncio.Lock()
        self._jobs = Jobs()
        self._dropped = asyncio.Event()
        self._wake = asyncio.Event()  # a status read is wanted now
        self._unsubscribe: Any = None
        self._marks = 0

    @property
    def connected(self) -> bool:
        """True while the camera's session is up."""
        return self.status.state == TileState.CONNECTED

    def start(self) -> None:
        """Connect, and keep connecting after every drop."""
        self._unsubscribe = self.camera.subscribe(self._on_event)
        self._jobs.spawn(self._keep(), name=f"yicam-rig-{self.name}")

    def report(
        self, *, problem: str | None = None, detail: str = "", note: str | None = None
    ) -> None:
        """Show what an action did on this camera (None: leave that line as it is); `detail`
        says more about the problem."""
        changes: dict[str, str] = {}
        if problem is not None:
            changes["problem"] = problem
            changes["detail"] = detail
        if note is not None:
            changes["note"] = note
        self._update(**changes)

    def mark_recording(self, recording: bool) -> None:
        """A fleet shot started or stopped this camera's recording."""
        self._marks += 1  # a status read already under way must not undo this
        self._update(recording=recording, record_seconds=0 if recording else None)

    def refresh(self) -> None:
        """Read the status again now."""
        self._wake.set()

    async def aclose(self) -> None:
        """Stop keeping the camera; the rig closes its session."""
        await self._jobs.cancel_all()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- jobs ------------------------------------------------------------------------------

    async def _keep(self) -> None:
        failures = 0
        while True:
            async with self.connecting:
                error: YicamError | None = None
                if not self.camera.connected:
                    try:
                        await self.camera.connect()
                    except NotConnectedError:
                        pass  # closed meanwhile: try again below
                    except YicamError as exc:
                        error = exc
            if error is not None:
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                why = explain(error, self.address, connecting=True).title
                self._update(
                    state=TileState.AWAY, connection=f"{why}: trying again in {delay:.0f} s"
                )
                await asyncio.sleep(delay)
            elif self.camera.connected:
                failures = 0
                await self._while_connected()
            else:  # closed while connecting (the fleet reconnects it): look again shortly
                await asyncio.sleep(0.2)

    async def _while_connected(self) -> None:
        self._dropped.clear()
        self._update(state=TileState.CONNECTED, connection="")
        tasks = [self._jobs.spawn(self._poll())]
        if self._live_on:
            tasks.append(self._jobs.spawn(self._live()))
        try:
            await self._dropped.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # Jobs reports a bug

    async def _poll(self) -> None:
        cam = self.camera
        last_full = -STATUS_INTERVAL
        loop = asyncio.get_running_loop()
        while True:
            try:
                if self._wake.is_set() or loop.time() - last_full >= STATUS_INTERVAL:
                    self._wake.clear()
                    last_full = loop.time()
                    await self._read_status(cam)
                if self.status.recording:  # as the last status read or fleet shot said
                    self._update(record_seconds=await cam.record_time())
            except CameraConnectionError as exc:
                if not cam.connected:
                    return  # the drop ends this; Disconnected says why
                self._update(connection=f"Not responding: {explain(exc, self.address).title}")
            except CameraError:
                pass  # record time refused between the stop and its notification
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(TICK):
                    await self._wake.wait()

    async def _read_status(self, cam: Camera) -> None:
        marks = self._marks
        try:
            state = await cam.refresh()
        except CameraError as exc:  # settings or battery refused: keep the last figures
            self._update(connection=f"Status not readable: {explain(exc).title}")
            return
        settings = state.settings
        card_problem = ""
        if state.storage is None:
            card_problem = "No card" if state.card == "remove" else "Card missing or busy"
        self._update(
            connection="",
            model=clean_text(cam.model_name, 40),  # known once the settings were read
            battery=state.battery,
            storage=state.storage,
            card_problem=card_problem,
            mode=_MODES.get(settings.get("system_mode", ""), ""),
        )
        if marks == self._marks:
            seconds = self.status.record_seconds if state.recording else None
            self._update(recording=state.recording, record_seconds=seconds)

    async def _live(self) -> None:
        while True:
            try:
                self._update(live="Starting the live view…")
                async with self.camera.live_view() as live:
                    self._update(live="")
                    stats = asyncio.get_running_loop().create_task(self._stats(live))
                    try:
                        async for frame in live.frames():
                            self.frames += 1
                            self.frameReady.emit(LiveImage(to_qimage(frame), frame))
                    finally:
                        stats.cancel()
                why = "the stream ended"
            except YicamError as exc:
                why = explain(exc, self.address).hint
            self._update(live=clean_text(f"No live view: {why}", 200, single_line=True))
            await asyncio.sleep(LIVE_RETRY)

    async def _stats(self, live: Any) -> None:
        while True:
            self.statsChanged.emit(live.stats())
            await asyncio.sleep(0.5)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Disconnected):
            if event.error is not None:
                why = explain(event.error, self.address).title
                self._update(state=TileState.AWAY, connection=f"{why}: reconnecting…")
            else:
                self._update(state=TileState.AWAY, connection="Reconnecting…")
            self._dropped.set()
        elif isinstance(event, Notification) and event.type in _REFRESH_ON:
            self._wake.set()

    def _update(self, **changes: Any) -> None:
        status = replace(self.status, **changes)
        if status != self.status:
            self.status = status
            self.statusChanged.emit(status)
