"""Questions to the user that do not block the event loop (window-modal, awaited)."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["confirm", "inform"]


async def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask before doing something that cannot be undone; True when the user agrees.

    The box opens with `open()` rather than `exec()`, so the camera, the live view and
    downloads carry on while it waits.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setObjectName("confirm")
    yes = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return await _answer(box, yes)


async def inform(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Tell the user something went wrong, offering `action`; True when it was chosen."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=parent)
    box.setObjectName("inform")
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.setDefaultButton(QMessageBox.StandardButton.Close)
    return await _answer(box, yes)


async def _answer(box: QMessageBox, yes: object) -> bool:
    answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def finished() -> None:
        if not answered.done():
            answered.set_result(box.clickedButton() is yes)

    box.finished.connect(finished)
    box.open()
    try:
        return await answered
    finally:
        box.deleteLater()
