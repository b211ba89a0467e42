"""`CaptureModel`: photo and video on the camera, with the camera's own recording time."""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import QObject, Signal

from yicam import Camera, Event, Notification, Notify, YicamError

from .jobs import Jobs
from .problems import explain
from .session_model import SessionModel

__all__ = ["CaptureModel"]

ELAPSED_INTERVAL = 1.0  # seconds between record-time polls while recording


class CaptureModel(QObject):
    """Take photos, start and stop recording; `busy` while the camera works on one."""

    busyChanged = Signal(bool)
    recordingChanged = Signal(bool)
    elapsedChanged = Signal(int)  # seconds recorded, as the camera counts them
    photoTaken = Signal(str)  # camera path
    videoRecorded = Signal(str)  # camera path
    failed = Signal(object)  # Problem

    def __init__(self, session: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._cam: Camera | None = None
        self._jobs = Jobs()
        self._busy = False
        self._recording = False
        self._elapsed: asyncio.Task[None] | None = None
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
            self._set_busy(True)  # now, so that a second click cannot start another
            self._jobs.spawn(self._photo(self._cam))

    def toggle_recording(self) -> None:
        """Start recording, or stop it when recording."""
        if self._cam is not None and not self._busy:
            self._set_busy(True)
            self._jobs.spawn(self._toggle(self._cam))

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
