"""`CaptureModel`: photo and video on the camera, with the camera's own recording time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from yicam import Camera, Event, Notification, Notify, YicamError

from .jobs import Jobs
from .problems import explain
from .session_model import SessionModel

__all__ = ["CaptureModel"]

ELAPSED_INTERVAL = 1.0  # seconds between record-time polls while recording
SHOW_WAIT_AFTER = 1.0  # seconds before an action in flight says what it waits for


class CaptureModel(QObject):
    """Take photos, start and stop recording; `busy` while the camera works on one."""

    busyChanged = Signal(bool)
    recordingChanged = Signal(bool)
    elapsedChanged = Signal(int)  # seconds recorded, as the camera counts them
    photoTaken = Signal(str)  # camera path
    videoRecorded = Signal(str)  # camera path
    failed = Signal(object)  # Problem
    waiting = Signal(str)  # what the action in flight waits for ("" when nothing to say)
    cancelled = Signal(str)  # what was cancelled, in words

    def __init__(self, session: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._cam: Camera | None = None
        self._jobs = Jobs()
        self._busy = False
        self._recording = False
        self._elapsed: asyncio.Task[None] | None = None
        self._action: asyncio.Task[None] | None = None
        self._doing = ""  # "Taking a photo", ...
        self._since = 0.0
        self._wait_timer = QTimer(self)
        self._wait_timer.timeout.connect(self._tell_wait)
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        session.cameraEvent.connect(self._on_event)

    @property
    def available(self) -> bool:
        """True when a camera is connected."""
        return self._cam is not None

    @property
    def busy(self) -> bool:
        """True while a photo is being taken or recording starts or stops."""
        return self._busy

    @property
    def recording(self) -> bool:
        """True while the camera records."""
        return self._recording

    def take_photo(self) -> None:
        """Take a photo."""
        if self._cam is not None and not self._busy and not self._recording:
            self._start("Taking a photo", self._photo(self._cam))

    def toggle_recording(self) -> None:
        """Start recording, or stop it when recording."""
        if self._cam is not None and not self._busy:
            doing = "Stopping the recording" if self._recording else "Starting to record"
            self._start(doing, self._toggle(self._cam))

    def cancel(self) -> None:
        """Stop waiting for the action in flight (the camera may still carry it out)."""
        if self._action is not None and not self._action.done():
            self._action.cancel()
            self._wait_timer.stop()  # nothing is waited for any more
            self.cancelled.emit(f"{self._doing}: cancelled (the camera may still do it)")

    def _start(self, doing: str, job: Coroutine[Any, Any, None]) -> None:
        self._set_busy(True)  # now, so that a second click cannot start another
        self._doing, self._since = doing, time.monotonic()
        self._action = self._jobs.spawn(job)
        self._wait_timer.start(250)

    def _tell_wait(self) -> None:
        waited = time.monotonic() - self._since
        if not self._busy:
            self._wait_timer.stop()
            self.waiting.emit("")
        elif waited >= SHOW_WAIT_AFTER:
            cam = self._cam
            if cam is not None and cam.unanswered_for > SHOW_WAIT_AFTER / 2:
                what = "the camera has not answered"
            elif self._doing == "Taking a photo":
                what = "waiting for the camera to save the photo"
            else:
                what = "waiting for the camera"
            self.waiting.emit(f"{self._doing}: {what} ({waited:.0f} s)")

    async def aclose(self) -> None:
        """Stop every job."""
        await self._jobs.cancel_all()

    async def _photo(self, cam: Camera) -> None:
        try:
            path = await cam.take_photo()
        except YicamError as exc:
            self.failed.emit(explain(exc, cam.host))
            return
        finally:
            self._set_busy(False)
        self.photoTaken.emit(path)

    async def _toggle(self, cam: Camera) -> None:
        try:
            if self._recording:
                path = await cam.stop_recording()
                self._set_recording(False)
                self.videoRecorded.emit(path)
            else:
                await cam.start_recording()
                self._set_recording(True)
        except YicamError as exc:
            self.failed.emit(explain(exc, cam.host))
        finally:
            self._set_busy(False)

    async def _poll_elapsed(self, cam: Camera) -> None:
        while self._recording:
            try:
                seconds = await cam.record_time()
            except YicamError:
                return
            self.elapsedChanged.emit(seconds)
            self._session.set_recording(True, seconds)
            await asyncio.sleep(ELAPSED_INTERVAL)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            if not busy:
                self._wait_timer.stop()
                self.waiting.emit("")
            self.busyChanged.emit(busy)

    def _set_recording(self, recording: bool) -> None:
        if recording == self._recording:
            return
        self._recording = recording
        self.recordingChanged.emit(recording)
        self._session.set_recording(recording, 0 if recording else None)
        if self._elapsed is not None:
            self._elapsed.cancel()
            self._elapsed = None
        if recording and self._cam is not None:
            self.elapsedChanged.emit(0)
            self._elapsed = self._jobs.spawn(self._poll_elapsed(self._cam))

    def _on_camera(self, cam: Camera) -> None:
        self._cam = cam
        self._jobs.spawn(self._check_recording(cam))

    async def _check_recording(self, cam: Camera) -> None:
        with contextlib.suppress(YicamError):
            if await cam.get_setting("app_status") == "record":
                self._set_recording(True)

    def _on_gone(self) -> None:
        self._cam = None
        self._set_recording(False)
        self._set_busy(False)

    def _on_event(self, event: Event) -> None:
        # The camera's own shutter button starts and stops recording too.
        if isinstance(event, Notification):
            if event.type == Notify.START_VIDEO_RECORD:
                self._set_recording(True)
            elif event.type == Notify.VIDEO_RECORD_COMPLETE and not self._busy:
                self._set_recording(False)
