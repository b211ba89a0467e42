"""`Prefs`: what the app remembers between runs that the panels share (the download folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal

__all__ = ["Prefs"]


def _default_folder() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / "yicam"


class Prefs(QObject):
    """The download folder (also where snapshots and live recordings go)."""

    folderChanged = Signal(str)

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings

    @property
    def folder(self) -> Path:
        """Where files from the camera go; chosen once and remembered."""
        value = self.settings.value("downloads/folder")
        return Path(value) if isinstance(value, str) and value else _default_folder()

    def set_folder(self, folder: Path | str) -> None:
        """Remember a new folder."""
        self.settings.setValue("downloads/folder", str(folder))
        self.folderChanged.emit(str(folder))
