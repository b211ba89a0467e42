"""`RigModel`: the cameras of a rig as one `Fleet`: shots on all at once, downloads per camera.

Photo all and Record all go through `Fleet.take_photo` / `start_recording` / `stop_recording`,
the measured trigger that writes every request in one pass; Download all new is `Fleet.sync`
into FOLDER/NAME (verified, as `yicam fleet sync`). Each camera's outcome goes to its tile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from yicam import (
    CameraResult,
    ConfigError,
    Fleet,
    FleetResult,
    InvalidOperationError,
    MediaItem,
    ShotReport,
    SyncReport,
    load_cameras,
)

from .jobs import Jobs
from .prefs import Prefs
from .problems import clean_text, explain
from .rig_camera import RigCamera
from .target import Target

__all__ = ["Member", "RigModel", "rig_members"]

T = TypeVar("T")
Member = tuple[str, Target]  # a camera's name in the rig, and where it is


def rig_members(specs: Sequence[str], base: Target) -> list[Member]:
    """The cameras `specs` name: named cameras (`yicam cameras`), or HOST[:PORT] with `base`'s
    other ports; no specs: every named camera.

    Raises `ConfigError` when the config file cannot be read, or no specs are given and no
    camera is named; `ValueError` when two specs name one camera.
    """
    named = load_cameras()
    if not specs:
        if not named:
            raise ConfigError("no named cameras yet: `yicam cameras add NAME HOST`")
        specs = list(named)
    members: list[Member] = []
    seen: dict[tuple[str, int], str] = {}
    for spec in dict.fromkeys(specs):
        entry = named.get(spec)
        target = Target.of(entry) if entry else base.with_address(spec)
        where = (target.host, target.port)
        if where in seen:  # one camera has one session: two tiles would fight over it
            raise ValueError(f"{seen[where]} and {spec} are the same camera ({target.address})")
        seen[where] = spec
        members.append((spec, target))
    return members


class RigModel(QObject):
    """The rig's cameras (`tiles`, in order) and the actions on all of them.

    Raises `ValueError` for no cameras or two names for one camera (as `Fleet` does).
    """

    busyChanged = Signal(bool)  # a shot is in flight
    recordingChanged = Signal(bool)
    downloadingChanged = Signal(bool)
    message = Signal(str)  # what the last action did, over all cameras

    def __init__(
        self,
        members: Sequence[Member],
        prefs: Prefs,
        *,
        live: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.prefs = prefs
        self.fleet = Fleet({name: target.camera(reconnect=False) for name, target in members})
        self.tiles = [
            RigCamera(name, cam, live=live, parent=self) for name, cam in self.fleet.cameras.items()
        ]
        self._by_name = {tile.name: tile for tile in self.tiles}
        self._jobs = Jobs()
        self._busy = False
        self._downloading = False
        self._download_job: asyncio.Task[None] | None = None
        self._cancel_asked = False
        for tile in self.tiles:
            tile.statusChanged.connect(self._check_recording)
        self._recording = False

    @property
    def busy(self) -> bool:
        """True while a shot (photo, record start or stop) is in flight."""
        return self._busy

    @property
    def recording(self) -> bool:
        """True while any camera records."""
        return self._recording

    @property
    def downloading(self) -> bool:
        """True while Download all new runs."""
        return self._downloading

    def start(self) -> None:
        """Connect every camera (each keeps reconnecting while it is away)."""
        for tile in self.tiles:
            tile.start()

    def photo_all(self) -> None:
        """Every camera takes a photo at once."""
        if not self._busy:
            self._set_busy(True)
            self._jobs.spawn(self._shot("Photo", self.fleet.take_photo))

    def record_all(self) -> None:
        """Every camera starts recording at once, or stops when any records."""
        if self._busy:
            return
        self._set_busy(True)
        if self._recording:
            self._jobs.spawn(self._shot("Stop", self.fleet.stop_recording))
        else:
            self._jobs.spawn(self._shot("Record", self.fleet.start_recording))

    def download_all(self) -> None:
        """Download every camera's new files into FOLDER/NAME, verified."""
        if not self._downloading:
            self._set_downloading(True)
            self._cancel_asked = False
            self._download_job = self._jobs.spawn(self._download(self.prefs.folder))

    def cancel_download(self) -> None:
        """Stop Download all new: the files copied stay, and the next one resumes the file
        each camera was copying from its partial file."""
        if self._download_job is not None and not self._cancel_asked:
            self._cancel_asked = True
            self._download_job.cancel()

    async def aclose(self) -> None:
        """Stop the actions and the tiles, then end every session."""
        await self._jobs.cancel_all()
        await asyncio.gather(*(tile.aclose() for tile in self.tiles))
        await self.fleet.close()

    # -- jobs ------------------------------------------------------------------------------

    async def _exclusive(self, job: Callable[[], Awaitable[T]]) -> T:
        """Run a shot while no tile connects its camera (the fleet reconnects what dropped)."""
        async with contextlib.AsyncExitStack() as stack:
            for tile in self.tiles:  # always in this order: no two holders wait on each other
                await stack.enter_async_context(tile.connecting)
            return await job()

    async def _shot(self, what: str, shoot: Callable[[], Awaitable[ShotReport]]) -> None:
        try:
            report = await self._exclusive(shoot)
        finally:
            self._set_busy(False)
        for result in report:
            tile = self._by_name[result.name]
            tile.refresh()
            if result.ok and result.value is not None:
                path = result.value.path
                done = {"Photo": "Photo taken", "Record": "Recording", "Stop": "Video saved"}[what]
                name = f": {clean_text(PurePosixPath(path).name, 80)}" if path else ""
                tile.report(problem="", note=f"{done}{name}")
                if what != "Photo":
                    tile.mark_recording(what == "Record")
            elif what == "Stop" and isinstance(result.error, InvalidOperationError):
                tile.report(note="Was not recording")
            else:
                title, detail = _why(result, tile.address)
                tile.report(problem=f"{what} failed: {title}", detail=detail)
        spread = f", sent within {report.send_spread * 1000:.2f} ms" if report.succeeded else ""
        self.message.emit(f"{what} all: {_summary(report)}{spread}")

    async def _download(self, folder: Path) -> None:
        counts = dict.fromkeys(self._by_name, 0)
        ended = False  # a report the download thread posted before it stopped comes too late

        def progress(name: str, item: MediaItem) -> Callable[[int, int], None]:
            counts[name] += 1
            tile, number = self._by_name[name], counts[name]
            label = clean_text(item.name, 60, single_line=True)

            def update(done: int, total: int) -> None:
                if ended:
                    return
                share = f" {done * 100 // total}%" if total else ""
                tile.report(note=f"Downloading file {number}: {label}{share}")

            return update

        try:
            # Only the cameras connected now, as one fleet of the same cameras: a download takes
            # minutes, and the tiles must stay free to reconnect the others meanwhile.
            up = {t.name: t.camera for t in self.tiles if t.camera.connected}
            for tile in self.tiles:
                tile.report(
                    problem="" if tile.name in up else "Download: the camera is not connected",
                    note="Looking for new files…" if tile.name in up else "",
                )
            result: FleetResult[SyncReport] = (
                await Fleet(up).sync(folder, progress=progress) if up else FleetResult(())
            )
        except asyncio.CancelledError:
            ended = True
            if self._cancel_asked:  # not the window closing
                for name in up:
                    self._by_name[name].report(
                        note="Download cancelled (the next Download all new resumes it)"
                    )
                self.message.emit(f"Download all new into {folder}: cancelled")
            raise
        finally:
            ended = True
            self._download_job = None
            self._set_downloading(False)
        for camera in result:
            tile = self._by_name[camera.name]
            if camera.value is None:
                title, detail = _why(camera, tile.address)
                tile.report(problem=f"Download failed: {title}", detail=detail, note="")
                continue
            report = camera.value
            new, present = report.count("downloaded"), report.count("present")
            where = _folder_of(report)
            note = f"{new} new file{'s' if new != 1 else ''} downloaded and verified"
            note += f" ({present} already there)" if present else ""
            tile.report(note=f"{note}{f' in {where}' if where else ''}")
            if not report.ok:
                bad = [e for e in report.entries if e.status in ("failed", "skipped")]
                reason = clean_text(bad[0].error or "", 300)
                tile.report(problem=f"Download: {len(bad)} file(s) not copied", detail=reason)
        away = [t.name for t in self.tiles if t.name not in up]
        failed = [*result.failed, *away]
        text = f"{len(result.succeeded)} of {len(self.tiles)} cameras ok"
        text += f"; failed: {', '.join(failed)}" if failed else ""
        self.message.emit(f"Download all new into {folder}: {text}")

    # -- state -----------------------------------------------------------------------------

    def _check_recording(self, *_args: object) -> None:
        recording = any(tile.status.recording for tile in self.tiles)
        if recording != self._recording:
            self._recording = recording
            self.recordingChanged.emit(recording)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _set_downloading(self, downloading: bool) -> None:
        if downloading != self._downloading:
            self._downloading = downloading
            self.downloadingChanged.emit(downloading)


def _why(result: CameraResult[Any], host: str) -> tuple[str, str]:
    """What went wrong on one camera: a title for the tile, the details for its tooltip."""
    error = result.error
    if error is None:
        return "no result", ""
    problem = explain(error, host)
    return problem.title, clean_text(problem.detail, 300)


def _summary(result: FleetResult[Any]) -> str:
    text = f"{len(result.succeeded)} of {len(result)} cameras ok"
    return text + (f"; failed: {', '.join(result.failed)}" if result.failed else "")


def _folder_of(report: SyncReport) -> Path | None:
    """The camera's folder (FOLDER/NAME), from where its files went (FOLDER/NAME/NNNMEDIA/X)."""
    for entry in report.entries:
        if entry.local is not None:
            return entry.local.parent.parent
    return None
