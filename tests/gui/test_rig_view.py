"""The rig view against four emulated cameras on loopback (as `yicam emulate --count 4`)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.exceptions import TimeoutError as QtTimeoutError

from yicam._transfers.partial import Partial
from yicam.emulator import Emulator, Faults
from yicam.gui.rig_tile import RigTile
from yicam.gui.rig_window import RigWindow

from ..cli_helpers import LoopThread
from .conftest import WAIT, run, target_of

COUNT = 4
PREVIEW = (216, 120)


@pytest.fixture
def cameras(
    request: pytest.FixtureRequest, emu_thread: LoopThread, tmp_path: Path
) -> list[Emulator]:
    """Four emulators, each with its own card and serial (and a small picture at 10 fps: four
    encoders and four decoders share the machine with the other tests); an indirect parameter
    gives them `Faults`."""
    faults = getattr(request, "param", None) or Faults()
    emulators = []
    for index in range(1, COUNT + 1):
        emu = emu_thread.emulator(
            sd=tmp_path / f"sd{index}", preview_size=PREVIEW, preview_fps=10, faults=faults
        )
        emu.state.settings["serial_number"] = f"Z23LRIG0000{index}"
        emulators.append(emu)
    return emulators


@pytest.fixture
def make_rig(
    qtbot: Any,
    qt_loop: asyncio.AbstractEventLoop,
    settings: QSettings,
    cameras: list[Emulator],
    tmp_path: Path,
) -> Iterator[Callable[..., RigWindow]]:
    """Opens the rig view on the four cameras (cam1..cam4) and starts it; `live=False` for
    tests about the cards only, to spare the shared machine four decoders."""
    settings.setValue("downloads/folder", str(tmp_path / "rig"))
    members = [(f"cam{i}", target_of(emu)) for i, emu in enumerate(cameras, 1)]
    windows: list[RigWindow] = []

    def make(*, live: bool = True) -> RigWindow:
        window = RigWindow(members, settings, live=live)
        windows.append(window)
        window.show()
        window.start()
        return window

    yield make
    for window in windows:
        run(qtbot, window.shutdown())
        window.close()
        window.deleteLater()


@pytest.fixture
def rig(make_rig: Callable[..., RigWindow]) -> RigWindow:
    """The rig view with every tile's live view on."""
    return make_rig()


def _click(qtbot: Any, button: Any) -> None:
    qtbot.waitUntil(button.isEnabled, timeout=WAIT)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _painting(qtbot: Any, tiles: list[RigTile], more: int = 5) -> None:
    """Wait until each tile has painted `more` new frames."""
    start = [tile.view.frames_painted for tile in tiles]
    try:
        qtbot.waitUntil(
            lambda: all(
                t.view.frames_painted >= s + more for t, s in zip(tiles, start, strict=True)
            ),
            timeout=30_000,
        )
    except QtTimeoutError:  # say what each tile shows
        states = [(t.view.frames_painted, t.camera.frames, t.camera.status) for t in tiles]
        pytest.fail(f"not every tile painted {more} frames: {states}")


def _media(emu: Emulator, suffix: str) -> set[str]:
    """The camera's photos or videos (not the videos' `_thm.mp4` sidecars)."""
    return {p.name for p in emu.sd.glob(f"DCIM/*/*{suffix}") if "_thm" not in p.name}


def test_every_camera_has_a_live_tile_with_its_figures(
    qtbot: Any, rig: RigWindow, cameras: list[Emulator]
) -> None:
    assert [t.title.text() for t in rig.tiles] == ["cam1", "cam2", "cam3", "cam4"]
    _painting(qtbot, rig.tiles)
    for tile, emu in zip(rig.tiles, cameras, strict=True):
        assert emu.state.viewfinder
        assert tile.address.text() == f"127.0.0.1:{emu.port}"
        qtbot.waitUntil(lambda tile=tile: "Battery" in tile.figures.text(), timeout=WAIT)
        figures = tile.figures.text()
        assert "Card" in figures
        assert "free" in figures
        assert "Photo mode" in figures
        assert "Connected" in tile.state.text()
        assert not tile.problem.isVisible()
        image = tile.view.grab().toImage()
        colours = {
            image.pixel(x, y)
            for x in range(0, image.width(), 9)
            for y in range(0, image.height(), 9)
        }
        assert len(colours) > 30  # a picture, not a placeholder


