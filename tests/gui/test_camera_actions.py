"""Format, reboot and factory reset while the live view runs: it stops first, comes back after."""

from __future__ import annotations

from typing import Any

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from .conftest import WAIT, connect
from .test_capture_media import _question


def _live(qtbot: Any, window: MainWindow) -> None:
    window.live.start()
    view = window.live_panel.view
    qtbot.waitUntil(lambda: window.live.running and view.frames_painted > 3, timeout=WAIT)


def _agree(qtbot: Any, window: MainWindow, button: str) -> None:
    box = _question(qtbot, window)
    (yes,) = [b for b in box.buttons() if b.text() == button]
    yes.click()


def _live_again(qtbot: Any, window: MainWindow) -> None:
    view = window.live_panel.view
    qtbot.waitUntil(lambda: window.live.running, timeout=WAIT)
    painted = view.frames_painted
    qtbot.waitUntil(lambda: view.frames_painted > painted + 3, timeout=WAIT)


def test_reboot_stops_the_live_view_and_brings_it_back(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    _live(qtbot, window)
    log = window.log_dock.text
    window.camera_menu.reboot.trigger()
    _agree(qtbot, window, "Reboot")
    qtbot.waitUntil(lambda: "The camera is rebooting" in log.toPlainText(), timeout=WAIT)
    assert "Not rebooted" not in log.toPlainText()
    status: Any = window.statusBar()
    qtbot.waitUntil(lambda: status.connection.text() == "Connected", timeout=30_000)
    _live_again(qtbot, window)


def test_factory_reset_and_format_with_the_live_view_on(
    qtbot: Any, window: MainWindow, emu: Emulator
) -> None:
    connect(qtbot, window)
    qtbot.waitUntil(lambda: "video_quality" in window.settings_panel.combos, timeout=WAIT)
    window.settings_panel.combos["video_quality"].setCurrentText("Normal")
    qtbot.waitUntil(lambda: emu.state.settings["video_quality"] == "Normal", timeout=WAIT)
    _live(qtbot, window)
    window.camera_menu.factory.trigger()
    _agree(qtbot, window, "Reset")
    qtbot.waitUntil(lambda: emu.state.settings["video_quality"] == "S.Fine", timeout=WAIT)
    _live_again(qtbot, window)
    log = window.log_dock.text.toPlainText()
    assert "Not reset" not in log

    (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").write_bytes(b"\xff\xd8" + b"x" * 5000)
    window.media.refresh()
    qtbot.waitUntil(lambda: window.media.items.rowCount() == 1, timeout=WAIT)
    window.camera_menu.format.trigger()
    _agree(qtbot, window, "Format")
    qtbot.waitUntil(lambda: window.media.items.rowCount() == 0, timeout=WAIT)
    assert not (emu.sd / "DCIM/100MEDIA/YDXJ0001.jpg").exists()
    _live_again(qtbot, window)
    assert "Not formatted" not in window.log_dock.text.toPlainText()
