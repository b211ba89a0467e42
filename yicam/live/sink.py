"""Where a decoding engine puts its results: frames, counts and recording packets.

The engines run in the live view's decoding thread; `Sink` converts frames there (RGB, capture
time) and hands everything else to the event loop's thread. The conversion reuses one
single-threaded scaler: `frame.to_ndarray(format="rgb24")` would set up a new one for every
frame, which starts (and ends) one thread per core each time.

The capture time comes from the packet's SEI, not from the decoded frame's side data: reading
`frame.side_data` ties the frame and PyAV's side-data container in a reference cycle, so each
frame (and its decoder buffer) lived until the next cyclic garbage collection, and the
decoder's buffer pool, which never shrinks, grew to the most frames ever waiting for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import av
from av.video.reformatter import VideoReformatter

from yicam._errors import CameraConnectionError, YicamError

from .._wire.sei import find_capture_time
from .frames import LiveFrame
from .media import Source
from .recording import Recorder
from .rtp import AccessUnit

__all__ = ["Sink"]

_PENDING = 64  # capture times kept for frames still in the decoder


class Sink:
    """The live view as an engine sees it; every method is safe to call from the engine's thread."""

    def __init__(
        self,
        deliver: Callable[[LiveFrame], None],
        opened: Callable[[], None],
        count: Callable[[int, int, int], None],
    ) -> None:
        self.closing = threading.Event()  # the live view closes: engines stop
        self.loop: asyncio.AbstractEventLoop | None = None
        self._deliver = deliver  # on the loop
        self._opened = opened  # on the loop
        self._count = count  # (dropped frames, lost packets, late packets), on the loop
        self._recorders: list[Recorder] = []
        self._listeners: tuple[Callable[[AccessUnit], None], ...] = ()
        self._lock = threading.Lock()
        self._index = 0
        self._rgb = VideoReformatter()  # only ever used from the engine's thread
        self._captured: dict[int | None, float] = {}  # capture times by pts, until decoded

    def opened(self) -> None:
        """The stream plays."""
        self._call(self._opened)

    def decoding(self, pts: int | None, data: bytes) -> None:
        """An Annex B packet goes to the decoder: its capture time waits for its frame."""
        captured_at = find_capture_time(data)
        if captured_at is not None:
            if len(self._captured) >= _PENDING:  # packets the decoder refused or dropped
                self._captured.clear()
            self._captured[pts] = captured_at

    def frame(self, frame: Any) -> None:
        """A decoded `av.VideoFrame`."""
        # One thread: a 1280x720 frame converts in about a millisecond, less than a thread start.
        rgb: Any = self._rgb.reformat(frame, format="rgb24", threads=1)
        image = rgb.to_ndarray()
        captured_at = self._captured.pop(frame.pts, None)
        live = LiveFrame(image, self._index, frame.time, time.time(), captured_at)
        self._index += 1
        self._call(self._deliver, live)

    def unit(self, unit: AccessUnit) -> None:
        """An access unit as received, before decoding: to the unit listeners."""
        for listener in self._listeners:
            listener(unit)

    def add_listener(self, listener: Callable[[AccessUnit], None]) -> None:
        """Call `listener` with each access unit, in the engine's thread."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: Callable[[AccessUnit], None]) -> None:
        """Stop calling `listener`."""
        with self._lock:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

    def rejected(self) -> None:
        """The decoder refused a packet: one frame fewer."""
        self._call(self._count, 1, 0, 0)

    def losses(self, lost: int, late: int, dropped: int) -> None:
        """More RTP packets were lost (never came) or late, and more frames dropped for it."""
        self._call(self._count, dropped, lost, late)

    def recording(self) -> bool:
        """Whether a recording waits for packets."""
        return bool(self._recorders)

    def record(self, packet: Any, source: Source) -> None:
        """Feed an H.264 `av.Packet` to the recordings in progress."""
        with self._lock:
            recorders = list(self._recorders)
        for recorder in recorders:
            try:
                recorder.feed(packet, source)
            except (av.FFmpegError, OSError) as exc:
                recorder.finish(CameraConnectionError(f"recording {recorder.path} failed: {exc}"))
            if recorder.finished:
                self.remove(recorder)

    def end(self) -> None:
        """The engine stopped: if the view is closing, recordings in progress end."""
        if self.closing.is_set():
            self.finish_recorders(CameraConnectionError("live view closed while recording"))

    # -- recordings, from the event loop -------------------------------------------------

    def add(self, recorder: Recorder) -> None:
        """Start feeding `recorder`."""
        with self._lock:
            self._recorders.append(recorder)

    def remove(self, recorder: Recorder) -> None:
        """Stop feeding `recorder`."""
        with self._lock:
            if recorder in self._recorders:
                self._recorders.remove(recorder)

    def finish_recorders(self, error: YicamError) -> None:
        """The stream ended for good: end every recording in progress (see `Recorder.interrupt`)."""
        with self._lock:
            recorders, self._recorders = self._recorders, []
        for recorder in recorders:
            recorder.interrupt(error)

    def _call(self, callback: Callable[..., object], *args: Any) -> None:
        if self.loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self.loop.call_soon_threadsafe(callback, *args)