def test_photo_all_takes_a_photo_on_every_card(
    qtbot: Any, make_rig: Callable[..., RigWindow], cameras: list[Emulator]
) -> None:
    rig = make_rig(live=False)
    before = [_media(emu, ".jpg") for emu in cameras]
    _click(qtbot, rig.photo)
    qtbot.waitUntil(lambda: rig.summary.text().startswith("Photo all"), timeout=WAIT)
    assert "4 of 4 cameras ok" in rig.summary.text()
    assert "sent within" in rig.summary.text()
    for tile, emu, old in zip(rig.tiles, cameras, before, strict=True):
        (new,) = _media(emu, ".jpg") - old
        assert tile.note.text() == f"Photo taken: {new}"


def test_record_all_starts_and_stops_a_clip_on_every_card(
    qtbot: Any, make_rig: Callable[..., RigWindow], cameras: list[Emulator]
) -> None:
    rig = make_rig(live=False)
    before = [_media(emu, ".mp4") for emu in cameras]
    _click(qtbot, rig.record)
    qtbot.waitUntil(lambda: rig.record.text() == "Stop all", timeout=WAIT)
    assert all(emu.state.recording_since is not None for emu in cameras)
    assert not rig.photo.isEnabled()
    for tile in rig.tiles:  # the camera's own recording time, on each tile
        qtbot.waitUntil(lambda tile=tile: "● REC 00:0" in tile.figures.text(), timeout=WAIT)
    _click(qtbot, rig.record)
    qtbot.waitUntil(lambda: rig.summary.text().startswith("Stop all"), timeout=WAIT)
    assert "4 of 4 cameras ok" in rig.summary.text()
    qtbot.waitUntil(lambda: rig.record.text() == "Record all", timeout=WAIT)
    for tile, emu, old in zip(rig.tiles, cameras, before, strict=True):
        (clip,) = _media(emu, ".mp4") - old
        assert tile.note.text() == f"Video saved: {clip}"
        assert "REC" not in tile.figures.text()


def test_a_camera_that_dies_shows_on_its_tile_and_the_others_go_on(
    qtbot: Any, rig: RigWindow, cameras: list[Emulator], emu_thread: LoopThread, tmp_path: Path
) -> None:
    _painting(qtbot, rig.tiles, 1)
    dead, alive = rig.tiles[2], [rig.tiles[i] for i in (0, 1, 3)]
    emu_thread.run(cameras[2].close())  # cam3 is switched off
    qtbot.waitUntil(lambda: "Not reachable" in dead.state.text(), timeout=WAIT)
    qtbot.waitUntil(dead.problem.isVisible, timeout=WAIT)
    assert "Connection to the camera lost" in dead.problem.text()
    before = [_media(cameras[i], ".jpg") for i in (0, 1, 3)]
    _click(qtbot, rig.photo)
    qtbot.waitUntil(lambda: rig.summary.text().startswith("Photo all"), timeout=WAIT)
    assert "3 of 4 cameras ok; failed: cam3" in rig.summary.text()
    assert "Photo failed: Connection to the camera lost" in dead.problem.text()
    assert f"127.0.0.1:{cameras[2].port}" in dead.problem.toolTip()
    for tile, i, old in zip(alive, (0, 1, 3), before, strict=True):
        (new,) = _media(cameras[i], ".jpg") - old
        assert tile.note.text() == f"Photo taken: {new}"
        assert not tile.problem.isVisible()
    _painting(qtbot, alive)  # the others' pictures keep coming after the shot
    assert "Connected" in rig.tiles[0].state.text()
    _click(qtbot, rig.download)
    qtbot.waitUntil(lambda: rig.summary.text().startswith("Download all new"), timeout=30_000)
    assert "3 of 4 cameras ok; failed: cam3" in rig.summary.text()
    assert "Download: the camera is not connected" in dead.problem.text()
    for tile, i in zip(alive, (1, 2, 4), strict=True):
        assert (tmp_path / "rig" / f"cam{i}").is_dir()
        assert "1 new file downloaded and verified" in tile.note.text()
    assert not (tmp_path / "rig" / "cam3").exists()


