"""The emulator does what independent clients show real cameras do (issue 9)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from yicam import Camera, MsgId, Notify
from yicam.emulator import Emulator

from .raw_client import RawClient

MODELS = [("yi1", "new"), ("yi1", "old"), ("yi4k", "new"), ("yi4k", "old")]
IDS = ["yi1-new", "yi1-old", "yi4k-new", "yi4k-old"]


@pytest.fixture(params=MODELS, ids=IDS)
async def emu(request: pytest.FixtureRequest, start_emulator: Callable[..., Any]) -> Emulator:
    model, firmware = request.param
    emulator: Emulator = await start_emulator(model=model, firmware=firmware)
    return emulator


async def http_get(port: int, target: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 GET on loopback: status, headers (lower-case names), body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: camera\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    return int(status_line.split()[1]), headers, body


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from a baseline JPEG's SOF0 segment."""
    assert data[:2] == b"\xff\xd8"
    pos = 2
    while pos < len(data):
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xC0:
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            return int.from_bytes(data[pos + 7 : pos + 9], "big"), height
        pos += 2 + length
    raise AssertionError("no SOF0 segment")


# -- commands that used to answer -23 ------------------------------------------------------


async def test_client_info_261(emu: Emulator, tmp_path: Any) -> None:
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.SET_CLIENT_INFO, type="TCP", param="127.0.0.1")).rval == 0
        mac = "00:11:22:33:44:55"
        assert (await raw.call(MsgId.SET_CLIENT_INFO, type="RFCOMM", param=mac)).rval == 0
        assert (await raw.call(MsgId.SET_CLIENT_INFO, type="UDP", param="x")).rval == -1
        assert (await raw.call(MsgId.SET_CLIENT_INFO, type="TCP", param="nonsense")).rval == -1
    async with Camera("127.0.0.1", emu.port, data_port=emu.data_port, timeout=3.0) as cam:
        await cam.call(MsgId.SET_CLIENT_INFO, type="TCP", param="127.0.0.1")
        path = await cam.take_photo()
        await cam.download(path, tmp_path)  # the data port serves the address 261 named
    assert (tmp_path / "YDXJ0001.jpg").read_bytes() == emu.state.card.local_path(path).read_bytes()


async def test_sd_card_type(start_emulator: Callable[..., Any]) -> None:
    for model in ("yi1", "yi4k"):
        small: Emulator = await start_emulator(model=model)
        big: Emulator = await start_emulator(model=model, card_size=64 * 1024**3)
        gone: Emulator = await start_emulator(model=model, card_inserted=False)
        for emu, expected in ((small, "sd_hc"), (big, "sd_xc")):
            async with RawClient(emu.port) as raw:
                reply = await raw.call(MsgId.SD_TYPE)
            assert (reply.rval, reply.param) == (0, expected)
        async with RawClient(gone.port) as raw:
            assert (await raw.call(MsgId.SD_TYPE)).rval == -27


