"""Issue 9's commands as `Camera` methods and CLI commands, on both models and firmwares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from yicam import Camera, MsgId, UnsafeOperationError, UnsupportedError
from yicam.emulator import Emulator

from .cli_helpers import LoopThread, yicam
from .raw_client import wait_until
from .test_cli import failed, ok

MODELS = [("yi1", "new"), ("yi1", "old"), ("yi4k", "new"), ("yi4k", "old")]
IDS = ["yi1-new", "yi1-old", "yi4k-new", "yi4k-old"]
MEDIA = "/tmp/fuse_d/DCIM/100MEDIA"


@pytest.fixture(params=MODELS, ids=IDS)
async def emu(request: pytest.FixtureRequest, start_emulator: Callable[..., Any]) -> Emulator:
    model, firmware = request.param
    emulator: Emulator = await start_emulator(model=model, firmware=firmware)
    return emulator


def connect(emu: Emulator) -> Camera:
    return Camera("127.0.0.1", emu.port, data_port=emu.data_port, timeout=3.0, event_timeout=5.0)


async def test_zoom(emu: Emulator) -> None:
    async with connect(emu) as cam:
        if emu.state.profile.name == "yi4k":
            with pytest.raises(UnsupportedError):
                await cam.get_zoom()
            with pytest.raises(UnsupportedError):
                await cam.set_zoom(10)
            return
        assert await cam.get_zoom() == 0
        await cam.set_zoom(35)
        assert await cam.get_zoom() == 35
        with pytest.raises(ValueError, match="outside 0-100"):
            await cam.set_zoom(101)


async def test_photo_mode(emu: Emulator) -> None:
    async with connect(emu) as cam:
        if emu.state.profile.name == "yi1":
            with pytest.raises(UnsupportedError):
                await cam.take_photo("precise quality")
            return
        single = await cam.take_photo("precise quality")
        first = await cam.take_photo("burst quality")
        await emu.idle()
    assert single.endswith("YDXJ0001.jpg")
    assert first.endswith("YDXJ0002.jpg")  # a burst returns its first photo
    assert len(list(emu.sd.rglob("YDXJ*.jpg"))) == 8


async def test_sd_card_type_and_client_info(emu: Emulator) -> None:
    async with connect(emu) as cam:
        assert await cam.sd_card_type() == "sd_hc"
        sent_on_connect = emu.state.received[MsgId.SET_CLIENT_INFO]
        await cam.set_client_info()
        await cam.set_client_info("127.0.0.1")
    assert sent_on_connect == (1 if emu.state.profile.name == "yi4k" else 0)
    assert emu.state.received[MsgId.SET_CLIENT_INFO] == sent_on_connect + 2


async def test_delete_refuses_wildcards_unless_asked(emu: Emulator) -> None:
    async with connect(emu) as cam:
        await cam.take_photo()
        await cam.take_photo()
        with pytest.raises(UnsafeOperationError, match="allow_wildcards"):
            await cam.delete(f"{MEDIA}/*.jpg")
        assert emu.state.received[MsgId.DELETE] == 0  # refused before the wire
        if emu.state.profile.name == "yi1":
            await cam.delete(f"{MEDIA}/YDXJ000?.jpg", allow_wildcards=True)
            assert not list(emu.sd.rglob("*.jpg"))
        await cam.delete(f"{MEDIA}/YDXJ0001.THM")  # plain names as before
    assert not (emu.sd / "DCIM" / "100MEDIA" / "YDXJ0001.THM").exists()


async def test_timelapse_photo_stops(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator()
    async with connect(emu) as cam:
        await cam.set_setting("precise_cont_time", "0.5 sec")
        await cam.set_setting("capture_mode", "precise quality cont.")
        first = await cam.take_photo()
        await wait_until(lambda: len(list(emu.sd.rglob("YDXJ*.jpg"))) >= 2)
        await cam.stop_capture()
        await emu.idle()
    assert first.endswith("YDXJ0001.jpg")
    assert emu.state.capture is None


async def test_msize_does_not_bother_the_library(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator(model="yi4k")
    async with connect(emu) as cam:
        await cam.start_recording()
        path = await cam.stop_recording()
    assert emu.state.card.local_path(path).is_file()


# -- CLI -----------------------------------------------------------------------------------


def test_cli_zoom(loop: LoopThread) -> None:
    emu = loop.emulator()
    assert ok(yicam(emu.port, "zoom")) == "Zoom: 0\n"
    assert ok(yicam(emu.port, "zoom", "40")) == "Zoom: 40\n"
    assert '"zoom": 40' in ok(yicam(emu.port, "--json", "zoom"))
    four_k = loop.emulator(model="yi4k")
    assert failed(yicam(four_k.port, "zoom", "10")) == (
        "Error: this camera (Yi 4K) has no digital zoom"
    )


def test_cli_photo_mode(loop: LoopThread) -> None:
    four_k = loop.emulator(model="yi4k")
    out = ok(yicam(four_k.port, "photo", "--mode", "precise quality"))
    assert out.strip().endswith("YDXJ0001.jpg")
    yi1 = loop.emulator()
    assert "has no photo modes" in failed(yicam(yi1.port, "photo", "--mode", "burst quality"))


def test_cli_info_shows_the_card_type(loop: LoopThread) -> None:
    emu = loop.emulator(card_size=64 * 1024**3)
    assert "(sd_xc)" in ok(yicam(emu.port, "info"))


def test_cli_rm_wildcards(loop: LoopThread) -> None:
    emu = loop.emulator()
    ok(yicam(emu.port, "photo"))
    pattern = f"{MEDIA}/*.jpg"
    assert "allow_wildcards" in failed(yicam(emu.port, "rm", pattern))
    ok(yicam(emu.port, "rm", "--wildcards", pattern))
    assert not list(emu.sd.rglob("*.jpg"))
