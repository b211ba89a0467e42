"""`QrDialog`: the Yi 4K Live-mode QR code at full size, to show to the camera or save as PNG."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["QrDialog"]


class QrDialog(QDialog):
    """The code one screen pixel per image pixel (a scaled code scans badly), and Save PNG."""

    def __init__(self, png: bytes, summary: str, folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("liveQrDialog")
        self.setWindowTitle("Live-mode QR code")
        self.png = png
        self._folder = folder
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.code = QLabel()
        self.code.setObjectName("liveQrCode")
        self.code.setPixmap(pixmap)
        self.code.setFixedSize(pixmap.size())
        self.summary = QLabel(summary)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setObjectName("saveLiveQr")
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.ask_and_save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.code, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def ask_and_save(self) -> None:
        """Ask where (window-modal: the camera carries on meanwhile), then save."""
        dialog = QFileDialog(
            self, "Save the QR code", str(self._folder / "live-qr.png"), "PNG images (*.png)"
        )
        dialog.setObjectName("saveLiveQrDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("png")
        dialog.fileSelected.connect(lambda name: self.save(Path(name)) if name else None)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def save(self, path: Path) -> None:
        """Write the PNG to `path` (complete or not at all) and say so."""
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        partial = path.with_name(path.name + ".part")
        try:
            partial.write_bytes(self.png)
            os.replace(partial, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            self.message.setText(f"Cannot save {path}: {exc.strerror or exc}")
            return
        self.message.setText(f"Saved {path}")
