"""Data-port (8787) exchanges with one camera: get (1285), put (1286), cancel (1287), thumbnail.

Each exchange opens its own data connection before asking on the control port (Yi 1 cameras
tie the two together by address, as no msg 261 is sent) and closes it after, so bytes left in
flight by a cut or cancelled transfer never reach the next one. These functions take no lock:
the camera has one GET and one PUT slot, and `Transfers` runs one exchange at a time.

A get (`open_get`) hands over a plain socket, already connected when 1285 is sent: bytes that
come before the reply wait in the kernel until the download's worker thread reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import (
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    DataPortUnavailableError,
    ProtocolError,
    TransferError,
    YicamError,
    error_for_rval,
)
from .._session.interface import connect
from .._session.results import parse_int
from .._wire.ids import MsgId, Notify
from .._wire.messages import Notification

if TYPE_CHECKING:
    from .._session.session import Expectation, Session

__all__ = [
    "MAX_THUMBNAIL",
    "DataGet",
    "cancel",
    "connect_socket",
    "get_thumbnail",
    "open_get",
    "put_file",
    "settle",
    "shutdown",
]

READ_SIZE = 1024 * 1024  # uploads and thumbnails
MAX_THUMBNAIL = 16 * 1024 * 1024


async def connect_socket(
    host: str, port: int, timeout: float, interface: str | None = None
) -> socket.socket:
    """A TCP socket connected to `host:port` (through `interface`) without blocking the loop
    (non-blocking mode).

    Raises `OSError` or `TimeoutError` (`CameraConnectionError` for an interface that is not
    there); a cancelled connect leaves no socket behind.
    """
    async with asyncio.timeout(timeout):
        return await connect(host, port, interface)


def shutdown(sock: socket.socket) -> None:
    """End both directions of `sock`: a `recv` blocked on it in another thread returns."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@dataclass
class DataGet:
    """An accepted 1285: `rem_size` bytes from `offset` of a `size`-byte file are coming.

    They are for the caller to read with `readinto` in a worker thread.
    """

    path: str
    offset: int
    length: int
    total: int
    sock: socket.socket
    outcome: Expectation  # get_file_complete or get_file_fail
    stall: float
    name = "data"

    def open(self) -> None:
        """Make the socket blocking, with the stall timeout (in the worker thread)."""
        self.sock.settimeout(self.stall)

    def readinto(self, view: memoryview) -> int:
        """Bytes into `view` (blocking); 0 when the camera closed the connection."""
        try:
            return self.sock.recv_into(view)
        except TimeoutError as exc:
            raise CameraTimeoutError(f"no data for {self.stall:g} s from the data port") from exc
        except OSError as exc:
            raise CameraConnectionError(f"data connection lost: {exc}") from exc

    async def finish(self, wait: float) -> str | None:
        """The camera's md5sum from `get_file_complete`, once every byte has come.

        None when no notification comes within `wait` seconds (or the control connection
        dropped): the bytes are all there, only the camera's checksum is missing.
        """
        try:
            note = await self.outcome.wait(wait)
        except CameraConnectionError:  # a timeout too
            return None
        sent, md5 = _report(note, "bytes sent")
        if note.type != Notify.GET_FILE_COMPLETE:
            raise TransferError(f"the camera reports the download failed after {sent} bytes")
        if sent != self.length:
            raise TransferError(f"the camera sent {sent} bytes, expected {self.length}")
        return md5 or None

    def stop(self) -> None:
        """Shut the data connection down (from the loop, while a thread reads it)."""
        shutdown(self.sock)

    def close(self) -> None:
        """Close the data connection and stop watching for the outcome."""
        self.outcome.close()
        self.sock.close()


async def open_get(session: Session, path: str, offset: int, stall: float) -> DataGet:
    """Connect the data port, then send 1285 for `path` from `offset`; close the result."""
    sock = await _connect_socket(session)
    outcome = session.expect(Notify.GET_FILE_COMPLETE, Notify.GET_FILE_FAIL)
    try:
        fields = {"param": path, "offset": offset, "fetch_size": 0}
        reply = await session.request(MsgId.GET_FILE, fields)
        length = parse_int(reply.fields.get("rem_size"), "rem_size")
        total = parse_int(reply.fields.get("size"), "size")
    except BaseException:
        outcome.close()
        sock.close()
        raise
    return DataGet(path, offset, length, total, sock, outcome, stall)


async def cancel(session: Session, path: str) -> bool:
    """Send 1287 for `path`; True when the camera stopped it (then no outcome follows).

    -14 (it had just finished) or -13 (no such transfer) give False: the transfer ended by
    itself, and its `get_file_complete` or `get_file_fail` was sent or is on its way.
    """
    try:
        await session.request(MsgId.CANCEL_TRANSFER, {"param": path})
    except CameraError:
        return False
    return True


