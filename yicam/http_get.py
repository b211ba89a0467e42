"""A minimal HTTP/1.1 GET client for the camera's web server: one request per connection."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import quote

from .errors import (
    CameraConnectionError,
    CameraTimeoutError,
    InvalidPathError,
    ProtocolError,
)
from .ids import MsgId
from .transfer import Receiver

__all__ = ["CARD_ROOT", "HttpGet", "http_url_path", "open_http_get"]

CARD_ROOT = "/tmp/fuse_d"
_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes\s+\*/(\d+)$")


class HttpClosedError(CameraConnectionError):
    """The web port closed the connection before answering (a Yi 1 before 259)."""


def http_url_path(camera_path: str) -> str:
    """The URL path of a card file: `/tmp/fuse_d/DCIM/...` becomes `/DCIM/...`."""
    if not camera_path.startswith(CARD_ROOT + "/"):
        raise InvalidPathError(-26, MsgId.GET_FILE, f"{camera_path} is not on the card")
    return quote(camera_path[len(CARD_ROOT) :])


@dataclass
class HttpGet:
    """An open response: `length` body bytes from `offset` of a `total`-byte file."""

    offset: int
    length: int
    total: int
    receiver: Receiver
    transport: asyncio.Transport
    idle_timeout: float
    received: int = 0

    async def next_block(self) -> memoryview | None:
        """The next block of the body (give it back with `release`), None after the last one.

        Raises `CameraConnectionError` when the body ends early.
        """
        if self.received >= self.length:
            return None
        try:
            block = await self.receiver.next_block(self.idle_timeout)
        except TimeoutError as exc:
            raise CameraTimeoutError(f"no data for {self.idle_timeout:g} s") from exc
        if block is None:
            raise CameraConnectionError(
                f"web connection closed after {self.received} of {self.length} bytes"
            )
        self.received += len(block)
        return block

    def release(self, block: memoryview) -> None:
        """Give a block back once it is written and hashed."""
        self.receiver.release(block)

    async def close(self) -> None:
        """Close the connection."""
        self.transport.close()


async def open_http_get(
    host: str, port: int, camera_path: str, offset: int, timeout: float, idle_timeout: float
) -> HttpGet:
    """GET a card file from `offset` (a Range request when > 0)."""
    target = http_url_path(camera_path)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            transport, receiver = await loop.create_connection(
                lambda: Receiver(head=True), host, port
            )
    except (OSError, TimeoutError) as exc:
        raise CameraConnectionError(f"cannot reach the web port {host}:{port}: {exc}") from exc
    try:
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
        if offset:
            lines.append(f"Range: bytes={offset}-")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        async with asyncio.timeout(timeout):
            head = await receiver.head()
        if head is None:
            if isinstance(receiver.error, ConnectionResetError):
                raise HttpClosedError("the web port reset the connection without answering")
            if not receiver.head_partial:
                raise HttpClosedError("the web port closed the connection without answering")
            raise CameraConnectionError("the web port closed the connection mid-header")
        return _parse_head(head, camera_path, offset, receiver, transport, idle_timeout)
    except TimeoutError as exc:
        transport.close()
        raise CameraConnectionError(f"web request for {camera_path} failed: timed out") from exc
    except BaseException:
        transport.close()
        raise


def _parse_head(
    head: bytes,
    camera_path: str,
    offset: int,
    receiver: Receiver,
    transport: asyncio.Transport,
    idle_timeout: float,
) -> HttpGet:
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP response: {status_line!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = _int_header(headers, "content-length")
    if status == 404:
        raise InvalidPathError(-26, MsgId.GET_FILE, f"{camera_path} (HTTP 404)")
    if status == 416:
        match = _UNSATISFIED_RANGE.match(headers.get("content-range", ""))
        if match is None:
            raise ProtocolError("HTTP 416 without the file size in Content-Range")
        total = int(match[1])
        receiver.expect(0)
        return HttpGet(offset, 0, total, receiver, transport, idle_timeout)
    if status == 200:
        if length is None:
            raise ProtocolError("HTTP response without Content-Length")
        receiver.expect(length)
        return HttpGet(0, length, length, receiver, transport, idle_timeout)
    if status == 206:
        match = _CONTENT_RANGE.match(headers.get("content-range", ""))
        if match is None or length is None:
            raise ProtocolError("HTTP 206 without Content-Range or Content-Length")
        start, end, total = int(match[1]), int(match[2]), int(match[3])
        if end - start + 1 != length:
            raise ProtocolError(f"HTTP 206: Content-Range {start}-{end} vs length {length}")
        receiver.expect(length)
        return HttpGet(start, length, total, receiver, transport, idle_timeout)
    raise ProtocolError(f"HTTP {status} for {camera_path}")


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.isdigit() else None
