"""`Transfers`: the one owner of a camera's file work, behind `Camera`'s file methods.

Downloads, syncs, uploads, data-port thumbnails and media listings take turns in the camera's
one transfer `Slot` (a Yi 1 is fragile while it serves a file); `cancel` reaches whatever is in
progress. Thumbnails over HTTP take neither the lock nor the data port, so a
media grid can load them while a download runs.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
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
from .data_port import MAX_THUMBNAIL
from .download import DownloadResult, FetchOptions, Progress, fetch
from .http_get import get_small
from .media import MediaItem, scan_media
from .retry import RetryPolicy
from .slot import Slot, prepare_http
from .sync import SyncReport, sync_media

if TYPE_CHECKING:
    from .._session.session import Session

__all__ = ["ThumbnailSize", "ThumbnailVia", "Transfers"]

ThumbnailSize = Literal["thumb", "screen"]
ThumbnailVia = Literal["auto", "data", "http"]
_DATA_PORT_TYPES = {"thumb": "thumb", "screen": "fullview"}  # 1025 `type` (protocol.md 6.7)


class Transfers:
    """Every file operation of one camera, one at a time (in the camera's one `Slot`)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.slot = Slot(session)

    # -- the operations (each holding the slot) ---------------------------------------------

    async def download(
        self,
        camera_path: str,
        dest: Path | str,
        options: FetchOptions,
        *,
        progress: Progress | None = None,
        expected_size: int | None = None,
    ) -> DownloadResult:
        """One file; see `Camera.download`."""
        async with self.slot.held(options.stall_timeout) as handle:
            return await fetch(
                handle, camera_path, dest, options, progress=progress, expected_size=expected_size
            )

    async def sync(
        self,
        folder: Path | str,
        options: FetchOptions,
        retry: RetryPolicy,
        *,
        include_sidecars: bool = False,
        delete_after: bool = False,
        progress: Callable[[MediaItem], Progress | None] | None = None,
    ) -> SyncReport:
        """Every media file not yet in `folder`; see `Camera.sync`."""
        async with self.slot.held(options.stall_timeout) as handle:
            return await sync_media(
                handle, Path(folder), options, retry, include_sidecars=include_sidecars,
                delete_after=delete_after, progress=progress,
            )  # fmt: skip

    async def list_media(self) -> list[MediaItem]:
        """Every media item; a folder that cannot be listed raises its error."""
        async with self.slot.held(None) as handle:
            items, _problems = await scan_media(
                handle.list_dir, self.session.quirks.card_root, strict=True
            )
        return items

    async def upload(self, local: Path, camera_path: str, *, stall_timeout: float | None) -> None:
        """Send a local file to `camera_path`; see `Camera.upload`."""
        try:
            md5, size = await asyncio.to_thread(_md5_and_size, local)
        except OSError as exc:
            raise LocalFileError(f"cannot read {local}: {exc.strerror or exc}") from exc
        async with self.slot.held(stall_timeout) as handle:
            try:
                await _data_port.put_file(
                    self.session, local, camera_path, md5, size, handle.stall,
                    lambda stop: handle.track(camera_path, stop, on_data_port=True),
                )  # fmt: skip
            except CameraConnectionError as exc:
                if handle.cancelled():
                    raise TransferCancelledError(f"upload of {camera_path} cancelled") from exc
                raise

    async def thumbnail(
        self,
        camera_path: str,
        *,
        size: ThumbnailSize = "thumb",
        via: ThumbnailVia = "auto",
        stall_timeout: float | None = None,
    ) -> bytes:
        """A JPEG preview; see `Camera.thumbnail`."""
        session = self.session
        stall = session.settings.event_timeout if stall_timeout is None else stall_timeout
        if via == "http" or (
            via == "auto" and (session.known.viewfinder or not session.quirks.http_needs_viewfinder)
        ):
            try:
                return await self._thumbnail_http(camera_path, size, stall, via == "http")
            except (RemoteFileNotFoundError, ProtocolError, TransferError, CameraConnectionError):
                if via == "http":
                    raise
        async with self.slot.held(stall) as handle:
            kind = _DATA_PORT_TYPES[size]
            return await _data_port.get_thumbnail(session, camera_path, kind, handle.stall)

    async def cancel(self) -> bool:
        """Cancel the transfer in progress (1287 on the data port); False if there is none."""
        return await self.slot.cancel()

    async def _thumbnail_http(
        self, camera_path: str, size: ThumbnailSize, stall: float, force: bool
    ) -> bytes:
        session = self.session
        if force:
            await prepare_http(session)
        return await asyncio.to_thread(
            get_small, session.host, session.settings.http_port, camera_path,
            session.quirks.card_root, f"?type={size}", stall, MAX_THUMBNAIL,
            session.settings.interface,
        )  # fmt: skip


def _md5_and_size(path: Path) -> tuple[str, int]:
    hasher = hashlib.md5()
    size = 0
    with path.open("rb") as file:
        while data := file.read(1024 * 1024):
            hasher.update(data)
            size += len(data)
    return hasher.hexdigest(), size
