"""Checks for file names that come from the camera: they are untrusted."""

from __future__ import annotations

from pathlib import Path

from .._errors import UnsafeNameError

__all__ = ["MAX_NAME_BYTES", "RESERVED_PREFIX", "check_name", "safe_join"]

RESERVED_PREFIX = ".yicam-"  # yicam's own partial downloads and their records
MAX_NAME_BYTES = 255  # the name limit of ext4, APFS and (in UTF-16 units) NTFS


def check_name(name: str) -> str:
    """`name` if it is one plain file or folder name; raises `UnsafeNameError` otherwise."""
    problem = None
    if not name or name in (".", ".."):
        problem = "is empty or a directory reference"
    elif "/" in name or "\\" in name:
        problem = "contains a path separator"
    elif "\x00" in name:
        problem = "contains a NUL byte"
    elif ".." in name:
        problem = "contains '..'"
    elif any(ord(c) < 32 for c in name):
        problem = "contains control characters"
    elif len(name) >= 2 and name[1] == ":":
        problem = "looks like a drive letter"
    elif name.casefold().startswith(RESERVED_PREFIX):
        problem = f"starts with {RESERVED_PREFIX!r}, which yicam keeps for its partial files"
    else:
        try:
            size = len(name.encode("utf-8"))
        except UnicodeEncodeError:
            problem = "is not valid Unicode (a lone surrogate)"
        else:
            if size > MAX_NAME_BYTES:
                problem = f"is too long for a file name ({size} bytes)"
    if problem:
        raise UnsafeNameError(f"refusing the camera file name {_short(name)}: it {problem}")
    return name


def safe_join(folder: Path, *names: str) -> Path:
    """`folder/names...`, guaranteed to stay inside `folder`."""
    path = folder.joinpath(*(check_name(n) for n in names))
    root = folder.resolve()
    if root not in path.resolve().parents:
        raise UnsafeNameError(f"refusing {_short('/'.join(names))}: it resolves outside {folder}")
    return path


def _short(name: str) -> str:
    """`name` for an error message: its repr, shortened when very long."""
    text = repr(name)
    return text if len(text) <= 80 else f"{text[:60]}...({len(name)} characters)"
