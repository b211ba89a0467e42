"""Start the desktop app: the Qt application, the qasync loop, the window (and a demo camera)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from yicam.emulator import Emulator

from .exits import ExitWatch
from .main_window import MainWindow
from .target import DEFAULT_HOST, Target

__all__ = ["GuiThreadGarbageCollector", "demo_camera", "display_problem", "main", "run"]

APP_NAME = "yicam"
ICON = Path(__file__).with_name("icons") / "yicam.png"
SHUTDOWN_LIMIT = 15.0  # seconds the shutdown may take before the app leaves anyway


class GuiThreadGarbageCollector(QObject):
    """Runs Python's cyclic garbage collector from a GUI-thread timer only.

    Left automatic, a collection can start in any thread that allocates (the live view's
    decoder, download workers) and destroy Qt objects there, which crashes Qt. Young
    generations are collected as soon as they fill (every 50 ms at most); a full collection,
    which takes tens of milliseconds, at most every `full_every` seconds.
    """

    def __init__(
        self, interval_ms: int = 50, full_every: float = 10.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        gc.disable()
        self._full_every = full_every
        self._last_full = time.monotonic()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._timer.start(interval_ms)

    @staticmethod
    def settle() -> None:
        """Collect once, then exempt every object alive now (Qt, PyAV, the window) from later
        full collections, which then take less time."""
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        """Give collection back to Python."""
        self._timer.stop()
        gc.unfreeze()
        gc.enable()

    def _check(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        now = time.monotonic()
        if counts[2] > thresholds[2] and now - self._last_full >= self._full_every:
            self._last_full = now
            gc.collect(2)
        elif counts[1] > thresholds[1]:
            gc.collect(1)
        elif counts[0] > thresholds[0]:
            gc.collect(0)


def display_problem() -> str | None:
    """Why no window can open here (Linux/BSD without a display), or None when it can."""
    if sys.platform in ("win32", "darwin"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs...: Qt needs no display server
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return _platform_problem()
    return (
        "no display: the desktop app needs a graphical session (DISPLAY or WAYLAND_DISPLAY "
        "is not set); run it on a desktop, over `ssh -X`, or set QT_QPA_PLATFORM=offscreen"
    )


_PROBE = "import sys\nfrom PySide6.QtGui import QGuiApplication\nQGuiApplication(sys.argv[:1])"


def _platform_problem() -> str | None:
    """Open Qt's platform plugin in a child process first: when it fails, Qt aborts the
    process with a page of plugin diagnostics, so the user gets one line from us instead."""
    try:
        probe = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # cannot tell: let Qt try
    if probe.returncode == 0:
        return None
    display = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY")
    reason = (
        "no display server answers there"
        if "could not connect to display" in probe.stderr
        else "its platform plugin does not load"
    )
    return (
        f"Qt cannot open the display {display!r}: {reason}; Debian/Ubuntu need "
        "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 "
        "(QT_DEBUG_PLUGINS=1 shows the details)"
    )


@contextlib.asynccontextmanager
async def demo_camera(model: str = "yi1") -> AsyncIterator[Target]:
    """An emulated camera in this process on free loopback ports, its card filled with sample
    media, and the target to reach it."""
    async with Emulator(
        "127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=0, model=model, sample_media=True
    ) as emulator:
        yield Target(
            host=emulator.host,
            port=emulator.port,
            data_port=emulator.data_port,
            http_port=emulator.http_port,
            rtsp_port=emulator.rtsp_port or 554,
        )


def run(
    target: Target,
    *,
    demo: bool = False,
    model: str = "yi1",
    rig: Sequence[tuple[str, Target]] | None = None,
) -> int:
    """Open the window (the rig view with `rig`, empty for the demo's) and run until it is
    closed; returns the exit status."""
    problem = display_problem()
    if problem is not None:
        print(f"Error: {problem}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    QApplication.setDesktopFileName(APP_NAME)  # Wayland and taskbars match it to yicam.desktop
    QApplication.setWindowIcon(QIcon(str(ICON)))
    # Hand the GIL to the GUI thread within 1 ms (not 5) when decode and download threads run.
    sys.setswitchinterval(0.001)
    # The loop must outlive the window: closing it starts the shutdown, which still runs.
    QApplication.setQuitOnLastWindowClosed(False)
    exits = ExitWatch(app)  # SIGTERM, Ctrl+C, a window destroyed from outside, a lost display
    collector = GuiThreadGarbageCollector()
    try:
        if rig is None:
            result: int = qasync.run(_main(target, exits, demo, model))
        else:
            from .rig_app import run_rig

            result = qasync.run(run_rig(rig, demo, model, exits))
    finally:
        collector.stop()
        exits.restore()
    return result


async def shut_down(shutdown: Coroutine[Any, Any, None]) -> None:
    """Run a window's shutdown, giving up after `SHUTDOWN_LIMIT` (a camera that no longer
    answers must not keep the process alive)."""
    try:
        async with asyncio.timeout(SHUTDOWN_LIMIT):
            await shutdown
    except TimeoutError:
        print("yicam: the camera did not answer while closing; closed anyway", file=sys.stderr)


async def _main(target: Target, exits: ExitWatch, demo: bool, model: str) -> int:
    async with contextlib.AsyncExitStack() as stack:
        # The demo's camera fills its card in a worker thread while the window is built.
        camera = (
            asyncio.ensure_future(stack.enter_async_context(demo_camera(model))) if demo else None
        )
        # The demo keeps its own settings: its host, folder and queue are not the camera's.
        settings = QSettings(APP_NAME, "yicam-demo") if demo else QSettings()
        window = MainWindow(target, settings)
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        exits.watch(window, settings)
        window.show()
        GuiThreadGarbageCollector.settle()
        if camera is not None:
            target = await camera
            window.session.target = target  # the emulator's address, whatever was remembered
            window.connection_bar.host.setText(target.address)
        window.session.connect_to()
        await closed.wait()
        await shut_down(window.shutdown())
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    """The `yicam-gui` entry point (no console on Windows); takes the global `yicam` options."""
    parser = argparse.ArgumentParser(prog="yicam-gui", description="The yicam desktop app.")
    parser.add_argument("--host", default=os.environ.get("YICAM_HOST", DEFAULT_HOST))
    parser.add_argument("--port", type=int, default=7878)
    parser.add_argument("--data-port", type=int, default=8787)
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--rtsp-port", type=int, default=554)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--demo", action="store_true", help="use an emulated camera")
    args = parser.parse_args(argv)
    target = Target(
        args.host, args.port, args.data_port, args.http_port, args.rtsp_port, args.timeout
    )
    sys.exit(run(target, demo=args.demo))
