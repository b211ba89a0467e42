"""Photo and Record buttons with the camera's recording time (the window holds the keys)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from .capture_model import CaptureModel
from .session_model import SessionModel

__all__ = ["CapturePanel"]

PHOTO_KEY = "P"
RECORD_KEY = "R"


class CapturePanel(QWidget):
    """Shutter controls; disabled while not connected or while a capture is in progress."""

    def __init__(
        self, capture: CaptureModel, session: SessionModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._capture = capture
        self.photo = QPushButton(f"Photo ({PHOTO_KEY})")
        self.photo.setObjectName("photo")
        self.photo.setToolTip(f"Take a photo on the camera (shortcut {PHOTO_KEY} or Space)")
        self.record = QPushButton(f"Record ({RECORD_KEY})")
        self.record.setObjectName("record")
        self.record.setToolTip(f"Start or stop recording on the camera (shortcut {RECORD_KEY})")
        self.elapsed = QLabel("")
        self.elapsed.setObjectName("elapsed")
        self.elapsed.setMinimumWidth(90)
        self.message = QLabel("")
        self.message.setObjectName("captureMessage")
        self.message.setWordWrap(True)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelCapture")
        self.cancel.setToolTip("Stop waiting for the camera")
        self.cancel.hide()
        self._wait_text = ""
        for button in (self.photo, self.record):
            button.setMinimumHeight(34)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photo)
        layout.addWidget(self.record)
        layout.addWidget(self.elapsed)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.cancel)
        self.photo.clicked.connect(capture.take_photo)
        self.record.clicked.connect(capture.toggle_recording)
        capture.busyChanged.connect(self._update)
        capture.recordingChanged.connect(self._update)
        capture.elapsedChanged.connect(self._show_elapsed)
        capture.failed.connect(lambda problem: self.message.setText(problem.hint))
        capture.waiting.connect(self._show_wait)
        capture.cancelled.connect(self.message.setText)
        self.cancel.clicked.connect(capture.cancel)
        capture.photoTaken.connect(lambda path: self.message.setText(f"Photo: {_name(path)}"))
        capture.videoRecorded.connect(lambda path: self.message.setText(f"Video: {_name(path)}"))
        session.stateChanged.connect(self._update)
        self._update()

    def _update(self, *_args: object) -> None:
        capture = self._capture
        if capture.busy or not capture.available:
            self.message.clear()  # the last outcome no longer applies
        ready = capture.available and not capture.busy
        self.photo.setEnabled(ready and not capture.recording)
        self.record.setEnabled(ready)
        self.record.setText(
            f"Stop ({RECORD_KEY})" if capture.recording else f"Record ({RECORD_KEY})"
        )
        self.record.setStyleSheet("color: #c00; font-weight: bold;" if capture.recording else "")
        if not capture.recording:
            self.elapsed.setText("")

    def _show_wait(self, text: str) -> None:
        self.cancel.setVisible(bool(text))
        if text:
            self.message.setText(text)
            self._wait_text = text
        elif self.message.text() == self._wait_text:
            self.message.clear()  # done: what it waited for no longer applies

    def _show_elapsed(self, seconds: int) -> None:
        self.elapsed.setText(f"● {seconds // 60:02d}:{seconds % 60:02d}")


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
