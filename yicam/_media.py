"""The camera's media: every file under DCIM/NNNMEDIA, with its sidecars attached.

A video `YDXJ0001.mp4` has the sidecar `YDXJ0001_thm.mp4` (a short low-res clip) and a photo
`YDXJ0002.jpg` has `YDXJ0002.THM` (a small JPEG) (protocol.md section 6.1). A sidecar whose
main file is gone is listed as an item of its own, so nothing on the card is hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._camera import Camera

__all__ = ["DCIM", "MediaItem", "list_media"]

DCIM = "/tmp/fuse_d/DCIM"
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

    @property
    def path(self) -> str:
        """The camera path, e.g. `/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.mp4`."""
        return f"{DCIM}/{self.folder}/{self.name}"


async def list_media(cam: Camera) -> list[MediaItem]:
    """Every media item of every DCIM/NNNMEDIA folder, in folder and name order."""
    items: list[MediaItem] = []
    folders = [e.name for e in await cam.list_dir(DCIM) if e.is_dir]
    for folder in sorted(f for f in folders if _MEDIA_FOLDER.match(f)):
        entries = [e for e in await cam.list_dir(f"{DCIM}/{folder}") if not e.is_dir]
        files = {e.name: MediaItem(folder, e.name, e.size, e.modified) for e in entries}
        sidecars: dict[str, list[MediaItem]] = {}
        lowered = {name.lower(): name for name in files}
        for name in list(files):
            main = _main_of(name, lowered)
            if main is not None:
                sidecars.setdefault(main, []).append(files.pop(name))
        for name in sorted(files):
            item = files[name]
            attached = tuple(sorted(sidecars.get(name, ()), key=lambda s: s.name))
            items.append(MediaItem(item.folder, item.name, item.size, item.modified, attached))
    return items


def _main_of(name: str, lowered: dict[str, str]) -> str | None:
    """The main file `name` is a sidecar of, when that file exists."""
    if (video := _VIDEO_SIDECAR.match(name)) is not None:
        return lowered.get(f"{video[1]}.mp4".lower())
    if (photo := _PHOTO_SIDECAR.match(name)) is not None:
        return lowered.get(f"{photo[1]}.jpg".lower())
    return None
