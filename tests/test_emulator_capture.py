"""Captures belong to the camera: every mode survives a client that hangs up at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera, MsgId, Notify
from yicam.emulator import Emulator

from .raw_client import RawClient, wait_until

MODELS = [("yi1", "new"), ("yi1", "old"), ("yi4k", "new"), ("yi4k", "old")]
IDS = ["yi1-new", "yi1-old", "yi4k-new", "yi4k-old"]


def media(emu: Emulator, suffix: str) -> list[Path]:
    """The card's photos (`.jpg`) or videos (`.mp4`, sidecars left out)."""
    return sorted(
        p
        for p in (emu.sd / "DCIM").rglob(f"*{suffix}")
        if not p.name.endswith("_thm.mp4") and not p.name.startswith(".")
    )


async def setting(raw: RawClient, name: str, value: str) -> None:
    reply = await raw.call(MsgId.SET_SETTING, type=name, param=value)
    assert reply.rval in (0, -14), reply


@pytest.fixture(params=MODELS, ids=IDS)
async def emu(request: pytest.FixtureRequest, start_emulator: Callable[..., Any]) -> Emulator:
    model, firmware = request.param
    emulator: Emulator = await start_emulator(model=model, firmware=firmware)
    return emulator


async def test_photo_survives_the_client_hanging_up(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        raw.send(MsgId.TAKE_PHOTO)  # and gone, without reading the reply
    await wait_until(lambda: emu.state.received[MsgId.TAKE_PHOTO] == 1)
    await emu.idle()
    (photo,) = media(emu, ".jpg")
    assert photo.name == "YDXJ0001.jpg"
    assert photo.with_suffix(".THM").is_file()
    assert photo.read_bytes()[:2] == b"\xff\xd8"
    async with RawClient(emu.port) as again:  # the next client finds it on the card
        listing = await again.call(MsgId.LIST, param="/tmp/fuse_d/DCIM/100MEDIA/ -D -S")
    names = [next(iter(entry)) for entry in listing.fields["listing"]]
    assert names == ["YDXJ0001.THM", "YDXJ0001.jpg"]


async def test_recording_survives_the_client_hanging_up(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.START_RECORD)).rval == 0
        raw.send(MsgId.STOP_RECORD)
    await wait_until(lambda: emu.state.received[MsgId.STOP_RECORD] == 1)
    await emu.idle()
    (video,) = media(emu, ".mp4")
    assert video.with_name(video.stem + "_thm.mp4").is_file()


async def test_recording_goes_on_after_the_client_left(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.START_RECORD)).rval == 0
    async with RawClient(emu.port) as again:
        assert (await again.call(MsgId.RECORD_TIME)).rval == 0
        assert (await again.call(MsgId.STOP_RECORD)).rval == 0
        note = await again.notification(Notify.VIDEO_RECORD_COMPLETE)
    assert emu.state.card.local_path(note.param) == media(emu, ".mp4")[0]


