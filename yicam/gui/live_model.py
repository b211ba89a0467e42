"""`LiveModel`: the camera's live view as QImages, its statistics, snapshots and MP4 clips.

A clip records the stream on the PC from Record to Stop (`LiveView.start_recording`); if the live
view stops first, the clip ends there and keeps what was recorded.

`LiveView` decodes in its own thread and hands frames to the loop, skipping old ones when the
consumer is slow; this model wraps each frame's pixels in a `QImage` without copying them.
The widget paints only the newest frame, so nothing queues up behind a slow paint.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from yicam import Camera, YicamError, cancel_and_wait

from .agent_link import missing
from .jobs import Jobs
from .prefs import Prefs
from .problems import explain
from .session_model import SessionModel

if TYPE_CHECKING:
    from yicam.live import LiveFrame, LiveRecording, LiveView

__all__ = ["LiveImage", "LiveModel"]

STATS_INTERVAL = 0.5  # seconds between overlay updates
CLIP_TICK = 0.25  # seconds between clip-length updates


@dataclass(frozen=True, slots=True)
class LiveImage:
    """A frame ready to paint; `image` shares `frame.image`'s pixels, so keep both together."""

    image: QImage
    frame: LiveFrame


def to_qimage(frame: LiveFrame) -> QImage:
    """The frame's pixels as a QImage of its own, in the format Qt paints fastest.

    Converting to RGB32 once (0.06 ms at 432x240) makes each scaled paint about 4x faster
    than painting the RGB888 frame, which Qt converts on every draw.
    """
    pixels = frame.image
    if not pixels.flags["C_CONTIGUOUS"]:  # rows padded by the decoder (widths such as 216)
        pixels = numpy.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_RGB888)
    return image.convertToFormat(QImage.Format.Format_RGB32)


