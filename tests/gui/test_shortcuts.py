"""Keyboard shortcuts that work anywhere in the window and never type into a field."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from .conftest import WAIT, connect
from .test_capture_media import _names


def _press(qtbot: Any, window: MainWindow, key: Qt.Key, modifier: Any = None) -> None:
    """A key as the keyboard sends it: to whichever widget has the focus."""
    target: QWidget = QApplication.focusWidget() or window
    if modifier is None:
        qtbot.keyClick(target, key)
    else:
        qtbot.keyClick(target, key, modifier)


def _active(qtbot: Any, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)


def test_p_takes_a_photo_and_never_types_into_the_camera_field(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    _active(qtbot, window)
    host = window.connection_bar.host
    address = host.text()
    assert QApplication.focusWidget() is not host  # the window starts on the live view
    _press(qtbot, window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0001.jpg"], timeout=WAIT)
    assert host.text() == address

    host.setFocus()  # the user clicks into the field, then leaves it with Escape
    qtbot.waitUntil(host.hasFocus, timeout=WAIT)
    _press(qtbot, window, Qt.Key.Key_Escape)
    assert not host.hasFocus()
    qtbot.waitUntil(window.capture_panel.photo.isEnabled, timeout=WAIT)
    _press(qtbot, window, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: len(_names(window)) == 2, timeout=WAIT)
    assert host.text() == address


def test_space_takes_a_photo_even_with_a_button_focused(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    _active(qtbot, window)
    window.connection_bar.disconnect_button.setFocus()
    qtbot.waitUntil(window.connection_bar.disconnect_button.hasFocus, timeout=WAIT)
    _press(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0001.jpg"], timeout=WAIT)
    assert window.statusBar().connection.text() == "Connected"  # type: ignore[attr-defined]


def test_r_starts_and_stops_recording_on_the_camera(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    _active(qtbot, window)
    _press(qtbot, window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: emu.state.recording_since is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: window.capture.recording and not window.capture.busy, timeout=WAIT)
    _press(qtbot, window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0001.mp4"], timeout=WAIT)
    assert emu.state.recording_since is None


def test_f11_shows_only_the_live_view_and_escape_comes_back(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    _active(qtbot, window)
    window.live.start()
    view = window.live_panel.view
    qtbot.waitUntil(lambda: view.frames_painted > 3, timeout=WAIT)
    _press(qtbot, window, Qt.Key.Key_F11)
    assert window.live_full_screen
    assert window.isFullScreen()
    assert not window.tabs.isVisible()
    assert not window.menuBar().isVisible()
    assert not window.capture_panel.isVisible()
    assert view.isVisible()
    painted = view.frames_painted
    qtbot.waitUntil(lambda: view.frames_painted > painted + 3, timeout=WAIT)
    _press(qtbot, window, Qt.Key.Key_Escape)
    assert not window.live_full_screen
    assert not window.isFullScreen()
    assert window.tabs.isVisible()
    assert window.capture_panel.isVisible()
    _press(qtbot, window, Qt.Key.Key_F11)
    assert window.isFullScreen()
    _press(qtbot, window, Qt.Key.Key_F11)
    assert not window.isFullScreen()


def test_f5_lists_files_that_appeared_and_delete_asks_first(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    _active(qtbot, window)
    qtbot.waitUntil(lambda: window.media_panel.count.text() == "0 files", timeout=WAIT)
    (emu.sd / "DCIM/100MEDIA/YDXJ0009.jpg").write_bytes(b"\xff\xd8" + b"x" * 5000)
    _press(qtbot, window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: _names(window) == ["YDXJ0009.jpg"], timeout=WAIT)
    window.media_panel.grid.selectAll()
    qtbot.waitUntil(window.media_panel.delete.isEnabled, timeout=WAIT)
    window.live_panel.view.setFocus()
    _press(qtbot, window, Qt.Key.Key_Delete)
    box = _box(qtbot, "confirm")
    assert "YDXJ0009.jpg" in box.text()
    (delete,) = [b for b in box.buttons() if b.text() == "Delete"]
    delete.click()
    qtbot.waitUntil(lambda: _names(window) == [], timeout=WAIT)
    assert not (emu.sd / "DCIM/100MEDIA/YDXJ0009.jpg").exists()


def test_ctrl_q_and_the_quit_item_close_the_window(qtbot: Any, window: MainWindow) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    assert isinstance(file_menu, QMenu)
    assert [a.text() for a in file_menu.actions()] == ["&Quit"]
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    _active(qtbot, window)
    with qtbot.waitSignal(window.closed, timeout=WAIT):
        _press(qtbot, window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_the_help_menu_lists_every_shortcut(qtbot: Any, window: MainWindow) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-1] == "&Help"
    window.shortcuts_action.trigger()
    box = _box(qtbot, "shortcuts")
    text = box.text()
    for expected in ("Space or P", "R\t", "F11", "Del", "F5", "Ctrl+O", "Ctrl+Q", "Quit", "photo"):
        assert expected in text
    box.close()


def _box(qtbot: Any, name: str) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible() and w.objectName() == name
        ]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT)
    return found[0]
