"""Resumable, verified downloads of one camera file to a local file.

The bytes go to a partial file next to the destination (see `yicam.partial`: hidden names no
camera file can take, and a record of what the partial holds); an interrupted download resumes
from the bytes on disk (a data-port `offset` or an HTTP `Range`) only when the record shows that
yicam started it for this very file. Only a complete, checked file is renamed to its final name,
atomically and after an fsync, so a failed transfer never leaves a file under its final name.

Sizes are checked before anything is written: the size the camera announces (the 1285 reply's
`size`, or the HTTP length) must equal its listing, and the bytes announced (`rem_size`, the
body length) must be exactly `size - offset`; a download never writes more than that.

The bytes of one download move in one worker thread, with the plainest loop there is: a blocking
read of the socket into one reused `BLOCK_SIZE` buffer (`recv_into` on the data port,
`http.client`'s `readinto` over HTTP, whose request and response head are also sent and read in
that thread), `write` to the file, MD5 update, until the expected count; then fsync (the reads,
`write` and MD5 all release the GIL, and the event loop stays free). Memory stays flat: one
buffer per download. Progress goes to the loop with `call_soon_threadsafe`, at most one call
pending at a time. Waits follow the data: no byte for `stall_timeout` seconds raises
`CameraTimeoutError` with the count so far. Cancelling (`cancel_transfer()` or the awaiting
task) shuts the socket down from the loop, which ends the thread's read at once. A data-port
get that ends early is settled before the next one starts (`_data_port.settle`), so its late
`get_file_complete` is never taken for the next get's.

Checks (`verify=True`), reported in `DownloadResult.verified_by`:
- data port ("md5"): the MD5 of the whole local file equals the camera's `md5sum` from
  `get_file_complete` (after a resume the prefix on disk is hashed first). A mismatch deletes
  the partial file, whose bytes cannot be trusted. When every byte has come but the camera sends
  no `get_file_complete` within the stall timeout, the file is checked by its size only.
- HTTP ("size"): HTTP carries no checksum; the byte count must equal the camera's listing.

`via="auto"` uses the data port, which gives the camera's MD5 and does not touch the viewfinder,
and falls back to HTTP only when the data port cannot be opened. On the Yi 1, HTTP needs the
viewfinder running (msg 259), which `download` starts when needed and leaves running.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import errno
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

from .._errors import (
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    DataPortUnavailableError,
    InvalidOperationError,
    InvalidPathError,
    LocalFileError,
    SizeMismatchError,
    TransferCancelledError,
    TransferError,
    UnsafeOperationError,
)
from .data_port import DataGet
from .http_get import HttpClosedError
from .partial import Partial, Source
from .safety import check_name, safe_join

if TYPE_CHECKING:
    from .slot import Handle

__all__ = ["DownloadResult", "FetchOptions", "Progress", "Via", "fetch"]

Via = Literal["auto", "data", "http"]
"""How a file travels: "data" (port 8787, MD5-checked), "http" (port 80), or "auto" (both)."""
Progress = Callable[[int, int], None]
"""A progress callback: `progress(bytes_done, total)`, called as the bytes arrive."""
BLOCK_SIZE = 1024 * 1024  # the receive buffer of a download


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How files are fetched, the same for every file of a download, sync or tether run."""

    resume: bool = True  # continue a partial file yicam started for this very file
    verify: bool = True  # check the MD5 (data port) or the size (HTTP) before the rename
    via: Via = "auto"  # "data", "http", or the data port with HTTP when it cannot be opened
    stall_timeout: float | None = None  # seconds without data; None: the `event_timeout`


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """A finished download: where it is, how it came and how it was checked."""

    path: Path
    size: int
    md5: str  # of the local file
    via: Literal["data", "http"]
    resumed_from: int  # bytes that were already on disk
    verified_by: Literal["md5", "size"] | None  # None with verify=False

    @property
    def resumed(self) -> bool:
        """True when the download continued a partial file."""
        return self.resumed_from > 0

    @property
    def verified(self) -> bool:
        """True when the file was checked against the camera."""
        return self.verified_by is not None


class _Restart(Exception):
    """The partial file does not fit the camera's file: start again from zero."""


class _Stream(Protocol):
    """What either transport delivers: `length` bytes from `offset` of a `total`-byte file."""

    offset: int
    length: int
    total: int
    name: str

    def open(self) -> None: ...  # in the worker thread, before the first `readinto`

    def readinto(self, view: memoryview) -> int: ...  # in the worker thread; 0 when closed

    def stop(self) -> None: ...  # from the loop: ends a blocking read at once

    def close(self) -> None: ...


