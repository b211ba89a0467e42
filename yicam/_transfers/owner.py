"""`Transfers`: the one owner of a camera's file work, behind `Camera`'s file methods.

Downloads, syncs, uploads, data-port thumbnails and media listings take turns under one lock
(the camera has one data slot, and a Yi 1 is fragile while it serves a file); `cancel` reaches
whatever is in progress. Thumbnails over HTTP take neither the lock nor the data port, so a
media grid can load them while a download runs.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._errors import (
    CameraConnectionError,
    LocalFileError,
    ProtocolError,
    RemoteFileNotFoundError,
    TransferCancelledError,
    TransferError,
)
from . import data_port as _data_port
from .data_port import MAX_THUMBNAIL, DataGet
from .download import DownloadResult, Progress, Via, fetch
from .http_get import get_small
from .media import MediaItem, scan_media
from .sync import SyncReport, sync_media

if TYPE_CHECKING:
    from .._session.results import DirEntry
    from .._session.session import Session

__all__ = ["ThumbnailSize", "ThumbnailVia", "Transfers"]

ThumbnailSize = Literal["thumb", "screen"]
ThumbnailVia = Literal["auto", "data", "http"]
_DATA_PORT_TYPES = {"thumb": "thumb", "screen": "fullview"}  # 1025 `type` (protocol.md 6.7)


@dataclass
class _Active:
    """The transfer in progress, so that `cancel` can reach it."""

    path: str
    stop: Callable[[], None]  # shuts its connection down
    on_data_port: bool
    cancelled: bool = False
    stopped: bool = False  # the camera confirmed the cancel: no outcome will follow


class Transfers:
    """Every file operation of one camera, one at a time.

    `list_dir` and `start_viewfinder` are the camera's own commands (the listing guard and
    the Yi 1's viewfinder recovery live there).
    """

    def __init__(
        self,
        session: Session,
        *,
        list_dir: Callable[[str], Awaitable[list[DirEntry]]],
        start_viewfinder: Callable[[], Awaitable[None]],
    ) -> None:
        self.session = session
        self.list_dir = list_dir
        self._start_viewfinder = start_viewfinder
        self.lock = asyncio.Lock()
        self._active: _Active | None = None

    # -- the operations (each under the lock) -------------------------------------------------

    async def download(
        self,
        camera_path: str,
        dest: Path | str,
        *,
        resume: bool = True,
        verify: bool = True,
        progress: Progress | None = None,
        via: Via = "auto",
        expected_size: int | None = None,
        stall_timeout: float | None = None,
    ) -> DownloadResult:
        """One file; see `Camera.download`."""
        async with self.lock:
            return await fetch(
                self, camera_path, dest, resume=resume, verify=verify, progress=progress,
                via=via, expected_size=expected_size, stall_timeout=stall_timeout,
            )  # fmt: skip

    async def sync(
        self,
        folder: Path | str,
        *,
        include_sidecars: bool = False,
        delete_after: bool = False,
        via: Via = "auto",
        progress: Callable[[MediaItem], Progress | None] | None = None,
        retries: int = 3,
        stall_timeout: float | None = None,
    ) -> SyncReport:
        """Every media file not yet in `folder`; see `Camera.sync`."""
        async with self.lock:
            return await sync_media(
                self, Path(folder), include_sidecars=include_sidecars,
                delete_after=delete_after, via=via, progress=progress, retries=retries,
                stall_timeout=stall_timeout,
            )  # fmt: skip

    async def list_media(self) -> list[MediaItem]:
        """Every media item; a folder that cannot be listed raises its error."""
        async with self.lock:
            items, _problems = await scan_media(
                self.list_dir, self.session.quirks.card_root, strict=True
            )
        return items

    async def upload(self, local: Path, camera_path: str, *, stall_timeout: float | None) -> None:
        """Send a local file to `camera_path`; see `Camera.upload`."""
        try:
            md5, size = await asyncio.to_thread(_md5_and_size, local)
        except OSError as exc:
            raise LocalFileError(f"cannot read {local}: {exc.strerror or exc}") from exc
        async with self.lock:
            try:
                await _data_port.put_file(
                    self.session, local, camera_path, md5, size, self.stall(stall_timeout),
                    lambda stop: self.track(camera_path, stop, on_data_port=True),
                )  # fmt: skip
            except CameraConnectionError as exc:
                if self.cancelled():
                    raise TransferCancelledError(f"upload of {camera_path} cancelled") from exc
                raise
            finally:
                self.done()

    async def thumbnail(
        self,
        camera_path: str,
        *,
        size: ThumbnailSize = "thumb",
        via: ThumbnailVia = "auto",
        stall_timeout: float | None = None,
    ) -> bytes:
        """A JPEG preview; see `Camera.thumbnail`."""
        stall = self.stall(stall_timeout)
        quirks, session = self.session.quirks, self.session
        if via == "http" or (
            via == "auto" and (session.known.viewfinder or not quirks.http_needs_viewfinder)
        ):
            try:
                return await self._thumbnail_http(camera_path, size, stall, via == "http")
            except (RemoteFileNotFoundError, ProtocolError, TransferError, CameraConnectionError):
                if via == "http":
                    raise
        async with self.lock:
            kind = _DATA_PORT_TYPES[size]
            return await _data_port.get_thumbnail(session, camera_path, kind, stall)

    async def cancel(self) -> bool:
        """Cancel the transfer in progress (1287 on the data port); False if there is none."""
        active = self._active
        if active is None or active.cancelled:
            return False
        active.cancelled = True
        try:
            if active.on_data_port:
                active.stopped = await _data_port.cancel(self.session, active.path)
        finally:
            active.stop()
        return True

    # -- for the download and sync engines, which run under the lock --------------------------

    def stall(self, stall_timeout: float | None) -> float:
        """The stall timeout to use: `stall_timeout`, else the session's event_timeout."""
        return self.session.settings.event_timeout if stall_timeout is None else stall_timeout

    async def open_get(self, path: str, offset: int, stall: float) -> DataGet:
        """Send 1285 for `path`; the transfer can be cancelled until `done()`."""
        get = await _data_port.open_get(self.session, path, offset, stall)
        self.track(path, get.stop, on_data_port=True)
        return get

    async def settle(self, get: DataGet) -> None:
        """Before `get` is closed: its outcome must not reach the next get (see `settle`)."""
        stopped = self._active is not None and self._active.stopped
        await _data_port.settle(self.session, get, stopped)

    def track(self, path: str, stop: Callable[[], None], *, on_data_port: bool) -> None:
        """Make the transfer in progress cancellable: `stop` shuts its connection down."""
        self._active = _Active(path, stop, on_data_port)

    def cancelled(self) -> bool:
        """True when `cancel` stopped the transfer in progress."""
        return self._active is not None and self._active.cancelled

    def done(self) -> None:
        """Forget the transfer in progress."""
        self._active = None

    async def prepare_http(self, *, force: bool = False) -> bool:
        """Start the viewfinder when the web server needs it; True when it was started."""
        session = self.session
        if session.known.viewfinder or not (force or session.quirks.http_needs_viewfinder):
            return False
        await self._start_viewfinder()
        return True

    async def _thumbnail_http(
        self, camera_path: str, size: ThumbnailSize, stall: float, force: bool
    ) -> bytes:
        if force:
            await self.prepare_http()
        session = self.session
        return await asyncio.to_thread(
            get_small, session.host, session.settings.http_port, camera_path,
            session.quirks.card_root, f"?type={size}", stall, MAX_THUMBNAIL,
        )  # fmt: skip


def _md5_and_size(path: Path) -> tuple[str, int]:
    hasher = hashlib.md5()
    size = 0
    with path.open("rb") as file:
        while data := file.read(1024 * 1024):
            hasher.update(data)
            size += len(data)
    return hasher.hexdigest(), size
