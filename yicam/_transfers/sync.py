"""Mirror the camera's media into a local folder: `DIR/NNNMEDIA/NAME`, resumable and verified.

A sync finishes every file it can, and reports each one: `downloaded`, `present` (already in
the folder with the camera's size), `skipped` (never tried: the name is unsafe, or a different
local file has it) or `failed` (tried, with the reason). A temporary failure (the data
connection cut or stalled, the camera busy, a bad checksum: see `RetryPolicy`) is retried with
a growing pause, resuming from the bytes already on disk; while the session reconnects
(`Camera(reconnect=True)`) the retry waits for it, and once the session is closed the files not
yet tried are reported as failed at once. A listing that fails that way is retried too. A
local file of the same name but another size (a card formatted since, numbering restarted) is
never overwritten. A full or unwritable destination stops the sync: the files not tried are skipped.

With `delete_after`, only files downloaded and verified by this very run are deleted on the
camera, and only once every download has finished and the destination has not failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._errors import (
    CameraConnectionError,
    CameraError,
    LocalFileError,
    UnsafeNameError,
    UnsafeOperationError,
    YicamError,
)
from .._session.commands import delete
from .download import FetchOptions, Progress, fetch
from .media import MediaItem, scan_media
from .retry import RetryPolicy
from .safety import safe_join

if TYPE_CHECKING:
    from .._session.session import Session
    from .slot import Handle

__all__ = ["SyncEntry", "SyncReport", "sync_media"]

Status = Literal["downloaded", "present", "skipped", "failed"]
RECONNECT_WAIT = 60.0  # the longest wait for a reconnecting session between two attempts


@dataclass(frozen=True, slots=True)
class SyncEntry:
    """What happened to one camera file (or to a folder that could not be listed)."""

    path: str
    local: Path | None
    size: int
    status: Status
    deleted: bool = False
    error: str | None = None  # why it was skipped or failed, or why it was not deleted
    retries: int = 0
    verified_by: Literal["md5", "size"] | None = None  # for "downloaded"
    resumed_from: int = 0  # for "downloaded": bytes an earlier run had left on disk


@dataclass(frozen=True, slots=True)
class SyncReport:
    """Every file the sync looked at."""

    entries: tuple[SyncEntry, ...]

    def count(self, status: Status) -> int:
        """Returns how many entries ended with `status`; raises nothing."""
        return sum(1 for e in self.entries if e.status == status)

    @property
    def deleted(self) -> int:
        """How many files were deleted on the camera."""
        return sum(1 for e in self.entries if e.deleted)

    @property
    def retries(self) -> int:
        """How many retries the sync made, over all files."""
        return sum(e.retries for e in self.entries)

    @property
    def ok(self) -> bool:
        """True when every camera file is now in the folder (none skipped or failed)."""
        return all(e.status in ("downloaded", "present") for e in self.entries)


class _Stop(Exception):
    """The rest of the sync cannot run: the destination or the connection failed."""

    def __init__(self, why: str, rest: Status) -> None:
        super().__init__(why)
        self.rest = rest  # the status of the files not tried


async def sync_media(
    handle: Handle,
    folder: Path,
    options: FetchOptions,
    retry: RetryPolicy,
    *,
    include_sidecars: bool = False,
    delete_after: bool = False,
    progress: Callable[[MediaItem], Progress | None] | None = None,
) -> SyncReport:
    """Download every media file not yet in `folder`, through `handle` (its slot held)."""
    items, problems = await _scan(handle, retry)
    entries = [SyncEntry(path, None, 0, "failed", error=why) for path, why in problems]
    files = [f for item in items for f in ([item, *item.sidecars] if include_sidecars else [item])]
    stopped: _Stop | None = None
    for file in files:
        if stopped is not None:
            entries.append(_entry(file, None, stopped.rest, f"not tried: {stopped}"))
            continue
        try:
            entries.append(await _fetch(handle, folder, file, options, progress, retry))
        except _Stop as stop:
            entries.append(_entry(file, None, "failed", str(stop)))
            stopped = stop
    if delete_after and stopped is None:
        entries = [await _delete_if_verified(handle.session, e) for e in entries]
    return SyncReport(tuple(entries))


async def _scan(
    handle: Handle, retry: RetryPolicy
) -> tuple[list[MediaItem], list[tuple[str, str]]]:
    """The card's media; a listing that failed for a while is tried again (once back online)."""
    attempt = 0
    while True:
        try:
            return await scan_media(handle.list_dir, handle.session.quirks.card_root)
        except YicamError as exc:
            if not retry.temporary(exc) or attempt >= retry.attempts:
                raise
            attempt += 1
            await retry.pause(attempt)
            if not await handle.session.back_online(RECONNECT_WAIT):
                raise


async def _fetch(
    handle: Handle,
    folder: Path,
    item: MediaItem,
    options: FetchOptions,
    progress: Callable[[MediaItem], Progress | None] | None,
    retry: RetryPolicy,
) -> SyncEntry:
    try:
        local = safe_join(folder, item.folder, item.name)
    except UnsafeNameError as exc:
        return _entry(item, None, "skipped", str(exc))
    try:
        if local.exists():
            if local.stat().st_size == item.size:
                return _entry(item, local, "present")
            why = f"{local} exists with another size; move it away to download this file"
            return _entry(item, local, "skipped", why)
        local.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _Stop(f"cannot write {local.parent}: {exc.strerror or exc}", "skipped") from exc
    report = progress(item) if progress is not None else None
    modified = item.modified.isoformat() if item.modified else None
    attempt = 0
    while True:
        try:
            result = await fetch(
                handle, item.path, local, options, progress=report, expected_size=item.size,
                modified=modified,
            )  # fmt: skip
        except LocalFileError as exc:
            raise _Stop(str(exc), "skipped") from exc
        except YicamError as exc:
            if not retry.temporary(exc):
                return _entry(item, local, "failed", str(exc), attempt)
            if attempt >= retry.attempts:
                return _entry(item, local, "failed", f"{exc} (after {attempt} retries)", attempt)
            attempt += 1
            await retry.pause(attempt)
            if not await handle.session.back_online(RECONNECT_WAIT):
                raise _Stop(f"the connection to the camera was lost: {exc}", "failed") from exc
        else:
            entry = _entry(item, local, "downloaded", None, attempt)
            return dataclasses.replace(
                entry, verified_by=result.verified_by, resumed_from=result.resumed_from
            )


def _entry(
    item: MediaItem, local: Path | None, status: Status, error: str | None = None, retries: int = 0
) -> SyncEntry:
    return SyncEntry(item.path, local, item.size, status, error=error, retries=retries)


async def _delete_if_verified(session: Session, entry: SyncEntry) -> SyncEntry:
    if entry.status != "downloaded" or entry.verified_by is None:
        return entry
    try:
        await delete(session, entry.path)  # with Camera.delete's checks: never by wildcard
    except (CameraError, CameraConnectionError, UnsafeOperationError) as exc:
        return dataclasses.replace(entry, error=f"not deleted: {exc}")
    return dataclasses.replace(entry, deleted=True)
