"""Shutter, recording time and the media grid, against the emulator."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow
from yicam.gui.media_model import ItemRole

from .conftest import WAIT, connect


def _names(window: MainWindow) -> list[str]:
    model = window.media.filtered
    return [model.index(row, 0).data(ItemRole).name for row in range(model.rowCount())]


def test_photo_adds_a_thumbnail(qtbot: Any, window: MainWindow, emu: Emulator) -> None:
    connect(qtbot, window)
    qtbot.waitUntil(lambda: window.media_panel.count.text() == "0 files", timeout=WAIT)
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.capture_panel.photo.isEnabled(), timeout=WAIT)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0001.jpg"], timeout=WAIT)  # no refresh click
    path = "/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.jpg"
    qtbot.waitUntil(lambda: window.media.items.has_thumbnail(path), timeout=WAIT)
    image = window.media.filtered.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 9) for y in range(0, image.height(), 9)
    }
    assert len(colours) > 20  # the camera's JPEG, not the grey placeholder
    assert window.capture_panel.photo.isEnabled()
    assert (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").is_file()


def test_shortcut_takes_a_photo(qtbot: Any, window: MainWindow, emu: Emulator) -> None:
    connect(qtbot, window)
    window.live_panel.view.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0001.jpg"], timeout=WAIT)


def test_record_shows_the_cameras_time_and_adds_a_video(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    panel = window.capture_panel
    qtbot.mouseClick(panel.record, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.record.text().startswith("Stop"), timeout=WAIT)
    assert not panel.photo.isEnabled()  # no photo while recording
    qtbot.waitUntil(lambda: panel.elapsed.text() not in ("", "● 00:00"), timeout=WAIT)
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: status.recording.text().startswith("● REC"), timeout=WAIT)
    assert emu.state.recording_since is not None
    qtbot.mouseClick(panel.record, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.record.text().startswith("Record"), timeout=WAIT)
    qtbot.waitUntil(lambda: "YDXJ0001.mp4" in _names(window), timeout=WAIT)
    assert panel.elapsed.text() == ""
    assert status.recording.text() == ""
    window.media_panel.filter.setCurrentIndex(1)  # photos
    assert _names(window) == []
    window.media_panel.filter.setCurrentIndex(2)  # videos
    assert _names(window) == ["YDXJ0001.mp4"]


def test_grid_lists_every_media_folder_newest_first(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    (emu.sd / "DCIM/101MEDIA").mkdir()
    for folder, name, stamp in (
        ("100MEDIA", "YDXJ0001.jpg", 1_600_000_000),
        ("101MEDIA", "YDXJ0002.jpg", 1_700_000_000),
        ("100MEDIA", "YDXJ0003.mp4", 1_650_000_000),
    ):
        path = emu.sd / "DCIM" / folder / name
        path.write_bytes(b"x" * 1000)
        os.utime(path, (stamp, stamp))
    connect(qtbot, window)
    qtbot.waitUntil(lambda: len(_names(window)) == 3, timeout=WAIT)
    assert _names(window) == ["YDXJ0002.jpg", "YDXJ0003.mp4", "YDXJ0001.jpg"]


def test_delete_asks_first(qtbot: Any, window: MainWindow, emu: Emulator) -> None:
    connect(qtbot, window)
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0001.jpg"], timeout=WAIT)
    grid = window.media_panel.grid
    grid.selectAll()
    qtbot.waitUntil(window.media_panel.delete.isEnabled, timeout=WAIT)
    on_card = emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg"

    qtbot.mouseClick(window.media_panel.delete, Qt.MouseButton.LeftButton)
    box = _question(qtbot, window)
    assert "YDXJ0001.jpg" in box.text()
    assert "cannot be undone" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT)
    assert on_card.exists()  # answered no: still there

    qtbot.mouseClick(window.media_panel.delete, Qt.MouseButton.LeftButton)
    box = _question(qtbot, window)
    (delete,) = [b for b in box.buttons() if b.text() == "Delete"]
    delete.click()
    qtbot.waitUntil(lambda: _names(window) == [], timeout=WAIT)
    assert not on_card.exists()
    folder = emu.sd / "DCIM/100MEDIA"
    qtbot.waitUntil(lambda: list(folder.iterdir()) == [], timeout=WAIT)  # the sidecar too


def _question(qtbot: Any, window: MainWindow) -> QMessageBox:
    def shown() -> QMessageBox | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                return widget
        return None

    qtbot.waitUntil(lambda: shown() is not None, timeout=WAIT)
    box = shown()
    assert box is not None
    return box
