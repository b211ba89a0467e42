"""The download queue's rows: `DownloadJob`, their states, and the table views show."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from .problems import clean_text
from .status_bar import human_size

__all__ = [
    "DownloadJob",
    "DownloadsTable",
    "JobState",
    "ProgressRole",
    "Totals",
    "format_duration",
]

ProgressRole = Qt.ItemDataRole.UserRole + 10
AnyIndex = QModelIndex | QPersistentModelIndex


class JobState(StrEnum):
    """Where a download stands."""

    QUEUED = "queued"
    RUNNING = "downloading"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class DownloadJob:
    """One file to fetch; mutable, owned by `DownloadsModel`."""

    path: str  # camera path
    folder: str  # NNNMEDIA
    name: str
    size: int
    delete_after: bool = False
    state: JobState = JobState.QUEUED
    done: int = 0
    speed: float = 0.0  # bytes per second
    error: str = ""
    local: Path | None = None
    verified: bool = False
    deleted: bool = False
    attempts: int = 0
    open_when_done: bool = False
    sidecars: tuple[str, ...] = ()  # camera paths deleted with the file (.THM, _thm.mp4)
    _mark: tuple[float, int] = field(default=(0.0, 0), repr=False)

    @property
    def fraction(self) -> float:
        """Share done, 0..1."""
        return 1.0 if self.state == JobState.DONE else self.done / self.size if self.size else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current speed."""
        if self.state != JobState.RUNNING or self.speed <= 0:
            return None
        return max(0.0, (self.size - self.done) / self.speed)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}"


class DownloadsTable(QAbstractTableModel):
    """The queue as a table: File, Size, Progress, Speed, Left, Status."""

    COLUMNS = ("File", "Size", "Progress", "Speed", "Left", "Status")

    def __init__(self, jobs: list[DownloadJob], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        """One row per job."""
        return 0 if parent.isValid() else len(self.jobs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """The named columns."""
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column names."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text; the Progress column also gives its fraction under `ProgressRole`."""
        if not index.isValid() or not 0 <= index.row() < len(self.jobs):
            return None
        job = self.jobs[index.row()]
        column = self.COLUMNS[index.column()]
        if role == ProgressRole and column == "Progress":
            return job.fraction
        if role == Qt.ItemDataRole.ToolTipRole:
            return job.error or (str(job.local) if job.local else job.path)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == "File":
            return clean_text(job.name, 60, single_line=True)
        if column == "Size":
            return human_size(job.size)
        if column == "Progress":
            return f"{job.fraction * 100:.0f}%"
        if column == "Speed":
            return f"{human_size(job.speed)}/s" if job.state == JobState.RUNNING else ""
        if column == "Left":
            return format_duration(job.eta)
        return _status_text(job)

    def changed(self, row: int) -> None:
        """Repaint one row."""
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def refresh(self, rows: int) -> None:
        """Repaint after a change; `rows` is the row count the views last saw."""
        if rows != len(self.jobs):
            self.beginResetModel()  # rows added or removed
            self.endResetModel()
        elif self.jobs:  # same rows: keep the selection
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(self.COLUMNS) - 1))


def _status_text(job: DownloadJob) -> str:
    if job.state == JobState.DONE:
        text = "verified" if job.verified else "done (not verified)"
        return f"{text}, deleted on camera" if job.deleted else text
    if job.state == JobState.FAILED:
        return f"failed: {job.error}"
    if job.state == JobState.RUNNING and job.attempts > 1:
        return f"resuming (try {job.attempts})"
    return str(job.state)


@dataclass(frozen=True, slots=True)
class Totals:
    """The whole queue at a glance."""

    files_done: int
    files: int
    done: int
    total: int
    speed: float
    eta: float | None
