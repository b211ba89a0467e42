"""A camera that stops answering (its process frozen, as SIGSTOP does) is shown as stalled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from yicam.emulator import Emulator
from yicam.gui.main_window import MainWindow

from ..cli_helpers import LoopThread
from .conftest import WAIT, connect, target_of


@contextmanager
def frozen(emu_thread: LoopThread) -> Iterator[None]:
    """The emulated camera stops dead (its whole event loop blocked) until the block ends."""
    gate = threading.Event()
    emu_thread.loop.call_soon_threadsafe(gate.wait)
    try:
        yield
    finally:
        gate.set()


def _notice_shown(window: MainWindow) -> bool:
    """The picture carries the yellow "No picture for N s" words (read from its pixels)."""
    view = window.live_panel.view
    image = view.grab().toImage()
    width, height = view.width(), view.height()
    middle = image.copy(width // 4, height // 3, width // 2, height // 3)
    yellow = QColor(255, 210, 80).rgb()
    return any(
        middle.pixel(x, y) == yellow
        for x in range(0, middle.width(), 2)
        for y in range(0, middle.height(), 2)
    )


def test_a_frozen_camera_is_shown_as_stalled_and_recovers(
    qtbot: Any, make_window: Any, emu: Emulator, emu_thread: LoopThread, tmp_path: Any
) -> None:
    # A timeout longer than the freeze: what shows is the stall, not a dropped connection.
    window: MainWindow = make_window(replace(target_of(emu), timeout=60.0), tmp_path / "dl")
    connect(qtbot, window)
    window.live.start()
    view = window.live_panel.view
    qtbot.waitUntil(lambda: view.frames_painted > 10 and view.painted_fps > 0, timeout=WAIT)
    assert view.stalled_for == 0
    status: Any = window.statusBar()
    with frozen(emu_thread):
        qtbot.waitUntil(lambda: view.stalled_for >= 2, timeout=WAIT)
        qtbot.waitUntil(lambda: _notice_shown(window), timeout=WAIT)
        qtbot.waitUntil(lambda: view.painted_fps == 0, timeout=WAIT)
        assert view.overlay_text().startswith("0.0 fps")  # what was painted, not decoded

        qtbot.mouseClick(window.capture_panel.photo, Qt.MouseButton.LeftButton)
        panel = window.capture_panel
        qtbot.waitUntil(panel.cancel.isVisible, timeout=WAIT)
        qtbot.waitUntil(
            lambda: "Taking a photo: the camera has not answered" in panel.message.text(),
            timeout=WAIT,
        )
        qtbot.waitUntil(
            lambda: status.connection.text().startswith("Connected: not responding"),
            timeout=WAIT,
        )
        qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.capture.busy, timeout=WAIT)
        assert "cancelled" in panel.message.text()
        assert not panel.cancel.isVisible()
    painted = view.frames_painted
    qtbot.waitUntil(lambda: view.frames_painted > painted + 5, timeout=WAIT)
    qtbot.waitUntil(lambda: view.stalled_for == 0 and not _notice_shown(window), timeout=WAIT)
    qtbot.waitUntil(lambda: status.connection.text() == "Connected", timeout=WAIT)
    qtbot.waitUntil(panel.photo.isEnabled, timeout=WAIT)