async def settle(session: Session, get: DataGet, stopped: bool) -> None:
    """Make sure an ended get's outcome cannot be taken for the next get's.

    The camera announces the outcome of every get it did not cancel, maybe late (after the
    next 1285, whose `get_file_complete` would then report the wrong count or checksum). When
    the outcome has not come and the camera did not stop the get (`stopped`: by `cancel`),
    1287 stops it; if it had already ended, its outcome is awaited for up to
    the request timeout.
    """
    if get.outcome.done() or stopped:
        return
    with contextlib.suppress(YicamError):  # a timeout: none will come; never hide the cause
        if not await cancel(session, get.path):
            await get.outcome.wait(session.settings.timeout)


async def put_file(
    session: Session,
    local: Path,
    path: str,
    md5: str,
    size: int,
    stall: float,
    track: Callable[[Callable[[], None]], None],
) -> None:
    """Send 1286, then the file's bytes; wait for `put_file_complete`.

    `track` receives the function that shuts the data connection down (for a cancel).
    """
    _reader, writer = await _connect(session)
    outcome = session.expect(Notify.PUT_FILE_COMPLETE, Notify.PUT_FILE_FAIL)
    track(writer.close)
    try:
        fields = {"param": path, "md5sum": md5, "size": size, "offset": 0}
        try:
            await session.request(MsgId.PUT_FILE, fields)
        except CameraError as exc:
            if exc.rval == -13:
                raise error_for_rval(-13, MsgId.PUT_FILE, f"{path} exists") from exc
            raise
        await _send_file(local, writer, stall)
        note = await outcome.wait(stall)
        received, camera_md5 = _report(note, "bytes received")
        if note.type != Notify.PUT_FILE_COMPLETE:
            raise TransferError(f"the camera rejected the upload of {path}")
        if received != size or camera_md5.lower() != md5:
            raise TransferError(f"upload of {path} arrived damaged")
    finally:
        outcome.close()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def get_thumbnail(session: Session, path: str, kind: str, stall: float) -> bytes:
    """Send 1025: the JPEG comes on the data port, and the reply with size and md5."""
    reader, writer = await _connect(session)
    try:
        reply = await session.request(MsgId.GET_THUMB, {"type": kind, "param": path})
        size = parse_int(reply.fields.get("size"), "thumbnail size")
        if not 0 <= size <= MAX_THUMBNAIL:
            raise TransferError(f"implausible thumbnail size {size}")
        data = await _read_exactly(reader, size, stall, f"thumbnail of {path}")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    md5 = reply.fields.get("md5sum")
    if isinstance(md5, str) and md5 and hashlib.md5(data).hexdigest() != md5.lower():
        raise TransferError(f"thumbnail of {path} does not match its md5sum")
    return data


async def _connect_socket(session: Session) -> socket.socket:
    where = session.settings
    try:
        return await connect_socket(where.host, where.data_port, where.timeout, where.interface)
    except (OSError, TimeoutError) as exc:
        raise DataPortUnavailableError(
            f"cannot open the data port {where.host}:{where.data_port}: {exc}"
        ) from exc


async def _connect(session: Session) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    where = session.settings
    try:
        async with asyncio.timeout(where.timeout):
            sock = await connect(where.host, where.data_port, where.interface)
            return await asyncio.open_connection(sock=sock, limit=READ_SIZE)
    except (OSError, TimeoutError) as exc:
        raise DataPortUnavailableError(
            f"cannot open the data port {where.host}:{where.data_port}: {exc}"
        ) from exc


async def _send_file(local: Path, writer: asyncio.StreamWriter, stall: float) -> None:
    sent = 0
    try:
        with local.open("rb") as file:
            while data := await asyncio.to_thread(file.read, READ_SIZE):
                writer.write(data)
                async with asyncio.timeout(stall):
                    await writer.drain()
                sent += len(data)
    except TimeoutError as exc:
        raise CameraTimeoutError(
            f"the camera took no data for {stall:g} s after {sent} bytes of the upload"
        ) from exc
    except (ConnectionError, OSError) as exc:
        raise CameraConnectionError(f"data connection lost during upload: {exc}") from exc


async def _read_exactly(reader: asyncio.StreamReader, size: int, stall: float, what: str) -> bytes:
    """`size` bytes; no byte for `stall` seconds or an early end raises, saying how far."""
    data = bytearray()
    while len(data) < size:
        try:
            async with asyncio.timeout(stall):
                chunk = await reader.read(min(READ_SIZE, size - len(data)))
        except TimeoutError as exc:
            raise CameraTimeoutError(
                f"{what}: no data for {stall:g} s after {len(data)} of {size} bytes"
            ) from exc
        except OSError as exc:
            raise CameraConnectionError(f"{what}: data connection lost: {exc}") from exc
        if not chunk:
            raise CameraConnectionError(
                f"{what}: the camera closed the data connection after {len(data)} of {size} bytes"
            )
        data += chunk
    return bytes(data)


def _report(note: Notification, count_key: str) -> tuple[int, str]:
    """(byte count, md5sum) from `[{"bytes sent": n}, {"md5sum": "..."}]`."""
    merged: dict[str, Any] = {}
    if isinstance(note.param, list):
        for item in note.param:
            if isinstance(item, dict):
                merged.update(item)
    try:
        count = parse_int(merged.get(count_key, -1), count_key)
    except ProtocolError:
        count = -1
    md5 = merged.get("md5sum")
    return count, md5 if isinstance(md5, str) else ""
