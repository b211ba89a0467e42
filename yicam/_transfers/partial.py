"""yicam's own partial downloads: a temporary file and a record of what it holds.

A download into `DIR/NAME` writes its bytes to `DIR/.yicam-<key>.partial` and, before the first
byte, a record `DIR/.yicam-<key>.json`: the camera path, the camera (host, and serial when
known), the file's size and date. `<key>` is a hash of NAME, so both names are short whatever
the length of the camera's name, and `check_name` refuses every camera name that starts with
`.yicam-`, so no camera file can take either name. A download resumes only from a partial file
whose record describes the very file it is about to fetch; anything else starts from zero.
Only a complete, checked file is renamed to NAME, after an fsync.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .._user_files import load_json
from .safety import RESERVED_PREFIX

__all__ = ["Partial", "Source"]

_VERSION = 1


@dataclass(frozen=True, slots=True)
class Source:
    """The camera file a partial download holds the start of."""

    camera_path: str
    host: str
    size: int | None  # from the camera's listing; None when not known before the request
    modified: str | None = None  # the listing's date, when known
    serial: str | None = None


class Partial:
    """The partial file and the record of one destination."""

    def __init__(self, dest: Path) -> None:
        key = hashlib.sha256(os.fsencode(dest.name)).hexdigest()[:20]
        self.dest = dest
        self.path = dest.with_name(f"{RESERVED_PREFIX}{key}.partial")
        self.record = dest.with_name(f"{RESERVED_PREFIX}{key}.json")

    def resumable(self, source: Source) -> int:
        """The bytes to resume from: the partial's size if its record matches, else 0."""
        recorded = self._read_record()
        if recorded is None or not _same(recorded, source):
            return 0
        try:
            size = self.path.stat().st_size
        except OSError:
            return 0
        total = recorded.get("size")
        return size if isinstance(total, int) and size <= total else 0

    def recorded_size(self) -> int | None:
        """The camera file's size in the record, if there is one."""
        recorded = self._read_record()
        size = recorded.get("size") if recorded else None
        return size if isinstance(size, int) else None

    def begin(self, source: Source, size: int) -> None:
        """Record `source` (of `size` bytes) as what the partial file will hold."""
        record = {"yicam_partial": _VERSION, **asdict(source), "size": size}
        self.record.write_text(json.dumps(record), encoding="utf-8")

    def finish(self) -> None:
        """Rename the complete partial file to its final name and drop the record."""
        os.replace(self.path, self.dest)
        with contextlib.suppress(OSError):
            self.record.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the partial file and its record (their bytes cannot be trusted)."""
        for path in (self.path, self.record):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def _read_record(self) -> dict[str, object] | None:
        try:
            data = load_json(self.record)  # bounded: the folder may hold anything
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("yicam_partial") == _VERSION else None


def _same(recorded: dict[str, object], source: Source) -> bool:
    """True when the record describes `source` (unknown fields of `source` match anything)."""
    if recorded.get("camera_path") != source.camera_path or recorded.get("host") != source.host:
        return False
    return all(
        wanted is None or recorded.get(key) == wanted
        for key, wanted in (
            ("size", source.size),
            ("modified", source.modified),
            ("serial", source.serial),
        )
    )
