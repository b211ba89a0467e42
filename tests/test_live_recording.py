"""Open-ended recordings (`LiveView.start_recording`) against the emulator's RTSP server.

Each finished file is read back with PyAV: it must decode, from a keyframe, with the frame
count and duration the recording reported, and never exist under its final name unfinished.
"""

from __future__ import annotations

import asyncio
import math
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from yicam.emulator.rtsp import RtspServer
from yicam.live import LiveRecording, LiveView, Recording
from yicam.live.media import source_from_keyframe
from yicam.live.recording import Recorder


class Viewfinder:
    """Stands in for the camera: start/stop flip the flag the server streams on."""

    def __init__(self) -> None:
        self.on = False

    async def start(self) -> None:
        self.on = True

    async def stop(self) -> None:
        self.on = False


@pytest.fixture
def viewfinder() -> Viewfinder:
    return Viewfinder()


def live_view(url: str, viewfinder: Viewfinder, **kwargs: float) -> LiveView:
    return LiveView(url, start=viewfinder.start, stop=viewfinder.stop, **kwargs)  # type: ignore[arg-type]


async def until_recorded(live: LiveView, recording: LiveRecording, seconds: float) -> None:
    """Consume frames until `recording` holds `seconds` of video."""
    async with asyncio.timeout(30):
        async for _ in live.frames():
            if recording.elapsed >= seconds:
                return


def read_back(path: Path) -> tuple[int, float, bool]:
    """Decoded frame count, container duration in seconds, first frame a keyframe."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert container.duration is not None
        frames = list(container.decode(stream))
        return len(frames), container.duration / 1_000_000, frames[0].key_frame


def assert_playable(result: Recording, path: Path) -> None:
    assert result.path == path
    count, duration, keyframe_first = read_back(path)
    assert count > 0
    assert count == result.frames
    assert keyframe_first
    assert duration == pytest.approx(result.duration, abs=0.1)
    assert not path.with_name(path.name + ".part").exists()


async def test_recording_runs_until_stopped(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    async with live_view(server.url, viewfinder) as live:
        recording = live.start_recording(path)
        # The final length counts the last frame with the smallest frame spacing seen, which
        # can still shrink after `elapsed` was read (frames stamped on a loaded machine): 0.1 s
        # more than the 1.5 s asserted below covers that, not the stop's own timing.
        await until_recorded(live, recording, 1.6)
        assert not recording.done()
        # Unfinished, the file exists only under its partial name.
        assert await asyncio.to_thread(os.listdir, tmp_path) == ["clip.mp4.part"]
        result = await recording.stop()
        assert recording.done()
        assert await recording.stop() == result  # stopping twice is harmless
    assert result.duration >= 1.5
    assert result.duration < 30  # the stream is 30 fps: nowhere near a runaway clip
    assert_playable(result, path)


async def test_a_stream_lost_mid_recording_keeps_a_playable_file(
    viewfinder: Viewfinder, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: viewfinder.on)
    await srv.start()
    try:
        async with live_view(srv.url, viewfinder, retries=1, stall_timeout=1.0) as live:
            recording = live.start_recording(path)
            await until_recorded(live, recording, 1.0)
            await srv.close()  # the camera disappears; the view gives up after one retry
            async with asyncio.timeout(30):
                result = await recording.wait()
    finally:
        await srv.close()
    assert result.duration >= 1.0
    assert_playable(result, path)


async def test_closing_the_view_finishes_the_recording(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    live = live_view(server.url, viewfinder)
    await live.open()
    recording = live.start_recording(path)
    await until_recorded(live, recording, 1.0)
    await live.close()  # mid-recording: what was recorded is kept
    result = await recording.wait()
    assert_playable(result, path)
    assert await asyncio.to_thread(os.listdir, tmp_path) == ["clip.mp4"]


async def test_max_duration_ends_the_recording(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp4"
    async with live_view(server.url, viewfinder) as live:
        recording = live.start_recording(path, max_duration=1.0)
        async with asyncio.timeout(30):
            result = await recording.wait()
        with pytest.raises(ValueError, match="positive"):
            live.start_recording(tmp_path / "other.mp4", max_duration=0)
    assert result.duration == pytest.approx(1.0, abs=0.2)
    assert_playable(result, path)


async def test_two_recordings_at_once(
    server: RtspServer, viewfinder: Viewfinder, tmp_path: Path
) -> None:
    async with live_view(server.url, viewfinder) as live:
        long = live.start_recording(tmp_path / "long.mp4")
        short = await live.record(tmp_path / "short.mp4", 0.5)  # the fixed-length call works
        assert not long.done()
        await until_recorded(live, long, short.duration + 0.5)
        result = await long.stop()
    assert result.duration > short.duration
    assert_playable(result, tmp_path / "long.mp4")
    assert_playable(short, tmp_path / "short.mp4")


async def test_start_recording_needs_an_open_view(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        LiveView("rtsp://127.0.0.1:9/live").start_recording(tmp_path / "clip.mp4")


async def test_a_late_last_frame_does_not_stretch_the_clip(tmp_path: Path) -> None:
    # 30 fps packets from a real H.264 encoder, the last one 0.1 s late (a loaded camera or
    # network): the clip still ends one frame after the last one, and says so.
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 64, 48, "yuv420p"
    encoder.time_base = Fraction(1, 90000)
    encoder.options = {"tune": "zerolatency", "g": "30"}
    packets = []
    for index in range(10):
        frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts, frame.time_base = index * 3000, encoder.time_base
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    first = bytes(packets[0])
    source = source_from_keyframe(first, Fraction(1, 90000))
    stamps = [i * 3000 for i in range(len(packets) - 1)] + [(len(packets) - 2) * 3000 + 9000]
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Recording] = loop.create_future()
    path = tmp_path / "late.mp4"
    recorder = Recorder(path, math.inf, loop, done)
    for packet, stamp in zip(packets, stamps, strict=True):
        packet.pts = packet.dts = stamp
        recorder.feed(packet, source)
    recorder.finish()
    result = await done
    assert result.duration == pytest.approx((stamps[-1] + 3000) / 90000)
    assert_playable(result, path)
