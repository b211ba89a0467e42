"""Upload, thumbnails, media info, list_media, session ends, untrusted names and sync."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest

from yicam import (
    Camera,
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    MsgId,
    TransferCancelledError,
    UnsafeNameError,
)
from yicam._transfers.data_port import put_file
from yicam._transfers.partial import Partial
from yicam._transfers.safety import check_name, safe_join
from yicam.emulator import Emulator
from yicam.emulator.faults import Faults

MEDIA = "/tmp/fuse_d/DCIM/100MEDIA"


def connect(emu: Emulator, **kwargs: Any) -> Camera:
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("event_timeout", 5.0)
    return Camera("127.0.0.1", emu.port, data_port=emu.data_port, http_port=emu.http_port, **kwargs)


async def test_upload_then_download(camera: Camera, emulator: Emulator, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    src = tmp_path / "up.bin"
    src.write_bytes(data)
    await camera.upload(src, f"{MEDIA}/up.bin")
    assert (emulator.sd / "DCIM" / "100MEDIA" / "up.bin").read_bytes() == data
    with pytest.raises(CameraError) as info:
        await camera.upload(src, f"{MEDIA}/up.bin")
    assert info.value.rval == -13
    back = await camera.download(f"{MEDIA}/up.bin", tmp_path / "back.bin")
    assert back.path.read_bytes() == data


async def test_empty_upload(camera: Camera, emulator: Emulator, tmp_path: Path) -> None:
    src = tmp_path / "enable_info_display.script"
    src.write_bytes(b"")
    await camera.upload(src, "/tmp/fuse_d/enable_info_display.script")
    assert (emulator.sd / "enable_info_display.script").read_bytes() == b""


async def test_upload_with_a_wrong_md5_is_rejected(
    camera: Camera, emulator: Emulator, tmp_path: Path
) -> None:
    src = tmp_path / "x.bin"
    src.write_bytes(b"hello")
    with pytest.raises(Exception, match="rejected"):
        await put_file(camera.session, src, f"{MEDIA}/x.bin", "0" * 32, 5, 5.0, lambda stop: None)
    assert not (emulator.sd / "DCIM" / "100MEDIA" / "x.bin").exists()
    with pytest.raises(CameraError) as info:
        await camera.call(1286, param=f"{MEDIA}/y.bin", size=1)  # no md5sum
    assert info.value.rval == -25


async def test_thumbnail_and_media_info(camera: Camera) -> None:
    photo = await camera.take_photo()
    thumb = await camera.thumbnail(photo)
    assert thumb.startswith(b"\xff\xd8")
    await camera.start_recording()
    video = await camera.stop_recording()
    assert (await camera.thumbnail(video)).startswith(b"\xff\xd8")
    info = await camera.media_info(video)
    assert info.media_type == "mov"
    assert info.duration is not None
    assert (await camera.media_info(photo)).resolution == "4608x3456"


async def test_list_media_attaches_sidecars_and_leaves_orphans_out(
    camera: Camera, emulator: Emulator
) -> None:
    photo = await camera.take_photo()
    await camera.start_recording()
    video = await camera.stop_recording()
    (emulator.sd / "DCIM" / "101MEDIA").mkdir()
    (emulator.sd / "DCIM" / "101MEDIA" / "YDXJ0100_thm.mp4").write_bytes(b"orphan")
    (emulator.sd / "DCIM" / "101MEDIA" / "YDXJ0101.THM").write_bytes(b"orphan")
    (emulator.sd / "DCIM" / "MISC").mkdir()
    items = await camera.list_media()
    by_path = {i.path: i for i in items}
    assert [s.name for s in by_path[photo].sidecars] == [Path(photo).stem + ".THM"]
    assert [s.name for s in by_path[video].sidecars] == [Path(video).stem + "_thm.mp4"]
    assert sorted(by_path) == sorted([photo, video])  # the orphan sidecars are not media


async def test_stop_session_cancels_the_transfer(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu: Emulator = await start_emulator(faults=Faults(slow_data=128))
    (emu.sd / "DCIM" / "100MEDIA" / "BIG.mp4").write_bytes(os.urandom(2_000_000))
    async with connect(emu) as cam:
        started = asyncio.Event()
        task = asyncio.create_task(
            cam.download(f"{MEDIA}/BIG.mp4", tmp_path, progress=lambda d, t: started.set())
        )
        await started.wait()
        await cam.call(258)
        with pytest.raises(CameraConnectionError):
            await task
    assert Partial(tmp_path / "BIG.mp4").path.exists()
    assert not (tmp_path / "BIG.mp4").exists()
    assert emu.state.data_service is not None
    assert not emu.state.data_service.slots


async def test_take_over_cancels_the_transfer(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu: Emulator = await start_emulator(faults=Faults(slow_data=128))
    (emu.sd / "DCIM" / "100MEDIA" / "BIG.mp4").write_bytes(os.urandom(2_000_000))
    async with connect(emu, keep_session=False) as cam:
        started = asyncio.Event()
        task = asyncio.create_task(
            cam.download(f"{MEDIA}/BIG.mp4", tmp_path, progress=lambda d, t: started.set())
        )
        await started.wait()
        async with connect(emu) as other:
            with pytest.raises(CameraConnectionError):
                await task
            # The slot is free again for the new holder.
            (emu.sd / "DCIM" / "100MEDIA" / "SMALL.mp4").write_bytes(b"s" * 1000)
            path = (await other.download(f"{MEDIA}/SMALL.mp4", tmp_path)).path
            assert path.read_bytes() == b"s" * 1000


async def test_busy_put(start_emulator: Callable[..., Any], tmp_path: Path) -> None:
    emu: Emulator = await start_emulator()
    async with connect(emu) as cam:
        _reader, writer = await asyncio.open_connection("127.0.0.1", emu.data_port)
        try:
            md5 = hashlib.md5(b"x" * 10).hexdigest()
            await cam.call(1286, param=f"{MEDIA}/a.bin", md5sum=md5, size=10, offset=0)
            with pytest.raises(CameraBusyError):
                await cam.call(1286, param=f"{MEDIA}/b.bin", md5sum=md5, size=10, offset=0)
            assert (await cam.call(1287, param=f"{MEDIA}/a.bin"))["transferred_size"] == 0
        finally:
            writer.close()
            await writer.wait_closed()


@pytest.mark.parametrize(
    "name", ["..", ".", "", "a/b", "../../etc/passwd", "/etc/passwd", "a\x00b", "x..y", "C:evil"]
)
def test_unsafe_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafeNameError):
        check_name(name)
    with pytest.raises(UnsafeNameError):
        safe_join(tmp_path, "100MEDIA", name)


async def test_download_refuses_a_traversal_name(camera: Camera, tmp_path: Path) -> None:
    with pytest.raises(UnsafeNameError):
        await camera.download("/tmp/fuse_d/DCIM/100MEDIA/..", tmp_path)
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240


async def test_sync_never_writes_outside(
    camera: Camera, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await camera.take_photo()
    card = emulator.state.card
    real = card.listing

    def evil_listing(directory: Path) -> list[dict[str, str]]:
        entries = real(directory)
        if directory.name == "100MEDIA":
            entries.append({"../../escape.jpg": "10 bytes|2024-01-01 00:00:00"})
        if directory.name == "DCIM":
            entries.append({"..MEDIA/": "4096 bytes|2024-01-01 00:00:00"})
        return entries

    monkeypatch.setattr(card, "listing", evil_listing)
    dest = tmp_path / "out"
    report = await camera.sync(dest)
    skipped = [e for e in report.entries if e.status == "skipped"]
    assert len(skipped) == 1
    assert "refusing" in (skipped[0].error or "")
    assert report.count("downloaded") == 1
    assert not (tmp_path / "escape.jpg").exists()
    assert {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*")} == {"out"}  # noqa: ASYNC240


async def test_sync_twice_and_delete_after(
    camera: Camera, emulator: Emulator, tmp_path: Path
) -> None:
    photo = await camera.take_photo()
    await camera.start_recording()
    video = await camera.stop_recording()
    first = await camera.sync(tmp_path, include_sidecars=True)
    assert first.count("downloaded") == 4  # two media, two sidecars
    second = await camera.sync(tmp_path, include_sidecars=True)
    assert second.count("downloaded") == 0
    assert second.count("present") == 4
    # A new photo; the earlier files are present, not re-verified, so they stay on the camera.
    new = await camera.take_photo()
    third = await camera.sync(tmp_path, delete_after=True)
    assert [e.path for e in third.entries if e.deleted] == [new]
    # Its sidecar was not downloaded (no --include-sidecars), so it stays on the camera,
    # where it is no longer media of its own.
    sidecar = Path(new.removesuffix(".jpg") + ".THM").name
    assert {i.path for i in await camera.list_media()} == {photo, video}
    assert (emulator.sd / "DCIM" / "100MEDIA" / sidecar).is_file()


async def test_sync_reports_a_conflict_and_keeps_the_local_file(
    camera: Camera, tmp_path: Path
) -> None:
    photo = await camera.take_photo()
    local = tmp_path / "100MEDIA" / Path(photo).name
    local.parent.mkdir()
    local.write_bytes(b"another card's photo")
    report = await camera.sync(tmp_path, delete_after=True)
    assert report.count("skipped") == 1
    assert "exists with another size" in (report.entries[0].error or "")
    assert report.deleted == 0
    assert local.read_bytes() == b"another card's photo"


async def test_sync_never_deletes_by_wildcard(
    camera: Camera, emulator: Emulator, tmp_path: Path
) -> None:
    # A Yi 1 deletes every file matching `*` or `?`: deleting a copied file named with one
    # would also delete files that were never copied.
    photo = await camera.take_photo()
    kept = tmp_path / "100MEDIA" / Path(photo).name  # another file of that name: not copied
    kept.parent.mkdir()
    kept.write_bytes(b"another card's photo")
    (emulator.sd / "DCIM" / "100MEDIA" / "YDXJ000?.jpg").write_bytes(b"odd" * 1000)
    report = await camera.sync(tmp_path, delete_after=True)
    odd = next(e for e in report.entries if e.path == f"{MEDIA}/YDXJ000?.jpg")
    assert odd.status == "downloaded"
    assert not odd.deleted
    assert "refusing to delete" in (odd.error or "")
    assert emulator.state.received[MsgId.DELETE] == 0
    assert {i.path for i in await camera.list_media()} == {photo, odd.path}


@pytest.mark.parametrize("size", ["thumb", "screen"])
async def test_http_thumbnails_from_the_emulator(
    start_emulator: Callable[..., Any], size: Literal["thumb", "screen"]
) -> None:
    emu: Emulator = await start_emulator(model="yi4k")  # its web server needs no viewfinder
    async with connect(emu) as cam:
        photo = await cam.take_photo()
        await cam.start_recording()
        video = await cam.stop_recording()
        for path in (photo, video):
            local = emu.state.card.local_path(path)
            expected = emu.state.card.preview(local, size)
            assert expected.startswith(b"\xff\xd8")
            assert await cam.thumbnail(path, size=size, via="http") == expected
            assert await cam.thumbnail(path, size=size) == expected  # auto: HTTP here
            assert await cam.thumbnail(path, size=size, via="data") == expected  # msg 1025


async def test_http_thumbnails_while_a_download_holds_the_data_port(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu: Emulator = await start_emulator(model="yi4k", faults=Faults(slow_data=256))
    (emu.sd / "DCIM" / "100MEDIA" / "BIG.mp4").write_bytes(os.urandom(3_000_000))
    async with connect(emu) as cam:
        photo = await cam.take_photo()
        started = asyncio.Event()

        def progress(done: int, total: int) -> None:
            if done:
                started.set()

        download = asyncio.create_task(
            cam.download(f"{MEDIA}/BIG.mp4", tmp_path, progress=progress)
        )
        await started.wait()
        for _ in range(20):  # a media grid loading thumbnails while the download runs
            assert (await cam.thumbnail(photo)).startswith(b"\xff\xd8")
        assert not download.done()
        assert await cam.cancel_transfer()
        with pytest.raises(TransferCancelledError):
            await download


async def test_auto_thumbnails_do_not_start_a_yi1_viewfinder(
    camera: Camera, emulator: Emulator
) -> None:
    photo = await camera.take_photo()
    await emulator.idle()  # a Yi 1 starts its viewfinder again by itself just after a photo
    await camera.stop_viewfinder()
    assert (await camera.thumbnail(photo)).startswith(b"\xff\xd8")
    assert emulator.state.received[MsgId.GET_THUMB] == 1  # over the data port
    assert emulator.state.received[MsgId.START_VIEWFINDER] == 0
    assert not emulator.state.viewfinder
    local = emulator.state.card.local_path(photo)
    screen = await camera.thumbnail(photo, size="screen", via="http")  # starts it (259)
    assert screen == emulator.state.card.preview(local, "screen")
    assert emulator.state.received[MsgId.START_VIEWFINDER] == 1
    assert emulator.state.viewfinder


async def test_sync_finishes_against_an_emulator_that_cuts_transfers(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu: Emulator = await start_emulator(faults=Faults(drop_data=0.5, seed=3))
    folder = emu.sd / "DCIM" / "100MEDIA"
    data = {f"YDXJ{n:04d}.mp4": os.urandom(200_000 + n) for n in range(4)}
    for name, content in data.items():
        (folder / name).write_bytes(content)
    async with connect(emu) as cam:
        report = await cam.sync(tmp_path, delete_after=True, retries=20)
    assert report.ok, report
    assert report.retries > 0
    assert any(e.resumed_from for e in report.entries)  # a cut transfer went on where it was
    for name, content in data.items():
        assert (tmp_path / "100MEDIA" / name).read_bytes() == content
    assert report.deleted == 4
    assert not list(tmp_path.rglob(".yicam-*"))  # noqa: ASYNC240
