"""The emulated SD card: a real directory on this computer seen as `/tmp/fuse_d/`."""

from __future__ import annotations

import os
import re
from datetime import datetime
from importlib import resources
from pathlib import Path, PurePosixPath

__all__ = ["CARD_ROOT", "Card", "CardPathError"]

CARD_ROOT = "/tmp/fuse_d"
_MEDIA_DIR = re.compile(r"^(\d{3})MEDIA$")
_MEDIA_FILE = re.compile(r"^YDXJ(\d{4})\.(jpg|mp4)$", re.IGNORECASE)
_FILES_PER_DIR = 999


class CardPathError(Exception):
    """A camera path that does not name anything on the card."""


def _asset(name: str) -> bytes:
    return resources.files("yicam.emulator").joinpath("assets", name).read_bytes()


class Card:
    """Maps camera paths onto a local directory and creates media the way the camera does."""

    def __init__(self, root: Path, capacity: int) -> None:
        self.root = root.resolve()
        self.capacity = capacity
        self.inserted = True
        (self.root / "DCIM" / "100MEDIA").mkdir(parents=True, exist_ok=True)

    def local_path(self, camera_path: str, cwd: str = CARD_ROOT) -> Path:
        """The local file for a camera path; anything outside the card raises."""
        path = PurePosixPath(cwd, camera_path)
        parts: list[str] = []
        for part in path.parts[1:]:
            if part == "..":
                if parts:
                    parts.pop()
            elif part != ".":
                parts.append(part)
        root_parts = PurePosixPath(CARD_ROOT).parts[1:]
        if tuple(parts[: len(root_parts)]) != root_parts:
            raise CardPathError(f"{camera_path} is not on the card")
        return self.root.joinpath(*parts[len(root_parts) :])

    def camera_path(self, local: Path) -> str:
        """The camera path of a local file on the card."""
        return str(PurePosixPath(CARD_ROOT, *local.relative_to(self.root).parts))

    def used(self) -> int:
        """Bytes taken by files on the card."""
        total = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                try:
                    total += (Path(dirpath) / name).stat().st_size
                except OSError:
                    continue
        return total

    def free(self) -> int:
        """Bytes still free on the card."""
        return max(0, self.capacity - self.used())

    def listing(self, directory: Path) -> list[dict[str, str]]:
        """Entries as the camera lists them: `{"name": "<n> bytes|YYYY-MM-DD HH:MM:SS"}`."""
        entries = []
        for child in sorted(directory.iterdir(), key=lambda p: p.name):
            stat = child.stat()
            stamp = datetime.fromtimestamp(stat.st_mtime).strftime("%Y-%m-%d %H:%M:%S")
            name = child.name + "/" if child.is_dir() else child.name
            size = 4096 if child.is_dir() else stat.st_size
            entries.append({name: f"{size} bytes|{stamp}"})
        return entries

    def new_media(self, kind: str, when: datetime, duration: float = 0.0) -> Path:
        """Write a new photo (`jpg`) or video (`mp4`) with its sidecar; returns the file."""
        folder, number = self._next_slot()
        path = folder / f"YDXJ{number:04d}.{kind}"
        stamp = f"{path.name} {when:%Y-%m-%d %H:%M:%S} {duration:.1f}s".encode()
        if kind == "jpg":
            data = _unique_jpeg(stamp)
            (folder / f"YDXJ{number:04d}.THM").write_bytes(_unique_jpeg(b"thm " + stamp))
        else:
            data = _unique_mp4(stamp)
            (folder / f"YDXJ{number:04d}_thm.mp4").write_bytes(_unique_mp4(b"thm " + stamp))
        path.write_bytes(data)
        mtime = when.timestamp()
        os.utime(path, (mtime, mtime))
        return path

    def format(self) -> None:
        """Erase everything and recreate an empty DCIM/100MEDIA."""
        for dirpath, dirs, files in os.walk(self.root, topdown=False):
            for name in files:
                (Path(dirpath) / name).unlink()
            for name in dirs:
                (Path(dirpath) / name).rmdir()
        (self.root / "DCIM" / "100MEDIA").mkdir(parents=True)

    def _next_slot(self) -> tuple[Path, int]:
        dcim = self.root / "DCIM"
        dcim.mkdir(exist_ok=True)
        folders = sorted(p for p in dcim.iterdir() if p.is_dir() and _MEDIA_DIR.match(p.name))
        folder = folders[-1] if folders else dcim / "100MEDIA"
        folder.mkdir(exist_ok=True)
        numbers = [
            int(m[1]) for p in folder.iterdir() if (m := _MEDIA_FILE.match(p.name)) is not None
        ]
        if len(numbers) >= _FILES_PER_DIR:
            dir_number = int(_MEDIA_DIR.match(folder.name)[1]) + 1  # type: ignore[index]
            folder = dcim / f"{dir_number:03d}MEDIA"
            folder.mkdir()
        number = max(numbers, default=0) + 1
        return folder, number if number <= 9999 else 1


def _unique_jpeg(comment: bytes) -> bytes:
    """The sample JPEG with a COM segment, so every photo has its own bytes and MD5."""
    data = _asset("sample.jpg")
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


def _unique_mp4(comment: bytes) -> bytes:
    """The sample MP4 with a trailing `free` box carrying `comment`."""
    return _asset("sample.mp4") + (len(comment) + 8).to_bytes(4, "big") + b"free" + comment
