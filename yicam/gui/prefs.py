"""`Prefs`: what the app remembers between runs that the panels share (the download folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, Signal

__all__ = ["Prefs"]


def _default_folder() -> Path:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / "yicam"


class Prefs(QObject):
    """The download folder (also where snapshots and live recordings go), and whether the
    live view starts on connect."""

    folderChanged = Signal(str)

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings

    @property
    def folder(self) -> Path:
        """Where files from the camera go; chosen once and remembered (always absolute: a
        relative folder is taken from the home folder, never the current directory)."""
        value = self.settings.value("downloads/folder")
        folder = Path(value).expanduser() if isinstance(value, str) and value else None
        if folder is None:
            return _default_folder()
        return folder if folder.is_absolute() else Path.home() / folder

    def existing_folder(self) -> Path:
        """The folder, created if it is not there yet; else its nearest existing parent."""
        folder = self.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return next((p for p in folder.parents if p.is_dir()), Path.home())
        return folder

    def set_folder(self, folder: Path | str) -> None:
        """Remember a new folder."""
        self.settings.setValue("downloads/folder", str(folder))
        self.folderChanged.emit(str(folder))

    @property
    def live_on_connect(self) -> bool:
        """Start the live view as soon as a camera is connected (default: yes)."""
        return self.settings.value("live/startOnConnect", "true") != "false"

    def set_live_on_connect(self, on: bool) -> None:
        """Remember whether the live view starts on connect."""
        self.settings.setValue("live/startOnConnect", "true" if on else "false")
