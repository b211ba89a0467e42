"""New media and tethered shooting, against the emulator over loopback."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import (
    Camera,
    CameraConnectionError,
    Event,
    MediaItem,
    NewMedia,
    Notification,
    Notify,
    Reconnected,
    ReconnectPolicy,
    SyncEntry,
    Tether,
)
from yicam.emulator import Emulator, Faults


def camera_for(emu: Emulator, **kwargs: Any) -> Camera:
    """A client for `emu` with short test timeouts."""
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("event_timeout", 5.0)
    return Camera("127.0.0.1", emu.port, data_port=emu.data_port, http_port=emu.http_port, **kwargs)


def card_bytes(emu: Emulator, camera_path: str) -> bytes:
    """The bytes of a file on the emulated card."""
    return emu.state.card.local_path(camera_path).read_bytes()


def files_in(folder: Path, pattern: str = "*") -> list[Path]:
    """The files under `folder` matching `pattern`."""
    return [p for p in folder.rglob(pattern) if p.is_file()]


async def press_shutter(emu: Emulator) -> None:
    """Press the camera's own shutter button once the camera is done with what it was doing."""
    await emu.idle()
    assert emu.press_shutter() == "photo"


def jpegs_on_card(emu: Emulator) -> list[str]:
    """The camera paths of the photos on the emulated card, in order."""
    return sorted(emu.state.card.camera_path(p) for p in files_in(emu.sd, "*.jpg"))


async def landed(queue: asyncio.Queue[SyncEntry], count: int) -> list[SyncEntry]:
    """The next `count` files the tether reports; a test never waits forever."""
    async with asyncio.timeout(30):
        return [await queue.get() for _ in range(count)]


@contextlib.asynccontextmanager
async def dropping_camera(emu: Emulator) -> AsyncIterator[Camera]:
    """A reconnecting client of an emulator that drops connections (even the first one)."""
    cam = camera_for(emu, reconnect=ReconnectPolicy(initial_delay=0.01, max_delay=0.05))
    for attempt in range(10):
        try:
            await cam.connect()
            break
        except CameraConnectionError:
            if attempt == 9:
                raise
    try:
        yield cam
    finally:
        await cam.close()


async def download_under_way(folder: Path) -> None:
    """Return once a partial download shows in `folder` (a file system has no event to await)."""
    async with asyncio.timeout(20):
        part = None
        while part is None:
            part = next(iter(files_in(folder, ".yicam-*.partial")), None)
            await asyncio.sleep(0.01)


async def next_item(media: NewMedia) -> MediaItem:
    """The next new item; a test never waits forever."""
    async with asyncio.timeout(20):
        return await anext(media)


@pytest.fixture
async def cam(emulator: Emulator) -> AsyncIterator[Camera]:
    """A client session with the default emulator."""
    async with camera_for(emulator) as cam:
        yield cam


async def test_new_media_yields_client_photos_with_sidecars(cam: Camera) -> None:
    old = await cam.take_photo()
    async with cam.new_media() as media:
        first = await cam.take_photo()
        item = await next_item(media)
        assert item.path == first
        assert [s.name for s in item.sidecars] == [item.name.replace(".jpg", ".THM")]
        await cam.start_recording()
        video = await cam.stop_recording()
        item = await next_item(media)
        assert item.path == video
        assert [s.name for s in item.sidecars] == [item.name.replace(".mp4", "_thm.mp4")]
    assert old != first


async def test_new_media_yields_camera_button_photos(emulator: Emulator, cam: Camera) -> None:
    async with cam.new_media() as media:
        await press_shutter(emulator)
        item = await next_item(media)
        await emulator.idle()
        assert [item.path] == jpegs_on_card(emulator)
        assert [s.name for s in item.sidecars] == [item.name.replace(".jpg", ".THM")]


async def test_new_media_yields_every_photo_of_a_burst(emulator: Emulator, cam: Camera) -> None:
    emulator.set_setting("capture_mode", "burst quality")
    emulator.set_setting("burst_capture_number", "5 p / s")
    async with cam.new_media() as media:
        await press_shutter(emulator)
        burst = [(await next_item(media)).path for _ in range(5)]
        await emulator.idle()
    assert burst == jpegs_on_card(emulator)


