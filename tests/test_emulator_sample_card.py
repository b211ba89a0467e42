"""The emulator's sample card (`sample_media`, `yicam emulate --sample-media`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yicam import Camera
from yicam.emulator import Emulator

from .cli_helpers import yicam
from .test_cli_process import EPHEMERAL, finish, spawn

av = pytest.importorskip("av")
np = pytest.importorskip("numpy")

from yicam.emulator.video import TestPicture as Picture  # noqa: E402 - needs PyAV


def _luma(data: bytes) -> Any:
    """The decoded picture's luma plane."""
    import io

    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
    return frame.to_ndarray(format="gray").astype(int)


async def test_sample_card_holds_photos_a_clip_and_a_time_lapse_set(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator(sample_media=True)
    async with Camera("127.0.0.1", emu.port, http_port=emu.http_port, timeout=3.0) as cam:
        items = await cam.list_media()
    photos = [i for i in items if i.name.endswith(".jpg")]
    videos = [i for i in items if i.name.endswith(".mp4")]
    assert len(photos) == 9  # three photos and a time-lapse set of six
    assert len(videos) == 1
    assert all(i.sidecars for i in items)  # .THM and _thm.mp4, as the camera writes them
    stamps = sorted(i.modified for i in photos if i.modified is not None)
    gaps = {(b - a).total_seconds() for a, b in zip(stamps[-6:-1], stamps[-5:], strict=True)}
    assert gaps == {10.0}  # the time-lapse set: one photo every 10 s
    assert len(set(stamps)) == 9


async def test_each_sample_photo_shows_the_test_picture_of_its_moment(
    start_emulator: Callable[..., Any],
) -> None:
    emu: Emulator = await start_emulator(sample_media=True)
    photos = sorted((emu.sd / "DCIM" / "100MEDIA").glob("*.jpg"))
    first, last = photos[0], photos[-1]
    for photo in (first, last):
        when = photo.stat().st_mtime
        luma = _luma(photo.read_bytes())
        height, width = luma.shape
        picture = Picture(width, height)
        index = int(when * 30) % 100_000
        expected = picture.render(index, when)[:height].astype(int)
        other = picture.render(index + 450, when + 3600)[:height].astype(int)
        # The photo is that moment's picture (JPEG and full-range levels aside), not another.
        same = np.corrcoef(luma.ravel(), expected.ravel())[0, 1]
        different = np.corrcoef(luma.ravel(), other.ravel())[0, 1]
        assert same > 0.98
        assert different < 0.9
    thumb = _luma(first.with_suffix(".THM").read_bytes())
    assert thumb.shape == (120, 160)
    clip = next((emu.sd / "DCIM" / "100MEDIA").glob("*[0-9].mp4"))
    with av.open(str(clip)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 60  # 2 s at 30 fps


async def test_a_card_with_media_is_left_as_it_is(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "DCIM" / "100MEDIA"
    folder.mkdir(parents=True)
    (folder / "YDXJ0001.jpg").write_bytes(b"a photo of mine")
    emu: Emulator = await start_emulator(sample_media=True, sd=tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["YDXJ0001.jpg"]
    assert emu.sd.name == tmp_path.name


def test_emulate_sample_media_fills_the_card(tmp_path: Path) -> None:
    proc = spawn(*EPHEMERAL, "emulate", "--sd", str(tmp_path), "--sample-media")
    try:
        assert proc.stdout is not None
        port = re.search(r"--port (\d+)", proc.stdout.readline())
        assert port is not None
        listed = yicam(int(port[1]), "ls", "/tmp/fuse_d/DCIM/100MEDIA")
        assert listed.exit_code == 0, listed.output
        proc.terminate()
    finally:
        _out, err = finish(proc)
    assert proc.returncode == 0, err
    assert len(list((tmp_path / "DCIM" / "100MEDIA").glob("YDXJ*.jpg"))) == 9
    assert "YDXJ0004.mp4" in listed.output
