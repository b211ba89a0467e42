"""Every `Camera` method against the emulated camera over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from yicam import (
    Camera,
    CameraError,
    CardError,
    DirEntry,
    InvalidOperationError,
    InvalidPathError,
    MsgId,
    Notification,
    Notify,
    UnsafeOperationError,
    UnsupportedError,
)
from yicam.emulator import Emulator

from .conftest import wait_until
from .scripted import scripted_camera, session_then

MEDIA = "/tmp/fuse_d/DCIM/100MEDIA"


async def open_camera(emu: Emulator, **kwargs: Any) -> Camera:
    cam = Camera("127.0.0.1", emu.port, timeout=2.0, event_timeout=5.0, **kwargs)
    await cam.connect()
    return cam


# -- settings ------------------------------------------------------------------------------


async def test_settings_in_camera_order(camera: Camera) -> None:
    settings = await camera.get_settings()
    assert len(settings) == 45
    assert list(settings)[:4] == [
        "camera_clock",
        "video_standard",
        "app_status",
        "video_resolution",
    ]
    assert list(settings)[-1] == "video_rotate"
    assert settings["video_resolution"] == "1920x1080 60P 16:9"


async def test_repeated_setting_keeps_last_value_in_last_position() -> None:
    reply = (
        b'{"rval":0,"msg_id":3,"param":[{"Resolution":"1080 60FPS"},{"EV":"+0.0"},'
        b'{"Resolution":"4K 30FPS"}]}'
    )
    async with (
        scripted_camera(session_then(lambda _req: reply)) as port,
        Camera("127.0.0.1", port, timeout=2.0) as cam,
    ):
        assert await cam.get_settings() == {"EV": "+0.0", "Resolution": "4K 30FPS"}


async def test_get_and_set_setting(camera: Camera) -> None:
    await camera.set_setting("video_quality", "Fine")
    assert await camera.get_setting("video_quality") == "Fine"


async def test_setting_the_current_value_is_success(camera: Camera, emulator: Emulator) -> None:
    await camera.set_setting("video_quality", "S.Fine")  # the Yi 1 answers -14 here
    assert emulator.state.received[MsgId.SET_SETTING] == 1
    assert await camera.get_setting("video_quality") == "S.Fine"


async def test_invalid_value_is_refused(camera: Camera) -> None:
    with pytest.raises(CameraError) as info:
        await camera.set_setting("video_quality", "Ultra")
    assert info.value.rval == -13
    assert info.value.msg_id == MsgId.SET_SETTING


async def test_read_only_setting_is_refused(camera: Camera) -> None:
    with pytest.raises(CameraError, match="not writable"):
        await camera.set_setting("serial_number", "x")


async def test_unknown_setting_is_an_error(camera: Camera) -> None:
    with pytest.raises(CameraError, match="rval -13"):
        await camera.get_setting("no_such_setting")


async def test_settings_refused_while_recording(camera: Camera, emulator: Emulator) -> None:
    await camera.start_recording()
    with pytest.raises(UnsafeOperationError, match="while the camera is recording"):
        await camera.set_setting("video_quality", "Fine")
    assert emulator.state.received[MsgId.SET_SETTING] == 0
    await camera.stop_recording()


async def test_yi1_setting_while_viewfinder_runs_restarts_it(
    camera: Camera, emulator: Emulator
) -> None:
    await camera.start_viewfinder()
    await camera.set_setting("video_quality", "Normal")
    assert emulator.state.settings["video_quality"] == "Normal"
    assert emulator.state.viewfinder
    assert emulator.state.received[MsgId.STOP_VIEWFINDER] == 1
    assert emulator.state.received[MsgId.START_VIEWFINDER] == 2


async def test_options_and_permission(camera: Camera) -> None:
    options = await camera.get_options("video_standard")
    assert options.options == ("NTSC", "PAL")
    assert options.settable
    await camera.start_viewfinder()
    assert (await camera.get_options("video_standard")).permission == "readonly"


async def test_options_from_old_firmware(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(firmware="old")
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        options = await cam.get_options("meter_mode")
    assert options.options == ("center", "average", "spot")
    assert options.permission == "settable"
    assert emu.state.received[MsgId.GET_OPTIONS] == 1  # tried msg 9 first


async def test_sync_clock(camera: Camera) -> None:
    when = datetime(2030, 1, 2, 3, 4, 5)
    assert await camera.sync_clock(when) == when
    clock = datetime.strptime(await camera.get_setting("camera_clock"), "%Y-%m-%d %H:%M:%S")
    assert abs(clock - when) < timedelta(seconds=5)


async def test_sync_clock_defaults_to_now(camera: Camera) -> None:
    await camera.sync_clock()
    clock = datetime.strptime(await camera.get_setting("camera_clock"), "%Y-%m-%d %H:%M:%S")
    assert abs(clock - datetime.now()) < timedelta(seconds=5)


# -- capture -------------------------------------------------------------------------------


async def test_photo_returns_the_file_it_created(camera: Camera, emulator: Emulator) -> None:
    seen: list[Notify | str] = []
    camera.subscribe(lambda e: seen.append(e.type) if isinstance(e, Notification) else None)
    path = await camera.take_photo()
    assert path == f"{MEDIA}/YDXJ0001.jpg"
    data = (emulator.sd / "DCIM/100MEDIA/YDXJ0001.jpg").read_bytes()
    assert data[:2] == b"\xff\xd8"
    assert seen[:3] == [
        Notify.START_PHOTO_CAPTURE,
        Notify.PRECISE_CAPTURE_DATA_READY,
        Notify.PHOTO_TAKEN,
    ]
    assert await camera.take_photo() == f"{MEDIA}/YDXJ0002.jpg"


async def test_record_cycle(camera: Camera, emulator: Emulator) -> None:
    await camera.start_recording()

    async def counted_a_second() -> bool:
        return await camera.record_time() >= 1  # scaled time: 0.05 s is 1 camera second

    await wait_until(counted_a_second)
    path = await camera.stop_recording()
    assert path.endswith(".mp4")
    local = emulator.sd / path.removeprefix("/tmp/fuse_d/")
    assert local.read_bytes()[4:8] == b"ftyp"


async def test_record_errors(camera: Camera) -> None:
    with pytest.raises(InvalidOperationError):
        await camera.stop_recording()
    with pytest.raises(InvalidOperationError):
        await camera.record_time()
    await camera.start_recording()
    with pytest.raises(InvalidOperationError):
        await camera.take_photo()  # not while recording
    await camera.stop_recording()


async def test_no_card(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(card_inserted=False)
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        with pytest.raises(CardError, match="no SD card"):
            await cam.take_photo()
        with pytest.raises(CardError):
            await cam.start_recording()
        with pytest.raises(CardError):
            await cam.get_storage()
        with pytest.raises(InvalidPathError):
            await cam.list_dir(MEDIA)


async def test_full_card(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(card_size=32 * 1024)
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        with pytest.raises(CameraError, match="no space left"):
            await cam.take_photo()
        with pytest.raises(CameraError, match="no space left"):
            await cam.start_recording()


async def test_viewfinder_recovers_from_busy_after_recording(
    camera: Camera, emulator: Emulator
) -> None:
    await camera.take_photo()
    await camera.start_recording()
    await camera.stop_recording()  # photo then record leaves a Yi 1 answering 259 with -21
    await camera.start_viewfinder()
    assert emulator.state.viewfinder
    assert emulator.state.received[MsgId.START_VIEWFINDER] == 2
    assert emulator.state.received[MsgId.STOP_VIEWFINDER] == 1
    await camera.stop_viewfinder()
    assert not emulator.state.viewfinder


# -- status --------------------------------------------------------------------------------


async def test_battery_as_string_on_yi1(camera: Camera, emulator: Emulator) -> None:
    battery = await camera.get_battery()
    assert battery.level == 86
    assert not battery.on_adapter
    emulator.state.on_adapter = True
    assert (await camera.get_battery()).on_adapter


async def test_battery_as_int_on_yi4k(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(model="yi4k")
    emu.state.battery = 42
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        assert (await cam.get_battery()).level == 42


async def test_storage_follows_the_card(camera: Camera, emulator: Emulator) -> None:
    before = await camera.get_storage()
    assert before.total == 32 * 1024**3
    (emulator.sd / "DCIM/100MEDIA/big.bin").write_bytes(b"\0" * 1024 * 1024)
    emulator.state.card.rescan()  # written behind the camera's back: it counts its own writes
    after = await camera.get_storage()
    assert before.free - after.free == 1024 * 1024
    assert after.used == after.total - after.free


async def test_device_info_from_settings_on_yi1(camera: Camera) -> None:
    info = await camera.device_info()
    assert info.firmware is not None
    assert info.firmware.startswith("YDXJv22")
    assert info.hardware == "YDXJ_v22"
    assert info.model is None


async def test_device_info_from_msg_11_on_yi4k(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(model="yi4k")
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        info = await cam.device_info()
    assert info.model == "Z16"
    assert info.firmware is not None
    assert info.firmware.startswith("Z16")


# -- files ---------------------------------------------------------------------------------


async def test_list_dir(camera: Camera) -> None:
    await camera.take_photo()
    root = await camera.list_dir("/tmp/fuse_d/DCIM/")
    assert root == [DirEntry("100MEDIA", 4096, root[0].modified, True)]
    entries = {e.name: e for e in await camera.list_dir(MEDIA)}
    assert set(entries) == {"YDXJ0001.jpg", "YDXJ0001.THM"}
    photo = entries["YDXJ0001.jpg"]
    assert not photo.is_dir
    assert photo.size > 1000
    assert photo.modified is not None
    assert abs(photo.modified - datetime.now()) < timedelta(minutes=1)


async def test_list_dir_refuses_file_paths(camera: Camera, emulator: Emulator) -> None:
    with pytest.raises(UnsafeOperationError, match="looks like a file"):
        await camera.list_dir(f"{MEDIA}/YDXJ0001.mp4")
    assert emulator.state.received[MsgId.LIST] == 0
    assert camera.connected


async def test_list_missing_dir(camera: Camera) -> None:
    with pytest.raises(InvalidPathError):
        await camera.list_dir("/tmp/fuse_d/DCIM/999MEDIA")


async def test_delete(camera: Camera, emulator: Emulator) -> None:
    path = await camera.take_photo()
    await camera.delete(path)
    assert not (emulator.sd / "DCIM/100MEDIA/YDXJ0001.jpg").exists()
    with pytest.raises(InvalidPathError):
        await camera.delete(path)


async def test_media_info(camera: Camera) -> None:
    photo = await camera.media_info(await camera.take_photo())
    assert photo.media_type == "img"
    assert photo.size > 1000
    assert photo.duration is None
    await camera.start_recording()
    video = await camera.media_info(await camera.stop_recording())
    assert video.media_type == "mov"
    assert video.duration == 2.0
    with pytest.raises(InvalidPathError):
        await camera.media_info(f"{MEDIA}/YDXJ9999.jpg")


# -- maintenance ---------------------------------------------------------------------------


async def test_format_card(camera: Camera, emulator: Emulator) -> None:
    await camera.take_photo()
    await camera.format_card()
    assert [p.name for p in (emulator.sd / "DCIM/100MEDIA").iterdir()] == []
    with pytest.raises(CardError):
        await camera.take_photo()  # busy right after a format


async def test_factory_reset(camera: Camera, emulator: Emulator) -> None:
    await camera.set_setting("video_quality", "Normal")
    await camera.factory_reset()

    async def restored() -> bool:
        return await camera.get_setting("video_quality") == "S.Fine"

    await wait_until(restored)


async def test_reboot_drops_the_connection(camera: Camera) -> None:
    events = camera.events()
    await camera.reboot()
    kinds = [type(event).__name__ async for event in events]
    assert kinds[-1] == "Disconnected"
    assert not camera.connected


async def test_unknown_command(camera: Camera) -> None:
    with pytest.raises(UnsupportedError, match="not supported"):
        await camera.call(0x1000002)


async def test_raw_call(camera: Camera) -> None:
    reply = await camera.call(MsgId.GET_SPACE, type="total")
    assert reply == {"rval": 0, "msg_id": 5, "param": 32 * 1024**2}


async def test_requests_wait_while_a_photo_is_taken(camera: Camera) -> None:
    order: list[str] = []
    camera.subscribe(
        lambda e: (
            order.append("photo_taken")
            if isinstance(e, Notification) and e.type == Notify.PHOTO_TAKEN
            else None
        )
    )

    first_photo = camera.session.expect(Notify.START_PHOTO_CAPTURE)

    async def battery() -> None:
        with first_photo:
            await first_photo.wait()  # asked while the first photo is being taken
        await camera.get_battery()
        order.append("battery")

    await asyncio.gather(camera.take_photo(), battery(), camera.take_photo())
    assert order == ["photo_taken", "battery", "photo_taken"] or order == [
        "photo_taken",
        "photo_taken",
        "battery",
    ]
