"""The emulator's card is a jail: nothing outside its folder is served, listed or touched."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera, CameraError, MsgId
from yicam.emulator import Emulator

from .raw_client import RawClient
from .test_emulator_fidelity import http_get

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")

MEDIA = "/tmp/fuse_d/DCIM/100MEDIA"
SECRET = b"\xff\xd8 not yours"


@pytest.fixture
async def jail(start_emulator: Callable[..., Any], tmp_path: Path) -> tuple[Emulator, Path]:
    """A Yi 1 emulator whose card holds links out of it; returns it and the outside folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(SECRET)
    emu: Emulator = await start_emulator(sd=tmp_path / "card")
    async with Camera("127.0.0.1", emu.port, timeout=3.0) as cam:
        await cam.take_photo()
        await cam.start_viewfinder()  # the web port answers
    media = emu.sd / "DCIM" / "100MEDIA"
    (media / "link.jpg").symlink_to(outside / "secret.jpg")
    (media / "inside.jpg").symlink_to(media / "YDXJ0001.jpg")
    (media / "broken.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (emu.sd / "DCIM" / "out").symlink_to(outside, target_is_directory=True)
    return emu, outside


def camera(emu: Emulator) -> Camera:
    return Camera("127.0.0.1", emu.port, data_port=emu.data_port, timeout=3.0)


@pytest.mark.parametrize("name", ["100MEDIA/link.jpg", "out/secret.jpg"])
async def test_nothing_outside_is_served(jail: tuple[Emulator, Path], name: str) -> None:
    emu, _ = jail
    for query in ("", "?type=thumb", "?type=screen"):
        status, _, body = await http_get(emu.http_port, f"/DCIM/{name}{query}")
        assert status == 404
        assert SECRET not in body
    path = f"/tmp/fuse_d/DCIM/{name}"
    async with RawClient(emu.port) as raw:
        for msg_id, fields in (
            (MsgId.GET_FILE, {"offset": 0, "fetch_size": 0}),
            (MsgId.GET_THUMB, {"type": "thumb"}),
            (MsgId.GET_MEDIA_INFO, {}),
            (MsgId.DELETE, {}),
        ):
            assert (await raw.call(msg_id, param=path, **fields)).rval == -26, msg_id
    assert (jail[1] / "secret.jpg").read_bytes() == SECRET


async def test_no_listing_or_cd_outside(jail: tuple[Emulator, Path]) -> None:
    emu, _ = jail
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.LIST, param="/tmp/fuse_d/DCIM/out/ -D -S")).rval == -26
        assert (await raw.call(MsgId.CD, param="/tmp/fuse_d/DCIM/out")).rval == -26
        listing = await raw.call(MsgId.LIST, param="/tmp/fuse_d/DCIM/ -D -S")
    names = [next(iter(entry)) for entry in listing.fields["listing"]]
    assert names == ["100MEDIA/"]


async def test_a_link_inside_the_card_is_its_target(
    jail: tuple[Emulator, Path], tmp_path: Path
) -> None:
    emu, _ = jail
    original = (emu.sd / "DCIM" / "100MEDIA" / "YDXJ0001.jpg").read_bytes()
    async with camera(emu) as cam:
        entries = {e.name: e for e in await cam.list_dir(MEDIA)}
        assert entries["inside.jpg"].size == len(original)
        assert "link.jpg" not in entries
        assert "broken.jpg" not in entries
        await cam.download(f"{MEDIA}/inside.jpg", tmp_path / "got.jpg")
        info = await cam.media_info(f"{MEDIA}/inside.jpg")
        await cam.start_viewfinder()  # the Yi 1 stopped it when this client connected
    assert (tmp_path / "got.jpg").read_bytes() == original
    assert info.size == len(original)
    status, _, body = await http_get(emu.http_port, "/DCIM/100MEDIA/inside.jpg")
    assert (status, body) == (200, original)


