"""The emulated camera's web server (port 80): the card's files under /DCIM/, with Range.

A minimal HTTP/1.1 server for GET and HEAD, one request per connection (`Connection: close`).
`<file>?type=thumb` answers a small JPEG (the photo's `.THM`, or a video's thumbnail) and
`?type=screen` a screen-sized one, as the camera's web server does (digiCamControl).
On the Yi 1 (fw 1.2.10 and later) the web port answers only after 259: the emulator models
that by accepting the connection and closing it without a response while the viewfinder is
off, which a client sees as an immediate end of stream rather than a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import posixpath
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .._tasks import cancel_and_wait
from .card import CARD_ROOT, CardPathError
from .faults import Faults
from .file_stream import DataCut, send_file
from .state import CameraState

__all__ = ["FALLBACK_PORT", "HttpServer"]

FALLBACK_PORT = 8080  # when port 80 needs privileges we do not have
_HEAD_LIMIT = 16 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TYPES = {".jpg": "image/jpeg", ".thm": "image/jpeg", ".mp4": "video/mp4"}
_REASONS = {
    200: "OK",
    206: "Partial Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    416: "Range Not Satisfiable",
}


class HttpServer:
    """Serves `GET /DCIM/...` from the emulated card."""

    def __init__(self, state: CameraState, faults: Faults) -> None:
        self.state = state
        self.faults = faults
        self._rng = faults.rng()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on `port`, or on 8080 when port 80 is not allowed; returns the bound port."""
        try:
            self._server = await asyncio.start_server(self._serve, host, port)
        except OSError as exc:
            if port != 80 or exc.errno not in (errno.EACCES, errno.EPERM):
                raise
            self._server = await asyncio.start_server(self._serve, host, FALLBACK_PORT)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        await cancel_and_wait(self._tasks)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            with contextlib.suppress(ConnectionError, OSError, DataCut, asyncio.LimitOverrunError):
                head = await reader.readuntil(b"\r\n\r\n")
                if self._silent():
                    return  # closed without a word until 259
                await self._respond(head.decode("latin-1"), writer)
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self._tasks.discard(task)

    def _silent(self) -> bool:
        state = self.state
        needs_vf = state.profile.quirks.http_needs_viewfinder and state.firmware == "new"
        return needs_vf and not state.viewfinder

    async def _respond(self, head: str, writer: asyncio.StreamWriter) -> None:
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await _reply(writer, 400)
            return
        method, target, _version = parts
        if method not in ("GET", "HEAD"):
            await _reply(writer, 405, {"Allow": "GET, HEAD"})
            return
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        url = urlsplit(target)
        local = self._file(unquote(url.path))
        if local is None:
            await _reply(writer, 404)
            return
        preview = parse_qs(url.query).get("type", [""])[-1]
        if preview in ("thumb", "screen") and local.suffix.lower() in (".jpg", ".mp4"):
            await self._preview(writer, method, local, preview)
            return
        size = local.stat().st_size
        start, end = 0, size  # end is exclusive
        status = 200
        extra = {
            "Content-Type": _TYPES.get(local.suffix.lower(), "application/octet-stream"),
            "Accept-Ranges": "bytes",
        }
        wanted = _parse_range(headers.get("range"), size)
        if isinstance(wanted, str):  # "unsatisfiable"
            await _reply(writer, 416, {"Content-Range": f"bytes */{size}"})
            return
        if wanted is not None:
            start, end = wanted
            status = 206
            extra["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        await _reply(writer, status, extra, end - start)
        if method == "GET":
            await send_file(writer, local, start, end - start, self.faults, self._rng)

    async def _preview(
        self, writer: asyncio.StreamWriter, method: str, local: Path, size: str
    ) -> None:
        data = self.state.card.preview(local, size)
        await _reply(writer, 200, {"Content-Type": "image/jpeg"}, len(data))
        if method == "GET":
            writer.write(data)
            await writer.drain()

    def _file(self, url_path: str) -> Path | None:
        if not posixpath.normpath(url_path).startswith("/DCIM/"):
            return None  # `..` may not climb out of DCIM
        try:
            local = self.state.card.local_path(CARD_ROOT + url_path)
            return local if local.is_file() else None
        except (CardPathError, OSError):
            return None


def _parse_range(value: str | None, size: int) -> tuple[int, int] | str | None:
    """One `bytes=a-b` range as (start, end-exclusive); None to serve it all."""
    if value is None:
        return None
    match = _RANGE.match(value.replace(" ", ""))
    if match is None or match[1] == match[2] == "":
        return None  # several ranges or nonsense: ignoring Range is allowed
    first, last = match[1], match[2]
    if first == "":
        suffix = int(last)
        if suffix == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size
    start = int(first)
    if last != "" and int(last) < start:
        return None  # an invalid range is ignored
    if start >= size:
        return "unsatisfiable"
    end = size if last == "" else min(int(last) + 1, size)
    return start, end


async def _reply(
    writer: asyncio.StreamWriter,
    status: int,
    headers: dict[str, str] | None = None,
    length: int = 0,
) -> None:
    lines = [f"HTTP/1.1 {status} {_REASONS[status]}", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines.append("Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
