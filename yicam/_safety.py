"""Checks for file names that come from the camera: they are untrusted."""

from __future__ import annotations

from pathlib import Path

from ._errors import UnsafeNameError

__all__ = ["check_name", "safe_join"]


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
    if problem:
        raise UnsafeNameError(f"refusing the camera file name {name!r}: it {problem}")
    return name


def safe_join(folder: Path, *names: str) -> Path:
    """`folder/names...`, guaranteed to stay inside `folder`."""
    path = folder.joinpath(*(check_name(n) for n in names))
    root = folder.resolve()
    if root not in path.resolve().parents:
        raise UnsafeNameError(f"refusing {'/'.join(names)!r}: it resolves outside {folder}")
    return path
