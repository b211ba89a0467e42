"""Real-camera byte traces (protocol.md section 8) replayed to the client as they arrived.

Each fixture in tests/fixtures/traces lists what the client sent (without the token) and
the camera's answer as the TCP segments that carried it. A replaying camera checks that
yicam sends the same requests in the same order and writes each segment on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from yicam import Battery, Camera, CardError, InvalidOperationError
from yicam._wire.protocol import Role, YiProtocol

TRACES = Path(__file__).parent / "fixtures" / "traces"


class Replay:
    """A camera that answers each expected request with the recorded segments."""

    def __init__(self, name: str) -> None:
        self.trace = json.loads((TRACES / f"{name}.json").read_text(encoding="utf-8"))
        self.steps: list[dict[str, Any]] = list(self.trace["steps"])
        self.errors: list[str] = []
        self.done = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = json.JSONDecoder()
        buffer = ""
        try:
            while data := await reader.read(65536):
                buffer += data.decode()
                while buffer.strip():
                    try:
                        request, end = decoder.raw_decode(buffer.lstrip())
                    except ValueError:
                        break
                    buffer = buffer.lstrip()[end:]
                    for segment in self._answer(request):
                        writer.write(segment)
                        await writer.drain()
                        await asyncio.sleep(0)  # one segment per write, as recorded
        except ConnectionError:
            pass
        finally:
            writer.close()
            self.done.set()

    def _answer(self, request: dict[str, Any]) -> list[bytes]:
        request.pop("token", None)
        if not self.steps:
            if request.get("msg_id") == 258:  # closing after the trace: not recorded
                return [b'{"rval":0,"msg_id":258}']
            self.errors.append(f"unexpected request after the trace: {request}")
            return []
        step = self.steps.pop(0)
        if request != step["request"]:
            self.errors.append(f"sent {request}, the recorded client sent {step['request']}")
        return [segment.encode() for segment in step["segments"]]


@asynccontextmanager
async def replayed(name: str) -> AsyncIterator[Camera]:
    """A Camera connected to the replay of trace `name`; checks the whole trace was played."""
    replay = Replay(name)
    server = await asyncio.start_server(replay.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Camera("127.0.0.1", port, timeout=1.0, event_timeout=2.0) as cam:
            yield cam
        async with asyncio.timeout(2.0):
            await replay.done.wait()
    finally:
        server.close()
        await server.wait_closed()
    assert replay.errors == []
    assert replay.steps == [], "the client stopped before the end of the trace"


def test_fixtures_carry_the_documented_splits() -> None:
    sj8 = json.loads((TRACES / "sj8_fw1.3.2.json").read_text(encoding="utf-8"))
    (settings,) = [s for s in sj8["steps"] if s["request"]["msg_id"] == 3]
    assert [len(seg.encode()) for seg in settings["segments"]] == [1448, 107]
    z18 = json.loads((TRACES / "z18.json").read_text(encoding="utf-8"))
    (session,) = z18["steps"][0]["segments"]
    assert session.count("msg_id") == 2  # two objects in one read


async def test_yi1_firmware_1_0_7() -> None:
    async with replayed("yi1_fw1.0.7") as cam:
        settings = await cam.get_settings()
        assert len(settings) == 45
        assert list(settings)[:2] == ["camera_clock", "video_standard"]
        assert settings["sw_version"].startswith("YDXJv22_1.0.7")
        assert cam.model_name == "Yi 1"  # the 257 reply named no model; the versions do
        # This trace has no reply to 769 before the notifications: the photo still counts.
        assert await cam.take_photo() == "/tmp/fuse_d/DCIM/100MEDIA/YDXJ0047.jpg"


async def test_yi1_pbaja_gist() -> None:
    async with replayed("yi1_pbaja") as cam:
        assert cam.model is None
        with pytest.raises(CardError) as refused:
            await cam.take_photo()
        assert refused.value.rval == -27
        assert await cam.take_photo() == "/tmp/fuse_d/DCIM/127MEDIA/YDXJ0373.jpg"
        assert await cam.get_battery() == Battery(level=100, on_adapter=True)
        assert cam.state.viewfinder  # vf_start came after photo_taken


async def test_z18_session_and_battery_in_one_read() -> None:
    async with replayed("z18") as cam:
        assert (cam.model, cam.model_name) == ("Z18", "Yi Z18")
        # The reply announces rtsp://192.168.42.1/live: its path is kept, the host is ours.
        assert cam.rtsp_url == "rtsp://127.0.0.1/live"
        assert cam.state.battery is not None
        assert cam.state.battery.level == 75


async def test_sj8_pro_firmware_1_3_2() -> None:
    async with replayed("sj8_fw1.3.2") as cam:
        info = await cam.device_info()
        assert (info.model, info.firmware, info.name) == ("SJ8PRO_TAIWAN", "V1.3.2", "SJCAM SJ8")
        assert cam.quirks.card_root == "/tmp/SD0"
        assert await cam.get_setting("camera_mode") == "normal_record"
        settings = await cam.get_settings()  # 1555 bytes in two segments
        assert settings["Resolution"] == "1080(1920x1080) 60FPS"
        assert list(settings)[-1] == "User Interface"
        with pytest.raises(InvalidOperationError) as idle:
            await cam.record_time()
        assert idle.value.rval == -14
        when = datetime(2022, 4, 25, 10, 29, 59)
        assert await cam.sync_clock(when) == when
        resolution = await cam.get_options("Resolution")
        assert resolution.settable
        assert "4K (3840x2160) 60FPS" in resolution.options
        assert (await cam.get_options("Power-On Record")).options == ("Off", "On")
        assert await cam.get_battery() == Battery(level=75, on_adapter=False)


@pytest.mark.parametrize("name", sorted(p.stem for p in TRACES.glob("*.json")))
async def test_every_trace_replays_byte_by_byte(name: str) -> None:
    """The worst split of all: every segment cut into single bytes still parses."""
    replay = Replay(name)
    protocol = YiProtocol(Role.CLIENT)
    count = 0
    for step in replay.steps:
        for segment in step["segments"]:
            for byte in segment.encode():
                count += len(protocol.receive_data(bytes([byte])))
    expected = sum(seg.count('"msg_id"') for s in replay.steps for seg in s["segments"])
    assert count == expected > 0
