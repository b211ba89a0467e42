"""`MediaModel`: the card's files as a Qt item model, newest first, thumbnails loaded lazily.

A thumbnail is asked for only when a view paints its item (`data(DecorationRole)`), the most
recently asked first, and decoded off the GUI thread; each is cached for the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPainter

from yicam import Camera, CameraConnectionError, Event, MediaItem, Notification, Notify, YicamError

from .jobs import Jobs
from .problems import clean_text, explain
from .session_model import SessionModel
from .status_bar import human_size

__all__ = ["THUMB_SIZE", "MediaFilter", "MediaListModel", "MediaModel", "kind_of"]

THUMB_SIZE = QSize(160, 108)
ItemRole = Qt.ItemDataRole.UserRole + 1
KindRole = Qt.ItemDataRole.UserRole + 2
_NEW_FILE = frozenset({Notify.PHOTO_TAKEN, Notify.VIDEO_RECORD_COMPLETE, Notify.SDCARD_FORMAT_DONE})
_NEW_FILE_TYPES = frozenset({"file_added", "file_new", "burst_complete", "precise_cont_complete"})
AnyIndex = QModelIndex | QPersistentModelIndex


def kind_of(item: MediaItem) -> str:
    """ "photo", "video" or "other", from the file name."""
    suffix = item.name.rsplit(".", 1)[-1].lower()
    return {"jpg": "photo", "jpeg": "photo", "dng": "photo", "mp4": "video", "mov": "video"}.get(
        suffix, "other"
    )


def _newest_first(item: MediaItem) -> tuple[datetime, str]:
    return (item.modified or datetime.min, item.path)


class MediaListModel(QAbstractListModel):
    """Rows of `MediaItem`s; asks `wanted` for a thumbnail the first time a row is painted."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[MediaItem] = []
        self._rows: dict[str, int] = {}
        self._thumbs: dict[str, QImage] = {}
        self._asked: set[str] = set()
        self._placeholder = _placeholder()
        self.wanted: list[str] = []  # paths whose thumbnails a view wants, oldest first
        self.on_wanted: Any = None

    def set_items(self, items: list[MediaItem]) -> None:
        """Replace the listing (newest first); an unchanged listing changes nothing."""
        ordered = sorted(items, key=_newest_first, reverse=True)
        if ordered == self.items:
            return
        self.beginResetModel()
        self.items = ordered
        self._rows = {item.path: row for row, item in enumerate(self.items)}
        self.endResetModel()

    def set_thumbnail(self, path: str, image: QImage) -> None:
        """Cache a decoded thumbnail and repaint its row."""
        self._thumbs[path] = image
        row = self._rows.get(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def retry_missing(self) -> None:
        """Let views ask again for every thumbnail not loaded yet (after a reconnect)."""
        self._asked &= set(self._thumbs)
        self.wanted.clear()
        if self.items:
            self.dataChanged.emit(
                self.index(0), self.index(len(self.items) - 1), [Qt.ItemDataRole.DecorationRole]
            )

    def forget_request(self, path: str) -> None:
        """Allow a failed thumbnail to be asked for again."""
        self._asked.discard(path)

    def has_thumbnail(self, path: str) -> bool:
        """True once the thumbnail of `path` is cached."""
        return path in self._thumbs

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """One row per media file."""
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Name, thumbnail, tooltip, the item and its kind."""
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            name = clean_text(item.name, 60, single_line=True)
            when = item.modified.strftime("%Y-%m-%d %H:%M") if item.modified else ""
            mark = "▶ " if kind_of(item) == "video" else ""
            return f"{mark}{name}\n{human_size(item.size)}\n{when}"
        if role == Qt.ItemDataRole.DecorationRole:
            image = self._thumbs.get(item.path)
            if image is None:
                self._want(item.path)
                return self._placeholder
            return image
        if role == Qt.ItemDataRole.ToolTipRole:
            when = item.modified.strftime("%Y-%m-%d %H:%M:%S") if item.modified else "unknown"
            name = clean_text(item.name, 60, single_line=True)
            folder = clean_text(item.folder, 20, single_line=True)
            return f"{name}\n{kind_of(item)}, {human_size(item.size)}\n{when}\n{folder}"
        if role == ItemRole:
            return item
        if role == KindRole:
            return kind_of(item)
        return None

    def _want(self, path: str) -> None:
        if path in self._asked:
            return
        self._asked.add(path)
        self.wanted.append(path)
        if self.on_wanted is not None:
            self.on_wanted()


class MediaFilter(QSortFilterProxyModel):
    """Shows all files, only photos or only videos."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kind = "all"

    def set_kind(self, kind: str) -> None:
        """ "all", "photo" or "video"."""
        if hasattr(self, "endFilterChange"):  # Qt 6.10 and later
            self.beginFilterChange()
            self._kind = kind
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._kind = kind
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        """Keep rows of the chosen kind."""
        if self._kind == "all":
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return bool(index.data(KindRole) == self._kind)


class MediaModel(QObject):
    """Lists the card, fetches thumbnails, deletes files; refreshes when a new file appears."""

    listed = Signal(int)  # number of files
    busyChanged = Signal(bool)
    message = Signal(str)

    def __init__(self, session: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items = MediaListModel(self)
        self.items.on_wanted = self._kick_thumbnails
        self.filtered = MediaFilter(self)
        self.filtered.setSourceModel(self.items)
        self._cam: Camera | None = None
        self._jobs = Jobs()
        self._thumbs: asyncio.Task[None] | None = None
        self._listing: asyncio.Task[None] | None = None
        self._again = False
        self.transfer_busy: Callable[[], bool] = lambda: False  # a download holds the data port
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        session.cameraEvent.connect(self._on_event)

    @property
    def available(self) -> bool:
        """True when a camera is connected."""
        return self._cam is not None

    def refresh(self) -> None:
        """List the card again (one listing at a time; a request during one runs after it)."""
        if self._cam is None:
            return
        if self._listing is not None:
            self._again = True
            return
        self._listing = self._jobs.spawn(self._list(self._cam))

    async def delete(self, items: list[MediaItem]) -> list[str]:
        """Delete files and their sidecars (the caller asked the user); returns the failures."""
        cam = self._cam
        if cam is None:
            return ["not connected"]
        failures = []
        for item in items:
            for file in (item, *item.sidecars):
                try:
                    await cam.delete(file.path)
                except YicamError as exc:
                    failures.append(f"{file.name}: {explain(exc, cam.host).hint}")
                    break
        self.refresh()
        return failures

    async def aclose(self) -> None:
        """Stop listing and thumbnail jobs."""
        await self._jobs.cancel_all()

    # -- jobs ------------------------------------------------------------------------------

    async def _list(self, cam: Camera) -> None:
        self.busyChanged.emit(True)
        try:
            while True:
                self._again = False
                try:
                    items = await cam.list_media()
                except YicamError as exc:
                    self.message.emit(f"Cannot list the card: {explain(exc, cam.host).title}")
                    return
                self.items.set_items(items)
                self.listed.emit(len(items))
                if not self._again:
                    return
        finally:
            self._listing = None
            self.busyChanged.emit(False)

    def _kick_thumbnails(self) -> None:
        if self._cam is not None and self._thumbs is None:
            self._thumbs = self._jobs.spawn(self._load_thumbnails(self._cam))

    async def _load_thumbnails(self, cam: Camera) -> None:
        try:
            while self.items.wanted:
                path = self.items.wanted.pop()  # the most recently painted first
                # HTTP when it needs no viewfinder start; while a download holds the data
                # port, HTTP anyway (starting the viewfinder where the web server needs it),
                # so that thumbnails never wait behind the download.
                via: Literal["auto", "http"] = "http" if self.transfer_busy() else "auto"
                try:
                    data = await cam.thumbnail(path, size="thumb", via=via)
                except CameraConnectionError:
                    self.items.forget_request(path)
                    return
                except YicamError:
                    continue  # no thumbnail for this file: the placeholder stays
                image = await asyncio.to_thread(_decode_thumbnail, data)
                if image is not None:
                    self.items.set_thumbnail(path, image)
        finally:
            self._thumbs = None

    def _on_camera(self, cam: Camera) -> None:
        self._cam = cam
        self.refresh()
        self.items.retry_missing()
        self._kick_thumbnails()

    def _on_gone(self) -> None:
        self._cam = None
        for task in (self._thumbs, self._listing):
            if task is not None:
                task.cancel()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Notification) and (
            event.type in _NEW_FILE or event.type in _NEW_FILE_TYPES
        ):
            self.refresh()


def _decode_thumbnail(data: bytes) -> QImage | None:
    """A JPEG scaled to the grid's cell (runs in a worker thread: QImage, not QPixmap)."""
    image = QImage.fromData(data)
    if image.isNull():
        return None
    return image.scaled(
        THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def _placeholder() -> QImage:
    image = QImage(THUMB_SIZE, QImage.Format.Format_RGB32)
    image.fill(QColor(60, 60, 60))
    painter = QPainter(image)
    painter.setPen(QColor(150, 150, 150))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, "…")
    painter.end()
    return image