def test_download_all_new_puts_each_camera_in_its_folder(
    qtbot: Any, make_rig: Callable[..., RigWindow], cameras: list[Emulator], tmp_path: Path
) -> None:
    rig = make_rig(live=False)
    _click(qtbot, rig.photo)
    qtbot.waitUntil(lambda: "4 of 4" in rig.summary.text(), timeout=WAIT)
    _click(qtbot, rig.download)
    qtbot.waitUntil(lambda: rig.summary.text().startswith("Download all new"), timeout=30_000)
    assert "4 of 4 cameras ok" in rig.summary.text()
    for i, (tile, emu) in enumerate(zip(rig.tiles, cameras, strict=True), 1):
        folder = tmp_path / "rig" / f"cam{i}"
        on_card = sorted(p.relative_to(emu.sd / "DCIM") for p in emu.sd.glob("DCIM/*/*.jpg"))
        local = sorted(p.relative_to(folder) for p in folder.glob("*/*") if p.is_file())
        assert on_card
        assert local == on_card
        for name in on_card:
            assert _md5(folder / name) == _md5(emu.sd / "DCIM" / name)
        assert tile.note.text().startswith(f"{len(on_card)} new file")
        assert "verified" in tile.note.text()
        assert str(folder) in tile.note.text()
    assert rig.download.text() == "Download all new"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("cameras", [Faults(slow_data=1024)], indirect=True)  # 1 MiB/s each
def test_cancel_download_keeps_the_parts_and_the_next_download_resumes(
    qtbot: Any, make_rig: Callable[..., RigWindow], cameras: list[Emulator], tmp_path: Path
) -> None:
    size = 6 * 1024 * 1024  # 6 s a camera: cancelled well before its end
    for emu in cameras:
        (emu.sd / "DCIM" / "100MEDIA").mkdir(parents=True, exist_ok=True)
        (emu.sd / "DCIM" / "100MEDIA" / "YDXJ0001.mp4").write_bytes(os.urandom(size))
    rig = make_rig(live=False)
    assert not rig.cancel_download.isVisible()
    qtbot.waitUntil(lambda: all(t.connected for t in rig.model.tiles), timeout=WAIT)
    _click(qtbot, rig.download)
    qtbot.waitUntil(
        lambda: all(
            "YDXJ0001.mp4" in t.note.text() and not t.note.text().endswith(" 0%") for t in rig.tiles
        ),
        timeout=WAIT,
    )
    _click(qtbot, rig.cancel_download)
    qtbot.waitUntil(lambda: rig.summary.text().endswith("cancelled"), timeout=WAIT)
    assert not rig.cancel_download.isVisible()
    assert rig.download.text() == "Download all new"
    for i, tile in enumerate(rig.tiles, 1):
        assert tile.note.text().startswith("Download cancelled"), tile.note.text()
        local = tmp_path / "rig" / f"cam{i}" / "100MEDIA" / "YDXJ0001.mp4"
        assert not local.exists()  # never an incomplete file under its final name
        assert 0 < Partial(local).path.stat().st_size < size

    _click(qtbot, rig.download)
    qtbot.waitUntil(lambda: "4 of 4 cameras ok" in rig.summary.text(), timeout=60_000)
    for i, (tile, emu) in enumerate(zip(rig.tiles, cameras, strict=True), 1):
        local = tmp_path / "rig" / f"cam{i}" / "100MEDIA" / "YDXJ0001.mp4"
        assert _md5(local) == _md5(emu.sd / "DCIM" / "100MEDIA" / "YDXJ0001.mp4")
        assert not Partial(local).path.exists()
        assert tile.note.text().startswith("1 new file downloaded and verified")


def test_a_camera_without_a_card_says_so_on_its_tile(
    qtbot: Any, make_rig: Callable[..., RigWindow], cameras: list[Emulator], emu_thread: LoopThread
) -> None:
    emu_thread.call(lambda: setattr(cameras[1].state.card, "inserted", False))
    rig = make_rig(live=False)
    cardless = rig.tiles[1]
    qtbot.waitUntil(lambda: "Battery" in cardless.figures.text(), timeout=WAIT)
    assert "Card missing or busy" in cardless.figures.text()
    assert "free" not in cardless.figures.text()
    _click(qtbot, rig.photo)
    qtbot.waitUntil(lambda: rig.summary.text().startswith("Photo all"), timeout=WAIT)
    assert "3 of 4 cameras ok; failed: cam2" in rig.summary.text()
    assert cardless.problem.text() == "Photo failed: SD card missing, busy or not formatted"
    assert "Connected" in cardless.state.text()  # the camera is there; its card is not
    assert _media(cameras[1], ".jpg") == set()
    assert all(len(_media(cameras[i], ".jpg")) == 1 for i in (0, 2, 3))
