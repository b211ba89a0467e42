"""Downloads and syncs against a hostile scripted camera: no data lost, no disk filled,
no file outside the destination, no wait longer than the stall timeout, every good file copied.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from yicam import (
    CameraConnectionError,
    CameraTimeoutError,
    ReconnectPolicy,
    SyncReport,
    TransferError,
    UnsafeNameError,
)
from yicam._transfers.partial import Partial, Source
from yicam._transfers.safety import check_name

from .hostile import DCIM, HANGUP, CardFile, HostileCamera

STALL = 0.3  # seconds: the stall timeout of these tests
LONG = 300.0  # the camera's event_timeout: a wait of this long would fail the test


def on_disk(dest: Path) -> dict[str, bytes]:
    """Every file under `dest` under its final name (yicam's partials left out)."""
    return {
        p.relative_to(dest).as_posix(): p.read_bytes()
        for p in dest.rglob("*")
        if p.is_file() and not p.name.startswith(".yicam-")
    }


def leftovers(dest: Path) -> list[Path]:
    """yicam's partial files and records under `dest`."""
    return [p for p in dest.rglob(".yicam-*")]


def assert_all_inside(root: Path, dest: Path) -> None:
    """Nothing was written under `root` except inside `dest`."""
    for path in root.rglob("*"):
        assert path == dest or dest in path.parents, f"{path} is outside {dest}"


def status(report: SyncReport) -> dict[str, str]:
    return {e.path.rsplit("/", 1)[-1]: e.status for e in report.entries}


def media(*names: str) -> list[str]:
    return [f"{DCIM}/100MEDIA/{n}" for n in names]


async def bounded(coro: Any) -> Any:
    """`coro`, which must end long before the camera's event_timeout (LONG)."""
    async with asyncio.timeout(30):
        return await coro


# -- 1. yicam's partial files: no camera file can take their names ------------------------


async def test_a_camera_file_named_like_another_plus_part_is_just_a_file(tmp_path: Path) -> None:
    a, b = os.urandom(5000), os.urandom(7000)
    card = {"100MEDIA": {"YDXJ0001.jpg.part": CardFile(a), "YDXJ0001.jpg": CardFile(b)}}
    dest = tmp_path / "out"
    async with HostileCamera(card) as fake, fake.client() as cam:
        report = await cam.sync(dest, delete_after=True)
        again = await cam.sync(dest)
    assert report.ok
    assert on_disk(dest) == {"100MEDIA/YDXJ0001.jpg.part": a, "100MEDIA/YDXJ0001.jpg": b}
    assert sorted(fake.deleted) == sorted(media("YDXJ0001.jpg", "YDXJ0001.jpg.part"))
    assert all(get.offset == 0 for get in fake.gets)
    assert again.count("present") == 2
    assert not leftovers(dest)


async def test_camera_names_in_yicams_own_space_are_skipped(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    partial = Partial(dest / "100MEDIA" / "YDXJ0001.jpg")
    real = os.urandom(6000)
    card = {
        "100MEDIA": {
            partial.path.name: CardFile(b"\0" * 4000),  # would be resumed into YDXJ0001.jpg
            partial.record.name: CardFile(b"{}"),
            ".YICAM-other.partial": CardFile(b"x"),  # case-insensitive file systems
            "YDXJ0001.jpg": CardFile(real),
        }
    }
    async with HostileCamera(card) as fake, fake.client() as cam:
        report = await cam.sync(dest, delete_after=True)
    assert status(report) == {
        partial.path.name: "skipped",
        partial.record.name: "skipped",
        ".YICAM-other.partial": "skipped",
        "YDXJ0001.jpg": "downloaded",
    }
    assert all(
        "partial files" in (e.error or "") for e in report.entries if e.status != "downloaded"
    )
    assert on_disk(dest) == {"100MEDIA/YDXJ0001.jpg": real}
    assert fake.deleted == media("YDXJ0001.jpg")
    assert not report.ok


async def test_a_partial_file_without_a_record_is_not_resumed(tmp_path: Path) -> None:
    data = os.urandom(8000)
    partial = Partial(tmp_path / "A.mp4")
    partial.path.write_bytes(b"\0" * 3000)  # not yicam's, or its record was lost
    async with HostileCamera({"100MEDIA": {"A.mp4": CardFile(data)}}) as fake, fake.client() as cam:
        result = await cam.download(media("A.mp4")[0], tmp_path)
    assert (result.resumed_from, result.verified_by) == (0, "md5")
    assert (tmp_path / "A.mp4").read_bytes() == data
    assert [g.offset for g in fake.gets] == [0]
    assert not leftovers(tmp_path)


@pytest.mark.parametrize(
    "other",
    [
        {"camera_path": f"{DCIM}/100MEDIA/B.mp4"},
        {"host": "127.0.0.9"},
        {"size": 9999},
        {"modified": "2020-01-01T00:00:00"},
    ],
)
async def test_a_partial_file_of_another_source_is_not_resumed(
    tmp_path: Path, other: dict[str, Any]
) -> None:
    data = os.urandom(8000)
    partial = Partial(tmp_path / "A.mp4")
    fields: dict[str, Any] = {
        "camera_path": f"{DCIM}/100MEDIA/A.mp4",
        "host": "127.0.0.1",
        "size": 8000,
        "modified": "2024-01-02T03:04:05",
        **other,
    }
    partial.begin(Source(**fields), fields["size"])
    partial.path.write_bytes(b"\0" * 3000)
    async with HostileCamera({"100MEDIA": {"A.mp4": CardFile(data)}}) as fake, fake.client() as cam:
        result = await cam.download(media("A.mp4")[0], tmp_path)
    assert result.resumed_from == 0
    assert (tmp_path / "A.mp4").read_bytes() == data


@pytest.mark.parametrize("via", ["data", "http"])
async def test_yicams_own_partial_file_is_resumed(tmp_path: Path, via: Any) -> None:
    data = os.urandom(8000)
    card = {"100MEDIA": {"A.mp4": CardFile(data, faults=[("cut", 3000)])}}
    async with HostileCamera(card) as fake, fake.client() as cam:
        with pytest.raises(CameraConnectionError):
            await cam.download(media("A.mp4")[0], tmp_path, via=via)
        assert not (tmp_path / "A.mp4").exists()
        result = await cam.download(media("A.mp4")[0], tmp_path, via=via)
    assert result.resumed_from == 3000
    assert result.verified_by == ("md5" if via == "data" else "size")
    assert (tmp_path / "A.mp4").read_bytes() == data
    assert [g.offset for g in fake.gets] == [0, 3000]
    assert not leftovers(tmp_path)


# -- 2. the disk cannot be filled: sizes are checked before writing -----------------------


@pytest.mark.parametrize(
    "lie",
    [
        {"rem_size": 1 << 30},  # more than the listing
        {"size": 1 << 30, "rem_size": 1 << 30},  # the reply agrees with itself, not the listing
        {"rem_size": 20},  # more than size - offset
        {"rem_size": 5},  # less than size - offset
        {"rem_size": -1},
        {"size": -10, "rem_size": -10},
    ],
)
async def test_announced_sizes_that_disagree_are_refused_before_writing(
    tmp_path: Path, lie: dict[str, Any]
) -> None:
    before, after = os.urandom(3000), os.urandom(4000)
    card = {
        "100MEDIA": {
            "A.jpg": CardFile(before),
            "LIE.mp4": CardFile(b"0123456789", extra=os.urandom(1 << 20), **lie),
            "Z.jpg": CardFile(after),
        }
    }
    dest = tmp_path / "out"
    async with HostileCamera(card) as fake, fake.client() as cam:
        report = await cam.sync(dest, delete_after=True)
    assert status(report) == {"A.jpg": "downloaded", "LIE.mp4": "failed", "Z.jpg": "downloaded"}
    lie_entry = next(e for e in report.entries if e.path.endswith("LIE.mp4"))
    assert "nothing written" in (lie_entry.error or "")
    assert on_disk(dest) == {"100MEDIA/A.jpg": before, "100MEDIA/Z.jpg": after}
    assert all(p.stat().st_size <= 10 for p in leftovers(dest))
    assert sorted(fake.deleted) == media("A.jpg", "Z.jpg")
    assert_all_inside(tmp_path, dest)


async def test_an_http_length_that_disagrees_is_refused(tmp_path: Path) -> None:
    card = {"100MEDIA": {"LIE.mp4": CardFile(b"0123456789", http_length=1 << 30)}}
    async with HostileCamera(card) as fake, fake.client() as cam:
        with pytest.raises(TransferError, match="nothing written"):
            await cam.download(media("LIE.mp4")[0], tmp_path, via="http")
    assert not (tmp_path / "LIE.mp4").exists()
    assert all(p.stat().st_size == 0 for p in leftovers(tmp_path))


@pytest.mark.parametrize("via", ["data", "http"])
async def test_bytes_beyond_the_announced_size_are_never_written(tmp_path: Path, via: Any) -> None:
    data = os.urandom(5000)
    card = {"100MEDIA": {"A.mp4": CardFile(data, extra=os.urandom(1 << 20))}}
    async with HostileCamera(card) as fake, fake.client() as cam:
        result = await cam.download(media("A.mp4")[0], tmp_path, via=via)
    assert result.size == 5000
    assert (tmp_path / "A.mp4").read_bytes() == data


async def test_a_size_lie_never_leaves_a_file_under_its_final_name(tmp_path: Path) -> None:
    # The camera's reply agrees with the lie and the data is all there: still refused.
    card = {"100MEDIA": {"A.jpg": CardFile(os.urandom(100), listed=10)}}
    dest = tmp_path / "out"
    async with HostileCamera(card) as fake, fake.client() as cam:
        report = await cam.sync(dest, delete_after=True)
    assert status(report) == {"A.jpg": "failed"}
    assert on_disk(dest) == {}
    assert fake.deleted == []


# -- 4. one bad file does not stop a sync ---------------------------------------------------


async def test_sync_finishes_every_file_it_can(tmp_path: Path) -> None:
    good = {f"G{i}.jpg": CardFile(os.urandom(2000 + i)) for i in range(3)}
    cut = os.urandom(300_000)
    long_name = "Y" * 246 + ".mp4"  # 250 bytes: a file system takes it, `NAME.part` would not
    card = {
        "100MEDIA": {
            "A.jpg": good["G0.jpg"],
            "x" * 5000 + ".jpg": CardFile(b"too long"),
            "\udc80bad.jpg": CardFile(b"lone surrogate"),
            "NEG.mp4": CardFile(b"n" * 10, rem_size=-1),
            "CUT.mp4": CardFile(cut, faults=[("cut", 1000), ("stall", 70_000)]),
            long_name: good["G1.jpg"],
            "Z.jpg": good["G2.jpg"],
        },
        "101MEDIA": {"LOST.jpg": CardFile(b"unreachable")},
        "102MEDIA": {"B.jpg": CardFile(b"after the broken folder")},
    }

    def broken(folder: str) -> dict[str, Any] | None:
        return {"rval": -26} if folder == "101MEDIA" else None

    dest = tmp_path / "out"
    fake = HostileCamera(card, listing_reply=broken)
    async with fake, fake.client(event_timeout=LONG) as cam:
        report = await bounded(cam.sync(dest, delete_after=True, stall_timeout=STALL))
    by_name = status(report)
    assert by_name == {
        "A.jpg": "downloaded",
        "x" * 5000 + ".jpg": "skipped",
        "\udc80bad.jpg": "skipped",
        "NEG.mp4": "failed",
        "CUT.mp4": "downloaded",
        long_name: "downloaded",
        "Z.jpg": "downloaded",
        "101MEDIA": "failed",
        "B.jpg": "downloaded",
    }
    assert not report.ok
    assert report.retries == 2
    assert [g.offset for g in fake.gets if g.path.endswith("CUT.mp4")] == [0, 1000, 71_000]
    assert on_disk(dest) == {
        "100MEDIA/A.jpg": good["G0.jpg"].data,
        "100MEDIA/CUT.mp4": cut,
        f"100MEDIA/{long_name}": good["G1.jpg"].data,
        "100MEDIA/Z.jpg": good["G2.jpg"].data,
        "102MEDIA/B.jpg": b"after the broken folder",
    }
    assert sorted(fake.deleted) == sorted(
        [*media("A.jpg", "CUT.mp4", long_name, "Z.jpg"), f"{DCIM}/102MEDIA/B.jpg"]
    )
    assert not leftovers(dest) or all(p.stat().st_size <= 10 for p in leftovers(dest))
    assert_all_inside(tmp_path, dest)


async def test_a_listing_cut_by_a_drop_is_tried_again_after_the_reconnect(
    tmp_path: Path,
) -> None:
    data = {"A.jpg": os.urandom(3000), "B.mp4": os.urandom(9000)}
    card = {"100MEDIA": {name: CardFile(d) for name, d in data.items()}}
    cuts = [HANGUP, HANGUP]

    def cut_twice(folder: str) -> dict[str, Any] | None:
        return cuts.pop() if folder == "100MEDIA" and cuts else None

    fake = HostileCamera(card, listing_reply=cut_twice)
    async with fake, fake.client(reconnect=ReconnectPolicy(initial_delay=0.01)) as cam:
        report = await bounded(cam.sync(tmp_path / "out"))
    assert report.ok
    assert on_disk(tmp_path / "out") == {f"100MEDIA/{n}": d for n, d in data.items()}


async def test_without_a_session_the_rest_fails_at_once(tmp_path: Path) -> None:
    card = {
        "100MEDIA": {
            "A.mp4": CardFile(os.urandom(50_000), faults=[("stall", 1000)]),
            "B.mp4": CardFile(b"never tried"),
        }
    }
    fake = HostileCamera(card)
    async with fake, fake.client(event_timeout=LONG) as cam:  # no reconnect policy
        started = asyncio.Event()

        def progress(done: int, total: int) -> None:
            if done:
                started.set()

        sync = asyncio.create_task(
            cam.sync(tmp_path, progress=lambda item: progress, stall_timeout=STALL)
        )
        await bounded(started.wait())
        await cam.close()  # the session ends while the transfer stalls
        report = await bounded(sync)
    assert status(report) == {"A.mp4": "failed", "B.mp4": "failed"}
    assert "not tried" in (report.entries[1].error or "")
    assert on_disk(tmp_path) == {}


async def test_retries_are_bounded(tmp_path: Path) -> None:
    card = {
        "100MEDIA": {
            "A.jpg": CardFile(os.urandom(100_000), faults=[("cut", 10)] * 10),
            "B.jpg": CardFile(b"fine"),
        }
    }
    dest = tmp_path / "out"
    async with HostileCamera(card) as fake, fake.client() as cam:
        report = await cam.sync(dest, retries=2)
    entry = report.entries[0]
    assert (entry.status, entry.retries) == ("failed", 2)
    assert "after 2 retries" in (entry.error or "")
    assert len([g for g in fake.gets if g.path.endswith("A.jpg")]) == 3
    assert on_disk(dest) == {"100MEDIA/B.jpg": b"fine"}


def test_unsafe_names_include_the_new_cases() -> None:
    for name in ("x" * 256, "\udc80.jpg", ".yicam-abc.partial", ".YICAM-abc.json", "a\x1bb"):
        with pytest.raises(UnsafeNameError):
            check_name(name)
    assert check_name("é" * 127) == "é" * 127  # 254 bytes


# -- 6. waits follow the data ---------------------------------------------------------------


async def test_no_get_file_complete_after_every_byte_costs_one_stall_timeout(
    tmp_path: Path,
) -> None:
    data = os.urandom(10_000)
    card = {"100MEDIA": {"A.mp4": CardFile(data, complete="none")}}
    async with HostileCamera(card) as fake, fake.client(event_timeout=LONG) as cam:
        result = await bounded(cam.download(media("A.mp4")[0], tmp_path, stall_timeout=STALL))
    assert result.verified_by == "size"  # no camera checksum came
    assert (tmp_path / "A.mp4").read_bytes() == data


async def test_closing_after_a_timeout_does_not_wait_again(tmp_path: Path) -> None:
    card = {"100MEDIA": {"A.mp4": CardFile(b"never sent")}}
    fake = HostileCamera(card, silent=frozenset({1285}))
    async with fake:
        cam = fake.client(timeout=STALL, event_timeout=LONG)
        async with cam as camera:
            with pytest.raises(CameraTimeoutError, match="did not answer msg 1285"):
                await bounded(camera.download(media("A.mp4")[0], tmp_path))
        assert fake.requests[-1] == 1285  # no 258 sent after the timeout, so no second wait
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240


async def test_get_file_fail_after_the_bytes_is_a_failure(tmp_path: Path) -> None:
    card = {"100MEDIA": {"A.mp4": CardFile(os.urandom(10_000), complete="fail")}}
    async with HostileCamera(card) as fake, fake.client() as cam:
        with pytest.raises(TransferError, match="failed"):
            await cam.download(media("A.mp4")[0], tmp_path)
    assert not (tmp_path / "A.mp4").exists()


@pytest.mark.parametrize("via", ["data", "http"])
async def test_a_stalled_transfer_fails_after_the_stall_timeout_with_a_reason(
    tmp_path: Path, via: Any
) -> None:
    data = os.urandom(200_000)
    card = {"100MEDIA": {"A.mp4": CardFile(data, faults=[("stall", 70_000)])}}
    async with HostileCamera(card) as fake, fake.client(event_timeout=LONG) as cam:
        with pytest.raises(CameraTimeoutError, match=f"no data for {STALL:g} s"):
            await bounded(cam.download(media("A.mp4")[0], tmp_path, via=via, stall_timeout=STALL))
        result = await bounded(
            cam.download(media("A.mp4")[0], tmp_path, via=via, stall_timeout=STALL)
        )
    assert result.resumed_from > 0
    assert (tmp_path / "A.mp4").read_bytes() == data


async def test_a_thumbnail_that_never_comes_fails_with_a_reason(tmp_path: Path) -> None:
    path = media("A.jpg")[0]
    card = {"100MEDIA": {"A.jpg": CardFile(b"photo")}}
    fake = HostileCamera(card, thumbs={path: (5000, b"\xff\xd8" + b"x" * 100)})
    async with fake, fake.client(event_timeout=STALL) as cam:
        with pytest.raises(CameraTimeoutError, match="after 102 of 5000 bytes"):
            await bounded(cam.thumbnail(path, via="data"))
        # "auto": the web server has no thumbnail (404), so msg 1025, which stalls too.
        with pytest.raises(CameraTimeoutError, match="after 102 of 5000 bytes"):
            await bounded(cam.thumbnail(path))


async def test_http_thumbnails_need_neither_the_data_port_nor_the_lock(tmp_path: Path) -> None:
    photo, video = media("A.jpg")[0], media("B.mp4")[0]
    card = {
        "100MEDIA": {
            "A.jpg": CardFile(b"photo"),
            "B.mp4": CardFile(os.urandom(200_000), faults=[("stall", 65536)]),
        }
    }
    web = {f"{photo}?type=thumb": b"\xff\xd8 small", f"{photo}?type=screen": b"\xff\xd8 big"}
    fake = HostileCamera(card, web_thumbs=web)
    async with fake, fake.client(event_timeout=LONG) as cam:
        started = asyncio.Event()

        def progress(done: int, total: int) -> None:
            if done:
                started.set()

        download = asyncio.create_task(cam.download(video, tmp_path, progress=progress))
        await bounded(started.wait())  # the download holds the lock and the data port
        assert await bounded(cam.thumbnail(photo)) == b"\xff\xd8 small"
        assert await bounded(cam.thumbnail(photo, size="screen", via="http")) == b"\xff\xd8 big"
        assert await cam.cancel_transfer()
        with pytest.raises(TransferError):
            await download
    assert [g.via for g in fake.gets] == ["data"]
    assert fake.thumb_requests == []  # no 1025 was sent


async def test_md5_is_checked_against_the_camera(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    card = {"100MEDIA": {"A.mp4": CardFile(data)}}
    async with HostileCamera(card) as fake, fake.client() as cam:
        result = await cam.download(media("A.mp4")[0], tmp_path)
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.verified_by == "md5"
