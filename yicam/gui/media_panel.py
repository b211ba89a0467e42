"""The media browser: a lazily loaded thumbnail grid of the card, with filter and actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from yicam import MediaItem

from .dialogs import confirm, inform
from .downloads_model import DownloadsModel
from .jobs import Jobs
from .media_model import THUMB_SIZE, ItemRole, MediaModel
from .problems import clean_text

__all__ = ["MediaGrid", "MediaPanel"]

_FILTERS = (("All files", "all"), ("Photos", "photo"), ("Videos", "video"))


def open_with_system(path: Path) -> bool:
    """Open a local file (or folder) as the system does; False when nothing could open it."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


_DOWNLOAD_TIP = "Download the selected files to the download folder"
_SYNC_TIP = "Download every file that is not in the download folder yet"


class MediaGrid(QListView):
    """Thumbnail cells that flow left to right and share the width out: as many columns as fit
    a thumbnail with its margin, each widened so that no empty strip is left at the right."""

    CELL_HEIGHT = THUMB_SIZE.height() + 58  # the thumbnail and three lines of text
    MIN_CELL_WIDTH = THUMB_SIZE.width() + 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(THUMB_SIZE)
        self.setWordWrap(True)
        self.setSpacing(0)  # the grid cells carry the margins
        self._fit_columns()

    def available_width(self) -> int:
        """The width Qt lays the cells out in."""
        width = self.viewport().width()
        bar = self.verticalScrollBar()
        if (
            not bar.isVisible()
            and self.verticalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        ):
            # Qt keeps room for a scroll bar that may appear, so that the layout stays put.
            width -= self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, bar)
        return width

    def columns(self) -> int:
        """How many cells fit side by side."""
        return max(1, (self.available_width() - 1) // self.MIN_CELL_WIDTH)

    def resizeEvent(self, e: QResizeEvent) -> None:
        """Re-share the width (also when the scroll bar comes or goes)."""
        self._fit_columns()
        super().resizeEvent(e)

    def _fit_columns(self) -> None:
        # Qt wraps a cell that would end on the last pixel: one pixel to spare.
        width = max(self.MIN_CELL_WIDTH, (self.available_width() - 1) // self.columns())
        if self.gridSize().width() != width:
            self.setGridSize(QSize(width, self.CELL_HEIGHT))


class MediaPanel(QWidget):
    """Thumbnails newest first; download, sync, delete and open."""

    def __init__(
        self, media: MediaModel, downloads: DownloadsModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._media = media
        self._downloads = downloads
        self._jobs = Jobs()
        self.opener: Callable[[Path], bool] = open_with_system  # files and folders
        self.filter = QComboBox()
        self.filter.setObjectName("mediaFilter")
        for text, kind in _FILTERS:
            self.filter.addItem(text, kind)
        self.refresh = QPushButton("Refresh")
        self.download = QPushButton("Download")
        self.download.setObjectName("download")
        self.download.setToolTip(_DOWNLOAD_TIP)
        self.sync = QPushButton("All new")
        self.sync.setObjectName("syncNew")
        self.sync.setToolTip(_SYNC_TIP)
        self.delete = QPushButton("Delete…")
        self.delete.setObjectName("deleteMedia")
        self.show_folder = QPushButton("Show in folder")
        self.show_folder.setObjectName("showInFolder")
        self.show_folder.setToolTip("Open the folder that holds the downloaded file")
        self.count = QLabel("")
        self.count.setObjectName("mediaCount")
        self.grid = MediaGrid()
        self.grid.setObjectName("mediaGrid")
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setModel(media.filtered)
        self.message = QLabel("")
        self.message.setObjectName("mediaMessage")
        self.message.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.filter)
        row.addWidget(self.refresh)
        row.addStretch(1)
        row.addWidget(self.download)
        row.addWidget(self.sync)
        row.addWidget(self.delete)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(self.grid, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.show_folder)
        layout.addLayout(bottom)

        self.filter.currentIndexChanged.connect(
            lambda: media.filtered.set_kind(str(self.filter.currentData()))
        )
        self.refresh.clicked.connect(media.refresh)
        self.download.clicked.connect(self._download_selected)
        self.sync.clicked.connect(lambda: downloads.enqueue_new(list(media.items.items)))
        self.delete.clicked.connect(self.delete_selected)
        self.grid.doubleClicked.connect(self._open)
        self.show_folder.clicked.connect(self._show_in_folder)
        downloads.table.dataChanged.connect(self._update)
        self.grid.selectionModel().selectionChanged.connect(self._update)
        media.listed.connect(self._listed)
        media.filtered.modelAboutToBeReset.connect(self._remember_selection)
        media.filtered.modelReset.connect(self._restore_selection)
        self._kept: set[str] = set()
        media.message.connect(self.message.setText)
        downloads.message.connect(self.message.setText)
        downloads.openFile.connect(lambda path: self._open_local(Path(path)))
        self._update()

    def selected(self) -> list[MediaItem]:
        """The selected files, in grid order."""
        rows = sorted(self.grid.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [index.data(ItemRole) for index in rows]

    def update_availability(self) -> None:
        """Re-read whether a camera is there."""
        self._update()

    def delete_selected(self) -> None:
        """Ask, then delete the selected files on the camera."""
        if self.delete.isEnabled():
            self._jobs.spawn(self._delete_selected())

    async def aclose(self) -> None:
        """Drop a pending question."""
        await self._jobs.cancel_all()

    def _update(self, *_args: object) -> None:
        available = self._media.available
        chosen = bool(self.grid.selectionModel().selectedIndexes())
        self.refresh.setEnabled(available)
        blocked = self._downloads.unavailable if available else ""
        self.download.setEnabled(available and chosen and not blocked)
        self.sync.setEnabled(available and not blocked)
        self.download.setToolTip(blocked or _DOWNLOAD_TIP)
        self.sync.setToolTip(blocked or _SYNC_TIP)
        self.delete.setEnabled(available and chosen)
        self.show_folder.setEnabled(any(self._downloads.downloaded(i) for i in self.selected()))

    def _remember_selection(self) -> None:
        self._kept = {item.path for item in self.selected()}

    def _restore_selection(self) -> None:
        model, selection = self._media.filtered, self.grid.selectionModel()
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            if index.data(ItemRole).path in self._kept:
                selection.select(index, QItemSelectionModel.SelectionFlag.Select)
        self._update()

    def _listed(self, count: int) -> None:
        self.count.setText(f"{count} file{'s' if count != 1 else ''}")
        self._update()

    def _download_selected(self) -> None:
        items = self.selected()
        added = self._downloads.enqueue(items)
        self.message.setText(f"{added} file{'s' if added != 1 else ''} queued")

    def _open(self, index: QModelIndex) -> None:
        item: MediaItem = index.data(ItemRole)
        local = self._downloads.downloaded(item)
        if local is not None:
            self._open_local(local)
        else:
            self._downloads.enqueue([item], open_when_done=True)
            self.message.setText(f"Downloading {clean_text(item.name, 60)} to open it…")

    def _open_local(self, path: Path) -> None:
        name = clean_text(path.name, 60, single_line=True)
        if self.opener(path):
            self.message.setText(f"Opened {name}")
            return
        kind = f"{path.suffix} files" if path.suffix else "this file"
        text = f"Cannot open {name}: this computer has no application set up for {kind}."
        self.message.setText(text)
        self._jobs.spawn(self._offer_folder(path, text))

    async def _offer_folder(self, path: Path, text: str) -> None:
        if await inform(
            self, "Cannot open the file", f"{text}\n\nIt is in {path.parent}", "Show in folder"
        ):
            self._reveal(path)

    def _show_in_folder(self) -> None:
        local = next(filter(None, map(self._downloads.downloaded, self.selected())), None)
        if local is not None:
            self._reveal(local)

    def _reveal(self, path: Path) -> None:
        if not self.opener(path.parent):
            self.message.setText(f"Cannot open the folder {path.parent}")

    async def _delete_selected(self) -> None:
        items = self.selected()
        if not items:
            return
        names = "\n".join(clean_text(i.name, 60, single_line=True) for i in items[:10])
        more = f"\n… and {len(items) - 10} more" if len(items) > 10 else ""
        agreed = await confirm(
            self,
            "Delete on the camera",
            f"Delete {len(items)} file{'s' if len(items) != 1 else ''} from the camera's card? "
            f"This cannot be undone.\n\n{names}{more}",
            "Delete",
        )
        if not agreed:
            return
        failures = await self._media.delete(items)
        self.message.setText(
            "Deleted." if not failures else "Not deleted: " + "; ".join(failures[:3])
        )
