"""Live-view media: still images (JPEG/PNG) and where recorded H.264 packets come from."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

__all__ = ["Source", "encode_image", "image_codec", "source_from_keyframe"]

_IMAGE_CODECS = {".jpg": "mjpeg", ".jpeg": "mjpeg", ".png": "png"}


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
