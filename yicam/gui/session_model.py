"""`SessionModel`: the connection to one camera, its status, and its events as Qt signals."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from yicam import (
    Battery,
    Camera,
    CameraError,
    CameraTimeoutError,
    Disconnected,
    Event,
    Notification,
    Notify,
    Reconnected,
    Reconnecting,
    SessionRequested,
    Storage,
    YicamError,
)

from .agent_link import agent_of, camera_via_agent
from .jobs import Jobs
from .problems import Problem, clean_text, explain
from .target import Target, target_for

__all__ = ["CameraStatus", "ConnState", "SessionModel"]

STATUS_INTERVAL = 5.0  # seconds between battery/card polls while connected
LATE_AFTER = 2.0  # seconds a reply may take before the camera counts as not responding
STALL_BACKOFF = 20.0  # after a poll timed out: leave the library's own probe to judge the link
WATCH_INTERVAL_MS = 500
# Notifications after which battery or card figures are worth asking for again.
_REFRESH_ON = frozenset(
    {
        Notify.BATTERY,
        Notify.ADAPTER,
        Notify.ADAPTER_STATUS,
        Notify.BATTERY_STATUS,
        Notify.SD_CARD_STATUS,
        Notify.SDCARD_FORMAT_DONE,
        Notify.PHOTO_TAKEN,
        Notify.VIDEO_RECORD_COMPLETE,
        Notify.CARD_REMOVED,
    }
)


class ConnState(StrEnum):
    """Where the connection stands."""

    DISCONNECTED = "disconnected"  # never connected, or closed by the user
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # dropped; the library tries again, Reconnect is offered
    LOST = "lost"  # dropped for good; Reconnect is offered


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """What the status bar shows."""

    host: str = ""
    model: str = ""
    firmware: str = ""
    battery: Battery | None = None
    storage: Storage | None = None
    card_problem: str = ""  # why there is no storage figure
    recording: bool = False
    record_seconds: int | None = None
    via: str = ""  # the local agent serving the camera, when one owns it


class SessionModel(QObject):
    """Owns the `Camera`; every other view-model gets it from `cameraReady`."""

    stateChanged = Signal(str)  # a ConnState value
    statusChanged = Signal(object)  # CameraStatus
    problem = Signal(object)  # Problem
    problemCleared = Signal()
    cameraEvent = Signal(object)  # every library event (Notification, SessionRequested, ...)
    sessionRequested = Signal(str)  # text: another client asked for the session
    cameraReady = Signal(object)  # Camera: connected (again)
    cameraGone = Signal()  # disconnected, reconnecting or lost: stop using the camera
    titleChanged = Signal(str)
    reconnectAttempt = Signal(int)  # the library's automatic reconnect, attempt number
    unansweredChanged = Signal(float)  # seconds a request has waited past LATE_AFTER (0: fine)

    def __init__(self, target: Target, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.status = CameraStatus(host=target.host)
        self._state = ConnState.DISCONNECTED
        self._cam: Camera | None = None
        self._up = False  # between cameraReady and cameraGone
        self._unsubscribe: Any = None
        self._jobs = Jobs()
        self._poller: asyncio.Task[None] | None = None
        self._refresh = asyncio.Event()
        self._late = 0.0
        self._watch = QTimer(self)
        self._watch.timeout.connect(self._check_replies)

    # -- what the widgets read -------------------------------------------------------------

    @property
    def state(self) -> ConnState:
        """The connection state."""
        return self._state

    @property
    def unanswered_for(self) -> float:
        """Seconds the camera has left a request unanswered, once past `LATE_AFTER` (else 0)."""
        return self._late

    @property
    def camera(self) -> Camera | None:
        """The connected camera (for other view-models only; widgets never use it)."""
        return self._cam

    @property
    def title(self) -> str:
        """The window title: `yicam - Yi 1 (192.168.42.1)` once connected."""
        if self._state == ConnState.CONNECTED and self.status.model:
            return f"yicam - {self.status.model} ({self.target.host})"
        return "yicam"

    # -- slots -----------------------------------------------------------------------------

    def connect_to(self, host: str | None = None) -> None:
        """Connect to `host` (a named camera, HOST or HOST:PORT; default: the current target),
        closing any open session first."""
        if self._state == ConnState.CONNECTING:
            return
        if host:
            self.target = target_for(host, self.target)
        self._set_state(ConnState.CONNECTING)
        self._jobs.spawn(self._connect(), name="yicam-gui-connect")

    def disconnect_camera(self) -> None:
        """Close the session."""
        self._jobs.spawn(self._drop(ConnState.DISCONNECTED), name="yicam-gui-disconnect")

    def reconnect(self) -> None:
        """Connect again to the same camera."""
        self.connect_to()

    def refresh_status(self) -> None:
        """Ask the camera for battery and card figures now."""
        self._refresh.set()

    def set_recording(self, recording: bool, seconds: int | None = None) -> None:
        """The capture model reports recording state and time for the status bar."""
        self._set_status(replace(self.status, recording=recording, record_seconds=seconds))

    async def aclose(self) -> None:
        """Cancel everything and close the camera (the window is closing)."""
        await self._jobs.cancel_all()
        await self._drop(ConnState.DISCONNECTED)

    # -- jobs ------------------------------------------------------------------------------

    async def _connect(self) -> None:
        await self._drop(ConnState.CONNECTING)
        self.problemCleared.emit()
        self._set_status(CameraStatus(host=self.target.host))
        cam = await camera_via_agent(self.target) or self.target.camera()
        try:
            await cam.connect()
            info = await cam.device_info()
        except YicamError as exc:
            with contextlib.suppress(YicamError):
                await cam.close()
            self._set_state(ConnState.DISCONNECTED)
            self.problem.emit(explain(exc, self.target.host, connecting=True))
            return
        self._cam = cam
        self._unsubscribe = cam.subscribe(self._on_event)
        self._set_status(
            replace(
                self.status, model=clean_text(cam.model_name, 40),
                firmware=clean_text(info.firmware or "", 80), via=agent_of(cam),
            )
        )  # fmt: skip
        self._went_up(cam)

    def _went_up(self, cam: Camera) -> None:
        self.problemCleared.emit()
        self._up = True
        self.cameraReady.emit(cam)
        self._set_state(ConnState.CONNECTED)
        self._poller = asyncio.get_running_loop().create_task(self._poll_status(cam))
        self._watch.start(WATCH_INTERVAL_MS)

    def _went_down(self, state: ConnState) -> None:
        self._watch.stop()
        self._set_late(0.0)
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        if self._up:
            self._up = False
            self.cameraGone.emit()
        self._set_state(state)

    async def _drop(self, state: ConnState) -> None:
        cam, self._cam = self._cam, None
        self._went_down(state)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if cam is not None:
            with contextlib.suppress(YicamError, OSError):
                await cam.close()

    async def _poll_status(self, cam: Camera) -> None:
        while True:
            battery = self.status.battery
            storage = self.status.storage
            card_problem = ""
            try:
                battery = await cam.get_battery()
                try:
                    storage = await cam.get_storage()
                except CameraError as exc:
                    storage, card_problem = None, explain(exc).title
            except CameraTimeoutError:
                # Shown as "not responding" meanwhile; the library's heartbeat decides
                # whether the link is gone (it reconnects), so stay quiet for a while.
                await asyncio.sleep(STALL_BACKOFF)
                continue
            except YicamError:
                return  # the connection's own Disconnected event reports it
            self._set_status(
                replace(self.status, battery=battery, storage=storage, card_problem=card_problem)
            )
            self._refresh.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STATUS_INTERVAL):
                    await self._refresh.wait()

    def _on_event(self, event: Event) -> None:
        self.cameraEvent.emit(event)
        if isinstance(event, Disconnected):
            if event.error is None or self._cam is None:
                return  # our own close
            problem = replace(explain(event.error, self.target.host), reconnect=True)
            if event.reconnecting:
                self.problem.emit(replace(problem, hint=f"{problem.hint} Trying again…"))
                self._went_down(ConnState.RECONNECTING)
            else:
                self._jobs.spawn(self._lost(problem))
        elif isinstance(event, Reconnecting):
            self.reconnectAttempt.emit(event.attempt)
        elif isinstance(event, Reconnected):
            if self._cam is not None:
                self._went_up(self._cam)
        elif isinstance(event, SessionRequested):
            self.sessionRequested.emit(
                "Another device asked the camera for the session; yicam kept it."
                if event.kept
                else "Another device asked for the session; yicam handed it over."
            )
        elif isinstance(event, Notification) and event.type in _REFRESH_ON:
            self._refresh.set()

    async def _lost(self, problem: Problem) -> None:
        self.problem.emit(problem)
        await self._drop(ConnState.LOST)

    def _check_replies(self) -> None:
        cam = self._cam
        waited = cam.unanswered_for if cam is not None else 0.0
        self._set_late(waited if waited >= LATE_AFTER else 0.0)

    def _set_late(self, seconds: float) -> None:
        if seconds or self._late:
            self._late = seconds
            self.unansweredChanged.emit(seconds)

    def _set_state(self, state: ConnState) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(str(state))
            self.titleChanged.emit(self.title)

    def _set_status(self, status: CameraStatus) -> None:
        if status != self.status:
            self.status = status
            self.statusChanged.emit(status)
            self.titleChanged.emit(self.title)
