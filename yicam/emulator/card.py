"""The emulated SD card: a real directory on this computer seen as `/tmp/fuse_d/`.

The card is a jail. Every camera path is resolved with its symlinks, and anything whose real
location lies outside the card folder is refused (`CardPathError`), for every operation; a
link that points inside the card is the file it points to. Files the camera writes (captures,
uploads) are written to a fresh temporary name and renamed into place, so a planted link
under the final name is replaced, never written through.

The bytes in use are counted once (a walk of the folder) and then kept up to date by the
card's own writes and deletes (`write`, `place`, `remove`, `format`), so a capture costs the
same on a full card as on an empty one. Files changed in the folder behind the emulator's
back are counted after `rescan()`.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import re
import stat
import tempfile
from datetime import datetime
from importlib import resources
from pathlib import Path, PurePosixPath

from .._wire.quirks import YI_1

__all__ = ["CARD_ROOT", "NAME_MAX", "Card", "CardPathError", "unique_jpeg"]

CARD_ROOT = YI_1.card_root  # from the client's model table (the Yi 4K's is the same)
NAME_MAX = 255  # bytes in one file name: FAT32/exFAT (the camera's card) and most systems
_LOG = logging.getLogger(__name__)
_MEDIA_DIR = re.compile(r"^(\d{3})MEDIA$")
_MEDIA_FILE = re.compile(r"^YDXJ(\d{4})\.(jpg|mp4)$", re.IGNORECASE)
_FILES_PER_DIR = 999
_WILDCARD = re.compile(r"[*?]")  # FAT names never hold these; `[` they may


class CardPathError(Exception):
    """A camera path that does not name anything on the card."""


def asset(name: str) -> bytes:
    """One of the emulator's bundled media files."""
    return resources.files("yicam.emulator").joinpath("assets", name).read_bytes()


