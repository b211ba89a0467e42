"""A one-line label that fits the width it is given: the text elided, whole in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """Text of any length (a deep folder, a camera's string) that never widens its window.

    A plain QLabel asks for the width of its whole text, and a panel in a splitter takes
    that width from its neighbour (the live view) or widens the window past the screen.
    """

    def __init__(
        self,
        text: str = "",
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def full_text(self) -> str:
        """The text as given; `text()` is what fits."""
        return self._full

    def set_full_text(self, text: str) -> None:
        """Show `text`, elided to the label's width, with all of it in the tooltip."""
        self._full = text
        self.setToolTip(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Elide again for the new width."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin()
        self.setText(self.fontMetrics().elidedText(self._full, self._mode, max(width, 0)))