class LiveModel(QObject):
    """Start and stop the live view; frames, stats and messages come as signals."""

    frameReady = Signal(object)  # LiveImage
    runningChanged = Signal(bool)
    statsChanged = Signal(object)  # yicam.live.LiveStats
    recordingChanged = Signal(bool)
    clipElapsed = Signal(float)  # seconds of video in the clip being recorded
    message = Signal(str)
    viewChanged = Signal(object)  # the open LiveView, or None once it ended (or did not start)

    def __init__(self, session: SessionModel, prefs: Prefs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self._cam: Camera | None = None
        self._jobs = Jobs()
        self._task: asyncio.Task[None] | None = None
        self._live: LiveView | None = None
        self._running = False
        self._clip: LiveRecording | None = None
        self._resume = False  # the camera went away while the live view ran: start it again
        self._last_cam: Camera | None = None  # a reconnect brings the same Camera back
        self._back_after = False  # paused for a camera-wide action: start on the next connect
        self._stopping = False  # stop() asked: the errors of winding down are no news
        self.unavailable = ""  # why the connected camera has no live view (through an agent)
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)

    @property
    def available(self) -> bool:
        """True when a camera is connected."""
        return self._cam is not None

    @property
    def running(self) -> bool:
        """True while frames come in."""
        return self._running

    @property
    def view(self) -> LiveView | None:
        """The open live view, which other outputs (serve, restream) may listen to."""
        return self._live

    @property
    def clip_recording(self) -> bool:
        """True while a clip is being written."""
        return self._clip is not None

    def start(self) -> None:
        """Start the live view."""
        if self._cam is not None and self._task is None:
            self._stopping = False
            self._task = self._jobs.spawn(self._run(self._cam), name="yicam-gui-live")

    def stop(self) -> None:
        """Stop the live view (and the viewfinder)."""
        self._resume = False
        if self._task is not None:
            self._stopping = True
            self._task.cancel()

    def toggle(self) -> None:
        """Start when stopped, stop when running."""
        if self._task is None:
            self.start()
        else:
            self.stop()

    def snapshot(self) -> None:
        """Save the next frame as a JPEG in the download folder."""
        if self._live is not None:
            self._jobs.spawn(self._snapshot(self._live))

    def toggle_clip(self) -> None:
        """Start recording the stream to an MP4 in the download folder, or stop and save it."""
        if self._clip is not None:
            self._jobs.spawn(self._stop_clip(self._clip))
        elif self._live is not None:
            self._jobs.spawn(self._record(self._live))

    @contextlib.asynccontextmanager
    async def paused(self, *, until_reconnect: bool = False) -> AsyncIterator[None]:
        """Stop the live view (and the viewfinder) around a camera-wide action, which a Yi 1
        refuses while it streams, and bring it back after: at once, or once the camera is
        connected again (`until_reconnect`, for a reboot)."""
        task = self._task
        was_running = task is not None or self._resume
        self.stop()
        if task is not None:
            await asyncio.wait({task})
        try:
            yield
        finally:
            if was_running:
                if until_reconnect or self._cam is None:
                    self._back_after = True
                else:
                    self.start()

    async def aclose(self) -> None:
        """Stop the live view and every job."""
        await self._jobs.cancel_all()

    # -- jobs ------------------------------------------------------------------------------

    async def _run(self, cam: Camera) -> None:
        stats: asyncio.Task[None] | None = None
        try:
            self.message.emit("Starting the live view…")
            async with cam.live_view() as live:
                self._live = live
                self._set_running(True)
                self.viewChanged.emit(live)
                self.message.emit("")
                stats = asyncio.get_running_loop().create_task(self._poll_stats(live))
                async for frame in live.frames():
                    self.frameReady.emit(LiveImage(to_qimage(frame), frame))
        except YicamError as exc:
            # Stopping closes the view, whose viewfinder-off may fail on a dropped or closed
            # session: the connection's own messages say what happened.
            if not self._stopping:
                self.message.emit(f"Live view stopped: {explain(exc, cam.host).hint}")
        finally:
            await cancel_and_wait(stats)
            self._live = None
            self._task = None
            self._set_running(False)
            self.viewChanged.emit(None)

    async def _poll_stats(self, live: LiveView) -> None:
        while True:
            self.statsChanged.emit(live.stats())
            await asyncio.sleep(STATS_INTERVAL)

    async def _snapshot(self, live: LiveView) -> None:
        path = self._new_file("snapshot", ".jpg")
        try:
            frame = await live.snapshot(path)
        except (YicamError, OSError) as exc:
            self.message.emit(f"Snapshot failed: {exc}")
            return
        self.message.emit(f"Snapshot saved: {path} ({frame.width}x{frame.height})")

    async def _record(self, live: LiveView) -> None:
        path = self._new_file("clip", ".mp4")
        try:
            clip = live.start_recording(path)
        except (YicamError, RuntimeError) as exc:
            self.message.emit(f"Recording failed: {exc}")
            return
        self._set_clip(clip)
        self.message.emit(f"Recording to {path.name}…")
        ticker = asyncio.get_running_loop().create_task(self._tick(clip))
        try:
            recording = await clip.wait()
        except (YicamError, OSError, RuntimeError, av.FFmpegError) as exc:
            self.message.emit(f"Recording failed: {exc}")
            return
        finally:
            await cancel_and_wait(ticker)
            self._set_clip(None)
        self.message.emit(
            f"Clip saved: {path} ({recording.duration:.1f} s, {recording.frames} frames)"
        )

    async def _tick(self, clip: LiveRecording) -> None:
        while True:
            self.clipElapsed.emit(clip.elapsed)
            await asyncio.sleep(CLIP_TICK)

    async def _stop_clip(self, clip: LiveRecording) -> None:
        # `_record` reports the outcome, whoever ended the clip.
        with contextlib.suppress(YicamError, OSError, RuntimeError, av.FFmpegError):
            await clip.stop()

    def _new_file(self, stem: str, suffix: str) -> Path:
        folder = self._prefs.folder
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{stem}-{datetime.now():%Y%m%d-%H%M%S-%f}{suffix}"

    def _set_running(self, running: bool) -> None:
        if running != self._running:
            self._running = running
            self.runningChanged.emit(running)

    def _set_clip(self, clip: LiveRecording | None) -> None:
        if clip is not self._clip:
            self._clip = clip
            self.recordingChanged.emit(clip is not None)

    def _on_camera(self, cam: Camera) -> None:
        self.unavailable = missing(cam, "live_view")
        if self.unavailable:
            return
        self._cam = cam
        fresh, self._last_cam = cam is not self._last_cam, cam
        if self._resume or self._back_after or (fresh and self._prefs.live_on_connect):
            self._resume = self._back_after = False
            self.start()

    def _on_gone(self) -> None:
        self._cam = None
        self.unavailable = ""
        running = self._task is not None
        self.stop()
        self._resume = running
