"""The Camera menu: clock sync, and format, reboot and factory reset after a confirmation."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from .dialogs import confirm
from .jobs import Jobs
from .live_model import LiveModel
from .media_model import MediaModel
from .session_model import SessionModel
from .settings_model import SettingsModel
from .status_bar import human_size

__all__ = ["CameraMenu"]


class CameraMenu(QMenu):
    """Actions that affect the whole camera; the dangerous ones ask first."""

    def __init__(
        self,
        session: SessionModel,
        settings: SettingsModel,
        media: MediaModel,
        report: Callable[[str], None],
        parent: QWidget,
        live: LiveModel | None = None,
    ) -> None:
        super().__init__("&Camera", parent)
        self._session, self._settings, self._media = session, settings, media
        self._live = live  # stopped around format, reboot and factory reset
        self._report = report
        self._window = parent
        self._jobs = Jobs()
        self.sync_clock = self._action("Sync clock with this computer", self._sync_clock)
        self.addSeparator()
        self.format = self._action("Format SD card…", self._format)
        self.reboot = self._action("Reboot…", self._reboot)
        self.factory = self._action("Factory reset…", self._factory)
        session.stateChanged.connect(lambda _state: self._update())
        self._update()

    async def aclose(self) -> None:
        """Drop a pending question."""
        await self._jobs.cancel_all()

    def _action(self, text: str, job: Callable[[], Coroutine[Any, Any, None]]) -> QAction:
        action = self.addAction(text)
        action.triggered.connect(lambda: self._jobs.spawn(job()))
        return action

    def _update(self) -> None:
        for action in self.actions():
            action.setEnabled(self._settings.available)

    def _live_paused(self, *, until_reconnect: bool = False) -> AbstractAsyncContextManager[None]:
        if self._live is None:
            return contextlib.nullcontext()
        return self._live.paused(until_reconnect=until_reconnect)

    def _camera_words(self) -> str:
        status = self._session.status
        return f"{status.model or 'the camera'} at {self._session.target.host}"

    async def _sync_clock(self) -> None:
        self._report(await self._settings.sync_clock())

    async def _format(self) -> None:
        storage = self._session.status.storage
        size = (
            f" ({human_size(storage.total)} card, {human_size(storage.used)} used)"
            if storage
            else ""
        )
        files = self._media.items.rowCount()
        if await confirm(
            self._window,
            "Format SD card",
            f"Erase every file on the SD card in {self._camera_words()}{size}?\n\n"
            f"{files} file{'s' if files != 1 else ''} listed will be lost. This cannot be undone.",
            "Format",
        ):
            async with self._live_paused():
                self._report(await self._settings.format_card())
            self._media.refresh()

    async def _reboot(self) -> None:
        if await confirm(
            self._window,
            "Reboot camera",
            f"Reboot {self._camera_words()}? The connection drops; reconnect once it is back.",
            "Reboot",
        ):
            async with self._live_paused(until_reconnect=True):
                self._report(await self._settings.reboot())

    async def _factory(self) -> None:
        if await confirm(
            self._window,
            "Factory reset",
            f"Restore the factory settings of {self._camera_words()}? "
            "Every setting you changed goes back to its default.",
            "Reset",
        ):
            async with self._live_paused():
                self._report(await self._settings.factory_reset())
