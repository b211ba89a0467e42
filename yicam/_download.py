"""Resumable, verified downloads of one camera file to a local file.

The bytes go to `<dest>.part`; an interrupted download resumes from the bytes on disk (a data-port
`offset` or an HTTP `Range`). Only a complete, checked file is renamed to `dest`, atomically, so a
broken transfer never leaves a file under its final name, and the file is on disk (fsync) before
the rename.

The bytes of one download move in one worker thread, with the plainest loop there is: a blocking
`recv_into` of the socket into one reused `BLOCK_SIZE` buffer, `write` to the file, MD5 update,
until the expected count; then fsync, in the same thread (`recv_into`, `write` and MD5 all
release the GIL, and the event loop stays free). Memory stays flat: one buffer per download.
Progress goes to the loop with `call_soon_threadsafe`, at most one call pending at a time. A
silent connection raises `CameraTimeoutError` after the camera's `event_timeout`; cancelling
(`cancel_transfer()` or the awaiting task) shuts the socket down from the loop, which ends the
thread's `recv_into` at once. (Handing the bytes from the loop to a writer and an MD5 thread,
and starting the disk writeback during the transfer, were both measured slower.)

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
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

from ._errors import (
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    InvalidOperationError,
    InvalidPathError,
    LocalFileError,
    TransferCancelledError,
    TransferError,
)
from ._http_get import HttpClosedError, HttpGet, open_http_get
from ._safety import check_name, safe_join
from ._transfer import DataGet, DataPortUnavailableError

if TYPE_CHECKING:
    from ._camera import Camera

__all__ = ["DownloadResult", "Progress", "Via", "download"]

Via = Literal["auto", "data", "http"]
Progress = Callable[[int, int], None]  # (bytes_done, total)
BLOCK_SIZE = 1024 * 1024  # the receive buffer of a download
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
    """What either transport delivers: `length` bytes from `offset` of a `total`-byte file.

    The bytes are `first`, then the rest from `sock`; `stop` shuts `sock` down.
    """

    offset: int
    length: int
    total: int
    sock: socket.socket
    first: bytes
    idle_timeout: float
    name: str

    def stop(self) -> None: ...

    async def close(self) -> None: ...


class _Pump:
    """Moves the bytes of one download to the `.part` file, in one worker thread (`run`)."""

    def __init__(
        self, stream: _Stream, file: BinaryIO, part: Path, dest: Path, progress: Progress | None
    ) -> None:
        self.stream, self.file, self.part, self.dest = stream, file, part, dest
        self.hasher = hashlib.md5()
        self.done = stream.offset
        self._reported = -1
        self._progress = progress
        self._loop = asyncio.get_running_loop()
        self._pending = False  # a progress report is on its way to the loop
        self._error: BaseException | None = None  # raised by the progress callback
        self._stopped = False

    async def __call__(self) -> None:
        """Run the pump in a worker thread; cancelling shuts the socket and waits for it."""
        self.report()
        self.stream.sock.settimeout(self.stream.idle_timeout)
        thread = self._loop.run_in_executor(None, self.run)
        try:
            await asyncio.shield(thread)
        except asyncio.CancelledError:
            self._stop()
            while not thread.done():  # at once: the socket is shut down
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([thread])
            if not thread.cancelled():
                thread.exception()  # the shutdown's own error: retrieved, never logged
            raise
        except CameraConnectionError:
            if self._error is None:
                raise
        if self._error is not None:
            raise self._error  # the progress callback's, which stopped the transfer
        self.report()

    def run(self) -> None:  # in the worker thread
        """Hash the prefix on disk, receive the rest into the file, fsync."""
        stream, file = self.stream, self.file
        view = memoryview(bytearray(BLOCK_SIZE))
        if stream.offset:
            self._hash_prefix(view)
        if stream.first:
            self._take(memoryview(stream.first))
        left = stream.length - len(stream.first)
        while left:
            try:
                n = stream.sock.recv_into(view, min(BLOCK_SIZE, left))
            except TimeoutError as exc:
                raise CameraTimeoutError(
                    f"no data for {stream.idle_timeout:g} s from the {stream.name} port"
                ) from exc
            except OSError as exc:
                raise self._closed(exc) from exc
            if not n:
                raise self._closed(None)
            self._take(view[:n])
            left -= n
        _sync(file, self.part, self.dest)

    def _hash_prefix(self, view: memoryview) -> None:
        """Hash the bytes already in the `.part` (a resume)."""
        try:
            with self.part.open("rb", buffering=0) as prefix:
                left = self.stream.offset
                while left and not self._stopped:
                    n = prefix.readinto(view[: min(BLOCK_SIZE, left)])
                    if not n:
                        break
                    self.hasher.update(view[:n])
                    left -= n
        except OSError as exc:
            raise _local_error(exc, self.dest, self.part) from exc

    def _take(self, chunk: memoryview) -> None:
        _write(self.file, chunk, self.part, self.dest)
        self.hasher.update(chunk)
        self.done += len(chunk)
        if self._progress is not None and not self._pending:
            self._pending = True
            self._loop.call_soon_threadsafe(self._report_soon)

    def _closed(self, error: OSError | None) -> CameraConnectionError:
        got = self.done - self.stream.offset
        return CameraConnectionError(
            f"{self.stream.name} connection closed after {got} of {self.stream.length} bytes"
            + (f": {error}" if error else "")
        )

    def report(self) -> None:
        """Call `progress` with the bytes done so far, if they changed (on the loop)."""
        self._pending = False
        done = self.done
        if self._progress is not None and self._error is None and done != self._reported:
            self._reported = done
            self._progress(done, self.stream.total)

    def _report_soon(self) -> None:  # on the loop, scheduled by the thread
        try:
            self.report()
        except BaseException as exc:
            self._error = exc
            self._stop()

    def _stop(self) -> None:
        self._stopped = True
        self.stream.stop()


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
        with _open_part(part, offset, dest) as file:
            pump = _Pump(stream, file, part, dest, progress)
            try:
                await pump()
            except CameraConnectionError as exc:
                if cam._transfer_service().cancelled():
                    raise TransferCancelledError(
                        f"{camera_path}: cancelled; {pump.done} bytes kept in {part.name}"
                    ) from exc
                raise
        camera_md5 = await stream.finish() if isinstance(stream, DataGet) else None
    finally:
        await stream.close()
    md5, done = pump.hasher.hexdigest(), pump.done
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
    cam._transfer_service().track(camera_path, get.stop)
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
