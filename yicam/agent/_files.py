"""Files kept on the agent's computer, and copying them to a tool's computer over the broker.

The agent keeps every file it downloads under its folder as `<camera>/NNNMEDIA/NAME`, as
`sync` lays them out. A tool copies one by asking for it in chunks (`file_read`, 256 KiB,
base64 in the JSON reply), writes them to a partial file (a copy cut short goes on from it
the next time), checks the whole against the MD5 the agent computed, and only then gives it
its name; an existing file is never overwritten.
The agent serves files under its folder only: a path that leaves it is refused.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import yicam

if TYPE_CHECKING:
    from ._client import AgentClient

__all__ = ["CHUNK", "fetch", "file_info", "inside", "list_files", "read_chunk"]

CHUNK = 256 * 1024


def inside(folder: Path, relative: Any) -> Path:
    """`folder/relative`, refused (`UnsafeNameError`) unless it stays inside `folder`."""
    if not isinstance(relative, str) or not relative or "\x00" in relative:
        raise yicam.UnsafeNameError(f"not a file name: {relative!r}"[:200])
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise yicam.UnsafeNameError(f"{relative!r} leaves the agent's folder"[:200])
    root = folder.resolve()
    path = (root / candidate).resolve()
    if not path.is_relative_to(root) or path == root:
        raise yicam.UnsafeNameError(f"{relative!r} leaves the agent's folder"[:200])
    return path


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


async def file_info(folder: Path, relative: Any) -> dict[str, Any]:
    """Size and MD5 of a kept file. Raises `RemoteFileNotFoundError` when it is not there."""
    path = inside(folder, relative)
    if not path.is_file():
        raise yicam.RemoteFileNotFoundError(f"the agent has no file {relative!r}")
    return {
        "file": relative,
        "size": path.stat().st_size,
        "md5": await asyncio.to_thread(_md5, path),
    }


async def read_chunk(folder: Path, relative: Any, offset: Any) -> dict[str, Any]:
    """Up to `CHUNK` bytes of a kept file from `offset`, base64 encoded."""
    path = inside(folder, relative)
    if not isinstance(offset, int) or offset < 0:
        raise ValueError("offset must be a non-negative integer")

    def read() -> bytes:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(CHUNK)

    try:
        data = await asyncio.to_thread(read)
    except FileNotFoundError:
        raise yicam.RemoteFileNotFoundError(f"the agent has no file {relative!r}") from None
    return {"data": base64.b64encode(data).decode("ascii")}


def list_files(folder: Path, camera: str | None = None) -> list[dict[str, Any]]:
    """Every kept file (relative path and size), of one camera or of all; partials left out."""
    root = folder.resolve()
    base = inside(folder, camera) if camera else root
    if not base.is_dir():
        return []
    found = []
    for path in sorted(base.rglob("*")):
        if path.is_file() and not path.name.startswith(".yicam-") and not path.is_symlink():
            found.append({"file": path.relative_to(root).as_posix(), "size": path.stat().st_size})
    return found


async def fetch(
    client: AgentClient, agent: str, relative: str, target: Path, *, timeout: float
) -> Path:
    """Copy a kept file of `agent` to `target`, verified; returns `target`.

    An identical file already there is left alone. Raises `LocalFileError` when `target`
    exists with other content or cannot be written, `TransferError` when the copy does not
    match the agent's MD5.
    """
    info = await client.request(agent, None, "file_info", {"file": relative}, timeout=timeout)
    size, md5 = int(info["size"]), str(info["md5"])
    if await asyncio.to_thread(_present, target, size, md5):
        return target
    partial = target.with_name(f".yicam-{hashlib.md5(relative.encode()).hexdigest()[:12]}.partial")
    try:
        file, offset, digest = await asyncio.to_thread(_resume, partial, size)
        try:
            while offset < size:
                chunk = await client.request(
                    agent, None, "file_read", {"file": relative, "offset": offset}, timeout=timeout
                )
                data = base64.b64decode(chunk["data"], validate=True)
                if not data or offset + len(data) > size:
                    raise yicam.TransferError(f"{relative}: the agent sent a wrong amount of data")
                await asyncio.to_thread(file.write, data)
                digest.update(data)
                offset += len(data)
            await asyncio.to_thread(_flush, file)
        finally:
            file.close()
        if digest.hexdigest() != md5:
            await asyncio.to_thread(partial.unlink, missing_ok=True)  # next time from the start
            raise yicam.TransferError(f"{relative}: the copy does not match the agent's MD5")
        await asyncio.to_thread(_place, partial, target)
    except OSError as exc:
        raise yicam.LocalFileError(f"cannot write {target}: {exc}") from exc
    return target


def _present(target: Path, size: int, md5: str) -> bool:
    if not target.exists():
        return False
    if target.is_file() and target.stat().st_size == size and _md5(target) == md5:
        return True
    raise yicam.LocalFileError(f"{target} exists and differs from the agent's copy")


def _resume(partial: Path, size: int) -> tuple[BinaryIO, int, Any]:
    """The partial file opened for appending, its length and the MD5 of what it holds."""
    partial.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5()
    if partial.is_file() and partial.stat().st_size <= size:
        with partial.open("rb") as held:
            while block := held.read(1 << 20):
                digest.update(block)
        file = partial.open("ab")
        return file, file.tell(), digest
    return partial.open("wb"), 0, digest


def _flush(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


def _place(partial: Path, target: Path) -> None:
    if target.exists():
        raise yicam.LocalFileError(f"{target} appeared while copying; not overwritten")
    os.replace(partial, target)