async def test_burst_survives_the_client_hanging_up(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        await setting(raw, "capture_mode", "burst quality")
        raw.send(MsgId.TAKE_PHOTO)
    await wait_until(lambda: emu.state.received[MsgId.TAKE_PHOTO] == 1)
    await emu.idle()
    assert len(media(emu, ".jpg")) == 7  # "7 p / s" on the Yi 1; 7 on the 4K too


async def test_timelapse_photo_survives_the_client_hanging_up(emu: Emulator) -> None:
    async with RawClient(emu.port) as raw:
        await setting(raw, "precise_cont_time", "0.5 sec")
        await setting(raw, "capture_mode", "precise quality cont.")
        raw.send(MsgId.TAKE_PHOTO)
    await wait_until(lambda: len(media(emu, ".jpg")) >= 3)
    async with RawClient(emu.port) as again:
        assert (await again.call(MsgId.STOP_CONTINUOUS_CAPTURE)).rval == 0
        await again.notification(Notify.PRECISE_CONT_COMPLETE)
        assert (await again.call(MsgId.STOP_CONTINUOUS_CAPTURE)).rval == -14
    await emu.idle()
    taken = len(media(emu, ".jpg"))
    assert taken >= 3


async def test_loop_recording_survives_the_client_hanging_up(
    start_emulator: Callable[..., Any],
) -> None:
    for model, key, value in (("yi1", "loop_record", "on"), ("yi4k", "rec_mode", "record_loop")):
        emu: Emulator = await start_emulator(model=model, time_scale=0.001)  # 5 min = 0.3 s
        async with RawClient(emu.port) as raw:
            await setting(raw, key, value)
            assert (await raw.call(MsgId.START_RECORD)).rval == 0
        await wait_until(lambda emu=emu: len(media(emu, ".mp4")) >= 2)  # type: ignore[misc]
        async with RawClient(emu.port) as again:
            assert (await again.call(MsgId.STOP_RECORD)).rval == 0
            last = await again.notification(Notify.VIDEO_RECORD_COMPLETE)
        await emu.idle()
        files = media(emu, ".mp4")
        assert len(files) >= 3
        assert emu.state.card.local_path(last.param) == files[-1]


async def test_loop_segments_are_announced(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator(time_scale=0.001)
    async with RawClient(emu.port) as raw:
        await setting(raw, "loop_record", "on")
        assert (await raw.call(MsgId.START_RECORD)).rval == 0
        first = await raw.notification(Notify.VIDEO_RECORD_SPLIT)
        second = await raw.notification(Notify.VIDEO_RECORD_SPLIT)
        assert (await raw.call(MsgId.STOP_RECORD)).rval == 0
        last = await raw.notification(Notify.VIDEO_RECORD_COMPLETE)
    paths = [first.param, second.param, last.param]
    assert len(set(paths)) == 3
    assert all(emu.state.card.local_path(p).is_file() for p in paths)


async def test_loop_recording_drops_the_oldest_segment_when_full(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator(time_scale=0.001, card_size=1024 * 1024 + 40_000)
    async with RawClient(emu.port) as raw:
        await setting(raw, "loop_record", "on")
        assert (await raw.call(MsgId.START_RECORD)).rval == 0
        splits = [await raw.notification(Notify.VIDEO_RECORD_SPLIT) for _ in range(6)]
        assert (await raw.call(MsgId.STOP_RECORD)).rval == 0
    await emu.idle()
    kept = {emu.state.card.camera_path(p) for p in media(emu, ".mp4")}
    assert splits[0].param not in kept  # overwritten by later segments
    assert splits[-1].param in kept


async def test_self_timer_photo(start_emulator: Callable[..., Any]) -> None:
    emu: Emulator = await start_emulator()
    async with RawClient(emu.port) as raw:
        await setting(raw, "capture_mode", "precise self quality")
        assert (await raw.call(MsgId.TAKE_PHOTO)).rval == 0
        assert emu.state.settings["precise_self_running"] == "on"
        note = await raw.notification(Notify.PHOTO_TAKEN)
    assert emu.state.card.local_path(note.param).is_file()
    assert emu.state.settings["precise_self_running"] == "off"


async def test_burst_notifications(camera: Camera, emulator: Emulator) -> None:
    await camera.set_setting("capture_mode", "burst quality")
    await camera.set_setting("burst_capture_number", "3 p / s")
    seen: list[object] = []
    camera.subscribe(lambda event: seen.append(getattr(event, "type", None)))
    await camera.call(MsgId.TAKE_PHOTO)
    await wait_until(lambda: Notify.VF_START in seen)
    assert seen == [
        Notify.START_PHOTO_CAPTURE,
        Notify.PRECISE_CAPTURE_DATA_READY,
        Notify.PHOTO_TAKEN,
        Notify.PHOTO_TAKEN,
        Notify.PHOTO_TAKEN,
        Notify.BURST_COMPLETE,
        Notify.VF_START,
    ]
    assert len(media(emulator, ".jpg")) == 3
