"""A minimal HTTP/1.1 GET client for the camera's web server: one request per connection.

`open_http_get` sends the request and reads the response head on the event loop, then hands
over the socket: the body is for the caller to read (`yicam._download`, in a worker thread).
"""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import dataclass
from urllib.parse import quote

from ._errors import CameraConnectionError, InvalidPathError, ProtocolError
from ._ids import MsgId
from ._transfer import connect_socket, shutdown

__all__ = ["CARD_ROOT", "HttpGet", "http_url_path", "open_http_get"]

CARD_ROOT = "/tmp/fuse_d"
_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes\s+\*/(\d+)$")
HEAD_LIMIT = 64 * 1024


class HttpClosedError(CameraConnectionError):
    """The web port closed the connection before answering (a Yi 1 before 259)."""


def http_url_path(camera_path: str) -> str:
    """The URL path of a card file: `/tmp/fuse_d/DCIM/...` becomes `/DCIM/...`."""
    if not camera_path.startswith(CARD_ROOT + "/"):
        raise InvalidPathError(-26, MsgId.GET_FILE, f"{camera_path} is not on the card")
    return quote(camera_path[len(CARD_ROOT) :])


@dataclass
class HttpGet:
    """An open response: `length` body bytes from `offset` of a `total`-byte file.

    The body is `first` (received with the head), then the rest from `sock`.
    """

    offset: int
    length: int
    total: int
    sock: socket.socket
    first: bytes
    idle_timeout: float
    name = "web"

    def stop(self) -> None:
        """Shut the connection down (from the loop, while a thread reads it)."""
        shutdown(self.sock)

    async def close(self) -> None:
        """Close the connection."""
        self.sock.close()


async def open_http_get(
    host: str, port: int, camera_path: str, offset: int, timeout: float, idle_timeout: float
) -> HttpGet:
    """GET a card file from `offset` (a Range request when > 0)."""
    target = http_url_path(camera_path)
    try:
        sock = await connect_socket(host, port, timeout)
    except (OSError, TimeoutError) as exc:
        raise CameraConnectionError(f"cannot reach the web port {host}:{port}: {exc}") from exc
    try:
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
        if offset:
            lines.append(f"Range: bytes={offset}-")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        async with asyncio.timeout(timeout):
            head, first = await _exchange(sock, request)
        return _parse_head(head, first, camera_path, offset, sock, idle_timeout)
    except TimeoutError as exc:
        sock.close()
        raise CameraConnectionError(f"web request for {camera_path} failed: timed out") from exc
    except BaseException:
        sock.close()
        raise


async def _exchange(sock: socket.socket, request: bytes) -> tuple[bytes, bytes]:
    """Send the request; the response head and the body bytes that came with it."""
    loop = asyncio.get_running_loop()
    data = b""
    while (end := data.find(b"\r\n\r\n")) < 0:
        if len(data) >= HEAD_LIMIT:
            raise ProtocolError("HTTP response head too long")
        try:
            if request:
                await loop.sock_sendall(sock, request)
                request = b""
            chunk = await loop.sock_recv(sock, HEAD_LIMIT)
        except (ConnectionResetError, BrokenPipeError) as exc:
            if data:
                raise CameraConnectionError("the web port reset the connection mid-header") from exc
            raise HttpClosedError("the web port reset the connection without answering") from exc
        except OSError as exc:
            raise CameraConnectionError(f"web request failed: {exc}") from exc
        if not chunk:
            if data:
                raise CameraConnectionError("the web port closed the connection mid-header")
            raise HttpClosedError("the web port closed the connection without answering")
        data += chunk
    return data[: end + 4], data[end + 4 :]


def _parse_head(
    head: bytes,
    first: bytes,
    camera_path: str,
    offset: int,
    sock: socket.socket,
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
        return HttpGet(offset, 0, total, sock, b"", idle_timeout)
    if status == 200:
        if length is None:
            raise ProtocolError("HTTP response without Content-Length")
        return HttpGet(0, length, length, sock, first[:length], idle_timeout)
    if status == 206:
        match = _CONTENT_RANGE.match(headers.get("content-range", ""))
        if match is None or length is None:
            raise ProtocolError("HTTP 206 without Content-Range or Content-Length")
        start, end, total = int(match[1]), int(match[2]), int(match[3])
        if end - start + 1 != length:
            raise ProtocolError(f"HTTP 206: Content-Range {start}-{end} vs length {length}")
        return HttpGet(start, length, total, sock, first[:length], idle_timeout)
    raise ProtocolError(f"HTTP {status} for {camera_path}")


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.isdigit() else None