class Card:
    """Maps camera paths onto a local directory and creates media the way the camera does."""

    def __init__(self, root: Path, capacity: int) -> None:
        self.root = root.resolve()
        self.capacity = capacity
        self.inserted = True
        self._used: int | None = None  # None: not counted yet (see the module docstring)
        (self.root / "DCIM" / "100MEDIA").mkdir(parents=True, exist_ok=True)

    def local_path(self, camera_path: str, cwd: str = CARD_ROOT) -> Path:
        """The real local location of a camera path; anything outside the card raises."""
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
        inner = parts[len(root_parts) :]
        for part in inner:
            if "\x00" in part or "\\" in part or len(_utf8(part, camera_path)) > NAME_MAX:
                raise CardPathError(f"{camera_path!r}: not a valid name on the card")
        return self.inside(self.root.joinpath(*inner), camera_path)

    def inside(self, local: Path, what: object = None) -> Path:
        """`local` with every link resolved, if its real location is on the card."""
        try:
            real = local.resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a bad name
            raise CardPathError(f"{what or local}: {exc}") from exc
        if real != self.root and self.root not in real.parents:
            raise CardPathError(f"{what or local} leads outside the card")
        return real

    def camera_path(self, local: Path) -> str:
        """The camera path of a local file on the card."""
        return str(PurePosixPath(CARD_ROOT, *local.relative_to(self.root).parts))

    def used(self) -> int:
        """Bytes taken by files on the card (links take none)."""
        if self._used is None:
            self._used = self._walk()
        return self._used

    def rescan(self) -> None:
        """Count the bytes in use again, from the folder itself."""
        self._used = None

    def _walk(self) -> int:
        total = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                total += _size(Path(dirpath) / name)
        return total

    def _account(self, delta: int) -> None:
        if self._used is not None:
            self._used = max(0, self._used + delta)

    def free(self) -> int:
        """Bytes still free on the card."""
        return max(0, self.capacity - self.used())

    def listing(self, directory: Path) -> list[dict[str, str]]:
        """Entries as the camera lists them: `{"name": "<n> bytes|YYYY-MM-DD HH:MM:SS"}`.

        Names that are not UTF-8, broken links and links leading off the card are left out:
        no client could name them, and the last must not reveal anything outside.
        """
        entries = []
        for child in sorted(directory.iterdir(), key=lambda p: p.name):
            try:
                _utf8(child.name, child.name)
                real = self.inside(child)
                info = real.stat()
            except (CardPathError, OSError):
                _LOG.info("not listing %r", child.name)
                continue
            stamp = datetime.fromtimestamp(info.st_mtime).strftime("%Y-%m-%d %H:%M:%S")
            is_dir = real.is_dir()
            name = child.name + "/" if is_dir else child.name
            size = 4096 if is_dir else info.st_size
            entries.append({name: f"{size} bytes|{stamp}"})
        return entries

    def matching(self, camera_path: str, cwd: str = CARD_ROOT) -> list[Path]:
        """The files a delete pattern such as `.../100MEDIA/*.jpg` names (wildcards last)."""
        folder, _, pattern = PurePosixPath(cwd, camera_path).as_posix().rpartition("/")
        if not _WILDCARD.search(pattern):
            return [self.local_path(camera_path, cwd)]
        directory = self.local_path(folder or "/")
        found = []
        for child in sorted(directory.iterdir()):
            if fnmatch.fnmatchcase(child.name, pattern):
                with contextlib.suppress(CardPathError):
                    found.append(self.inside(child))
        return found

    def new_media(
        self,
        kind: str,
        when: datetime,
        duration: float = 0.0,
        content: tuple[bytes, bytes] | None = None,
    ) -> Path:
        """Write a new photo (`jpg`) or video (`mp4`) with its sidecar; returns the file.

        Both carry the camera clock's time, as the camera stamps what it writes. `content`
        gives the file's and the sidecar's bytes (default: the bundled samples, made unique).
        """
        folder, number = self._next_slot()
        path = folder / f"YDXJ{number:04d}.{kind}"
        stamp = f"{path.name} {when:%Y-%m-%d %H:%M:%S} {duration:.1f}s".encode()
        if kind == "jpg":
            sidecar = folder / f"YDXJ{number:04d}.THM"
            data, side_data = content or (unique_jpeg(stamp), thumbnail(b"thm " + stamp))
        else:
            sidecar = folder / f"YDXJ{number:04d}_thm.mp4"
            data, side_data = content or (_unique_mp4(stamp), _unique_mp4(b"thm " + stamp))
        for target, content_bytes in ((sidecar, side_data), (path, data)):
            self.write(target, content_bytes)
            os.utime(target, (when.timestamp(), when.timestamp()))
        return path

    def preview(self, local: Path, size: str) -> bytes:
        """The JPEG preview of a photo or video: `thumb` (160x90, the photo's `.THM` sidecar
        when it has one) or `screen` (960x540)."""
        comment = f"{size} {local.name}".encode()
        if size != "thumb":
            return screennail(comment)
        sidecar = local.with_suffix(".THM")
        if local.suffix.lower() == ".jpg" and sidecar.is_file():
            with contextlib.suppress(CardPathError, OSError):
                return self.inside(sidecar).read_bytes()
        return thumbnail(comment)

    def write(self, target: Path, data: bytes) -> None:
        """Write a whole file on the card through a fresh temporary name."""
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".yicam-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            self.place(Path(temp), target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def place(self, temp: Path, target: Path) -> None:
        """Rename a finished temporary file on the card to its final name (counted)."""
        size, replaced = _size(temp), _size(target)
        os.replace(temp, target)
        self._account(size - replaced)

    def remove(self, path: Path) -> None:
        """Delete one file on the card (counted); a link goes, never its target."""
        size = _size(path)
        path.unlink()
        self._account(-size)

    def format(self) -> None:
        """Erase everything and recreate an empty DCIM/100MEDIA (links go, never their targets)."""
        for dirpath, dirs, files in os.walk(self.root, topdown=False):
            for name in files + dirs:
                entry = Path(dirpath) / name
                with contextlib.suppress(OSError):
                    if entry.is_symlink() or not entry.is_dir():
                        entry.unlink()
                    else:
                        entry.rmdir()
        self.rescan()  # an empty card, unless something could not be erased
        (self.root / "DCIM" / "100MEDIA").mkdir(parents=True, exist_ok=True)

    def _next_slot(self) -> tuple[Path, int]:
        dcim = self.root / "DCIM"
        if dcim.is_symlink():
            dcim.unlink()  # the camera's own folder is never a way off the card
        dcim.mkdir(exist_ok=True)
        folders = sorted(
            p
            for p in dcim.iterdir()
            if _MEDIA_DIR.match(p.name) and p.is_dir() and not p.is_symlink()
        )
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


def _utf8(name: str, what: object) -> bytes:
    try:
        return name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CardPathError(f"{what!r}: not a UTF-8 name") from exc


def _size(path: Path) -> int:
    """Bytes a file takes on the card: 0 for a link, a directory or nothing at all."""
    try:
        info = path.lstat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def unique_jpeg(comment: bytes, name: str = "sample.jpg") -> bytes:
    """A bundled JPEG with a COM segment, so every photo has its own bytes and MD5."""
    data = asset(name)
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


def thumbnail(comment: bytes) -> bytes:
    """A small (160x90) JPEG, as the camera's `.THM` sidecars and thumbnails are."""
    return unique_jpeg(comment, "thumb.jpg")


def screennail(comment: bytes) -> bytes:
    """A screen-sized (960x540) JPEG, as the web server's `?type=screen` answers."""
    return unique_jpeg(comment, "screen.jpg")


def _unique_mp4(comment: bytes) -> bytes:
    """The sample MP4 with a trailing `free` box carrying `comment`."""
    return asset("sample.mp4") + (len(comment) + 8).to_bytes(4, "big") + b"free" + comment