def _in_own_thread(work: Callable[[], None]) -> asyncio.Future[None]:
    """Run `work` in a new thread; the future has its outcome.

    A download holds its thread for the whole file: the loop's default executor (cpu + 4
    threads) would make the seventh camera of a fleet sync on a two-core computer wait for
    another's file to end. A new thread per download, not a pool: it also starts with the
    loop's thread's settings (a test's network namespace, for one). Started with `_thread`:
    `threading.Thread.start` blocks the loop until the new thread has run, which on a busy
    computer took up to 100 ms of the desktop app's event loop per file.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            work()
        except BaseException as exc:  # handed to the loop, which raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, error)

    _thread.start_new_thread(run, ())
    return future


class _Pump:
    """Moves the bytes of one download to the partial file, in one worker thread (`run`)."""

    def __init__(
        self,
        stream: _Stream,
        partial: Partial,
        source: Source,
        offset: int,
        progress: Progress | None,
    ) -> None:
        self.stream, self.partial, self.source = stream, partial, source
        self.offset = offset  # asked for; the stream may start at 0 instead
        self.hasher = hashlib.md5()
        self.done = offset
        self._reported = -1
        self._progress = progress
        self._loop = asyncio.get_running_loop()
        self._pending = False  # a progress report is on its way to the loop
        self._error: BaseException | None = None  # raised by the progress callback
        self._stopped = False

    async def __call__(self) -> None:
        """Run the pump in a worker thread; cancelling shuts the socket and waits for it."""
        thread = _in_own_thread(self.run)
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
        """Open the stream, check its sizes, receive the bytes into the partial file, fsync."""
        stream, partial = self.stream, self.partial
        stream.open()
        start = _check(stream, self.offset, self.source, partial)
        self.done = start
        if self._progress is not None:
            self._loop.call_soon_threadsafe(self._report_soon, start)
        view = memoryview(bytearray(BLOCK_SIZE))
        try:
            if not start:
                partial.begin(self.source, stream.total)
            file = partial.path.open("r+b" if start else "wb", buffering=0)
        except OSError as exc:
            raise _local_error(exc, partial) from exc
        with file:
            try:
                file.seek(start)
                file.truncate()
            except OSError as exc:
                raise _local_error(exc, partial) from exc
            if start:
                self._hash_prefix(view, start)
            left = stream.length
            while left:
                n = stream.readinto(view[: min(BLOCK_SIZE, left)])
                if not n:
                    raise self._closed()
                self._take(file, view[:n])
                left -= n
            try:
                file.flush()
                os.fsync(file.fileno())
            except OSError as exc:
                raise _local_error(exc, partial) from exc

    def _hash_prefix(self, view: memoryview, size: int) -> None:
        """Hash the bytes already in the partial file (a resume)."""
        try:
            with self.partial.path.open("rb", buffering=0) as prefix:
                left = size
                while left and not self._stopped:
                    n = prefix.readinto(view[: min(BLOCK_SIZE, left)])
                    if not n:
                        break
                    self.hasher.update(view[:n])
                    left -= n
        except OSError as exc:
            raise _local_error(exc, self.partial) from exc

    def _take(self, file: BinaryIO, chunk: memoryview) -> None:
        _write(file, chunk, self.partial)
        self.hasher.update(chunk)
        self.done += len(chunk)
        if self._progress is not None and not self._pending:
            self._pending = True
            self._loop.call_soon_threadsafe(self._report_soon)

    def _closed(self) -> CameraConnectionError:
        got = self.done - self.stream.offset
        return CameraConnectionError(
            f"{self.stream.name} connection closed after {got} of {self.stream.length} bytes"
        )

    def report(self, done: int | None = None) -> None:
        """Call `progress` with the bytes done so far, if they changed (on the loop)."""
        if done is None:
            self._pending = False
            done = self.done
        if self._progress is not None and self._error is None and done != self._reported:
            self._reported = done
            self._progress(done, self.stream.total)

    def _report_soon(self, done: int | None = None) -> None:  # on the loop, from the thread
        try:
            self.report(done)
        except BaseException as exc:
            self._error = exc
            self._stop()

    def _stop(self) -> None:
        self._stopped = True
        self.stream.stop()


def _check(stream: _Stream, offset: int, source: Source, partial: Partial) -> int:
    """Where to start writing; refuses a stream whose sizes disagree, before any write."""
    path = source.camera_path
    if min(stream.offset, stream.length, stream.total) < 0:
        raise SizeMismatchError(
            f"{path}: the camera announces a negative size ({stream.length} bytes from "
            f"{stream.offset} of {stream.total}); nothing written"
        )
    if source.size is not None and stream.total != source.size:
        raise SizeMismatchError(
            f"{path}: the camera announces {stream.total} bytes, its listing says "
            f"{source.size}; nothing written"
        )
    if stream.offset not in (0, offset):
        raise SizeMismatchError(f"{path}: asked from byte {offset}, sent from {stream.offset}")
    if offset and stream.offset == offset and partial.recorded_size() != stream.total:
        raise _Restart  # the camera's file is not the one the partial file was started for
    if stream.length != stream.total - stream.offset:
        raise SizeMismatchError(
            f"{path}: the camera announces {stream.length} bytes from byte {stream.offset} of "
            f"a {stream.total}-byte file; nothing written"
        )
    return stream.offset


async def fetch(
    handle: Handle,
    camera_path: str,
    dest: Path | str,
    options: FetchOptions,
    *,
    progress: Progress | None = None,
    expected_size: int | None = None,
    modified: str | None = None,
) -> DownloadResult:
    """Download `camera_path` to `dest` (a file, or an existing folder to put it in).

    Works through `handle` (its slot held). `expected_size` (and `modified`) are the
    listing's; when not given, the file's folder is listed first.
    """
    name = check_name(PurePosixPath(camera_path).name)
    dest = Path(dest)
    if dest.is_dir():
        dest = safe_join(dest, name)
    try:
        if expected_size is None:
            expected_size, modified = await _listed(handle, camera_path)
        source = Source(camera_path, handle.session.host, expected_size, modified)
        partial = Partial(dest)
        for attempt in range(3):
            offset = partial.resumable(source) if options.resume else 0
            try:
                return await _download_once(handle, source, partial, offset, options, progress)
            except _Restart:
                partial.discard()
            except HttpClosedError:
                # An unknown model with the Yi 1 quirk: the web server needs the viewfinder.
                if attempt or not await handle.prepare_http(force=True):
                    raise
        raise TransferError(f"cannot resume {camera_path}: the camera keeps refusing")
    finally:
        handle.done()


async def _download_once(
    handle: Handle,
    source: Source,
    partial: Partial,
    offset: int,
    options: FetchOptions,
    progress: Progress | None,
) -> DownloadResult:
    stream, used = await _open(handle, source.camera_path, offset, options.via)
    pump = _Pump(stream, partial, source, offset, progress)
    try:
        try:
            await pump()
        except CameraConnectionError as exc:
            if handle.cancelled():
                raise TransferCancelledError(
                    f"{source.camera_path}: cancelled; {pump.done} bytes kept for a resume"
                ) from exc
            raise
        camera_md5 = await stream.finish(handle.stall) if isinstance(stream, DataGet) else None
    finally:
        try:
            if isinstance(stream, DataGet):
                await handle.settle(stream)
        finally:
            stream.close()
    md5, done = pump.hasher.hexdigest(), pump.done
    if done != stream.total:
        raise TransferError(
            f"{source.camera_path}: got {done} bytes, the camera says {stream.total}"
        )
    verified_by: Literal["md5", "size"] | None = None
    if options.verify:
        verified_by = "size"
        if camera_md5 is not None:
            if camera_md5.lower() != md5:
                partial.discard()
                raise TransferError(
                    f"{source.camera_path}: MD5 mismatch (camera {camera_md5}, local {md5}); "
                    "the partial file was removed, run the download again"
                )
            verified_by = "md5"
    try:
        partial.finish()
    except OSError as exc:
        raise _local_error(exc, partial) from exc
    return DownloadResult(partial.dest, done, md5, used, pump.offset, verified_by)


async def _open(
    handle: Handle, camera_path: str, offset: int, via: Via
) -> tuple[_Stream, Literal["data", "http"]]:
    if via in ("auto", "data"):
        try:
            get = await handle.open_get(camera_path, offset)
        except DataPortUnavailableError:
            if via == "data":
                raise
        except (CameraBusyError, InvalidPathError, InvalidOperationError):
            raise  # -14 ("not possible now") says nothing against the bytes in the partial
        except CameraError as exc:
            if offset:
                raise _Restart from exc  # e.g. -13: the offset is past the end of the file
            raise
        else:
            return get, "data"
    await handle.prepare_http()
    return handle.open_http(camera_path, offset), "http"


async def _listed(handle: Handle, camera_path: str) -> tuple[int | None, str | None]:
    """The size and date of `camera_path` in its folder's listing (None when not listed)."""
    folder, name = camera_path.rsplit("/", 1)
    try:
        entries = await handle.list_dir(folder)
    except (CameraError, UnsafeOperationError):
        return None, None
    for entry in entries:
        if entry.name == name and not entry.is_dir:
            return entry.size, entry.modified.isoformat() if entry.modified else None
    return None, None


def _write(file: BinaryIO, chunk: memoryview, partial: Partial) -> None:
    """Write all of `chunk` to an unbuffered file (a write may be short)."""
    try:
        while chunk:
            chunk = chunk[file.write(chunk) :]
    except OSError as exc:
        raise _local_error(exc, partial) from exc


def _local_error(exc: OSError, partial: Partial) -> LocalFileError:
    dest = partial.dest
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return LocalFileError(
            f"no space left on the disk for {dest}; the bytes so far are kept, free some "
            "space and run again to resume"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LocalFileError(f"cannot write {dest}: {exc.strerror or 'permission denied'}")
    return LocalFileError(f"cannot write {dest}: {exc.strerror or exc}")
