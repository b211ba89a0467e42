"""The connection bar: host field, Connect/Disconnect, and the problem banner."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .problems import Problem
from .session_model import ConnState, SessionModel

__all__ = ["ConnectionBar", "ProblemBanner"]


class ConnectionBar(QWidget):
    """Host, Connect and Disconnect; a notice (another device asked for the session) goes
    after `notice_seconds` or when the connection changes, as it no longer applies then."""

    notice_seconds = 60.0

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.host = QLineEdit(session.target.address)
        self.host.setObjectName("host")
        self.host.setPlaceholderText("192.168.42.1, HOST:PORT or a camera's name")
        self.host.setMaximumWidth(220)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connect")
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.setObjectName("disconnect")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Camera:"))
        layout.addWidget(self.host)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.disconnect_button)
        layout.addStretch(1)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setStyleSheet("color: #8a5a00;")
        layout.addWidget(self.notice)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.notice.clear)
        self.connect_button.clicked.connect(self._connect)
        self.host.returnPressed.connect(self._connect)
        self.disconnect_button.clicked.connect(session.disconnect_camera)
        session.stateChanged.connect(self._show_state)
        session.sessionRequested.connect(self._show_notice)
        self._show_state(str(session.state))

    def _show_notice(self, text: str) -> None:
        self.notice.setText(f"{datetime.now():%H:%M:%S} {text}")
        self._notice_timer.start(int(self.notice_seconds * 1000))

    def _connect(self) -> None:
        self._session.connect_to(self.host.text())

    def _show_state(self, state: str) -> None:
        connected = state == ConnState.CONNECTED
        connecting = state == ConnState.CONNECTING
        self.connect_button.setEnabled(not connecting and not connected)
        self.connect_button.setText("Connecting…" if connecting else "Connect")
        self.disconnect_button.setEnabled(connected)
        self.host.setEnabled(not connecting)
        if not connected:
            self.notice.clear()


class ProblemBanner(QFrame):
    """One visible problem at a time (never a dialog storm), with Reconnect when it helps."""

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problem")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#problem { background: #fff3cd; border: 1px solid #e0b84c; border-radius: 4px; }"
        )
        self.title = QLabel()
        self.title.setObjectName("problemTitle")
        self.title.setStyleSheet("font-weight: bold;")
        self.hint = QLabel()
        self.hint.setObjectName("problemHint")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reconnect = QPushButton("Reconnect")
        self.reconnect.setObjectName("reconnect")
        close = QPushButton("Dismiss")
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.hint)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addWidget(self.reconnect)
        layout.addWidget(close)
        self.reconnect.clicked.connect(session.reconnect)
        close.clicked.connect(self.hide)
        session.problem.connect(self.show_problem)
        session.problemCleared.connect(self.hide)
        self.hide()

    def show_problem(self, problem: Problem) -> None:
        """Show `problem`, replacing the one shown."""
        self.title.setText(problem.title)
        hint = problem.hint
        if problem.detail and problem.detail not in hint:
            hint = f"{hint}\n({problem.detail})"
        self.hint.setText(hint)
        self.reconnect.setVisible(problem.reconnect)
        self.show()
