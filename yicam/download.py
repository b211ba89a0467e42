"""Resumable, verified downloads of one camera file to a local file.

The bytes go to `<dest>.part`; an interrupted download resumes from the bytes on disk (a data-port
`offset` or an HTTP `Range`). Only a complete, checked file is renamed to `dest`, atomically, so a
broken transfer never leaves a file under its final name, and the file is on disk (fsync) before
the rename.

The bytes are received straight into a few large buffers (`transfer.Receiver`), and two worker
threads write and MD5 each buffer while the event loop receives into the next one (`write` and
MD5 both release the GIL). Memory stays flat: at most `transfer.BLOCKS` buffers are in flight,
and the sender waits when they are all taken. (Starting the disk writeback during the transfer,
with fdatasync or POSIX_FADV_DONTNEED every 32-64 MiB, was measured and did not pay off: the
final fsync is one flush of the whole file.)

Checks (`verify=True`):
- data port: the MD5 of the whole local file equals the camera's `md5sum` (after a resume the
  prefix on disk is hashed first). A mismatch deletes the `.part`, whose bytes cannot be trusted.
- HTTP carries no checksum: the size must match the camera's (listing or `expected_size`). The
  MD5 of the bytes is still computed on the way, for `DownloadResult.md5`.

`via="auto"` uses the data port, which gives the camera's MD5 and does not touch the viewfinder,
and falls back to HTTP only when the data port cannot be opened. On the Yi 1, HTTP needs the
viewfinder running (msg 259), which `download` starts when needed and leaves running.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

from .errors import (
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    InvalidOperationError,
    InvalidPathError,
    LocalFileError,
    TransferCancelledError,
    TransferError,
)
from .http_get import HttpClosedError, HttpGet, open_http_get
from .safety import check_name, safe_join
from .transfer import DataGet, DataPortUnavailableError

if TYPE_CHECKING:
    from .camera import Camera

__all__ = ["DownloadResult", "Progress", "Via", "download"]

Via = Literal["auto", "data", "http"]
Progress = Callable[[int, int], None]  # (bytes_done, total)
_HASH_CHUNK = 4 * 1024 * 1024
_YI1_MODELS = (None, "Z13")  # HTTP answers only after 259 on these (protocol.md 6.8)


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """A finished download: where it is, how it came and how it was checked."""

    path: Path
    size: int
    md5: str
    via: Literal["data", "http"]
    resumed_from: int  # bytes that were already on disk
    verified: bool  # checked against the camera (MD5 on the data port, size on HTTP)


class _Restart(Exception):
    """The `.part` file does not fit the camera's file: start again from zero."""


class _Stream(Protocol):
    """What either transport delivers: `length` bytes from `offset` of a `total`-byte file."""

    offset: int
    length: int
    total: int

    async def next_block(self) -> memoryview | None: ...

    def release(self, block: memoryview) -> None: ...

    async def close(self) -> None: ...