async def test_digital_zoom(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        set_reply = await raw.call(MsgId.DIGITAL_ZOOM, type="fast", param="40")
        get_reply = await raw.call(MsgId.DIGITAL_ZOOM_INFO, type="current")
        if emu.state.profile.name == "yi4k":  # no source shows zoom on the 4K
            assert (set_reply.rval, get_reply.rval) == (-23, -23)
            return
        assert set_reply.rval == 0
        assert (get_reply.rval, get_reply.param) == (0, "40")
        assert (await raw.call(MsgId.DIGITAL_ZOOM, type="fast", param="101")).rval == -13
        assert (await raw.call(MsgId.DIGITAL_ZOOM, type="fast", param="far")).rval == -13
        assert (await raw.call(MsgId.DIGITAL_ZOOM_INFO, type="max")).rval == -24
        assert (await raw.call(MsgId.DIGITAL_ZOOM_INFO, type="current")).param == "40"


async def test_photo_with_mode_16777220(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        reply = await raw.call(MsgId.TAKE_PHOTO_WITH_MODE, param="precise quality;off")
        if emu.state.profile.name == "yi1":
            assert reply.rval == -23
            return
        assert reply.rval == 0
        start = await raw.notification(Notify.START_PHOTO_CAPTURE)
        taken = await raw.notification(Notify.PHOTO_TAKEN)
        await raw.notification(Notify.VF_START)
        assert start.param == "precise quality;off"
        assert emu.state.card.local_path(taken.param).is_file()
        bad = await raw.call(MsgId.TAKE_PHOTO_WITH_MODE, param="portrait;off")
        assert bad.rval == -13
        burst = await raw.call(MsgId.TAKE_PHOTO_WITH_MODE, param="burst quality;off")
        assert burst.rval == 0
        await raw.notification(Notify.BURST_COMPLETE)
    assert len(list(emu.sd.rglob("YDXJ*.jpg"))) == 1 + 7


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("firmware", ["new", "old"])
async def test_yi1_keys_of_later_firmware(
    start_emulator: Callable[..., Any], firmware: str
) -> None:
    emu: Emulator = await start_emulator(firmware=firmware)
    async with RawClient(emu.port) as raw:
        replies = [
            await raw.call(MsgId.SET_SETTING, type=name, param=value)
            for name, value in (
                ("osd_enable", "on"),
                ("emergency_file_backup", "on"),
                ("wifi_ssid", "MyYi"),
                ("wifi_password", "secret-password"),
            )
        ]
        got = await raw.call(MsgId.GET_SETTING, type="osd_enable")
        all_settings = await raw.call(MsgId.GET_ALL_SETTINGS)
    if firmware == "old":  # the 2015 firmware of the only msg 3 capture knows none of them
        assert [r.rval for r in replies] == [-13] * 4
        return
    assert [r.rval for r in replies] == [0] * 4
    assert got.param == "on"
    assert len(all_settings.param) == 45  # only what a real msg 3 reply showed


async def test_yi1_options_of_later_keys(camera: Camera) -> None:
    options = await camera.get_options("emergency_file_backup")
    assert set(options.options) == {"on", "off"}


async def test_settings_format_follows_the_firmware(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        nine = await raw.call(MsgId.GET_OPTIONS, param="video_quality")
        three = await raw.call(MsgId.GET_ALL_SETTINGS, param="video_quality")
    if emu.state.firmware == "old":
        assert nine.rval == -23
        assert three.param == [{"video_quality": "settable:S.Fine#Fine#Normal"}]
    else:
        assert (nine.rval, nine.fields["options"]) == (0, ["S.Fine", "Fine", "Normal"])
        assert three.rval == -9
    async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
        assert (await cam.get_options("video_quality")).options == ("S.Fine", "Fine", "Normal")


# -- smaller readings ----------------------------------------------------------------------


async def test_wildcard_delete_on_the_yi1_only(emu: Emulator) -> None:
    async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
        await cam.take_photo()
        await cam.take_photo()
    folder = emu.sd / "DCIM" / "100MEDIA"
    async with RawClient(emu.port) as raw:
        reply = await raw.call(MsgId.DELETE, param="/tmp/fuse_d/DCIM/100MEDIA/*.jpg")
        nothing = await raw.call(MsgId.DELETE, param="/tmp/fuse_d/DCIM/100MEDIA/*.png")
    assert nothing.rval == -26
    if emu.state.profile.name == "yi1":
        assert reply.rval == 0
        assert sorted(p.name for p in folder.iterdir()) == ["YDXJ0001.THM", "YDXJ0002.THM"]
    else:
        assert reply.rval == -26
        assert len(list(folder.glob("*.jpg"))) == 2


async def test_msize_in_the_4k_record_complete(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        await raw.call(MsgId.START_RECORD)
        await raw.call(MsgId.STOP_RECORD)
        note = await raw.notification(Notify.VIDEO_RECORD_COMPLETE)
    size = emu.state.card.local_path(note.param).stat().st_size
    if emu.state.profile.name == "yi4k":
        assert note.fields["msize"] == size
    else:
        assert "msize" not in note.fields


async def test_sidecars_carry_the_camera_clock(emu: Emulator) -> None:
    async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
        await cam.sync_clock(datetime(2020, 1, 2, 3, 4, 5))
        await cam.take_photo()
        await cam.start_recording()
        await cam.stop_recording()
        entries = await cam.list_dir("/tmp/fuse_d/DCIM/100MEDIA")
    assert len(entries) == 4
    for entry in entries:
        assert entry.modified is not None
        assert entry.modified.date() == datetime(2020, 1, 2).date(), entry


async def test_vf_stop_on_connect_stops_the_yi1_viewfinder(emu: Emulator) -> None:
    async with RawClient(emu.port) as first:
        assert (await first.call(MsgId.START_VIEWFINDER, param="none_force")).rval == 0
        assert emu.state.viewfinder
        async with RawClient(emu.port):
            pass
        yi1 = emu.state.profile.name == "yi1"
        assert emu.state.viewfinder is not yi1  # the Yi 1 says vf_stop and means it


async def test_busy_viewfinder_only_after_photo_then_record(start_emulator: Any) -> None:
    emu: Emulator = await start_emulator()
    async with RawClient(emu.port) as raw:
        await raw.call(MsgId.START_RECORD)
        await raw.call(MsgId.STOP_RECORD)
        await raw.notification(Notify.VIDEO_RECORD_COMPLETE)
        assert (await raw.call(MsgId.START_VIEWFINDER, param="none_force")).rval == 0
        await raw.call(MsgId.STOP_VIEWFINDER)
        await raw.call(MsgId.TAKE_PHOTO)
        await raw.notification(Notify.PHOTO_TAKEN)
        await raw.call(MsgId.START_RECORD)
        await raw.call(MsgId.STOP_RECORD)
        await raw.notification(Notify.VIDEO_RECORD_COMPLETE)
        assert (await raw.call(MsgId.START_VIEWFINDER, param="none_force")).rval == -21
        await raw.call(MsgId.STOP_VIEWFINDER)
        assert (await raw.call(MsgId.START_VIEWFINDER, param="none_force")).rval == 0


# -- HTTP thumbnails -----------------------------------------------------------------------


async def test_http_thumb_and_screen(emu: Emulator) -> None:
    async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
        photo = await cam.take_photo()
        await cam.start_recording()
        video = await cam.stop_recording()
        await cam.start_viewfinder()  # a Yi 1's web port answers only after 259
        url = photo.removeprefix("/tmp/fuse_d")
        thumb = await http_get(emu.http_port, url + "?type=thumb")
        screen = await http_get(emu.http_port, url + "?type=screen")
        video_url = video.removeprefix("/tmp/fuse_d")
        video_thumb = await http_get(emu.http_port, video_url + "?type=thumb")
        whole = await http_get(emu.http_port, url)
    for status, headers, body in (thumb, screen, video_thumb):
        assert status == 200
        assert headers["content-type"] == "image/jpeg"
        assert int(headers["content-length"]) == len(body)
    assert jpeg_size(thumb[2]) == (160, 90)
    assert thumb[2] == emu.state.card.local_path(photo).with_suffix(".THM").read_bytes()
    assert jpeg_size(screen[2]) == (960, 540)
    assert jpeg_size(video_thumb[2]) == (160, 90)
    assert whole[2] == emu.state.card.local_path(photo).read_bytes()


async def test_old_yi1_firmware_serves_http_without_the_viewfinder(
    start_emulator: Callable[..., Any],
) -> None:
    old: Emulator = await start_emulator(firmware="old")
    new: Emulator = await start_emulator(firmware="new")
    for emu in (old, new):
        async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
            photo = await cam.take_photo()
            await emu.idle()  # the photo's vf_start has come
            await cam.stop_viewfinder()
        if emu is old:
            status, _, _ = await http_get(emu.http_port, photo.removeprefix("/tmp/fuse_d"))
            assert status == 200
        else:
            with pytest.raises((IndexError, ValueError)):  # closed without a word
                await http_get(emu.http_port, photo.removeprefix("/tmp/fuse_d"))
