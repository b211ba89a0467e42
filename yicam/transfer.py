"""Data-port (8787) exchanges of one camera: get (1285), put (1286), cancel (1287), thumbnail.

The camera has one GET and one PUT slot; `Transfers.lock` runs one transfer at a time per
`Camera`. Each transfer opens its own data connection before asking on the control port
(Yi 1 cameras tie the two together by address, as no msg 261 is sent) and closes it after,
so bytes left in flight by a cut or cancelled transfer never reach the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import (
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    ProtocolError,
    TransferCancelledError,
    TransferError,
    error_for_rval,
)
from .events import Disconnected, Event
from .ids import MsgId, Notify
from .messages import Notification
from .models import parse_int

if TYPE_CHECKING:
    from .camera import Camera

__all__ = ["DataGet", "DataPortUnavailableError", "Receiver", "Transfers"]

READ_SIZE = 1024 * 1024  # uploads and thumbnails
BLOCK_SIZE = 1024 * 1024  # downloads: one receive buffer (1, 2, 4 and 8 MiB measured: 1 MiB best)
BLOCKS = 8  # downloads: buffers per transfer, so 8 MiB in flight at most
FLUSH_AFTER = 0.05  # hand out a partly filled buffer when the consumer has waited this long
HEAD_LIMIT = 64 * 1024  # HTTP response heads
MAX_THUMBNAIL = 16 * 1024 * 1024


class _Closable(Protocol):
    def close(self) -> None: ...


class Receiver(asyncio.BufferedProtocol):
    """The receiving end of a download: the kernel copies the bytes straight into big buffers.

    No StreamReader (which copies every chunk into its buffer and slices it out again): the
    transport `recv_into`s a pool of at most `count` buffers of `size` bytes, and `next_block`
    hands out the filled ones ("blocks", memoryviews) in order. The consumer gives each block
    back with `release` once it has written and hashed it. While every buffer is out, reading
    pauses and TCP pushes back on the sender, so memory stays at `count * size` whatever the
    file size. A partly filled buffer is handed out when the consumer has waited `FLUSH_AFTER`
    for more (slow links still show progress) and when the connection ends.

    `expect(n)` sets how many bytes the stream carries (once known, e.g. from the 1285 reply,
    as data-port bytes may come first); bytes past that are dropped. With `head=True` the
    stream starts with an HTTP response head, which `head()` returns.
    """

    def __init__(self, *, head: bool = False, size: int = 0, count: int = 0) -> None:
        self.transport: asyncio.Transport | None = None
        self.error: BaseException | None = None  # why the connection was lost, if not cleanly
        self.head_partial = 0  # head bytes received when the connection ended mid-head
        self._size = size or BLOCK_SIZE
        self._count = count or BLOCKS
        self._free: list[bytearray] = []
        self._allocated = 0
        self._block: bytearray | None = None
        self._filled = 0
        self._received = 0  # stream bytes received, the head excluded
        self._wanted: int | None = None
        self._ready: deque[memoryview] = deque()
        self._ended = False
        self._paused = False
        self._dropping = False
        self._waiter: asyncio.Future[None] | None = None
        self._last_data = 0.0
        self._head_buf: bytearray | None = bytearray(HEAD_LIMIT) if head else None
        self._head_len = 0
        self._head: asyncio.Future[bytes | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- asyncio.BufferedProtocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._loop = asyncio.get_running_loop()
        self._head = self._loop.create_future()
        if self._head_buf is None:
            self._head.set_result(None)

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._head_buf is not None:
            return memoryview(self._head_buf)[self._head_len :]
        if self._wanted is not None and self._received >= self._wanted:
            self._dropping = True  # more than announced: read and drop it
            return memoryview(bytearray(HEAD_LIMIT))
        self._dropping = False
        if self._block is None:
            self._block = self._take()
        view = memoryview(self._block)[self._filled :]
        return view if self._wanted is None else view[: self._wanted - self._received]

    def buffer_updated(self, nbytes: int) -> None:
        assert self._loop is not None
        self._last_data = self._loop.time()
        if self._head_buf is not None:
            self._head_received(nbytes)
        elif not self._dropping:
            self._filled += nbytes
            self._received += nbytes
            assert self._block is not None
            if self._filled == len(self._block) or self._received == self._wanted:
                self._hand_out()

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.error = exc
        self._ended = True
        if self._head is not None and not self._head.done():
            self.head_partial = self._head_len
            self._head.set_result(None)
        if self._filled:
            self._hand_out()
        self._wake()

    # -- the consumer's side ---------------------------------------------------------------

    async def head(self) -> bytes | None:
        """The HTTP response head, or None if the connection ended first."""
        assert self._head is not None
        return await self._head

    def expect(self, length: int) -> None:
        """The stream carries `length` bytes (after the head)."""
        self._wanted = length
        if self._received > length:
            self._filled -= self._received - length
            self._received = length
        if self._filled and self._received >= length:
            self._hand_out()

    async def next_block(self, idle_timeout: float) -> memoryview | None:
        """The next block of bytes; None once the connection has ended and all was handed out.

        Raises `TimeoutError` after `idle_timeout` seconds without a byte.
        """
        assert self._loop is not None
        since = self._loop.time()
        while not self._ready:
            if self._ended:
                return None
            now = self._loop.time()
            idle = now - max(since, self._last_data)
            if idle >= idle_timeout:
                raise TimeoutError
            self._waiter = self._loop.create_future()
            try:
                async with asyncio.timeout(min(FLUSH_AFTER, idle_timeout - idle)):
                    await self._waiter
            except TimeoutError:
                if self._filled:
                    self._hand_out()  # the consumer is idle: give it what there is
            finally:
                self._waiter = None
        return self._ready.popleft()

    def release(self, block: memoryview) -> None:
        """Give a block's buffer back for reuse."""
        buffer = block.obj
        assert isinstance(buffer, bytearray)
        self._free.append(buffer)
        if self._paused and self.transport is not None and not self._ended:
            self._paused = False
            self.transport.resume_reading()

    # -- internals -------------------------------------------------------------------------

    def _take(self) -> bytearray:
        if self._free:
            return self._free.pop()
        self._allocated += 1
        return bytearray(self._size)

    def _hand_out(self) -> None:
        assert self._block is not None
        self._ready.append(memoryview(self._block)[: self._filled])
        self._block, self._filled = None, 0
        if (
            not self._free
            and self._allocated >= self._count
            and not self._ended
            and self.transport is not None
        ):
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _head_received(self, nbytes: int) -> None:
        buffer = self._head_buf
        assert buffer is not None
        assert self._head is not None
        start = max(0, self._head_len - 3)
        self._head_len += nbytes
        end = buffer.find(b"\r\n\r\n", start, self._head_len)
        if end < 0:
            if self._head_len == len(buffer) and self.transport is not None:
                self._head.set_exception(ProtocolError("HTTP response head too long"))
                self._head_buf = None
                self.transport.close()
            return
        end += 4
        self._head_buf = None
        rest = buffer[end : self._head_len]
        if rest:
            self._block = self._take()
            self._block[: len(rest)] = rest
            self._filled = self._received = len(rest)
        self._head.set_result(bytes(buffer[:end]))