async def test_new_media_yields_a_camera_time_lapse(emulator: Emulator, cam: Camera) -> None:
    emulator.set_setting("capture_mode", "precise quality cont.")
    emulator.set_setting("precise_cont_time", "0.5 sec")
    async with cam.new_media() as media:
        assert emulator.press_shutter() == "photo"
        paths = [(await next_item(media)).path for _ in range(3)]
        assert emulator.press_shutter() == "time-lapse stopped"
        await emulator.idle()
        on_card = jpegs_on_card(emulator)
        assert paths == on_card[:3]
        paths += [(await next_item(media)).path for _ in on_card[3:]]
    assert paths == on_card


async def test_new_media_yields_loop_recording_segments(
    start_emulator: Callable[..., Any],
) -> None:
    emu = await start_emulator(model="yi4k", time_scale=0.002)  # 5-minute segments: 0.6 s
    emu.set_setting("rec_mode", "record_loop")
    async with camera_for(emu) as cam, cam.new_media() as media:
        assert emu.press_shutter() == "recording started"
        segments = [await next_item(media) for _ in range(2)]  # video_record_split
        assert emu.press_shutter() == "recording stopped"
        last = await next_item(media)  # video_record_complete
        await emu.idle()
    videos = sorted(emu.state.card.camera_path(p) for p in files_in(emu.sd, "*.mp4"))
    items = [*segments, last]
    assert [i.path for i in items] == [v for v in videos if not v.endswith("_thm.mp4")]
    assert all(i.sidecars and i.sidecars[0].name.endswith("_thm.mp4") for i in items)


async def test_new_media_finds_unannounced_files_by_listing(
    emulator: Emulator, cam: Camera
) -> None:
    card = emulator.state.card
    async with cam.new_media() as media:
        # Found without any notification (e.g. while disconnected): a rescan lists the card.
        quiet = card.camera_path(card.new_media("jpg", emulator.state.now()))
        media.rescan()
        assert (await next_item(media)).path == quiet
        # A photo_taken for a file a listing already yielded is not yielded twice.
        async with cam.events() as events:
            emulator.state.notify(Notify.PHOTO_TAKEN, quiet)
            async for event in events:
                if isinstance(event, Notification) and event.param == quiet:
                    break
        last = await cam.take_photo()
        assert (await next_item(media)).path == last


async def test_new_media_yields_a_reused_name_again(cam: Camera) -> None:
    async with cam.new_media() as media:
        first = await cam.take_photo()
        assert (await next_item(media)).path == first
        await cam.delete(first)
        again = await cam.take_photo()  # the emulator numbers from the highest file left
        assert again == first
        assert (await next_item(media)).path == again


async def test_new_media_ends_with_the_connection(emulator: Emulator) -> None:
    async with camera_for(emulator) as cam:
        media = cam.new_media()
        await media.start()
    with pytest.raises(StopAsyncIteration):
        await next_item(media)


async def test_tether_lands_each_photo_with_the_cameras_bytes(
    emulator: Emulator, cam: Camera, tmp_path: Path
) -> None:
    arrived: asyncio.Queue[SyncEntry] = asyncio.Queue()
    async with Tether(cam, tmp_path, on_file=arrived.put_nowait):
        for _ in range(3):
            await cam.take_photo()
        await press_shutter(emulator)
        seen = await landed(arrived, 4)
    assert [e.path for e in seen] == jpegs_on_card(emulator)
    for entry in seen:
        assert entry.status == "downloaded"
        assert entry.local is not None
        assert entry.local.read_bytes() == card_bytes(emulator, entry.path)
        assert entry.local.relative_to(tmp_path).parts == tuple(entry.path.split("/")[-2:])
    assert not files_in(tmp_path, ".yicam-*")


async def test_tether_delete_after_keeps_nothing_verified_on_the_card(
    emulator: Emulator, cam: Camera, tmp_path: Path
) -> None:
    async with Tether(cam, tmp_path, delete_after=True, include_sidecars=True) as tether:
        photos = [await cam.take_photo() for _ in range(3)]
        await tether.drain()
    assert tether.downloaded == 6  # three photos and their .THM
    assert all(e.deleted for e in tether.entries)
    assert [e.path for e in tether.entries][::2] == photos
    media = await cam.list_media()
    assert media == []
    for entry in tether.entries:
        assert entry.local is not None
        assert entry.local.stat().st_size == entry.size


