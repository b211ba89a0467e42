"""The status bar: model, firmware, battery, card space, recording time, connection."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from yicam import Battery

from .session_model import CameraStatus, ConnState, SessionModel

__all__ = ["StatusBar", "battery_text", "human_size"]

_STATE_TEXT = {
    ConnState.DISCONNECTED: "Not connected",
    ConnState.CONNECTING: "Connecting…",
    ConnState.CONNECTED: "Connected",
    ConnState.RECONNECTING: "Disconnected: reconnecting…",
    ConnState.LOST: "Disconnected: connection lost",
}


def human_size(size: float) -> str:
    """Bytes as `1.5 GB`."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover - the loop returns at GB


def battery_text(battery: Battery) -> str:
    """Level and power source; the camera says only whether it is on its adapter, so below
    100% on the adapter is shown as charging."""
    if not battery.on_adapter:
        power = "on battery"
    elif battery.level < 100:
        power = "charging"
    else:
        power = "on adapter"
    return f"Battery {battery.level}% ({power})"


class StatusBar(QStatusBar):
    """Permanent labels fed by the session model."""

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = self._label("model")
        self.firmware = self._label("firmware")
        self.battery = self._label("battery")
        self.card = self._label("card")
        self.recording = self._label("recording")
        self.connection = self._label("connection")
        self.via = self._label("via")
        session.statusChanged.connect(self._show_status)
        session.stateChanged.connect(self._show_state)
        session.reconnectAttempt.connect(
            lambda attempt: self.connection.setText(f"Disconnected: reconnecting (try {attempt})…")
        )
        session.unansweredChanged.connect(self._show_unanswered)
        self._state = str(session.state)
        self._show_status(session.status)
        self._show_state(str(session.state))

    def _label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setContentsMargins(8, 0, 8, 0)  # apart from its neighbours
        self.addPermanentWidget(label)
        return label

    def _show_status(self, status: CameraStatus) -> None:
        self.model.setText(status.model)
        self.firmware.setText(status.firmware.split("_build")[0][:40])
        self.firmware.setToolTip(status.firmware)
        self.battery.setText("" if status.battery is None else battery_text(status.battery))
        if status.storage is not None:
            self.card.setText(f"Card {human_size(status.storage.free)} free")
        else:
            self.card.setText(status.card_problem)
        if status.recording:
            seconds = status.record_seconds or 0
            self.recording.setText(f"● REC {seconds // 60:02d}:{seconds % 60:02d}")
        else:
            self.recording.setText("")
        self.via.setText(f"via agent {status.via}" if status.via else "")
        self.via.setToolTip(
            f"The agent {status.via} holds the camera's session; the app works through it"
            if status.via
            else ""
        )

    def _show_unanswered(self, seconds: float) -> None:
        if self._state != ConnState.CONNECTED:
            return
        if seconds:
            self.connection.setText(f"Connected: not responding ({seconds:.0f} s)")
            self.connection.setStyleSheet("color: #b00; font-weight: bold;")
        else:
            self.connection.setText(_STATE_TEXT[ConnState.CONNECTED])
            self.connection.setStyleSheet("")

    def _show_state(self, state: str) -> None:
        self._state = state
        self.connection.setStyleSheet("")
        self.connection.setText(_STATE_TEXT.get(ConnState(state), state))
        # Away from the camera the figures are the last ones it sent: shown greyed out.
        connected = state == ConnState.CONNECTED
        for label in (self.model, self.firmware, self.battery, self.card, self.recording, self.via):
            label.setEnabled(connected)
