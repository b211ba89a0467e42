"""The emulated card's free space: counted once, then kept by the card's own writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera, MsgId, Notify
from yicam.emulator import Emulator
from yicam.emulator.card import Card

from .raw_client import RawClient

CARD = "/tmp/fuse_d/DCIM/100MEDIA"


def walked(emu: Emulator) -> int:
    """What a fresh walk of the card folder counts."""
    return Card(emu.sd, 0).used()


async def counted(cam: Camera, emu: Emulator) -> int:
    """The bytes in use, after checking the camera reports the free space they leave."""
    used = emu.state.card.used()
    assert (await cam.get_storage()).free == (emu.state.card.capacity - used) // 1024 * 1024
    return used


async def test_free_space_follows_captures_deletes_uploads_and_format(
    start_emulator: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu: Emulator = await start_emulator(card_size=64 * 1024**2)
    (emu.sd / "DCIM" / "100MEDIA" / "OLD.bin").write_bytes(b"x" * 5000)  # there before
    walks: list[int] = []
    walk = Card._walk
    card = emu.state.card

    def counting_walk(self: Card) -> int:
        if self is card:
            walks.append(1)
        return walk(self)

    monkeypatch.setattr(Card, "_walk", counting_walk)
    local = tmp_path / "up.bin"
    local.write_bytes(b"u" * 12_345)
    async with Camera("127.0.0.1", emu.port, data_port=emu.data_port) as cam:
        assert await counted(cam, emu) == 5000
        photo = await cam.take_photo()
        await cam.start_recording()
        video = await cam.stop_recording()
        await cam.upload(local, f"{CARD}/up.bin")
        assert await counted(cam, emu) == walked(emu) > 5000 + 12_345
        await cam.delete(photo)
        await cam.delete(video)
        assert await counted(cam, emu) == walked(emu)
        assert len(walks) == 1  # one count; every record start and photo after it is free
        await cam.format_card()
        assert emu.state.card.used() == walked(emu) == 0  # (the card is busy for a while)


async def test_loop_recording_keeps_the_count(start_emulator: Callable[..., Any]) -> None:
    # Room for about two segments: loop recording deletes the oldest to write the next.
    emu: Emulator = await start_emulator(time_scale=0.001, card_size=1024 * 1024 + 40_000)
    async with RawClient(emu.port) as raw:
        assert (await raw.call(MsgId.SET_SETTING, type="loop_record", param="on")).rval == 0
        assert (await raw.call(MsgId.START_RECORD)).rval == 0
        for _ in range(6):
            await raw.notification(Notify.VIDEO_RECORD_SPLIT)
        assert (await raw.call(MsgId.STOP_RECORD)).rval == 0
    await emu.idle()
    assert emu.state.card.used() == walked(emu) <= emu.state.card.capacity


async def test_rescan_sees_files_changed_behind_the_emulator(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator()
    assert emu.state.card.used() == 0
    (emu.sd / "DCIM" / "100MEDIA" / "X.bin").write_bytes(b"x" * 100)
    assert emu.state.card.used() == 0  # not counted yet: the card did not write it
    emu.state.card.rescan()
    assert emu.state.card.used() == 100
