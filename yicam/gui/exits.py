"""How the app ends, whatever ends it: the window's close button, Quit, SIGTERM, Ctrl+C, a
window destroyed from outside (`xdotool windowclose`), or the display going away.

All but the last close the window as its close button does, so the same shutdown runs (jobs
stopped, the download queue saved for resuming, the camera's session closed) and the process
exits 0. A display that goes away leaves nothing to close: one line on stderr, the settings
written, exit status 1, no traceback.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractNativeEventFilter,
    QByteArray,
    QCoreApplication,
    QMessageLogContext,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["ExitWatch"]

_XCB_DESTROY_NOTIFY = 17
_BROKEN_DISPLAY = ("connection broke", "Did the X11 server die", "compositor die")


class _DestroyWatch(QAbstractNativeEventFilter):
    """Calls `closed` when the X server reports our window destroyed by another client."""

    def __init__(self, window: QWidget, closed: Callable[[], None]) -> None:
        super().__init__()
        self._window = window
        self._closed = closed

    def nativeEventFilter(
        self, event_type: QByteArray | bytes | bytearray | memoryview[int], message: Any
    ) -> Any:
        """Look for DestroyNotify of the window (never filters anything out)."""
        kind = event_type.data() if isinstance(event_type, QByteArray) else bytes(event_type)
        if kind == b"xcb_generic_event_t":
            with contextlib.suppress(TypeError, ValueError, OSError):
                head = ctypes.string_at(int(message), 12)
                window_id = int.from_bytes(head[8:12], sys.byteorder)
                if head[0] & 0x7F == _XCB_DESTROY_NOTIFY and window_id == int(self._window.winId()):
                    QTimer.singleShot(0, self._closed)
        return False, 0


class ExitWatch:
    """Turns every way of ending the app into closing `window` (see the module docstring)."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._settings: QSettings | None = None
        self._window: QWidget | None = None
        self._filter: _DestroyWatch | None = None
        self._previous = qInstallMessageHandler(self._qt_message)
        self._signals: dict[int, Any] = {}
        for name in ("SIGTERM", "SIGINT"):
            signum = getattr(signal, name, None)
            if signum is not None:
                with contextlib.suppress(ValueError, OSError):  # not the main thread
                    self._signals[signum] = signal.signal(signum, self._on_signal)

    def watch(self, window: QWidget, settings: QSettings) -> None:
        """Close `window` on a signal or when another client destroys it; `settings` are
        written out if the display goes away."""
        self._window, self._settings = window, settings
        if QGuiApplication.platformName() == "xcb":
            self._filter = _DestroyWatch(window, self._destroyed)
            self._app.installNativeEventFilter(self._filter)

    def restore(self) -> None:
        """Give the signals and Qt's messages back."""
        for signum, handler in self._signals.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, handler)
        qInstallMessageHandler(self._previous)
        if self._filter is not None:
            self._app.removeNativeEventFilter(self._filter)

    def _on_signal(self, _signum: int, _frame: object) -> None:
        # Python runs this between bytecodes (the app's timers keep it running); Qt work
        # goes through the event loop.
        QTimer.singleShot(0, self._close)

    def _close(self) -> None:
        if self._window is not None:
            self._window.close()

    def _destroyed(self) -> None:
        window = self._window
        if window is not None:
            window.close()  # remembers the layout and runs the shutdown, as the close button

    def _qt_message(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if any(words in message for words in _BROKEN_DISPLAY):
            self._display_lost()
        elif self._previous is not None:
            self._previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    def _display_lost(self) -> None:
        if self._settings is not None:
            with contextlib.suppress(Exception):
                self._settings.sync()  # the layout and the download queue, for the next start
        sys.stderr.write("Error: the display went away (its server stopped or the session ended)\n")
        sys.stderr.flush()
        # Nothing can be shown or closed in order any more, and Qt has stopped the event loop
        # under asyncio: leave now rather than tear down a loop that no longer runs.
        os._exit(1)