async def test_odd_names_do_not_drop_the_connection(jail: tuple[Emulator, Path]) -> None:
    emu, _ = jail
    try:
        fd = os.open(os.fsencode(emu.sd / "DCIM" / "100MEDIA") + b"/bad\xff.jpg", os.O_CREAT)
        os.close(fd)
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    async with RawClient(emu.port) as raw:
        listing = await raw.call(MsgId.LIST, param=f"{MEDIA}/ -D -S")
        names = {next(iter(entry)) for entry in listing.fields["listing"]}
        assert names == {"YDXJ0001.jpg", "YDXJ0001.THM", "inside.jpg"}
        for odd in (f"{MEDIA}/bad\udcff.jpg", f"{MEDIA}/\ud800.jpg", f"{MEDIA}/broken.jpg"):
            assert (await raw.call(MsgId.GET_MEDIA_INFO, param=odd)).rval == -26
            assert (await raw.call(MsgId.DELETE, param=odd)).rval == -26
        assert (await raw.call(MsgId.GET_BATTERY)).rval == 0  # still connected


@pytest.mark.parametrize(
    "name",
    [f"{MEDIA}/nul\x00.jpg", f"{MEDIA}/{'n' * 300}.jpg", "/tmp/fuse_d/DCIM/out/new.jpg"],
    ids=["nul", "too-long", "through-a-link"],
)
async def test_bad_upload_names_get_an_error_and_free_the_slot(
    jail: tuple[Emulator, Path], tmp_path: Path, name: str
) -> None:
    emu, outside = jail
    local = tmp_path / "upload.bin"
    local.write_bytes(b"payload")
    async with camera(emu) as cam:
        with pytest.raises(CameraError) as caught:
            await cam.upload(local, name)
        assert caught.value.rval == -26
        await cam.upload(local, f"{MEDIA}/fine.bin")  # the upload slot is free
    assert (emu.sd / "DCIM" / "100MEDIA" / "fine.bin").read_bytes() == b"payload"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.jpg"]


async def test_upload_onto_a_link_out_is_refused(
    jail: tuple[Emulator, Path], tmp_path: Path
) -> None:
    emu, outside = jail
    (emu.sd / "DCIM" / "100MEDIA" / "plant.bin").symlink_to(outside / "victim.bin")
    local = tmp_path / "upload.bin"
    local.write_bytes(b"payload")
    async with camera(emu) as cam:
        with pytest.raises(CameraError):
            await cam.upload(local, f"{MEDIA}/plant.bin")
    assert not (outside / "victim.bin").exists()


async def test_captures_never_write_through_planted_links(jail: tuple[Emulator, Path]) -> None:
    emu, outside = jail
    (emu.sd / "DCIM" / "100MEDIA" / "YDXJ0002.THM").symlink_to(outside / "secret.jpg")
    (emu.sd / "DCIM" / "101MEDIA").symlink_to(outside, target_is_directory=True)
    async with camera(emu) as cam:
        path = await cam.take_photo()
    assert path == f"{MEDIA}/YDXJ0002.jpg"
    sidecar = emu.sd / "DCIM" / "100MEDIA" / "YDXJ0002.THM"
    assert not sidecar.is_symlink()
    assert sidecar.read_bytes()[:2] == b"\xff\xd8"
    assert (outside / "secret.jpg").read_bytes() == SECRET
    assert sorted(p.name for p in outside.iterdir()) == ["secret.jpg"]


async def test_format_removes_links_not_their_targets(jail: tuple[Emulator, Path]) -> None:
    emu, outside = jail
    async with camera(emu) as cam:
        await cam.format_card()
    assert (outside / "secret.jpg").read_bytes() == SECRET
    assert [p.name for p in (emu.sd / "DCIM").iterdir()] == ["100MEDIA"]


async def test_wildcards_stay_on_the_card(jail: tuple[Emulator, Path]) -> None:
    emu, outside = jail
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.DELETE, param="/tmp/fuse_d/DCIM/out/*")).rval == -26
        assert (await raw.call(MsgId.DELETE, param=f"{MEDIA}/*.jpg")).rval == 0
    assert (outside / "secret.jpg").read_bytes() == SECRET
    left = sorted(p.name for p in (emu.sd / "DCIM" / "100MEDIA").iterdir())
    assert left == ["YDXJ0001.THM", "broken.jpg", "inside.jpg", "link.jpg"]