class _Sink:
    """Writes and hashes blocks, in order, in two worker threads while the event loop receives.

    Each block goes back to the stream (`release`) once both threads are done with it. After a
    failed write nothing more is written, so the `.part` stays a prefix of the camera's file,
    ready for a resume. `put` raises the first error of either thread.
    """

    def __init__(
        self,
        file: BinaryIO,
        hasher: hashlib._Hash,
        release: Callable[[memoryview], None],
        part: Path,
        dest: Path,
    ) -> None:
        self._file, self._hasher, self._release = file, hasher, release
        self._part, self._dest = part, dest
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="yicam-write")
        self._hashing = ThreadPoolExecutor(1, thread_name_prefix="yicam-md5")
        self._pending: deque[asyncio.Future[None]] = deque()
        self._error: BaseException | None = None
        self._stopped = False

    def put(self, block: memoryview) -> None:
        """Queue a block; raises the first error of an earlier block."""
        self._raise()
        loop = asyncio.get_running_loop()
        jobs = (
            loop.run_in_executor(self._writer, self._write, block),
            loop.run_in_executor(self._hashing, self._hasher.update, block),
        )
        left = [len(jobs)]

        def done(job: asyncio.Future[None]) -> None:
            if not job.cancelled() and job.exception() is not None and self._error is None:
                self._error = job.exception()
            left[0] -= 1
            if not left[0]:
                self._release(block)

        for job in jobs:
            job.add_done_callback(done)
            self._pending.append(job)
        while self._pending and self._pending[0].done():
            self._pending.popleft()

    async def finish(self) -> None:
        """Wait until every block is written and hashed; raise the first error."""
        await asyncio.gather(*self._pending, return_exceptions=True)
        self._pending.clear()
        self._raise()

    async def close(self) -> None:
        """Let the queued writes finish (the `.part` keeps every byte received), then stop."""
        try:
            await asyncio.gather(*self._pending, return_exceptions=True)
        finally:
            self._stopped = True
            self._writer.shutdown(wait=True)
            self._hashing.shutdown(wait=True)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _write(self, block: memoryview) -> None:  # in the writer thread
        if self._stopped:
            return
        try:
            _write(self._file, block, self._part, self._dest)
        except BaseException:
            self._stopped = True
            raise


async def download(
    cam: Camera,
    camera_path: str,
    dest: Path | str,
    *,
    resume: bool = True,
    verify: bool = True,
    progress: Progress | None = None,
    via: Via = "auto",
    expected_size: int | None = None,
) -> DownloadResult:
    """Download `camera_path` to `dest` (a file, or an existing folder to put it in)."""
    name = check_name(PurePosixPath(camera_path).name)
    dest = Path(dest)
    if dest.is_dir():
        dest = safe_join(dest, name)
    part = dest.with_name(dest.name + ".part")
    transfers = cam._transfer_service()
    async with transfers.lock:
        try:
            for _attempt in range(2):
                offset = _part_size(part) if resume else 0
                try:
                    return await _download_once(
                        cam, camera_path, dest, part, offset, verify, progress, via, expected_size
                    )
                except _Restart:
                    _remove(part)
            raise TransferError(f"cannot resume {camera_path}: the camera keeps refusing")
        finally:
            transfers.done()


async def _download_once(
    cam: Camera,
    camera_path: str,
    dest: Path,
    part: Path,
    offset: int,
    verify: bool,
    progress: Progress | None,
    via: Via,
    expected_size: int | None,
) -> DownloadResult:
    stream, used = await _open(cam, camera_path, offset, via)
    try:
        if stream.total < offset or stream.offset != offset:
            raise _Restart
        hasher = hashlib.md5()
        if offset:
            await asyncio.to_thread(_hash_file, hasher, part, offset)
        done = offset
        if progress is not None:
            progress(done, stream.total)
        with _open_part(part, offset, dest) as file:
            sink = _Sink(file, hasher, stream.release, part, dest)
            try:
                while (block := await stream.next_block()) is not None:
                    sink.put(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, stream.total)
                await sink.finish()
            except CameraConnectionError as exc:
                if cam._transfer_service().cancelled():
                    raise TransferCancelledError(
                        f"{camera_path}: cancelled; {done} bytes kept in {part.name}"
                    ) from exc
                raise
            finally:
                await sink.close()
            await asyncio.to_thread(_sync, file, part, dest)
        camera_md5 = await stream.finish() if isinstance(stream, DataGet) else None
    finally:
        await stream.close()
    md5 = hasher.hexdigest()
    if done != stream.total:
        raise TransferError(f"{camera_path}: got {done} bytes, the camera says {stream.total}")
    if verify:
        await _verify(cam, camera_path, part, md5, camera_md5, stream.total, expected_size)
    try:
        os.replace(part, dest)
    except OSError as exc:
        raise _local_error(exc, dest, part) from exc
    return DownloadResult(dest, done, md5, used, offset, verify)


