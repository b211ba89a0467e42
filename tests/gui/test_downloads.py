"""The download queue: verified bytes on disk, faults, cancel and resume, restart, delete."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from yicam._transfers.partial import Partial
from yicam.emulator import Emulator, Faults
from yicam.gui.downloads_table import JobState
from yicam.gui.main_window import MainWindow
from yicam.gui.media_model import ItemRole

from ..cli_helpers import LoopThread
from .conftest import WAIT, connect, target_of

FOLDER = "DCIM/100MEDIA"


def _put(emu: Emulator, name: str, size: int) -> bytes:
    data = os.urandom(size)
    (emu.sd / FOLDER / name).write_bytes(data)
    return data


def _select(qtbot: Any, window: MainWindow, *names: str) -> None:
    model = window.media.filtered
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=WAIT)
    selection = window.media_panel.grid.selectionModel()
    selection.clear()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(ItemRole).name in names:
            selection.select(index, selection.SelectionFlag.Select)


def _local(window: MainWindow, name: str) -> Path:
    return window.prefs.folder / "100MEDIA" / name


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _job(window: MainWindow, name: str) -> Any:
    return next(j for j in window.downloads.jobs if j.name == name)


def test_download_survives_cut_transfers_and_is_verified(
    qtbot: Any, make_window: Any, emu_thread: LoopThread, tmp_path: Path
) -> None:
    emu = emu_thread.emulator(faults=Faults(drop_data=0.5, seed=3))  # seeded: cut, then whole
    data = _put(emu, "YDXJ0001.mp4", 3 * 1024 * 1024 + 17)
    window: MainWindow = make_window(target_of(emu), tmp_path / "downloads")
    connect(qtbot, window)
    _select(qtbot, window, "YDXJ0001.mp4")
    qtbot.mouseClick(window.media_panel.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _job(window, "YDXJ0001.mp4").state == JobState.DONE, timeout=WAIT)
    job = _job(window, "YDXJ0001.mp4")
    assert job.attempts > 1  # cut, then resumed from the .part file
    assert job.verified
    local = _local(window, "YDXJ0001.mp4")
    assert _md5(local.read_bytes()) == _md5(data)
    assert not Partial(local).path.exists()
    panel = window.downloads_panel
    assert panel.total.value() == 1000
    assert panel.summary.text().startswith("1 of 1 files")
    row = window.downloads.table.index(0, 5).data()
    assert row == "verified"


def test_cancel_keeps_the_part_and_resume_finishes_it(
    qtbot: Any, make_window: Any, emu_thread: LoopThread, tmp_path: Path
) -> None:
    emu = emu_thread.emulator(faults=Faults(slow_data=2048))  # 2 MiB/s
    data = _put(emu, "YDXJ0002.mp4", 4 * 1024 * 1024)
    window: MainWindow = make_window(target_of(emu), tmp_path / "downloads")
    connect(qtbot, window)
    _select(qtbot, window, "YDXJ0002.mp4")
    qtbot.mouseClick(window.media_panel.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _job(window, "YDXJ0002.mp4").done > 256 * 1024, timeout=WAIT)
    panel = window.downloads_panel
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    job = _job(window, "YDXJ0002.mp4")
    qtbot.waitUntil(lambda: job.state == JobState.CANCELLED, timeout=WAIT)
    local = _local(window, "YDXJ0002.mp4")
    part = Partial(local).path
    kept = part.stat().st_size
    assert 0 < kept < len(data)
    assert not local.exists()

    qtbot.mouseClick(panel.resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state == JobState.DONE, timeout=WAIT)
    assert _md5(local.read_bytes()) == _md5(data)


def test_queue_resumes_after_a_restart_of_the_app(
    qtbot: Any, make_window: Any, emu_thread: LoopThread, tmp_path: Path
) -> None:
    emu = emu_thread.emulator(faults=Faults(slow_data=2048))
    data = _put(emu, "YDXJ0003.mp4", 4 * 1024 * 1024)
    first: MainWindow = make_window(target_of(emu), tmp_path / "downloads")
    connect(qtbot, first)
    _select(qtbot, first, "YDXJ0003.mp4")
    qtbot.mouseClick(first.media_panel.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _job(first, "YDXJ0003.mp4").done > 256 * 1024, timeout=WAIT)
    from .conftest import run

    run(qtbot, first.shutdown())  # the app quits mid-download
    first.close()
    local = _local(first, "YDXJ0003.mp4")
    assert Partial(local).path.exists()

    second: MainWindow = make_window(target_of(emu))
    job = _job(second, "YDXJ0003.mp4")
    assert job.state == JobState.QUEUED
    connect(qtbot, second)
    qtbot.waitUntil(lambda: job.state == JobState.DONE, timeout=WAIT)
    assert job.attempts == 1
    assert _md5(local.read_bytes()) == _md5(data)


def test_delete_after_only_once_verified_with_its_sidecar(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    data = _put(emu, "YDXJ0004.jpg", 300_000)
    _put(emu, "YDXJ0004.THM", 9_000)  # the photo's thumbnail sidecar
    _put(emu, "YDXJ0003.THM", 9_000)  # an orphan sidecar, left by an older app
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.media_panel.count.text() == "1 file", timeout=WAIT)
    window.downloads_panel.delete_after.setChecked(True)
    _select(qtbot, window, "YDXJ0004.jpg")
    qtbot.mouseClick(window.media_panel.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _job(window, "YDXJ0004.jpg").deleted, timeout=WAIT)
    job = _job(window, "YDXJ0004.jpg")
    assert job.state == JobState.DONE
    assert job.verified
    assert not (emu.sd / FOLDER / "YDXJ0004.jpg").exists()
    assert not (emu.sd / FOLDER / "YDXJ0004.THM").exists()
    assert _md5(_local(window, "YDXJ0004.jpg").read_bytes()) == _md5(data)
    qtbot.waitUntil(lambda: window.media_panel.count.text() == "0 files", timeout=WAIT)
    qtbot.mouseClick(window.media_panel.sync, Qt.MouseButton.LeftButton)
    assert window.downloads.jobs == [job]  # "All new" finds nothing: the orphan is not media


def test_all_new_skips_files_already_in_the_folder(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    old = _put(emu, "YDXJ0005.jpg", 20_000)
    new = _put(emu, "YDXJ0006.jpg", 30_000)
    present = _local(window, "YDXJ0005.jpg")
    present.parent.mkdir(parents=True)
    present.write_bytes(old)
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.media.filtered.rowCount() == 2, timeout=WAIT)
    qtbot.mouseClick(window.media_panel.sync, Qt.MouseButton.LeftButton)
    assert [j.name for j in window.downloads.jobs] == ["YDXJ0006.jpg"]
    qtbot.waitUntil(lambda: _job(window, "YDXJ0006.jpg").state == JobState.DONE, timeout=WAIT)
    assert _local(window, "YDXJ0006.jpg").read_bytes() == new
    assert window.media_panel.message.text().startswith("1 new file queued")


def test_double_click_opens_the_downloaded_file(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _put(emu, "YDXJ0007.jpg", 10_000)
    opened: list[Path] = []

    def opener(path: Path) -> bool:
        opened.append(path)
        return True  # the system opened it

    window.media_panel.opener = opener
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.media.filtered.rowCount() == 1, timeout=WAIT)
    grid = window.media_panel.grid
    index = window.media.filtered.index(0, 0)
    qtbot.waitUntil(lambda: grid.visualRect(index).isValid(), timeout=WAIT)
    rect = grid.visualRect(index)
    _double_click(qtbot, grid.viewport(), rect.center())
    qtbot.waitUntil(lambda: opened == [_local(window, "YDXJ0007.jpg")], timeout=WAIT)
    _double_click(qtbot, grid.viewport(), rect.center())
    assert len(opened) == 2  # already downloaded: opened at once
    assert len(window.downloads.jobs) == 1
    assert window.media_panel.message.text() == "Opened YDXJ0007.jpg"


def test_a_file_nothing_can_open_says_so_and_shows_its_folder(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    _put(emu, "YDXJ0008.mp4", 10_000)
    asked: list[Path] = []

    def opener(path: Path) -> bool:  # as on a desktop with no video player
        asked.append(path)
        return path.is_dir()

    window.media_panel.opener = opener
    connect(qtbot, window)
    panel = window.media_panel
    assert not panel.show_folder.isEnabled()  # nothing downloaded yet
    _select(qtbot, window, "YDXJ0008.mp4")
    index = window.media.filtered.index(0, 0)
    panel.grid.doubleClicked.emit(index)
    assert panel.message.text() == "Downloading YDXJ0008.mp4 to open it…"
    box = _box(qtbot, window, "inform")
    local = _local(window, "YDXJ0008.mp4")
    assert asked == [local]
    assert "no application set up for .mp4 files" in box.text()
    assert panel.message.text().startswith("Cannot open YDXJ0008.mp4")
    (show,) = [b for b in box.buttons() if b.text() == "Show in folder"]
    show.click()
    qtbot.waitUntil(lambda: asked == [local, local.parent], timeout=WAIT)
    assert panel.show_folder.isEnabled()  # downloaded now
    qtbot.mouseClick(panel.show_folder, Qt.MouseButton.LeftButton)
    assert asked == [local, local.parent, local.parent]


def _box(qtbot: Any, window: MainWindow, name: str) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [b for b in window.findChildren(QMessageBox, name) if b.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT)
    return found[0]


def _double_click(qtbot: Any, widget: Any, pos: Any) -> None:
    """Press, release, then the double click, as a mouse sends them (a view needs the press)."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def test_the_folder_dialog_opens_in_the_download_folder_created_for_it(
    qtbot: Any, make_window: Any, emu: Emulator, tmp_path: Path
) -> None:
    folder = tmp_path / "Pictures" / "yicam"  # not there yet, as on a first run
    window: MainWindow = make_window(target_of(emu), folder)
    qtbot.mouseClick(window.downloads_panel.change, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, window)
    assert folder.is_dir()
    assert Path(dialog.directory().absolutePath()) == folder  # never the current directory
    other = tmp_path / "elsewhere"
    other.mkdir()
    dialog.setDirectory(str(other))
    dialog.accept()
    qtbot.waitUntil(lambda: window.prefs.folder == other, timeout=WAIT)
    assert window.downloads_panel.folder.full_text() == str(other)


