"""Mirror the camera's media into a local folder: `DIR/NNNMEDIA/NAME`, resumable and verified.

Files already in the folder with the camera's size are skipped, so a second sync downloads
nothing. A local file of the same name but another size (a card formatted since, numbering
restarted) is never overwritten: it is reported as a conflict. With `delete_after`, only files
downloaded and verified by this very run are deleted on the camera, and only once every
download has finished; a full or unwritable destination stops the sync before any deletion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ._download import Progress, Via, download
from ._errors import CameraError, LocalFileError, TransferError, UnsafeNameError
from ._media import MediaItem
from ._safety import safe_join

if TYPE_CHECKING:
    from ._camera import Camera

__all__ = ["SyncEntry", "SyncReport", "sync"]

Status = Literal["downloaded", "present", "conflict", "failed"]


@dataclass(frozen=True, slots=True)
class SyncEntry:
    """What happened to one camera file."""

    path: str
    local: Path | None
    size: int
    status: Status
    deleted: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SyncReport:
    """Every file the sync looked at."""

    entries: tuple[SyncEntry, ...]

    def count(self, status: Status) -> int:
        """How many entries ended with `status`."""
        return sum(1 for e in self.entries if e.status == status)

    @property
    def deleted(self) -> int:
        """How many files were deleted on the camera."""
        return sum(1 for e in self.entries if e.deleted)

    @property
    def ok(self) -> bool:
        """True when nothing failed or conflicted."""
        return all(e.status in ("downloaded", "present") for e in self.entries)


async def sync(
    cam: Camera,
    folder: Path | str,
    *,
    include_sidecars: bool = False,
    delete_after: bool = False,
    via: Via = "auto",
    progress: Callable[[MediaItem], Progress | None] | None = None,
) -> SyncReport:
    """Download every media file not yet in `folder`; see the module docstring."""
    folder = Path(folder)
    entries: list[SyncEntry] = []
    for item in await cam.list_media():
        files = [item, *item.sidecars] if include_sidecars else [item]
        for file in files:
            entries.append(await _fetch(cam, folder, file, via, progress))
    if delete_after:
        entries = [await _delete_if_verified(cam, e) for e in entries]
    return SyncReport(tuple(entries))


async def _fetch(
    cam: Camera,
    folder: Path,
    item: MediaItem,
    via: Via,
    progress: Callable[[MediaItem], Progress | None] | None,
) -> SyncEntry:
    try:
        local = safe_join(folder, item.folder, item.name)
    except UnsafeNameError as exc:
        return SyncEntry(item.path, None, item.size, "failed", error=str(exc))
    if local.exists():
        if local.stat().st_size == item.size:
            return SyncEntry(item.path, local, item.size, "present")
        return SyncEntry(
            item.path, local, item.size, "conflict",
            error=f"{local} exists with another size; move it away to download this file",
        )  # fmt: skip
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalFileError(f"cannot create {local.parent}: {exc.strerror or exc}") from exc
    try:
        result = await download(
            cam,
            item.path,
            local,
            progress=progress(item) if progress is not None else None,
            via=via,
            expected_size=item.size,
        )
    except (CameraError, TransferError, UnsafeNameError) as exc:
        return SyncEntry(item.path, local, item.size, "failed", error=str(exc))
    if result.size != item.size or not result.verified:
        return SyncEntry(
            item.path, local, item.size, "failed", error="size differs from the listing"
        )
    return SyncEntry(item.path, local, item.size, "downloaded")


async def _delete_if_verified(cam: Camera, entry: SyncEntry) -> SyncEntry:
    if entry.status != "downloaded":
        return entry
    try:
        await cam.delete(entry.path)
    except CameraError as exc:
        return SyncEntry(
            entry.path, entry.local, entry.size, entry.status, error=f"not deleted: {exc}"
        )
    return SyncEntry(entry.path, entry.local, entry.size, entry.status, deleted=True)
