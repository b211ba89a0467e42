"""The emulator's ports: nothing left bound on failure, unprivileged fallbacks, ready line."""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any

import pytest

from yicam import Camera
from yicam.cli.emulate import ready_line
from yicam.emulator import Emulator
from yicam.emulator.rtsp import RtspServer

from .agent_helpers import free_port


async def test_a_taken_port_leaves_nothing_bound() -> None:
    control = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        data = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            await Emulator(port=control, data_port=data, http_port=0, rtsp_port=0).start()
    with socket.socket() as again:
        again.bind(("127.0.0.1", control))  # the control port was released


async def test_rtsp_falls_back_to_8554_without_privileges(monkeypatch: pytest.MonkeyPatch) -> None:
    started = RtspServer.start

    async def start(self: RtspServer) -> None:
        if self.port == 554:
            raise PermissionError(errno.EACCES, "Permission denied")
        await started(self)

    monkeypatch.setattr(RtspServer, "start", start)
    monkeypatch.setattr("yicam.emulator.server.RTSP_FALLBACK_PORT", 0)  # any free port here
    async with Emulator(port=0, data_port=0, http_port=0, rtsp_port=554) as emu:
        assert emu.rtsp_port not in (None, 554)
        assert emu.state.rtsp_port == emu.rtsp_port
        assert f"--rtsp-port {emu.rtsp_port}" in ready_line(emu)


async def test_ready_line_names_every_port(start_emulator: Any) -> None:
    emu: Emulator = await start_emulator()
    line = ready_line(emu)
    for option, port in [
        ("--port", emu.port),
        ("--data-port", emu.data_port),
        ("--http-port", emu.http_port),
        ("--rtsp-port", emu.rtsp_port),
    ]:
        assert f"{option} {port}" in line
    assert line.startswith("yicam emulator (yi1) ready: yicam --host 127.0.0.1")


async def test_live_stream_can_be_switched_off(start_emulator: Any) -> None:
    emu: Emulator = await start_emulator(rtsp_port=None)
    assert emu.rtsp_port is None
    assert "--rtsp-port" not in ready_line(emu)
    assert "live view off" in ready_line(emu)


async def test_the_control_port_opens_only_after_the_announced_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `yicam emulate` then `yicam live` at once: a client that gets in must find the RTSP
    # server it is about to be told of already bound (the 257 reply announces its port).
    rtsp_starting, release = asyncio.Event(), asyncio.Event()
    started = RtspServer.start

    async def slow_start(self: RtspServer) -> None:
        rtsp_starting.set()
        await release.wait()
        await started(self)

    monkeypatch.setattr(RtspServer, "start", slow_start)
    control = free_port()
    emu = Emulator(port=control, data_port=0, http_port=0, rtsp_port=0, model="yi4k")
    starting = asyncio.create_task(emu.start())
    try:
        await rtsp_starting.wait()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", control)
        release.set()
        await starting
        async with Camera("127.0.0.1", control) as cam:
            assert cam.session_info["rtsp"] == f"rtsp://127.0.0.1:{emu.rtsp_port}/live"
    finally:
        release.set()
        await asyncio.gather(starting, return_exceptions=True)
        await emu.close()
