"""Writing live-view output: still images (JPEG/PNG) and remuxed MP4 recordings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

__all__ = ["Recorder", "Recording", "encode_image"]

_IMAGE_CODECS = {".jpg": "mjpeg", ".jpeg": "mjpeg", ".png": "png"}


@dataclass(frozen=True, slots=True)
class Recording:
    """A finished recording."""

    path: Path
    frames: int
    duration: float  # seconds, from the first frame's timestamp to the end of the last


def image_codec(path: Path) -> str:
    """The encoder for an image file name; raises ValueError for an unknown suffix."""
    try:
        return _IMAGE_CODECS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{path.name}: snapshots are .jpg, .jpeg or .png") from None


def encode_image(image: npt.NDArray[np.uint8], codec: str) -> bytes:
    """An RGB image as one JPEG (codec "mjpeg") or PNG (codec "png") file."""
    height, width = image.shape[:2]
    ctx: Any = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height = width, height
    ctx.time_base = Fraction(1, 25)
    if codec == "mjpeg":
        ctx.pix_fmt = "yuvj420p"
        ctx.options = {"q": "3"}  # high quality; the default targets 200 kbit/s
    else:
        ctx.pix_fmt = "rgb24"
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=ctx.pix_fmt)
    packets = [*ctx.encode(frame), *ctx.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


class Recorder:
    """Remuxes demuxed H.264 packets into an MP4 file; fed from the decoding thread.

    Starts at the first keyframe, rebases timestamps to 0 and stops once `duration` seconds of
    frames are written. After a reconnect it waits for a keyframe again and continues the
    timeline where it left off.
    """

    def __init__(
        self,
        path: Path,
        duration: float,
        loop: asyncio.AbstractEventLoop,
        done: asyncio.Future[Recording],
    ) -> None:
        self.path = path
        self.duration = duration
        self._loop = loop
        self._done = done
        self._out: Any = None
        self._ostream: Any = None
        self._source: Any = None  # the input stream the current timeline belongs to
        self._offset = 0  # subtracted from input timestamps
        self._last = 0  # last written timestamp, output clock
        self._step = 0  # typical frame spacing, output clock
        self._frames = 0
        self.finished = False

    def feed(self, packet: Any, stream: Any) -> None:
        """Write one input packet (called only from the decoding thread)."""
        if self.finished or packet.size == 0:
            return
        pts = packet.pts if packet.pts is not None else packet.dts
        if stream is not self._source:
            if not packet.is_keyframe or pts is None:
                return
            if self._out is None:
                self._start(stream)
                self._offset = pts
            else:
                self._offset = pts - (self._last + (self._step or 1))
            self._source = stream
        if pts is None:
            return
        ts = pts - self._offset
        if ts <= self._last and self._frames:
            return  # out of order or duplicate: MP4 needs increasing timestamps
        if ts * stream.time_base >= self.duration:
            self.finish()
            return
        if self._frames:
            self._step = ts - self._last
        packet.pts = packet.dts = ts
        packet.stream = self._ostream
        self._out.mux(packet)
        self._last = ts
        self._frames += 1

    def finish(self, error: BaseException | None = None) -> None:
        """Close the file and report the result (or `error`) to the waiting coroutine."""
        if self.finished:
            return
        self.finished = True
        result: Recording | BaseException
        if self._out is not None:
            self._out.close()
        if error is not None:
            result = error
        elif self._source is None:
            result = RuntimeError("recording ended before the first keyframe")
        else:
            length = float((self._last + self._step) * self._source.time_base)
            result = Recording(self.path, self._frames, length)
        self._loop.call_soon_threadsafe(_settle, self._done, result)

    def _start(self, stream: Any) -> None:
        self._out = av.open(str(self.path), "w", format="mp4")
        self._ostream = self._out.add_stream_from_template(stream)


def _settle(future: asyncio.Future[Recording], result: Recording | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