def test_a_folder_that_cannot_be_made_opens_its_nearest_parent(
    qtbot: Any, make_window: Any, emu: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "file").write_bytes(b"not a folder")
    window: MainWindow = make_window(target_of(emu), tmp_path / "file" / "yicam")
    qtbot.mouseClick(window.downloads_panel.change, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, window)
    assert Path(dialog.directory().absolutePath()) == tmp_path
    dialog.reject()
    assert window.prefs.folder == tmp_path / "file" / "yicam"


def _dialog(qtbot: Any, window: MainWindow) -> QFileDialog:
    found: list[QFileDialog] = []

    def shown() -> bool:
        found[:] = [d for d in window.findChildren(QFileDialog) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT)
    return found[0]


def test_thumbnails_over_http_do_not_wait_behind_a_download(
    qtbot: Any, make_window: Any, emu_thread: LoopThread, tmp_path: Path
) -> None:
    emu = emu_thread.emulator(faults=Faults(slow_data=128))  # 128 KiB/s: a minute for 8 MB
    _put(emu, "YDXJ0001.mp4", 8 * 1024 * 1024)
    for _ in range(3):
        emu_thread.call(lambda: emu.state.card.new_media("jpg", emu.state.now()))
    window: MainWindow = make_window(target_of(emu), tmp_path / "downloads")
    window.tabs.setCurrentWidget(window.downloads_panel)  # no thumbnail asked for yet
    connect(qtbot, window)
    media = window.media.items
    qtbot.waitUntil(lambda: media.rowCount() == 4, timeout=WAIT)
    window.downloads.enqueue([i for i in media.items if i.name == "YDXJ0001.mp4"])
    job = _job(window, "YDXJ0001.mp4")
    qtbot.waitUntil(lambda: job.done > 0, timeout=WAIT)
    assert not window.live.running  # no viewfinder yet: a Yi 1's web server needs one
    window.tabs.setCurrentWidget(window.media_panel)  # the grid shows: thumbnails wanted
    photos = [i.path for i in media.items if i.name.endswith(".jpg")]
    qtbot.waitUntil(lambda: all(media.has_thumbnail(p) for p in photos), timeout=WAIT)
    assert job.state == JobState.RUNNING  # they came while the file still downloads