class DataPortUnavailableError(CameraConnectionError):
    """The data port cannot be opened (HTTP may still work)."""


@dataclass
class _Active:
    """The transfer in progress, so that `cancel` can reach it."""

    path: str
    writer: _Closable  # the data connection's transport or stream writer
    on_data_port: bool
    cancelled: bool = False


@dataclass
class DataGet:
    """An accepted 1285: `rem_size` bytes from `offset` of a `size`-byte file are coming."""

    offset: int
    length: int
    total: int
    receiver: Receiver
    transport: asyncio.Transport
    outcome: asyncio.Future[Notification]
    idle_timeout: float
    event_timeout: float
    active: _Active
    unsubscribe: Callable[[], None] = field(default=lambda: None)
    received: int = 0

    async def next_block(self) -> memoryview | None:
        """The next block of bytes (give it back with `release`), None after the last one.

        Raises when the data connection ends early or stays silent for `idle_timeout`.
        """
        if self.received >= self.length:
            return None
        try:
            block = await self.receiver.next_block(self.idle_timeout)
        except TimeoutError as exc:
            raise CameraTimeoutError(
                f"no data for {self.idle_timeout:g} s from the data port"
            ) from exc
        if block is None:
            got, error = self.received, self.receiver.error
            if self.active.cancelled:
                raise TransferCancelledError(f"cancelled after {got} of {self.length} bytes")
            raise CameraConnectionError(
                f"data connection closed after {got} of {self.length} bytes"
                + (f": {error}" if error else "")
            ) from error
        self.received += len(block)
        return block

    def release(self, block: memoryview) -> None:
        """Give a block back once it is written and hashed."""
        self.receiver.release(block)

    async def finish(self) -> str:
        """Wait for `get_file_complete` and return the camera's md5sum."""
        try:
            async with asyncio.timeout(self.event_timeout):
                note = await self.outcome
        except TimeoutError as exc:
            raise TransferError(
                f"the camera sent no get_file_complete within {self.event_timeout:g} s"
            ) from exc
        sent, md5 = _report(note, "bytes sent")
        if note.type != Notify.GET_FILE_COMPLETE:
            raise TransferError(f"the camera reports the download failed after {sent} bytes")
        if sent != self.length:
            raise TransferError(f"the camera sent {sent} bytes, expected {self.length}")
        return md5

    async def close(self) -> None:
        """Close the data connection and stop watching for the outcome."""
        self.unsubscribe()
        if self.outcome.done() and not self.outcome.cancelled():
            self.outcome.exception()  # retrieved: a late failure is not an error here
        self.outcome.cancel()
        self.transport.close()


