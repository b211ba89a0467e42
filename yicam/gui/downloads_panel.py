"""The downloads panel: folder, queue with per-file progress, totals, cancel and resume."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .downloads_model import DownloadsModel
from .downloads_table import DownloadsTable, ProgressRole, Totals, format_duration
from .elided_label import ElidedLabel
from .prefs import Prefs
from .status_bar import human_size

__all__ = ["DownloadsPanel"]


class _ProgressDelegate(QStyledItemDelegate):
    """Draws the Progress column as a bar."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """A progress bar with the percentage."""
        fraction = index.data(ProgressRole)
        if not isinstance(fraction, float):
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(fraction * 1000)
        bar.text = f"{fraction * 100:.0f}%"
        bar.textVisible = True
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class DownloadsPanel(QWidget):
    """Where files go, what is queued, how fast, how long."""

    def __init__(
        self, downloads: DownloadsModel, prefs: Prefs, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._downloads = downloads
        self._prefs = prefs
        self.folder = ElidedLabel()
        self.folder.setObjectName("downloadFolder")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        change = QPushButton("Change…")
        change.setObjectName("changeFolder")
        self.change = change
        self.delete_after = QCheckBox("Delete from the camera after a verified download")
        self.delete_after.setObjectName("deleteAfter")
        self.table = QTableView()
        self.table.setObjectName("downloadsTable")
        self.table.setModel(downloads.table)
        self.table.setItemDelegateForColumn(
            DownloadsTable.COLUMNS.index("Progress"), _ProgressDelegate(self.table)
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(DownloadsTable.COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        progress = DownloadsTable.COLUMNS.index("Progress")
        header.setSectionResizeMode(progress, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(progress, 120)
        self.total = QProgressBar()
        self.total.setObjectName("totalProgress")
        self.total.setRange(0, 1000)
        self.summary = QLabel("")
        self.summary.setObjectName("downloadSummary")
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelDownload")
        self.resume = QPushButton("Resume")
        self.resume.setObjectName("resumeDownload")
        clear = QPushButton("Clear finished")

        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel("Folder:"))
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(change)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.resume)
        buttons.addWidget(clear)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(folder_row)
        layout.addWidget(self.delete_after)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.total)
        layout.addWidget(self.summary)

        change.clicked.connect(self._choose_folder)
        self.cancel.clicked.connect(lambda: downloads.cancel(self._rows()))
        self.resume.clicked.connect(lambda: downloads.resume(self._rows()))
        clear.clicked.connect(downloads.clear_finished)
        self.delete_after.toggled.connect(self._remember_delete_after)
        downloads.totalsChanged.connect(self._show_totals)
        prefs.folderChanged.connect(self.folder.set_full_text)
        self.folder.set_full_text(str(prefs.folder))
        self.delete_after.setChecked(prefs.settings.value("downloads/deleteAfter") == "true")
        downloads.delete_after_default = self.delete_after.isChecked()

    def _rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedRows()})

    def _choose_folder(self) -> None:
        # Opened in the folder itself: a dialog given a missing folder starts in the
        # current directory, where Choose would pick whatever is there.
        dialog = QFileDialog(self, "Download folder", str(self._prefs.existing_folder()))
        dialog.setObjectName("folderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        dialog.fileSelected.connect(self._chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # window-modal: the camera and downloads carry on meanwhile

    def _chosen(self, folder: str) -> None:
        if folder:
            self._prefs.set_folder(folder)

    def _remember_delete_after(self, checked: bool) -> None:
        self._prefs.settings.setValue("downloads/deleteAfter", "true" if checked else "false")
        self._downloads.delete_after_default = checked

    def _show_totals(self, totals: Totals) -> None:
        self.total.setValue(int(totals.done / totals.total * 1000) if totals.total else 0)
        if not totals.files:
            self.summary.setText("")
            return
        parts = [
            f"{totals.files_done} of {totals.files} files",
            f"{human_size(totals.done)} of {human_size(totals.total)}",
        ]
        if totals.speed > 0:
            parts.append(f"{human_size(totals.speed)}/s")
        if totals.eta is not None:
            parts.append(f"{format_duration(totals.eta)} left")
        self.summary.setText(" · ".join(parts))