async def _open(
    cam: Camera, camera_path: str, offset: int, via: Via
) -> tuple[_Stream, Literal["data", "http"]]:
    if via in ("auto", "data"):
        try:
            get = await cam._transfer_service().open_get(camera_path, offset)
        except DataPortUnavailableError:
            if via == "data":
                raise
        except (CameraBusyError, InvalidPathError, InvalidOperationError):
            raise  # -14 ("not possible now") says nothing against the bytes in the .part
        except CameraError as exc:
            if offset:
                raise _Restart from exc  # e.g. -13: the offset is past the end of the file
            raise
        else:
            return get, "data"
    return await _open_http(cam, camera_path, offset), "http"


async def _open_http(cam: Camera, camera_path: str, offset: int) -> _Stream:
    if cam.model in _YI1_MODELS and not cam._viewfinder:
        await cam.start_viewfinder()
    try:
        get = await _http(cam, camera_path, offset)
    except HttpClosedError:
        if cam._viewfinder:
            raise
        await cam.start_viewfinder()  # an unknown model with the Yi 1 quirk
        get = await _http(cam, camera_path, offset)
    cam._transfer_service().track(camera_path, get.transport)
    return get


async def _http(cam: Camera, camera_path: str, offset: int) -> HttpGet:
    return await open_http_get(
        cam.host, cam.http_port, camera_path, offset, cam.timeout, cam.event_timeout
    )


async def _verify(
    cam: Camera,
    camera_path: str,
    part: Path,
    md5: str,
    camera_md5: str | None,
    total: int,
    expected_size: int | None,
) -> None:
    if camera_md5 is not None:
        if camera_md5.lower() != md5:
            _remove(part)
            raise TransferError(
                f"{camera_path}: MD5 mismatch (camera {camera_md5}, local {md5}); "
                "the partial file was removed, run the download again"
            )
        return
    if expected_size is None:
        expected_size = await _listed_size(cam, camera_path)
    if expected_size is not None and expected_size != total:
        raise TransferError(
            f"{camera_path}: the web server sent {total} bytes, the camera lists {expected_size}"
        )


async def _listed_size(cam: Camera, camera_path: str) -> int | None:
    folder, name = camera_path.rsplit("/", 1)
    try:
        entries = await cam.list_dir(folder)
    except CameraError:
        return None
    return next((e.size for e in entries if e.name == name and not e.is_dir), None)


def _part_size(part: Path) -> int:
    try:
        return part.stat().st_size
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise _local_error(exc, part, part) from exc


def _open_part(part: Path, offset: int, dest: Path) -> BinaryIO:
    try:
        file = part.open("r+b" if offset else "wb", buffering=0)
        file.seek(offset)
        file.truncate()
        return file
    except OSError as exc:
        raise _local_error(exc, dest, part) from exc


def _write(file: BinaryIO, chunk: memoryview, part: Path, dest: Path) -> None:
    """Write all of `chunk` to an unbuffered file (a write may be short)."""
    try:
        while chunk:
            chunk = chunk[file.write(chunk) :]
    except OSError as exc:
        raise _local_error(exc, dest, part) from exc


def _sync(file: BinaryIO, part: Path, dest: Path) -> None:
    try:
        file.flush()
        os.fsync(file.fileno())
    except OSError as exc:
        raise _local_error(exc, dest, part) from exc


def _hash_file(hasher: hashlib._Hash, path: Path, length: int | None) -> None:
    with path.open("rb") as file:
        while length is None or length > 0:
            data = file.read(_HASH_CHUNK if length is None else min(_HASH_CHUNK, length))
            if not data:
                break
            hasher.update(data)
            if length is not None:
                length -= len(data)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _local_error(exc: OSError, dest: Path, part: Path) -> LocalFileError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return LocalFileError(
            f"no space left on the disk for {dest}; the bytes so far stay in {part.name}, "
            "free some space and run again to resume"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LocalFileError(f"cannot write {dest}: {exc.strerror or 'permission denied'}")
    return LocalFileError(f"cannot write {dest}: {exc.strerror or exc}")
