"""The emulator's reply latency: a camera that takes its time to answer each command."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from yicam import Camera, CameraTimeoutError, MsgId, Notify
from yicam.cli.main import cli
from yicam.emulator import CAPTURED_REPLY_LATENCY, Emulator

from .raw_client import RawClient


async def test_a_slow_camera_times_the_client_out(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator(time_scale=1.0, reply_latency=30.0)
    cam = Camera("127.0.0.1", emu.port, timeout=0.2)
    with pytest.raises(CameraTimeoutError):
        await cam.connect()  # the session start takes 30 s to answer
    await cam.close()
    assert emu.state.received[MsgId.START_SESSION] == 1


async def test_latency_is_scaled_and_keeps_the_order(start_emulator: Callable[..., Any]) -> None:
    # 30 s of camera time at a 1/10000 scale: 3 ms, well inside the client's timeout.
    emu: Emulator = await start_emulator(time_scale=1e-4, reply_latency=(10.0, 30.0))
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.START_RECORD)).rval == 0
        await raw.notification(Notify.START_VIDEO_RECORD)
        assert (await raw.call(MsgId.STOP_RECORD)).rval == 0
        await raw.notification(Notify.VIDEO_RECORD_COMPLETE)


def test_bad_latency_is_refused() -> None:
    with pytest.raises(ValueError, match="reply latency"):
        Emulator(reply_latency=(0.06, 0.01))
    result = CliRunner().invoke(cli, ["emulate", "--reply-latency", "60-10"])
    assert result.exit_code == 2
    assert "use milliseconds such as 30 or a range such as 10-60" in result.output


def test_the_captured_latency_is_the_documented_one() -> None:
    assert CAPTURED_REPLY_LATENCY == (0.010, 0.060)  # docs/protocol.md, "Reply latency"


async def test_unanswered_for_counts_while_a_reply_is_late(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator(time_scale=1.0)
    async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
        assert cam.unanswered_for == 0.0
        emu.state.reply_latency = (30.0, 30.0)  # the camera stops answering in time
        call = asyncio.ensure_future(cam.get_battery())
        while cam.unanswered_for < 0.2:  # noqa: ASYNC110 - a figure, no event to wait on
            await asyncio.sleep(0.02)
        assert not call.done()
        with pytest.raises(CameraTimeoutError):
            await call
        assert cam.unanswered_for == 0.0
