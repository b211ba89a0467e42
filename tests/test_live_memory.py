"""A long live view keeps its memory: nothing it allocates per frame outlives the frame."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import av
import pytest

from yicam import Camera
from yicam.live import Engine, LiveView

FRAMES = 90


async def take(live: LiveView, count: int) -> None:
    async with asyncio.timeout(30):
        async for _ in live.frames():
            count -= 1
            if count == 0:
                return


@contextmanager
def timers_scheduled(loop: asyncio.AbstractEventLoop) -> Iterator[list[Any]]:
    """Every timer the loop is asked for meanwhile (`call_later` goes through `call_at`)."""
    scheduled: list[Any] = []
    call_at = loop.call_at

    def counting(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        scheduled.append(callback)
        return call_at(when, callback, *args, **kwargs)

    loop.call_at = counting  # type: ignore[method-assign,assignment]
    try:
        yield scheduled
    finally:
        del loop.call_at  # the class's method again


@pytest.mark.parametrize("engine", ["rtp", "ffmpeg"])
async def test_frames_schedule_no_timer_each(camera: Camera, engine: Engine) -> None:
    """A cancelled timer stays scheduled until its time (in Qt's timer list under qasync, for
    the ~65 s a frame may take): one per frame piled up about 2,000 per camera at 30 fps."""
    async with camera.live_view(engine=engine) as live:
        await take(live, 5)
        with timers_scheduled(asyncio.get_running_loop()) as scheduled:
            await take(live, FRAMES)
    assert len(scheduled) < 10, scheduled


@pytest.mark.parametrize("engine", ["rtp", "ffmpeg"])
async def test_decoded_frames_are_freed_without_the_garbage_collector(
    camera: Camera, engine: Engine
) -> None:
    """The desktop app runs the cyclic collector only from a GUI timer: a decoded frame caught
    in a reference cycle kept its decoder buffer until then, and the decoder's buffer pool,
    which never shrinks, grew with the most frames ever waiting."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        async with camera.live_view(engine=engine) as live:
            await take(live, FRAMES)
            alive = sum(isinstance(o, av.VideoFrame) for o in gc.get_objects())
            frames = live.stats().frames
    finally:
        if enabled:
            gc.enable()
    assert frames >= FRAMES
    assert alive < 10, f"{alive} decoded frames alive after {frames}"
