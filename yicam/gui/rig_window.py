"""`RigWindow`: every camera of a rig in one window, a tile each, and actions on all of them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .prefs import Prefs
from .rig_model import Member, RigModel
from .rig_tile import RigTile

__all__ = ["RigWindow"]

DEFAULT_SIZE = (1000, 720)  # 2x2 tiles of the camera's 1.8:1 picture; fits a 1280x800 desktop


class RigWindow(QMainWindow):
    """The rig view; `start()` connects the cameras, `closed` fires once the window closed.

    Raises `ValueError` for no cameras or two names for one camera.
    """

    closed = Signal()

    def __init__(
        self,
        members: Sequence[Member],
        settings: QSettings,
        *,
        live: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.prefs = Prefs(settings, self)
        self.model = RigModel(members, self.prefs, live=live, parent=self)
        count = len(self.model.tiles)
        self.setWindowTitle(f"yicam - rig of {count} camera{'s' if count != 1 else ''}")

        self.photo = QPushButton("Photo all")
        self.photo.setObjectName("photoAll")
        self.photo.setToolTip("Every camera takes a photo at the same moment")
        self.record = QPushButton("Record all")
        self.record.setObjectName("recordAll")
        self.record.setToolTip("Every camera starts (or stops) recording at the same moment")
        self.download = QPushButton("Download all new")
        self.download.setObjectName("downloadAll")
        self.cancel_download = QPushButton("Cancel download")
        self.cancel_download.setObjectName("cancelDownload")
        self.cancel_download.setToolTip(
            "Stop downloading: the files copied stay; Download all new resumes the rest"
        )
        self.folder = QLabel()
        self.folder.setObjectName("rigFolder")
        self.folder.setStyleSheet("color: #555;")
        choose = QPushButton("Folder…")
        choose.setObjectName("chooseFolder")
        bar = QHBoxLayout()
        for button in (self.photo, self.record, self.download, self.cancel_download):
            bar.addWidget(button)
        bar.addSpacing(12)
        bar.addWidget(self.folder, 1)
        bar.addWidget(choose)

        self.tiles = [RigTile(camera) for camera in self.model.tiles]
        grid = QGridLayout()
        grid.setSpacing(6)
        columns = max(1, math.ceil(math.sqrt(count)))
        for index, tile in enumerate(self.tiles):
            grid.addWidget(tile, index // columns, index % columns)
        for column in range(columns):
            grid.setColumnStretch(column, 1)
        for row in range(math.ceil(count / columns)):
            grid.setRowStretch(row, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(bar)
        layout.addLayout(grid, 1)
        self.setCentralWidget(central)
        self.summary = QLabel()
        self.summary.setObjectName("rigSummary")
        self.statusBar().addWidget(self.summary, 1)

        self.photo.clicked.connect(self.model.photo_all)
        self.record.clicked.connect(self.model.record_all)
        self.download.clicked.connect(self.model.download_all)
        self.cancel_download.clicked.connect(self.model.cancel_download)
        choose.clicked.connect(self._choose_folder)
        self.model.busyChanged.connect(self._update)
        self.model.recordingChanged.connect(self._update)
        self.model.downloadingChanged.connect(self._update)
        self.model.message.connect(self.summary.setText)
        self.prefs.folderChanged.connect(self._show_folder)
        self._show_folder(str(self.prefs.folder))
        self._update()
        geometry = settings.value("rig/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(*DEFAULT_SIZE)

    def start(self) -> None:
        """Connect every camera."""
        self.model.start()

    async def shutdown(self) -> None:
        """Stop every job and close the cameras."""
        await self.model.aclose()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the geometry, then let the owner shut the rig down."""
        self.settings.setValue("rig/geometry", self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)
        self.closed.emit()

    def _update(self, *_args: object) -> None:
        model = self.model
        self.photo.setEnabled(not model.busy and not model.recording)
        self.record.setEnabled(not model.busy)
        self.record.setText("Stop all" if model.recording else "Record all")
        self.download.setEnabled(not model.downloading)
        self.download.setText("Downloading…" if model.downloading else "Download all new")
        self.cancel_download.setVisible(model.downloading)

    def _show_folder(self, folder: str) -> None:
        self.folder.setText(f"into {folder}/NAME")
        self.folder.setToolTip("Each camera's files go into a folder of its name here")

    def _choose_folder(self) -> None:
        current = self.prefs.folder
        start = next((p for p in (current, *current.parents) if p.is_dir()), Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Download folder", str(start))
        if chosen:
            self.prefs.set_folder(chosen)
