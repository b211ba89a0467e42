"""A minimal HTTP/1.1 GET client for the camera's web server: one request per connection."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from .errors import (
    CameraConnectionError,
    CameraTimeoutError,
    InvalidPathError,
    ProtocolError,
)
from .ids import MsgId

__all__ = ["CARD_ROOT", "HttpGet", "http_url_path", "open_http_get"]

CARD_ROOT = "/tmp/fuse_d"
_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes\s+\*/(\d+)$")
READ_SIZE = 1024 * 1024


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
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_timeout: float

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body in chunks; raises `CameraConnectionError` when it ends early."""
        left = self.length
        while left > 0:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    data = await self.reader.read(min(READ_SIZE, left))
            except TimeoutError as exc:
                raise CameraTimeoutError(f"no data for {self.idle_timeout:g} s") from exc
            except OSError:
                data = b""
            if not data:
                got = self.length - left
                raise CameraConnectionError(
                    f"web connection closed after {got} of {self.length} bytes"
                )
            left -= len(data)
            yield data

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def open_http_get(
    host: str, port: int, camera_path: str, offset: int, timeout: float, idle_timeout: float
) -> HttpGet:
    """GET a card file from `offset` (a Range request when > 0)."""
    target = http_url_path(camera_path)
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, limit=READ_SIZE)
    except (OSError, TimeoutError) as exc:
        raise CameraConnectionError(f"cannot reach the web port {host}:{port}: {exc}") from exc
    try:
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
        if offset:
            lines.append(f"Range: bytes={offset}-")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        async with asyncio.timeout(timeout):
            head = await reader.readuntil(b"\r\n\r\n")
        return _parse_head(head, camera_path, offset, reader, writer, idle_timeout)
    except ConnectionResetError as exc:
        writer.close()
        raise HttpClosedError("the web port reset the connection without answering") from exc
    except asyncio.IncompleteReadError as exc:
        writer.close()
        if not exc.partial:
            raise HttpClosedError("the web port closed the connection without answering") from exc
        raise CameraConnectionError("the web port closed the connection mid-header") from exc
    except (OSError, TimeoutError) as exc:
        writer.close()
        raise CameraConnectionError(f"web request for {camera_path} failed: {exc}") from exc
    except BaseException:
        writer.close()
        raise


def _parse_head(
    head: bytes,
    camera_path: str,
    offset: int,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
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
        writer.close()
        raise InvalidPathError(-26, MsgId.GET_FILE, f"{camera_path} (HTTP 404)")
    if status == 416:
        match = _UNSATISFIED_RANGE.match(headers.get("content-range", ""))
        if match is None:
            raise ProtocolError("HTTP 416 without the file size in Content-Range")
        total = int(match[1])
        return HttpGet(offset, 0, total, reader, writer, idle_timeout)
    if status == 200:
        if length is None:
            raise ProtocolError("HTTP response without Content-Length")
        return HttpGet(0, length, length, reader, writer, idle_timeout)
    if status == 206:
        match = _CONTENT_RANGE.match(headers.get("content-range", ""))
        if match is None or length is None:
            raise ProtocolError("HTTP 206 without Content-Range or Content-Length")
        start, end, total = int(match[1]), int(match[2]), int(match[3])
        if end - start + 1 != length:
            raise ProtocolError(f"HTTP 206: Content-Range {start}-{end} vs length {length}")
        return HttpGet(start, length, total, reader, writer, idle_timeout)
    raise ProtocolError(f"HTTP {status} for {camera_path}")


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.isdigit() else None
