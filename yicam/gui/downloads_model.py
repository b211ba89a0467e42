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
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from yicam import (
    Camera,
    DownloadResult,
    MediaItem,
    RetryPolicy,
    TransferCancelledError,
    YicamError,
)

from .agent_link import missing
from .downloads_table import DownloadJob, DownloadsTable, JobState, Totals
from .jobs import Jobs
from .prefs import Prefs
from .problems import explain
from .session_model import SessionModel

__all__ = ["DownloadsModel"]

RETRY = RetryPolicy(attempts=9)  # ten tries per file; each resumes from the bytes on disk
_MEDIA_FOLDER = re.compile(r"^\d{3}MEDIA$", re.IGNORECASE)
_UI_INTERVAL = 0.1  # seconds between progress repaints
_PENDING_KEY = "downloads/pending"


class DownloadsModel(QObject):
    """The queue and the one download that runs at a time (the camera has one GET slot)."""

    totalsChanged = Signal(object)  # Totals
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
        self.unavailable = ""  # why the connected camera cannot download here (an agent's)
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        self._restore()

    @property
    def running(self) -> bool:
        """True while a download runs (it holds the camera's data port)."""
        return self._runner is not None

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
                    open_when_done=open_when_done, sidecars=tuple(s.path for s in item.sidecars),
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
            except (YicamError, OSError) as exc:
                if self._cam is cam and job.attempts <= RETRY.attempts and RETRY.temporary(exc):
                    await RETRY.pause(job.attempts)
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
        if job.open_when_done:
            self.openFile.emit(str(local))
        if job.delete_after and verified:
            try:
                await cam.delete(job.path)
            except YicamError as exc:
                job.error = f"not deleted: {explain(exc, cam.host).hint}"
                return
            for sidecar in job.sidecars:  # a sidecar without its file is of no use
                try:
                    await cam.delete(sidecar)
                except YicamError as exc:
                    job.error = f"sidecar not deleted: {explain(exc, cam.host).hint}"
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
             "delete_after": j.delete_after, "sidecars": list(j.sidecars)}
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
                    sidecars=tuple(str(s) for s in entry.get("sidecars", ())),
                )  # fmt: skip
            except (KeyError, TypeError, ValueError):
                continue
            self.jobs.append(job)
        self._shown_rows = len(self.jobs)

    def _on_camera(self, cam: Camera) -> None:
        self.unavailable = missing(cam, "cancel_transfer")  # no progress or cancel: not here
        if self.unavailable:
            return
        self._cam = cam
        self._kick()

    def _on_gone(self) -> None:
        self._cam = None
