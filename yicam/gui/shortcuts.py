"""Keyboard shortcuts for the whole window, and the list the Help menu shows.

Each is a `QAction` with an application-wide context, so it works whichever panel, dock or
button has the focus. A text field the user is typing in keeps its keys (Qt lets a field claim
the keys it types); the window never leaves the focus in a field by itself: it starts on the
live view, and Escape (or Enter in the address field) hands the focus back to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

__all__ = ["shortcut_action", "shortcut_lines"]


def shortcut_action(
    parent: QObject, text: str, keys: Sequence[str], slot: Callable[[], object]
) -> QAction:
    """An action for `keys` (the first is shown in menus) that runs `slot`."""
    action = QAction(text, parent)
    action.setShortcuts([QKeySequence(key) for key in keys])
    action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def shortcut_lines(actions: Sequence[QAction]) -> list[str]:
    """`Keys  What` for each action, as the Help menu lists them."""
    lines = []
    for action in actions:
        keys = " or ".join(
            key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
        )
        lines.append(f"{keys}\t{action.text().replace('&', '').rstrip('…')}")
    return lines
