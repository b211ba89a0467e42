"""Writing live-view output: still images (JPEG/PNG) and remuxed MP4 recordings."""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

__all__ = ["Recorder", "Recording", "Source", "encode_image", "source_from_keyframe"]

_IMAGE_CODECS = {".jpg": "mjpeg", ".jpeg": "mjpeg", ".png": "png"}


@dataclass(frozen=True, slots=True)
class Recording:
    """A finished recording."""

    path: Path
    frames: int
    duration: float  # seconds, from the first frame's timestamp to the end of the last


@dataclass(frozen=True, eq=False)
class Source:
    """Where recorded packets come from: their clock and a stream holding the codec parameters."""

    time_base: Fraction
    template: Any  # an av input stream: codec, size, SPS/PPS as extradata
    size: tuple[int, int]
    owner: Any = field(default=None, repr=False)  # keeps the template's container open


def source_from_keyframe(data: bytes, time_base: Fraction) -> Source:
    """A `Source` for an Annex B keyframe with its SPS and PPS; raises ValueError if unusable."""
    try:
        container: Any = av.open(io.BytesIO(data), format="h264", options={"probesize": "32"})
    except av.FFmpegError as exc:
        raise ValueError(f"keyframe not understood: {exc}") from None
    if not container.streams.video:
        container.close()
        raise ValueError("keyframe not understood: no video")
    stream = container.streams.video[0]
    size = (stream.codec_context.width, stream.codec_context.height)
    return Source(time_base, stream, size, container)


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
    """Remuxes H.264 packets into an MP4 file; fed from the decoding thread.

    Starts at the first keyframe, rebases timestamps to 0 and stops once `duration` seconds of
    frames are written. After a reconnect it waits for a keyframe again and continues the
    timeline where it left off; when the picture size changes it ends the file there (one MP4
    track has one size).
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
        self._source: Source | None = None  # where the current timeline comes from
        self._offset = 0  # subtracted from input timestamps
        self._last = 0  # last written timestamp, output clock
        self._step = 0  # typical frame spacing, output clock
        self._frames = 0
        self.finished = False

    def feed(self, packet: Any, source: Source) -> None:
        """Write one input packet (called only from the decoding thread)."""
        if self.finished or packet.size == 0:
            return
        pts = packet.pts if packet.pts is not None else packet.dts
        if source is not self._source:
            if not packet.is_keyframe or pts is None:
                return
            if self._source is not None and source.size != self._source.size:
                self.finish()
                return
            if self._out is None:
                self._start(source)
                self._offset = pts
            else:
                self._offset = pts - (self._last + (self._step or 1))
            self._source = source
        if pts is None:
            return
        ts = pts - self._offset
        if ts <= self._last and self._frames:
            return  # out of order or duplicate: MP4 needs increasing timestamps
        if ts * source.time_base >= self.duration:
            self.finish()
            return
        if self._frames:
            self._step = ts - self._last
        packet.pts = packet.dts = ts
        packet.time_base = source.time_base
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
        try:
            if self._out is not None:
                self._out.close()
            if error is not None:
                result = error
            elif self._source is None:
                result = RuntimeError("recording ended before the first keyframe")
            else:
                self._partial.replace(self.path)  # only a finished file gets the final name
                length = float((self._last + self._step) * self._source.time_base)
                result = Recording(self.path, self._frames, length)
        except (av.FFmpegError, OSError) as exc:
            result = exc
        if isinstance(result, BaseException):
            self._partial.unlink(missing_ok=True)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            self._loop.call_soon_threadsafe(_settle, self._done, result)

    @property
    def _partial(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    def _start(self, source: Source) -> None:
        self._out = av.open(str(self._partial), "w", format="mp4")
        self._ostream = self._out.add_stream_from_template(source.template)
        self._ostream.time_base = source.time_base


def _settle(future: asyncio.Future[Recording], result: Recording | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
