"""`CamerasMenu`: the main window's way to the camera picker and to rig views.

It opens the picker (also from a button inside the Camera field), connects the window to the
camera chosen there, and owns the rig windows opened from it, closing them with the window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QMenu, QStyle, QWidget

from .camera_picker import CameraPicker
from .jobs import Jobs
from .rig_camera import RigCamera
from .rig_model import Member, rig_members
from .rig_window import RigWindow
from .session_model import ConnState, SessionModel

__all__ = ["PICKER_KEY", "CamerasMenu"]

PICKER_KEY = "Ctrl+O"  # not Ctrl+K: a text field deletes to the end of the line with it


class CamerasMenu(QMenu):
    """Choose or find a camera…, and the rig view of every named camera."""

    def __init__(
        self,
        session: SessionModel,
        field: QLineEdit,
        settings: QSettings,
        report: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__("C&ameras", parent)
        self._session = session
        self._field = field
        self._settings = settings
        self._report = report
        self._jobs = Jobs()
        self.picker: CameraPicker | None = None
        self.rigs: list[RigWindow] = []
        self._closing: set[asyncio.Task[None]] = set()  # rig windows shutting down
        choose = self.addAction("Choose or find a camera…")
        choose.setObjectName("chooseCamera")
        choose.setShortcut(QKeySequence(PICKER_KEY))
        choose.triggered.connect(self.open_picker)
        parent.addAction(choose)  # the key works while the menu is closed
        self.choose = choose
        rig = self.addAction("Rig view of every named camera")
        rig.setObjectName("rigOfNamed")
        rig.triggered.connect(self._rig_of_named)
        icon = parent.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogDetailedView)
        self.field_action = QAction(icon, "Cameras…", field)
        self.field_action.setToolTip(f"Choose or find a camera ({PICKER_KEY})")
        self.field_action.triggered.connect(self.open_picker)
        field.addAction(self.field_action, QLineEdit.ActionPosition.TrailingPosition)

    def open_picker(self) -> CameraPicker:
        """Show the picker (the one open, if any)."""
        if self.picker is None:
            picker = CameraPicker(self._session.target, self.parentWidget())
            picker.connectTo.connect(self._connect_to)
            picker.openRig.connect(self.open_rig)
            picker.finished.connect(lambda _result: self._forget(picker))
            self.picker = picker
        self.picker.show()
        self.picker.raise_()
        return self.picker

    def open_rig(self, members: Sequence[Member]) -> RigWindow | None:
        """Open the rig view of `members`; this window lets go of a camera that is among them
        (a camera serves one session), and a camera already in an open rig view is refused."""
        wanted = {(t.host, t.port) for _name, t in members}
        for window in self.rigs:
            taken = [c.name for c in window.model.tiles if _where(c) in wanted]
            if taken:
                self._report(f"Already in an open rig view: {', '.join(taken)}")
                window.raise_()
                window.activateWindow()
                return None
        ours = (self._session.target.host, self._session.target.port)
        if self._session.state != ConnState.DISCONNECTED and any(
            (t.host, t.port) == ours for _name, t in members
        ):
            self._session.disconnect_camera()
        try:
            window = RigWindow(members, self._settings)
        except ValueError as exc:  # two names for one camera
            self._report(f"Cannot open the rig view: {exc}")
            return None
        self.rigs.append(window)
        window.closed.connect(lambda: self._shut(window))
        window.show()
        window.start()
        return window

    async def aclose(self) -> None:
        """Close the picker and every rig window (the main window is closing)."""
        if self.picker is not None:
            await self.picker.aclose()
            self.picker.close()
        for window in list(self.rigs):
            window.close()  # its `closed` starts its shutdown
        await asyncio.gather(*self._closing)

    def _connect_to(self, text: str) -> None:
        self._field.setText(text)
        self._session.connect_to(text)

    def _rig_of_named(self) -> None:
        try:
            members = rig_members([], self._session.target)
        except ValueError as exc:  # ConfigError: none named, or an unreadable file
            self._report(f"Cannot open the rig view: {exc}")
            return
        self.open_rig(members)

    def _forget(self, picker: CameraPicker) -> None:
        if self.picker is picker:
            self.picker = None
            self._jobs.spawn(picker.aclose())
            picker.deleteLater()

    def _shut(self, window: RigWindow) -> None:
        task = self._jobs.spawn(self._closed(window), name="yicam-gui-rig-close")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _closed(self, window: RigWindow) -> None:
        try:
            await window.shutdown()
        finally:
            if window in self.rigs:
                self.rigs.remove(window)
            window.deleteLater()


def _where(camera: RigCamera) -> tuple[str, int]:
    at = camera.camera.settings
    return at.host, at.port
