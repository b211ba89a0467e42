"""Decoded live-view frames and the statistics kept about them."""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["LiveFrame", "LiveStats", "StatsTracker"]

_WINDOW = 300  # frames kept for fps and latency figures (10 s at 30 fps)


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """One decoded frame of the live view."""

    image: npt.NDArray[np.uint8]  # height x width x 3, RGB
    index: int  # counts decoded frames from 0, across reconnects
    pts: float | None  # presentation time in seconds on the stream's clock
    decoded_at: float  # wall-clock time (time.time()) when the frame was ready
    captured_at: float | None  # wall-clock capture time from the stream's SEI, if it has one

    @property
    def latency(self) -> float | None:
        """Capture-to-decode latency in seconds, or None when the stream carries no capture time."""
        return None if self.captured_at is None else self.decoded_at - self.captured_at

    @property
    def width(self) -> int:
        """Frame width in pixels."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Frame height in pixels."""
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class LiveStats:
    """A snapshot of the live view's health.

    `dropped` counts frames that never reached the decoder's output whole: with the "rtp"
    engine, frames that lost packets (shown concealed with `conceal=True`), frames skipped
    until the next keyframe and frames whose every packet was lost; with the "ffmpeg" engine,
    gaps in the frames' timestamps. Packets the decoder rejected count too. `skipped` counts frames
    a slow `frames()` consumer did not take in time (the newest frame always wins).
    `packets_lost` and `packets_late` count RTP packets that never came or came after their
    frame was given up (the "rtp" engine only; FFmpeg's engine does not report them).
    """

    fps: float
    frames: int
    dropped: int
    skipped: int
    reconnects: int
    latency_median: float | None  # seconds, over the last 300 frames with a capture time
    latency_p95: float | None
    packets_lost: int = 0
    packets_late: int = 0


class StatsTracker:
    """Accumulates frame statistics; used from the event loop's thread only."""

    def __init__(self, *, infer_drops: bool = True) -> None:
        self.infer_drops = infer_drops  # count gaps in the frames' timestamps as dropped frames
        self.frames = 0
        self.dropped = 0
        self.skipped = 0
        self.reconnects = 0
        self.packets_lost = 0
        self.packets_late = 0
        self._times: deque[float] = deque(maxlen=_WINDOW)
        self._latencies: deque[float] = deque(maxlen=_WINDOW)
        self._deltas: deque[float] = deque(maxlen=30)
        self._last_pts: float | None = None

    def add(self, frame: LiveFrame) -> None:
        """Count a decoded frame."""
        self.frames += 1
        self._times.append(time.monotonic())
        if frame.latency is not None:
            self._latencies.append(frame.latency)
        if self.infer_drops and frame.pts is not None and self._last_pts is not None:
            delta = frame.pts - self._last_pts
            if delta > 0:
                if len(self._deltas) >= 5:
                    interval = statistics.median(self._deltas)
                    self.dropped += max(0, round(delta / interval) - 1)
                self._deltas.append(delta)
        self._last_pts = frame.pts

    def restart(self) -> None:
        """A new stream begins (reconnect): timestamps start again."""
        self._last_pts = None
        self._deltas.clear()

    def snapshot(self) -> LiveStats:
        """The current figures."""
        fps = 0.0
        if len(self._times) >= 2 and time.monotonic() - self._times[-1] < 2.0:
            fps = (len(self._times) - 1) / (self._times[-1] - self._times[0])
        median = p95 = None
        if self._latencies:
            ordered = sorted(self._latencies)
            median = statistics.median(ordered)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return LiveStats(
            fps=fps,
            frames=self.frames,
            dropped=self.dropped,
            skipped=self.skipped,
            reconnects=self.reconnects,
            latency_median=median,
            latency_p95=p95,
            packets_lost=self.packets_lost,
            packets_late=self.packets_late,
        )
