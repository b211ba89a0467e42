"""The camera's media: every file under DCIM/NNNMEDIA, with its sidecars attached.

A video `YDXJ0001.mp4` has the sidecar `YDXJ0001_thm.mp4` (a short low-res clip) and a photo
`YDXJ0002.jpg` has `YDXJ0002.THM` (a small JPEG) (protocol.md section 6.1). A sidecar whose
main file is gone (an orphan) is not media: it is left out of the list, never offered for
download as a photo or a video of its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from .._errors import CameraError, ProtocolError, UnsafeOperationError
from .._session.results import DirEntry

ListDir = Callable[[str], Awaitable[list[DirEntry]]]
Problem = tuple[str, str]  # (camera folder, why it could not be listed)

__all__ = ["ListDir", "MediaItem", "scan_media"]

_MEDIA_FOLDER = re.compile(r"^\d{3}MEDIA$", re.IGNORECASE)
_VIDEO_SIDECAR = re.compile(r"^(.+)_thm\.mp4$", re.IGNORECASE)
_PHOTO_SIDECAR = re.compile(r"^(.+)\.thm$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One file on the card; `folder` and `name` are untrusted camera data."""

    folder: str  # e.g. "100MEDIA"
    name: str
    size: int
    modified: datetime | None
    sidecars: tuple[MediaItem, ...] = ()
    card_root: str = "/tmp/fuse_d"  # the model's mount point of the card (quirks)

    @property
    def path(self) -> str:
        """The camera path, e.g. `/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.mp4`."""
        return f"{self.card_root}/DCIM/{self.folder}/{self.name}"


async def scan_media(
    list_dir: ListDir, card_root: str, *, strict: bool = False
) -> tuple[list[MediaItem], list[Problem]]:
    """Every media item of every DCIM/NNNMEDIA folder, in folder and name order.

    A folder that cannot be listed raises its error with `strict` (a partial list could pass
    for all), else it is returned as a problem: `(camera folder path, reason)`. Listing DCIM
    itself always raises.
    """
    items: list[MediaItem] = []
    problems: list[Problem] = []
    dcim = f"{card_root}/DCIM"
    folders = [e.name for e in await list_dir(dcim) if e.is_dir]
    for folder in sorted(f for f in folders if _MEDIA_FOLDER.match(f)):
        try:
            entries = [e for e in await list_dir(f"{dcim}/{folder}") if not e.is_dir]
        except (CameraError, ProtocolError, UnsafeOperationError) as exc:
            if strict:
                raise
            problems.append((f"{dcim}/{folder}", f"cannot list this folder: {exc}"))
            continue
        items += _group(folder, entries, card_root)
    return items, problems


def _group(folder: str, entries: list[DirEntry], root: str) -> list[MediaItem]:
    """The media items of one folder, sidecars attached (orphans left out), in name order."""
    files = {e.name: MediaItem(folder, e.name, e.size, e.modified, card_root=root) for e in entries}
    sidecars: dict[str, list[MediaItem]] = {}
    lowered = {name.lower(): name for name in files}
    for name in list(files):
        if not _is_sidecar(name):
            continue
        sidecar = files.pop(name)
        main = _main_of(name, lowered)
        if main is not None:
            sidecars.setdefault(main, []).append(sidecar)
    items = []
    for name in sorted(files):
        item = files[name]
        attached = tuple(sorted(sidecars.get(name, ()), key=lambda s: s.name))
        items.append(dataclasses.replace(item, sidecars=attached))
    return items


def _is_sidecar(name: str) -> bool:
    return _VIDEO_SIDECAR.match(name) is not None or _PHOTO_SIDECAR.match(name) is not None


def _main_of(name: str, lowered: dict[str, str]) -> str | None:
    """The main file `name` is a sidecar of, when that file exists."""
    if (video := _VIDEO_SIDECAR.match(name)) is not None:
        return lowered.get(f"{video[1]}.mp4".lower())
    if (photo := _PHOTO_SIDECAR.match(name)) is not None:
        return lowered.get(f"{photo[1]}.jpg".lower())
    return None