class Transfers:
    """The data-port side of one `Camera`."""

    def __init__(self, camera: Camera) -> None:
        self._cam = camera
        self.lock = asyncio.Lock()
        self._active: _Active | None = None

    async def open_get(self, path: str, offset: int) -> DataGet:
        """Send 1285 for `path` from `offset`; the caller holds `lock` and closes the result."""
        cam = self._cam
        transport, receiver = await self._connect_receiver()
        active = _Active(path, transport, on_data_port=True)
        outcome, unsubscribe = self._watch(Notify.GET_FILE_COMPLETE, Notify.GET_FILE_FAIL)
        self._active = active
        try:
            fields = {"param": path, "offset": offset, "fetch_size": 0}
            reply = await cam._request(MsgId.GET_FILE, fields)
            length = parse_int(reply.fields.get("rem_size"), "rem_size")
            total = parse_int(reply.fields.get("size"), "size")
            receiver.expect(length)
        except BaseException:
            self._active = None
            unsubscribe()
            outcome.cancel()
            transport.close()
            raise
        return DataGet(
            offset, length, total, receiver, transport, outcome,
            idle_timeout=cam.event_timeout, event_timeout=cam.event_timeout,
            active=active, unsubscribe=unsubscribe,
        )  # fmt: skip

    def track(self, path: str, writer: _Closable) -> None:
        """Make an HTTP download cancellable."""
        self._active = _Active(path, writer, on_data_port=False)

    def cancelled(self) -> bool:
        """True when `cancel` stopped the transfer in progress."""
        return self._active is not None and self._active.cancelled

    def done(self) -> None:
        """Forget the transfer in progress."""
        self._active = None

    async def cancel(self) -> bool:
        """Cancel the transfer in progress (1287 on the data port); False if there is none."""
        active = self._active
        if active is None or active.cancelled:
            return False
        active.cancelled = True
        try:
            if active.on_data_port:
                with contextlib.suppress(CameraError):  # -14: it had just finished
                    await self._cam._request(MsgId.CANCEL_TRANSFER, {"param": active.path})
        finally:
            active.writer.close()
        return True

    async def upload(self, local: Path, path: str, md5: str, size: int) -> None:
        """Send 1286, then the file's bytes; wait for `put_file_complete`."""
        cam = self._cam
        async with self.lock:
            _reader, writer = await self._connect()
            outcome, unsubscribe = self._watch(Notify.PUT_FILE_COMPLETE, Notify.PUT_FILE_FAIL)
            self._active = _Active(path, writer, on_data_port=True)
            try:
                fields = {"param": path, "md5sum": md5, "size": size, "offset": 0}
                try:
                    await cam._request(MsgId.PUT_FILE, fields)
                except CameraError as exc:
                    if exc.rval == -13:
                        raise error_for_rval(-13, MsgId.PUT_FILE, f"{path} exists") from exc
                    raise
                await self._send_file(local, writer)
                try:
                    async with asyncio.timeout(cam.event_timeout):
                        note = await outcome
                except TimeoutError as exc:
                    raise TransferError("the camera sent no put_file_complete") from exc
                received, camera_md5 = _report(note, "bytes received")
                if note.type != Notify.PUT_FILE_COMPLETE:
                    raise TransferError(f"the camera rejected the upload of {path}")
                if received != size or camera_md5.lower() != md5:
                    raise TransferError(f"upload of {path} arrived damaged")
            finally:
                self._active = None
                unsubscribe()
                outcome.cancel()
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def thumbnail(self, path: str, kind: str = "thumb") -> bytes:
        """Send 1025: the JPEG comes on the data port, then the reply with size and md5."""
        cam = self._cam
        async with self.lock:
            reader, writer = await self._connect()
            try:
                reply = await cam._request(MsgId.GET_THUMB, {"type": kind, "param": path})
                size = parse_int(reply.fields.get("size"), "thumbnail size")
                if not 0 <= size <= MAX_THUMBNAIL:
                    raise TransferError(f"implausible thumbnail size {size}")
                async with asyncio.timeout(cam.event_timeout):
                    data = await reader.readexactly(size)
            except (asyncio.IncompleteReadError, OSError, TimeoutError) as exc:
                raise CameraConnectionError(f"thumbnail of {path} cut short: {exc}") from exc
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        md5 = reply.fields.get("md5sum")
        if isinstance(md5, str) and md5 and hashlib.md5(data).hexdigest() != md5.lower():
            raise TransferError(f"thumbnail of {path} does not match its md5sum")
        return data

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        cam = self._cam
        try:
            async with asyncio.timeout(cam.timeout):
                return await asyncio.open_connection(cam.host, cam.data_port, limit=READ_SIZE)
        except (OSError, TimeoutError) as exc:
            raise DataPortUnavailableError(
                f"cannot open the data port {cam.host}:{cam.data_port}: {exc}"
            ) from exc

    async def _connect_receiver(self) -> tuple[asyncio.Transport, Receiver]:
        cam = self._cam
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(cam.timeout):
                return await loop.create_connection(Receiver, cam.host, cam.data_port)
        except (OSError, TimeoutError) as exc:
            raise DataPortUnavailableError(
                f"cannot open the data port {cam.host}:{cam.data_port}: {exc}"
            ) from exc

    def _watch(
        self, success: Notify, failure: Notify
    ) -> tuple[asyncio.Future[Notification], Callable[[], None]]:
        """A future for the transfer's outcome, registered before the request is sent."""
        future: asyncio.Future[Notification] = asyncio.get_running_loop().create_future()

        def on_event(event: Event) -> None:
            if future.done():
                return
            if isinstance(event, Notification) and event.type in (success, failure):
                future.set_result(event)
            elif isinstance(event, Disconnected):
                future.set_exception(
                    event.error or CameraConnectionError("control connection closed")
                )

        return future, self._cam.subscribe(on_event)

    async def _send_file(self, local: Path, writer: asyncio.StreamWriter) -> None:
        try:
            with local.open("rb") as file:
                while data := await asyncio.to_thread(file.read, READ_SIZE):
                    writer.write(data)
                    await writer.drain()
        except ConnectionError as exc:
            if self.cancelled():
                raise TransferCancelledError("upload cancelled") from exc
            raise CameraConnectionError(f"data connection lost during upload: {exc}") from exc


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
