"""`Restreamer`: the live view pushed to an RTMP(S) server (YouTube, Twitch, a local nginx).

The H.264 access units are remuxed into FLV by FFmpeg (PyAV), not re-encoded. Sending runs in
its own thread behind a short queue, so a slow network never holds up the live view: when the
queue is full, frames are dropped up to the next keyframe. A connection that fails is opened
again after a pause (1, 2, 5, then every 10 s), starting at a keyframe, until `close()`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, Self
from urllib.parse import urlsplit

import av

from .media import source_from_keyframe
from .rtp import AccessUnit
from .view import LiveView

__all__ = ["RestreamStatus", "Restreamer", "redact_url"]

_log = logging.getLogger(__name__)

_DELAYS = (1.0, 2.0, 5.0, 10.0)  # seconds before each new try
_QUEUE = 90  # access units (3 s at 30 fps) waiting to be sent
_TIME_BASE = Fraction(1, 90_000)
_RATE_WINDOW = 5.0  # seconds the bitrate is averaged over
_NEW_STREAM = 5 * 90_000  # a step outside 0..5 s: a new camera stream
_GAP = 3_000  # one frame at 30 fps, on the 90 kHz clock

State = Literal["connecting", "streaming", "reconnecting", "closed"]


@dataclass(frozen=True, slots=True)
class RestreamStatus:
    """What a `Restreamer` is doing."""

    target: str  # the URL without its path (which often holds the stream key)
    state: State
    bitrate: float  # bits per second sent, over the last 5 s
    frames: int  # frames sent
    dropped: int  # frames not sent: queue full, or waiting for a keyframe after a reconnect
    reconnects: int
    error: str | None  # why the last connection failed


class Restreamer:
    """Pushes `live` (an open "rtp" `LiveView`) to `url`: `async with Restreamer(live, url):`.

    `url` is rtmp:// or rtmps:// (or any URL FFmpeg's FLV muxer can write to). Raises
    `ValueError` when `live` uses the "ffmpeg" engine or the URL has no host.
    """

    def __init__(self, live: LiveView, url: str, *, timeout: float = 10.0) -> None:
        if live.engine != "rtp":
            raise ValueError("Restreamer needs a live view with the 'rtp' engine")
        if not urlsplit(url).hostname:
            raise ValueError("the restream URL needs a host")
        self._live = live
        self._url = url
        self._timeout = timeout
        self._queue: queue.Queue[AccessUnit] = queue.Queue(_QUEUE)
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._remove: Any = None
        self._lock = threading.Lock()
        self._sent: deque[tuple[float, int]] = deque()  # (when, bytes)
        self._state: State = "connecting"
        self._frames = 0
        self._dropped = 0
        self._reconnects = 0
        self._error: str | None = None
        self._skipping = False  # the queue overflowed: drop up to the next keyframe

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Start sending (connecting in the background); raises nothing."""
        self._thread = threading.Thread(target=self._run, name="yicam-restream", daemon=True)
        self._thread.start()
        self._remove = self._live.add_unit_listener(self._offer)

    async def close(self) -> None:
        """Stop sending and close the connection (waiting up to the timeout); raises nothing."""
        import asyncio

        if self._remove is not None:
            self._remove()
            self._remove = None
        self._closing.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, self._timeout)
            self._thread = None
        self._state = "closed"

    def status(self) -> RestreamStatus:
        """Returns the state, bitrate and counts now; raises nothing."""
        now = time.monotonic()
        with self._lock:
            while self._sent and self._sent[0][0] < now - _RATE_WINDOW:
                self._sent.popleft()
            sent = sum(size for _, size in self._sent)
            return RestreamStatus(
                target=redact_url(self._url),
                state=self._state,
                bitrate=sent * 8 / _RATE_WINDOW,
                frames=self._frames,
                dropped=self._dropped,
                reconnects=self._reconnects,
                error=self._error,
            )

    # -- the live view's receiving thread ------------------------------------------------

    def _offer(self, unit: AccessUnit) -> None:
        if not unit.complete:
            return
        if self._skipping and not unit.keyframe:
            self._count_drop()
            return
        try:
            self._queue.put_nowait(unit)
            self._skipping = False
        except queue.Full:
            self._skipping = True
            self._count_drop()

    def _count_drop(self) -> None:
        with self._lock:
            self._dropped += 1

    # -- the sending thread --------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._closing.is_set():
            try:
                if self._stream():
                    failures = 0
            except (av.FFmpegError, OSError, ValueError) as exc:
                self._error = str(exc)
                _log.info("restream to %s failed: %s", redact_url(self._url), exc)
            if self._closing.is_set():
                break
            self._state = "reconnecting"
            self._reconnects += 1
            self._closing.wait(_DELAYS[min(failures, len(_DELAYS) - 1)])
            failures += 1

    def _stream(self) -> bool:
        """One connection: wait for a keyframe, open, send until an error or `close()`.

        Returns whether any frame was sent.
        """
        unit = self._next_keyframe()
        if unit is None:
            return False
        source = source_from_keyframe(unit.data, _TIME_BASE)
        options = {"rw_timeout": str(int(self._timeout * 1_000_000))}
        out: Any = av.open(self._url, "w", format="flv", options=options, timeout=self._timeout)
        sent_any = False
        try:
            stream = out.add_stream_from_template(source.template)
            stream.time_base = _TIME_BASE
            first, last = unit.timestamp, -1
            while unit is not None:
                pts = unit.timestamp - first
                if last >= 0 and not 0 < pts - last <= _NEW_STREAM:
                    # The camera stream was reopened: its clock goes on one frame later.
                    first, pts = unit.timestamp - last - _GAP, last + _GAP
                self._send(out, stream, unit, pts)
                last, sent_any = pts, True
                self._state = "streaming"
                self._error = None
                unit = self._next_unit()
        finally:
            with contextlib.suppress(av.FFmpegError, OSError):
                out.close()
            source.owner.close()
        return sent_any

    def _send(self, out: Any, stream: Any, unit: AccessUnit, pts: int) -> None:
        packet = av.Packet(unit.data)
        packet.pts = packet.dts = pts
        packet.time_base = _TIME_BASE
        packet.is_keyframe = unit.keyframe
        packet.stream = stream
        out.mux(packet)
        with self._lock:
            self._frames += 1
            self._sent.append((time.monotonic(), len(unit.data)))

    def _next_unit(self) -> AccessUnit | None:
        while not self._closing.is_set():
            with contextlib.suppress(queue.Empty):
                return self._queue.get(timeout=0.25)
        return None

    def _next_keyframe(self) -> AccessUnit | None:
        while True:
            unit = self._next_unit()
            if unit is None or unit.keyframe:
                return unit
            self._count_drop()


def redact_url(url: str) -> str:
    """The URL without its path, query and password: `rtmp://host:port/…` (keys stay private)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"
