"""`DownloadsModel`: a queue of verified, resumable downloads into the chosen folder.

Files go to `<folder>/<NNNMEDIA>/<name>` (the layout `yicam sync` uses), through the library's
`download` (a hidden partial file, resumed after a drop, MD5- or size-checked before the rename).
The queue is saved in the settings, so unfinished downloads resume after a restart of the app.
A file is deleted on the camera only after its download was verified, and only when asked.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from yicam import (
    Camera,
    CameraConnectionError,
    CameraError,
    DownloadResult,
    LocalFileError,
    MediaItem,
    TransferCancelledError,
    UnsafeNameError,
    YicamError,
)

from .jobs import Jobs
from .prefs import Prefs
from .problems import clean_text, explain
from .session_model import SessionModel
from .status_bar import human_size

__all__ = ["DownloadJob", "DownloadsModel", "DownloadsTable", "JobState", "format_duration"]

MAX_ATTEMPTS = 10  # tries per file; each resumes from the bytes already on disk
_MEDIA_FOLDER = re.compile(r"^\d{3}MEDIA$", re.IGNORECASE)
_UI_INTERVAL = 0.1  # seconds between progress repaints
_PENDING_KEY = "downloads/pending"
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


class DownloadsModel(QObject):
    """The queue and the one download that runs at a time (the camera has one GET slot)."""

    totalsChanged = Signal(object)  # Totals
    fileDone = Signal(str, str)  # camera path, local path
    openFile = Signal(str)  # local path the user asked to open once downloaded
    deletedOnCamera = Signal(str)  # camera path
    message = Signal(str)

    def __init__(self, session: SessionModel, prefs: Prefs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._prefs = prefs
        self.jobs: list[DownloadJob] = []
        self.table = DownloadsTable(self.jobs, self)
        self._cam: Camera | None = None
        self._runner: asyncio.Task[None] | None = None
        self._current: DownloadJob | None = None
        self._jobs = Jobs()
        self._last_ui = 0.0
        self.delete_after_default = False  # the panel's "delete after a verified download"
        self._shown_rows = 0
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        self._restore()

    # -- slots -----------------------------------------------------------------------------

    def local_path(self, item: MediaItem) -> Path:
        """Where `item` is (or will be) on this computer."""
        folder = item.folder if _MEDIA_FOLDER.match(item.folder) else ""
        return self._prefs.folder / folder / item.name

    def downloaded(self, item: MediaItem) -> Path | None:
        """The local copy of `item` when it is complete (same size as on the camera)."""
        local = self.local_path(item)
        try:
            return local if local.stat().st_size == item.size else None
        except OSError:
            return None

    def enqueue(
        self,
        items: list[MediaItem],
        *,
        delete_after: bool | None = None,
        open_when_done: bool = False,
    ) -> int:
        """Queue files (a file already queued or running is not queued twice)."""
        if delete_after is None:
            delete_after = self.delete_after_default
        active = {j.path for j in self.jobs if j.state in (JobState.QUEUED, JobState.RUNNING)}
        added = 0
        for item in items:
            if item.path in active:
                continue
            self.jobs.append(
                DownloadJob(
                    item.path, item.folder, item.name, item.size, delete_after,
                    open_when_done=open_when_done,
                )
            )  # fmt: skip
            added += 1
        if added:
            self._changed_queue()
        return added

    def enqueue_new(self, items: list[MediaItem], *, delete_after: bool | None = None) -> int:
        """Queue every file not yet in the folder, as `yicam sync` would fetch it."""
        new, conflicts = [], []
        for item in items:
            local = self.local_path(item)
            if not local.exists():
                new.append(item)
            elif local.stat().st_size != item.size:
                conflicts.append(item.name)
        added = self.enqueue(new, delete_after=delete_after)
        text = f"{added} new file{'s' if added != 1 else ''} queued"
        if conflicts:
            text += f"; {len(conflicts)} skipped (a different file of that name is in the folder)"
        self.message.emit(text)
        return added

    def cancel(self, rows: list[int]) -> None:
        """Cancel queued or running downloads (the partial file stays, to resume later)."""
        for row in rows:
            job = self.jobs[row]
            if job.state == JobState.QUEUED:
                job.state = JobState.CANCELLED
            elif job.state == JobState.RUNNING and self._cam is not None:
                self._jobs.spawn(self._cam.cancel_transfer())
        self._changed_queue()

    def resume(self, rows: list[int]) -> None:
        """Queue failed or cancelled downloads again; they continue from the partial file."""
        for row in rows:
            job = self.jobs[row]
            if job.state in (JobState.FAILED, JobState.CANCELLED):
                job.state, job.error, job.attempts = JobState.QUEUED, "", 0
        self._changed_queue()

    def clear_finished(self) -> None:
        """Drop done, failed and cancelled rows from the list."""
        self.jobs[:] = [j for j in self.jobs if j.state in (JobState.QUEUED, JobState.RUNNING)]
        self._changed_queue()

    async def aclose(self) -> None:
        """Stop the runner (the queue is saved and resumes next time)."""
        self._save()
        await self._jobs.cancel_all()

    # -- the runner ------------------------------------------------------------------------

    def _kick(self) -> None:
        if self._cam is not None and self._runner is None and self._next() is not None:
            self._runner = self._jobs.spawn(self._run(self._cam), name="yicam-gui-downloads")

    def _next(self) -> DownloadJob | None:
        return next((j for j in self.jobs if j.state == JobState.QUEUED), None)

    async def _run(self, cam: Camera) -> None:
        try:
            while (job := self._next()) is not None and self._cam is cam:
                await self._download(cam, job)
                self._save()
        finally:
            self._runner = None
            self._current = None
            self._emit_totals()

    async def _download(self, cam: Camera, job: DownloadJob) -> None:
        job.state = JobState.RUNNING
        self._current = job
        dest = self._prefs.folder / (job.folder if _MEDIA_FOLDER.match(job.folder) else "")
        while True:
            job.attempts += 1
            job._mark = (time.monotonic(), job.done)
            self._repaint(job, force=True)
            try:
                dest.mkdir(parents=True, exist_ok=True)
                result = await cam.download(
                    job.path, dest, progress=self._progress(job), expected_size=job.size or None
                )
            except TransferCancelledError:
                job.state = JobState.CANCELLED
            except (CameraConnectionError, YicamError, OSError) as exc:
                if self._cam is cam and job.attempts < MAX_ATTEMPTS and _retryable(exc):
                    continue  # a cut transfer: the next try resumes from the partial file
                job.state = JobState.FAILED
                job.error = explain(exc, cam.host).hint if isinstance(exc, YicamError) else str(exc)
                if self._cam is not cam:  # the camera went away: resume once it is back
                    job.state, job.error = JobState.QUEUED, ""
            else:
                await self._finished(cam, job, result)
            break
        job.speed = 0.0
        self._repaint(job, force=True)

    async def _finished(self, cam: Camera, job: DownloadJob, result: DownloadResult) -> None:
        local, verified = result.path, result.verified
        job.state, job.local, job.verified, job.done = JobState.DONE, local, verified, result.size
        self.fileDone.emit(job.path, str(local))
        if job.open_when_done:
            self.openFile.emit(str(local))
        if job.delete_after and verified:
            try:
                await cam.delete(job.path)
            except YicamError as exc:
                job.error = f"not deleted: {explain(exc, cam.host).hint}"
            else:
                job.deleted = True
                self.deletedOnCamera.emit(job.path)

    def _progress(self, job: DownloadJob) -> Any:
        def report(done: int, total: int) -> None:
            job.done, job.size = done, total or job.size
            now = time.monotonic()
            mark_time, mark_done = job._mark
            if now - mark_time >= 0.5:
                rate = (done - mark_done) / (now - mark_time)
                job.speed = rate if job.speed == 0 else 0.6 * job.speed + 0.4 * rate
                job._mark = (now, done)
            self._repaint(job)

        return report

    def _repaint(self, job: DownloadJob, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_ui < _UI_INTERVAL:
            return
        self._last_ui = now
        if job in self.jobs:
            self.table.changed(self.jobs.index(job))
        self._emit_totals()

    def _emit_totals(self) -> None:
        counted = [j for j in self.jobs if j.state != JobState.CANCELLED]
        total = sum(j.size for j in counted)
        done = sum(j.size if j.state == JobState.DONE else j.done for j in counted)
        speed = self._current.speed if self._current is not None else 0.0
        left = sum(
            j.size - j.done for j in counted if j.state in (JobState.QUEUED, JobState.RUNNING)
        )
        self.totalsChanged.emit(
            Totals(
                files_done=sum(1 for j in counted if j.state == JobState.DONE),
                files=len(counted),
                done=done,
                total=total,
                speed=speed,
                eta=left / speed if speed > 0 else None,
            )
        )

    def _changed_queue(self) -> None:
        self.table.refresh(self._shown_rows)
        self._shown_rows = len(self.jobs)
        self._save()
        self._emit_totals()
        self._kick()

    # -- persistence -----------------------------------------------------------------------

    def _save(self) -> None:
        pending = [
            {"path": j.path, "folder": j.folder, "name": j.name, "size": j.size,
             "delete_after": j.delete_after}
            for j in self.jobs if j.state in (JobState.QUEUED, JobState.RUNNING)
        ]  # fmt: skip
        self._prefs.settings.setValue(_PENDING_KEY, json.dumps(pending))

    def _restore(self) -> None:
        raw = self._prefs.settings.value(_PENDING_KEY)
        try:
            pending = json.loads(raw) if isinstance(raw, str) else []
        except json.JSONDecodeError:
            pending = []
        for entry in pending if isinstance(pending, list) else []:
            try:
                job = DownloadJob(
                    str(entry["path"]), str(entry["folder"]), str(entry["name"]),
                    int(entry["size"]), bool(entry.get("delete_after", False)),
                )  # fmt: skip
            except (KeyError, TypeError, ValueError):
                continue
            self.jobs.append(job)
        self._shown_rows = len(self.jobs)

    def _on_camera(self, cam: Camera) -> None:
        self._cam = cam
        self._kick()

    def _on_gone(self) -> None:
        self._cam = None


def _retryable(exc: BaseException) -> bool:
    """A cut or stalled transfer is worth resuming; a refusal or a local problem is not."""
    return not isinstance(exc, CameraError | LocalFileError | UnsafeNameError | OSError) or (
        isinstance(exc, CameraError) and exc.rval == -21
    )
