"""A card with something on it: photos, a clip and a time-lapse set, for demos (`sample_media`).

Every picture is the live view's test picture at the moment the file says it was taken (its
clock shows that time), encoded as the camera would write it: JPEG photos with `.THM`
thumbnails, an H.264 MP4 with its `_thm.mp4` sidecar. Needs PyAV and numpy (the `live` extra).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from .card import Card
from .video import TestPicture

__all__ = ["fill_sample_card"]

PHOTO_SIZE = (1024, 768)  # 4:3, as the camera's photos (smaller: written in a blink)
PHOTO_THUMB = (160, 120)
CLIP_SIZE = (432, 240)  # the live view's size
CLIP_THUMB = (160, 90)
CLIP_FPS = 30
CLIP_SECONDS = 2
TIMELAPSE_PHOTOS = 6
TIMELAPSE_INTERVAL = timedelta(seconds=10)


def fill_sample_card(card: Card, now: datetime) -> list[str]:
    """Write three photos, a clip and a time-lapse set taken during the hour before `now`;
    returns their camera paths, oldest first."""
    photo = TestPicture(*PHOTO_SIZE)
    made = []
    for minutes in (55, 40, 30):
        made.append(_photo(card, photo, now - timedelta(minutes=minutes)))
    made.append(_clip(card, now - timedelta(minutes=20)))
    start = now - timedelta(minutes=10)
    for shot in range(TIMELAPSE_PHOTOS):
        made.append(_photo(card, photo, start + shot * TIMELAPSE_INTERVAL))
    return [card.camera_path(path) for path in made]


def _frame(picture: TestPicture, when: datetime) -> av.VideoFrame:
    stamp = when.timestamp()
    index = int(stamp * CLIP_FPS) % 100_000  # where the moving parts were at that moment
    return av.VideoFrame.from_ndarray(picture.render(index, stamp), format="yuv420p")


def _photo(card: Card, picture: TestPicture, when: datetime) -> Path:
    frame = _frame(picture, when)
    content = (_jpeg(frame, PHOTO_SIZE), _jpeg(frame, PHOTO_THUMB))
    return card.new_media("jpg", when, content=content)


def _jpeg(frame: av.VideoFrame, size: tuple[int, int]) -> bytes:
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height = size
    ctx.pix_fmt = "yuvj420p"
    ctx.time_base = Fraction(1, 25)
    ctx.options = {"qmin": "2", "qmax": "6"}
    scaled = frame.reformat(width=size[0], height=size[1], format="yuvj420p")
    scaled.pts = 0
    return b"".join(bytes(packet) for packet in [*ctx.encode(scaled), *ctx.encode(None)])


def _clip(card: Card, start: datetime) -> Path:
    picture = TestPicture(*CLIP_SIZE)
    main, thumb = io.BytesIO(), io.BytesIO()
    with av.open(main, "w", format="mp4") as big, av.open(thumb, "w", format="mp4") as small:
        streams = [(big, _h264(big, CLIP_SIZE)), (small, _h264(small, CLIP_THUMB))]
        for index in range(CLIP_SECONDS * CLIP_FPS):
            frame = _frame(picture, start + timedelta(seconds=index / CLIP_FPS))
            for container, stream in streams:
                scaled = frame.reformat(width=stream.width, height=stream.height)
                scaled.pts = index
                container.mux(stream.encode(scaled))
        for container, stream in streams:
            container.mux(stream.encode(None))
    end = start + timedelta(seconds=CLIP_SECONDS)
    return card.new_media("mp4", end, CLIP_SECONDS, (main.getvalue(), thumb.getvalue()))


def _h264(container: Any, size: tuple[int, int]) -> Any:
    stream = container.add_stream("libx264", rate=CLIP_FPS)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "ultrafast", "crf": "28"}
    return stream
