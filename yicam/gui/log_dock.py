"""The event log dock: notifications as they arrive, and a raw command line."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .log_model import LogModel

__all__ = ["LogDock"]

MAX_LINES = 5000


class LogDock(QDockWidget):
    """Read-only log plus `MSG_ID [JSON]` input."""

    def __init__(self, log: LogModel, parent: QWidget | None = None) -> None:
        super().__init__("Event log", parent)
        self.setObjectName("eventLog")
        self._log = log
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.command = QLineEdit()
        self.command.setObjectName("rawCommand")
        self.command.setPlaceholderText('raw command: MSG_ID [JSON], e.g. 1 {"type": "app_status"}')
        send = QPushButton("Send")
        send.setObjectName("sendRaw")
        row = QHBoxLayout()
        row.addWidget(self.command, 1)
        row.addWidget(send)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        self.setWidget(body)
        log.line.connect(self.text.appendPlainText)
        send.clicked.connect(self._send)
        self.command.returnPressed.connect(self._send)

    def _send(self) -> None:
        text = self.command.text()
        if text.strip():
            self._log.send_raw(text)
            self.command.clear()