async def test_tether_resumes_through_dropped_transfers(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu = await start_emulator(faults=Faults(drop_data=0.5, seed=7))
    async with camera_for(emu) as cam:
        seen: list[SyncEntry] = []
        async with Tether(cam, tmp_path, on_file=seen.append, retries=20, retry_delay=0) as t:
            paths = [await cam.take_photo() for _ in range(4)]
            await t.drain()
    assert [e.path for e in seen] == paths
    for entry in seen:
        assert entry.status == "downloaded", entry.error
        assert entry.local is not None
        assert entry.local.read_bytes() == card_bytes(emu, entry.path)


async def test_tether_reports_a_file_it_cannot_get(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu = await start_emulator(faults=Faults(drop_data=1.0))
    async with camera_for(emu) as cam:
        seen: list[SyncEntry] = []
        async with Tether(
            cam, tmp_path, delete_after=True, on_file=seen.append, retries=2, retry_delay=0
        ) as tether:
            path = await cam.take_photo()
            await tether.drain()
        assert [(e.path, e.status, e.deleted) for e in seen] == [(path, "failed", False)]
        assert seen[0].error
        assert [m.path for m in await cam.list_media()] == [path]  # never deleted
    assert not (tmp_path / "100MEDIA" / Path(path).name).exists()


async def test_cancelled_tether_leaves_no_partial_file_under_a_final_name(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    # 1 KiB/s: the 4.4 KB photo takes 4 s, so close() comes while it downloads (at 64 KiB/s it
    # took 70 ms, and on a loaded machine the download could finish first).
    emu = await start_emulator(faults=Faults(slow_data=1))
    async with camera_for(emu) as cam:
        tether = Tether(cam, tmp_path)
        await tether.start()
        await cam.take_photo()
        await download_under_way(tmp_path)
        await tether.close()
    files = files_in(tmp_path)
    assert sorted(p.suffix for p in files) == [".json", ".partial"]  # the partial and its record
    assert all(p.name.startswith(".yicam-") for p in files)
    assert tether.entries == []


# Seeded: every connection is cut at its own byte, and a failure can be replayed.
@pytest.mark.parametrize("faults", [Faults(drop=True, seed=3), Faults(drop_data=0.3, seed=5)])
async def test_tether_loses_no_file_when_the_connection_drops(
    start_emulator: Callable[..., Any], tmp_path: Path, faults: Faults
) -> None:
    emu = await start_emulator(faults=faults)
    reconnects = 0

    def on_event(event: Event) -> None:
        nonlocal reconnects
        reconnects += isinstance(event, Reconnected)

    async with dropping_camera(emu) as cam:
        cam.subscribe(on_event)
        arrived: asyncio.Queue[SyncEntry] = asyncio.Queue()
        async with Tether(cam, tmp_path, on_file=arrived.put_nowait, retry_delay=0):
            entries = []
            for _ in range(8):
                await press_shutter(emu)  # its photo_taken is lost when the session is down
                entries += await landed(arrived, 1)  # by its notification, or on reconnect
    assert sorted(e.path for e in entries) == jpegs_on_card(emu)
    for entry in entries:
        assert entry.status == "downloaded", entry.error
        assert entry.local is not None
        assert entry.local.read_bytes() == card_bytes(emu, entry.path)
    assert reconnects >= 1 or not faults.drop  # the fault did hit the session


async def test_capture_never_waits_for_a_download(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu = await start_emulator(faults=Faults(slow_data=2))  # a 4.5 KB photo takes about 2 s
    async with camera_for(emu) as cam:
        arrived: asyncio.Queue[SyncEntry] = asyncio.Queue()
        async with Tether(cam, tmp_path, on_file=arrived.put_nowait):
            first = await cam.take_photo()
            await download_under_way(tmp_path)
            second = await cam.take_photo()  # not held up by the download in progress
            assert arrived.empty()  # the first photo is still on its way
            assert [e.path for e in await landed(arrived, 2)] == [first, second]
