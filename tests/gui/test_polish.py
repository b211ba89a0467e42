"""Small things a person notices: buttons that cannot apply, wording, stale notices, size."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QSettings, Qt

from yicam import Camera
from yicam.emulator import Emulator
from yicam.gui.elided_label import ElidedLabel
from yicam.gui.main_window import MainWindow

from ..cli_helpers import LoopThread
from .conftest import WAIT, connect, target_of
from .test_connection import _try_connect


def test_connect_is_disabled_while_connected(qtbot: Any, window: MainWindow) -> None:
    bar = window.connection_bar
    assert bar.connect_button.isEnabled()
    connect(qtbot, window)
    assert not bar.connect_button.isEnabled()
    assert bar.disconnect_button.isEnabled()
    qtbot.mouseClick(bar.disconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(bar.connect_button.isEnabled, timeout=WAIT)


def test_a_take_over_request_reads_as_words_and_goes_away(
    qtbot: Any, window: MainWindow, emu: Emulator, emu_thread: LoopThread
) -> None:
    window.connection_bar.notice_seconds = 0.5
    connect(qtbot, window)
    other = Camera("127.0.0.1", emu.port, timeout=3.0)
    attempt = asyncio.run_coroutine_threadsafe(_try_connect(other), emu_thread.loop)
    qtbot.waitUntil(attempt.done, timeout=WAIT)
    log = window.log_dock.text
    qtbot.waitUntil(lambda: "asked for the session" in log.toPlainText(), timeout=WAIT)
    assert "another device asked for the session; yicam kept it" in log.toPlainText()
    assert "kept: True" not in log.toPlainText()
    notice = window.connection_bar.notice
    assert "kept it" in notice.text()
    qtbot.waitUntil(lambda: notice.text() == "", timeout=WAIT)  # it no longer applies


def test_not_while_recording_goes_when_recording_stops(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    panel = window.settings_panel
    qtbot.waitUntil(lambda: "video_quality" in panel.combos, timeout=WAIT)
    qtbot.mouseClick(window.capture_panel.record, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.capture.recording, timeout=WAIT)
    combo = panel.combos["video_quality"]
    combo.setCurrentText("Fine" if combo.currentText() != "Fine" else "Normal")
    qtbot.waitUntil(lambda: "recording" in panel.message.text(), timeout=WAIT)
    assert panel.message.text().startswith("Video quality not changed")
    qtbot.mouseClick(window.capture_panel.record, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text() == "", timeout=WAIT)


def test_a_failed_photo_message_goes_with_the_next_action(
    qtbot: Any, make_window: Any, emu_thread: LoopThread
) -> None:
    emu = emu_thread.emulator(card_inserted=False)
    window: MainWindow = make_window(target_of(emu))
    connect(qtbot, window)
    message = window.capture_panel.message
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Insert a card" in message.text(), timeout=WAIT)

    async def insert() -> None:
        emu.state.card.inserted = True

    emu_thread.run(insert())
    qtbot.waitUntil(window.capture_panel.photo.isEnabled, timeout=WAIT)
    qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: message.text() == "Photo: YDXJ0001.jpg", timeout=WAIT)


def test_the_first_window_fits_a_1280x800_screen(
    qtbot: Any, make_window: Any, emu: Emulator, tmp_path: Any
) -> None:
    fresh = QSettings(str(tmp_path / "fresh.ini"), QSettings.Format.IniFormat)
    window = MainWindow(target_of(emu), fresh)
    try:
        assert (window.width(), window.height()) == (1200, 720)
        # Room left on 1280x800 for a title bar and a desktop panel (about 80 px together).
        hint = window.minimumSizeHint()
        assert hint.width() <= 1000
        assert hint.height() <= 640
    finally:
        window.deleteLater()


def test_a_deep_download_folder_leaves_the_live_view_its_room(
    qtbot: Any, make_window: Any, emu: Emulator, tmp_path: Any
) -> None:
    """The folder's path is elided: it takes no width from the live view, nor from the screen."""
    short = make_window(target_of(emu), tmp_path / "short")
    deep = make_window(target_of(emu), tmp_path.joinpath(*["a-folder-deep-down"] * 20))
    for window in (short, deep):
        window.tabs.setCurrentWidget(window.downloads_panel)
        qtbot.waitExposed(window)
    view = short.live_panel.view
    assert (deep.width(), deep.height()) == (short.width(), short.height()) == (1200, 720)
    assert deep.live_panel.view.size() == view.size()
    assert view.width() > 0.4 * short.width()
    label = deep.downloads_panel.folder
    assert (
        label.full_text() == label.toolTip() == str(tmp_path.joinpath(*["a-folder-deep-down"] * 20))
    )
    assert "…" in label.text()
    assert label.text().endswith("a-folder-deep-down")  # elided in the middle: the end shows
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()


def test_an_elided_label_shows_all_of_a_text_that_fits(qtbot: Any) -> None:
    label = ElidedLabel("/home/someone/Pictures/yicam")
    qtbot.addWidget(label)
    label.show()  # a hidden widget gets its resize events only when shown
    label.resize(label.fontMetrics().horizontalAdvance(label.full_text()) + 10, 30)
    assert label.text() == "/home/someone/Pictures/yicam"
    label.resize(label.width() // 2, 30)
    assert label.text() != label.full_text()
    assert label.text().startswith("/home")
    assert "…" in label.text()
    label.set_full_text("Yi")
    assert label.text() == label.toolTip() == "Yi"
