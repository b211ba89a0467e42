"""The emulator's video: a moving test picture encoded to H.264 with libx264 (through PyAV).

Each frame shows its number and the wall-clock time, and carries its capture time in an SEI
message (see `yicam._wire.sei`) so clients can measure capture-to-decode latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

from .._wire.sei import capture_sei_nal

__all__ = ["AccessUnit", "H264Encoder", "TestPicture", "split_annexb"]

GOP = 15

# 3x5 bitmaps, one string of rows per glyph.
_FONT = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    ":": "000010000010000",
    ".": "000000000000010",
    " ": "000000000000000",
}
_GLYPHS = {
    char: np.array([int(bit) for bit in bits], dtype=bool).reshape(5, 3)
    for char, bits in _FONT.items()
}


@dataclass(frozen=True, slots=True)
class AccessUnit:
    """One encoded frame: its NAL units (no start codes) and capture time."""

    nals: tuple[bytes, ...]
    captured_at: float
    keyframe: bool


class TestPicture:
    """Draws YUV 4:2:0 test frames: scrolling gradient, a bouncing box, counter and clock."""

    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2:
            raise ValueError("width and height must be even")
        self.width = width
        self.height = height
        self._scale = max(1, height // 60)
        self._ramp = (np.arange(width, dtype=np.uint16)[None, :] + np.arange(height)[:, None]) // 2

    def render(self, index: int, when: float) -> npt.NDArray[np.uint8]:
        """The frame numbered `index`, captured at `when`, as a (h*3/2, w) yuv420p array."""
        w, h = self.width, self.height
        yuv = np.empty((h * 3 // 2, w), dtype=np.uint8)
        luma = yuv[:h]
        luma[:] = ((self._ramp + index * 2) % 160 + 16).astype(np.uint8)
        box = max(8, h // 6)
        x = _bounce(index * 3, w - box)
        y = _bounce(index * 2, h - box)
        luma[y : y + box, x : x + box] = 235
        clock = time.strftime("%H:%M:%S", time.localtime(when)) + f".{int(when * 1000) % 1000:03d}"
        self._text(luma, f"{index:06d}", 4, 4)
        self._text(luma, clock, 4, 4 + 7 * self._scale)
        chroma = yuv[h:].reshape(2, h // 2, w // 2)
        chroma[0] = 128 + (index % 64)
        chroma[1] = 160 - (index % 64)
        return yuv

    def _text(self, luma: npt.NDArray[np.uint8], text: str, x: int, y: int) -> None:
        s = self._scale
        for char in text:
            glyph = np.kron(_GLYPHS[char], np.ones((s, s), dtype=bool))
            gh, gw = glyph.shape
            if x + gw > luma.shape[1] or y + gh > luma.shape[0]:
                return
            area = luma[y : y + gh, x : x + gw]
            area[:] = np.where(glyph, 235, 16)
            x += gw + s


class H264Encoder:
    """libx264 tuned for low latency; one instance per server, used from one thread."""

    def __init__(self, width: int, height: int, fps: int, profile: str = "baseline") -> None:
        self.picture = TestPicture(width, height)
        self.fps = fps
        self._index = 0
        self._force_key = False
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = Fraction(1, fps)
        ctx.framerate = Fraction(fps)
        ctx.thread_count = 1
        ctx.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": profile,  # "main" like an SJ8 Pro (profile-level-id 4D4028)
            "crf": "26",
            "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0:repeat-headers=1"
            # x264 signals the simplest profile the stream needs: CABAC makes it Main.
            + (":cabac=1:level=4.0" if profile == "main" else ""),
        }
        ctx.open()
        self._ctx = ctx
        first = self.encode()
        self.sps = next(nal for nal in first.nals if nal[0] & 0x1F == 7)
        self.pps = next(nal for nal in first.nals if nal[0] & 0x1F == 8)

    def request_keyframe(self) -> None:
        """Make the next frame an IDR (with SPS and PPS), for a client that just joined."""
        self._force_key = True

    def encode(self) -> AccessUnit:
        """Draw and encode the next frame, stamped with the current time."""
        when = time.time()
        frame = av.VideoFrame.from_ndarray(self.picture.render(self._index, when), format="yuv420p")
        frame.pts = self._index
        if self._force_key:
            frame.pict_type = av.video.frame.PictureType.I
            self._force_key = False
        self._index += 1
        data = b"".join(bytes(packet) for packet in self._ctx.encode(frame))
        nals = split_annexb(data)
        keyframe = any(nal[0] & 0x1F == 5 for nal in nals)
        # Our SEI goes right before the first slice, after any SPS, PPS and x264's own SEI.
        first_slice = next(i for i, nal in enumerate(nals) if nal[0] & 0x1F in (1, 5))
        nals.insert(first_slice, capture_sei_nal(when))
        return AccessUnit(tuple(nals), when, keyframe)


def split_annexb(data: bytes) -> list[bytes]:
    """The NAL units in an Annex B byte stream, without start codes."""
    return [part.rstrip(b"\x00") for part in data.split(b"\x00\x00\x01")[1:] if part]


def _bounce(step: int, span: int) -> int:
    if span <= 0:
        return 0
    pos = step % (2 * span)
    return pos if pos < span else 2 * span - pos
