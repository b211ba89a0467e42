"""GUI test fixtures: a qasync loop on pytest-qt's QApplication, emulators in their own thread.

The emulator runs on a loop in a background thread (as a camera would run elsewhere), so the
window's loop and the camera never wait on each other. Nothing here sleeps: tests wait with
`qtbot.waitUntil` / `qtbot.waitSignal`, which keep Qt (and so the asyncio loop) running.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from yicam.emulator import Emulator  # noqa: E402
from yicam.gui.app import GuiThreadGarbageCollector  # noqa: E402
from yicam.gui.main_window import MainWindow  # noqa: E402
from yicam.gui.target import Target  # noqa: E402

from ..cli_helpers import LoopThread  # noqa: E402

T = TypeVar("T")
WAIT = 15_000  # ms: generous, the machine is shared; a passing test never waits this long


@pytest.fixture
def qt_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop driven by Qt's: whenever Qt processes events, asyncio runs too."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector()  # as the app runs
    try:
        yield loop
    finally:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        deadline = loop.time() + 5
        while any(not t.done() for t in tasks) and loop.time() < deadline:
            qapp.processEvents()
        # Not loop.stop(): it calls QApplication.exit(), after which Qt timers stop firing for
        # the rest of the session. An `already_running` loop is ours to wind down.
        loop._QEventLoop__is_running = False
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)
        # Free this test's Qt objects here, in the GUI thread: left to the cyclic GC they may
        # be destroyed from whichever thread happens to trigger it, which crashes Qt.
        gc.collect()
        collector.stop()
        collector.deleteLater()


@pytest.fixture
def emu_thread() -> Iterator[LoopThread]:
    """A loop in a background thread for emulators and second clients."""
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


@pytest.fixture
def emu(emu_thread: LoopThread) -> Emulator:
    """A Yi 1 emulator on loopback, in its own thread."""
    return emu_thread.emulator()


def target_of(emulator: Emulator) -> Target:
    """How the window reaches `emulator`."""
    return Target(
        "127.0.0.1",
        emulator.port,
        emulator.data_port,
        emulator.http_port,
        emulator.rtsp_port or 554,
        timeout=3.0,
    )


def ports_of(emulator: Emulator) -> dict[str, Any]:
    """The ports of `emulator`, to start the camera again on the same address."""
    return {
        "port": emulator.port,
        "data_port": emulator.data_port,
        "http_port": emulator.http_port,
        "rtsp_port": emulator.rtsp_port,
    }


def run(qtbot: Any, coro: Coroutine[Any, Any, T], timeout: int = WAIT) -> T:
    """Run a coroutine on the Qt-driven loop until it is done."""
    task = asyncio.get_event_loop().create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """A private settings file, so tests never touch the user's.

    The live view does not start on connect here (tests that want it start it, or turn the
    default back on): four test workers streaming at once would only slow the machine.
    """
    settings = QSettings(str(tmp_path / "yicam.ini"), QSettings.Format.IniFormat)
    settings.setValue("live/startOnConnect", "false")
    return settings


@pytest.fixture
def make_window(
    qtbot: Any, qt_loop: asyncio.AbstractEventLoop, settings: QSettings
) -> Iterator[Any]:
    """Build windows on a target; each is shut down after the test."""
    windows: list[MainWindow] = []

    def make(target: Target, folder: Path | None = None) -> MainWindow:
        if folder is not None:
            settings.setValue("downloads/folder", str(folder))
        window = MainWindow(target, settings)
        window.show()
        windows.append(window)
        return window

    yield make
    # Not qtbot.addWidget: pytest-qt would delete the windows before this shuts them down.
    for window in windows:
        run(qtbot, window.shutdown())
        window.close()
        window.deleteLater()


@pytest.fixture
def window(make_window: Any, emu: Emulator, tmp_path: Path) -> MainWindow:
    """A window on the emulator, not yet connected."""
    window: MainWindow = make_window(target_of(emu), tmp_path / "downloads")
    return window


def connect(qtbot: Any, window: MainWindow) -> None:
    """Click Connect and wait until the status bar says Connected."""
    qtbot.mouseClick(window.connection_bar.connect_button, _left())
    status = window.statusBar()
    qtbot.waitUntil(
        lambda: status.connection.text() == "Connected",  # type: ignore[attr-defined]
        timeout=WAIT,
    )


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
