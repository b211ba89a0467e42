"""A scripted hostile camera: serves chosen listings, replies and data, lies included.

`HostileCamera` speaks just enough of the protocol for file work (257/258, 1282 listings,
1285 gets with `get_file_complete`, 1287, 1281, 1025 thumbnails, 259/260) on a control port,
a data port and a web port, all on loopback. Each `CardFile` says what the camera claims (its
listed size, the 1285 reply, the HTTP length) and what it really sends, attempt by attempt
(`faults`: cut the connection or go silent after some bytes). It records what it was asked
(`gets`, `deleted`) so tests can check resumes and deletions.

    async with HostileCamera({"100MEDIA": {"A.jpg": CardFile(b"...")}}) as cam:
        async with cam.client(stall_timeout=...) as client: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from yicam import Camera

DCIM = "/tmp/fuse_d/DCIM"
Fault = tuple[Literal["cut", "stall"], int] | None  # after this many bytes; None: all goes well


@dataclass
class CardFile:
    """One file on the hostile camera's card, with the lies it tells about it."""

    data: bytes
    listed: int | None = None  # the size in the listing (default: the real size)
    size: int | None = None  # the 1285 reply's `size` (default: the real size)
    rem_size: int | None = None  # the 1285 reply's `rem_size` (default: size - offset)
    extra: bytes = b""  # sent after the announced bytes, on the data port and over HTTP
    http_length: int | None = None  # the HTTP Content-Length / total (default: the truth)
    faults: list[Fault] = field(default_factory=list)  # one per attempt, data port or HTTP
    complete: Literal["ok", "fail", "none"] = "ok"  # the notification after the bytes
    date: str = "2024-01-02 03:04:05"


@dataclass
class Get:
    """One 1285 or HTTP GET the camera received."""

    path: str
    offset: int
    via: Literal["data", "http"]


# folder -> a reply to send instead; HANGUP closes the control connection instead of answering
ListingRule = Callable[[str], dict[str, Any] | None]
HANGUP: dict[str, Any] = {"hangup": True}


class HostileCamera:
    """Control, data and web servers on 127.0.0.1 that follow the script in `folders`."""

    def __init__(
        self,
        folders: dict[str, dict[str, CardFile]],
        *,
        raw_listing: dict[str, list[dict[str, str]]] | None = None,
        listing_reply: ListingRule | None = None,
        thumbs: dict[str, tuple[int, bytes]] | None = None,
        web_thumbs: dict[str, bytes] | None = None,
        model: str | None = "Z18",
        silent: frozenset[int] = frozenset(),
    ) -> None:
        self.folders = folders
        self.raw_listing = raw_listing or {}  # extra entries, e.g. a name no file has
        self.listing_reply = listing_reply or (lambda folder: None)
        self.thumbs = thumbs or {}  # path -> (announced size, bytes actually sent) for 1025
        self.web_thumbs = web_thumbs or {}  # "path?type=thumb" -> the JPEG the web port sends
        self.model = model
        self.silent = silent  # msg ids never answered
        self.requests: list[int] = []  # every msg id received, in order
        self.gets: list[Get] = []
        self.deleted: list[str] = []
        self.thumb_requests: list[str] = []  # 1025s
        self.sent: dict[str, int] = {}  # bytes written per path, over all attempts
        self.port = self.data_port = self.http_port = 0
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._data_conns: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()
        self._release = asyncio.Event()  # ends every stall when the camera closes

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> HostileCamera:
        control = await asyncio.start_server(self._control, "127.0.0.1", 0)
        data = await asyncio.start_server(self._data, "127.0.0.1", 0)
        web = await asyncio.start_server(self._web, "127.0.0.1", 0)
        self._servers = [control, data, web]
        self.port, self.data_port, self.http_port = (
            s.sockets[0].getsockname()[1] for s in self._servers
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            writer.close()
        if self._tasks:
            _done, hanging = await asyncio.wait(set(self._tasks), timeout=2.0)
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    @contextlib.asynccontextmanager
    async def client(self, **kwargs: Any) -> AsyncIterator[Camera]:
        """A connected `Camera` for this fake (short timeouts unless given)."""
        kwargs.setdefault("timeout", 2.0)
        kwargs.setdefault("event_timeout", 5.0)
        cam = Camera(
            "127.0.0.1", self.port, data_port=self.data_port, http_port=self.http_port, **kwargs
        )
        async with cam:
            yield cam

    def file(self, path: str) -> CardFile:
        """The card file at camera path `path`."""
        folder, name = path.removeprefix(DCIM + "/").split("/", 1)
        return self.folders[folder][name]

    # -- the control port -----------------------------------------------------------------

    async def _control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._track(writer)
        decoder = json.JSONDecoder()
        buffer = ""
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                buffer += data.decode()
                while buffer.strip():
                    try:
                        request, end = decoder.raw_decode(buffer.lstrip())
                    except ValueError:
                        break
                    buffer = buffer.lstrip()[end:]
                    await self._answer(request, writer)
        writer.close()

    async def _answer(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        msg_id = request.get("msg_id")
        param = request.get("param")
        self.requests.append(int(msg_id) if isinstance(msg_id, int) else -1)
        if msg_id in self.silent:
            return
        reply: dict[str, Any] = {"rval": 0, "msg_id": msg_id}
        if msg_id == 257:
            reply["param"] = 1
            if self.model:
                reply["model"] = self.model
        elif msg_id == 1282 and isinstance(param, str):
            reply = self._listing(param.split(" ")[0].rstrip("/"), reply)
            if reply.get("hangup"):
                writer.close()
                return
        elif msg_id == 1285 and isinstance(param, str):
            await self._get(param, int(request.get("offset") or 0), writer)
            return
        elif msg_id == 1281 and isinstance(param, str):
            self.deleted.append(param)
        elif msg_id == 1025 and isinstance(param, str):
            await self._thumb(param, writer)
            return
        elif msg_id not in (258, 259, 260, 1287):
            reply["rval"] = -23
        self._send(writer, reply)

    def _listing(self, folder: str, reply: dict[str, Any]) -> dict[str, Any]:
        name = folder.removeprefix(DCIM).strip("/")
        special = self.listing_reply(name)
        if special is not None:
            return {"msg_id": 1282, **special}
        if folder == DCIM:
            entries = [{f"{f}/": "4096 bytes|2024-01-01 00:00:00"} for f in self.folders]
        elif name in self.folders:
            entries = [
                {n: f"{f.listed if f.listed is not None else len(f.data)} bytes|{f.date}"}
                for n, f in self.folders[name].items()
            ]
        else:
            return {"rval": -26, "msg_id": 1282}
        reply["listing"] = entries + self.raw_listing.get(name, [])
        return reply

    async def _get(self, path: str, offset: int, control: asyncio.StreamWriter) -> None:
        try:
            card = self.file(path)
        except (KeyError, ValueError):
            self._send(control, {"rval": -26, "msg_id": 1285})
            return
        self.gets.append(Get(path, offset, "data"))
        data = await self._data_connection()
        if data is None:
            self._send(control, {"rval": -14, "msg_id": 1285})
            return
        size = card.size if card.size is not None else len(card.data)
        rem = card.rem_size if card.rem_size is not None else size - offset
        self._send(control, {"rval": 0, "msg_id": 1285, "rem_size": rem, "size": size})
        fault = card.faults.pop(0) if card.faults else None
        body = card.data[offset:] + card.extra

        async def send() -> None:
            sent = await self._stream(data, path, body, fault)
            if sent < len(card.data) - offset or card.complete == "none":
                return
            kind = "get_file_complete" if card.complete == "ok" else "get_file_fail"
            md5 = hashlib.md5(card.data).hexdigest()
            param = [{"bytes sent": len(card.data) - offset}, {"md5sum": md5}]
            self._send(control, {"msg_id": 7, "type": kind, "param": param})

        self._spawn(send())

    async def _thumb(self, path: str, control: asyncio.StreamWriter) -> None:
        self.thumb_requests.append(path)
        announced, body = self.thumbs.get(path, (0, b""))
        data = await self._data_connection()
        if data is None:
            self._send(control, {"rval": -14, "msg_id": 1025})
            return
        self._send(control, {"rval": 0, "msg_id": 1025, "size": announced, "type": "thumb"})
        self._spawn(self._stream(data, path, body, ("stall", len(body))))

    async def _data_connection(self) -> asyncio.StreamWriter | None:
        """The client's newest open data connection (it connects before asking)."""
        try:
            async with asyncio.timeout(2.0):
                while (writer := await self._data_conns.get()).is_closing():
                    pass
        except TimeoutError:
            return None
        return writer

    def _send(self, writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
        if not writer.is_closing():
            writer.write(json.dumps(message).encode())

    # -- the data port --------------------------------------------------------------------

    async def _data(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._track(writer)
        await self._data_conns.put(writer)
        with contextlib.suppress(ConnectionError, OSError):
            await reader.read()  # until the client closes it
        writer.close()

    async def _stream(
        self, writer: asyncio.StreamWriter, path: str, body: bytes, fault: Fault
    ) -> int:
        """Send `body` (as far as `fault` lets it); returns the bytes sent."""
        limit = len(body) if fault is None else min(fault[1], len(body))
        sent = 0
        with contextlib.suppress(ConnectionError, OSError):
            for start in range(0, limit, 65536):
                chunk = body[start : min(start + 65536, limit)]
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                self.sent[path] = self.sent.get(path, 0) + len(chunk)
            if fault is not None and fault[0] == "stall":
                await self._release.wait()
        if fault is not None:
            writer.close()
        return sent

    # -- the web port ---------------------------------------------------------------------

    async def _web(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._track(writer)
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            target = head.split(" ")[1]
            url = urlsplit(target)
            path = "/tmp/fuse_d" + unquote(url.path)
            offset = 0
            for line in head.split("\r\n"):
                if line.lower().startswith("range: bytes="):
                    offset = int(line.split("=")[1].split("-")[0])
            await self._serve(writer, path, url.query, offset)
        writer.close()

    async def _serve(
        self, writer: asyncio.StreamWriter, path: str, query: str, offset: int
    ) -> None:
        if query:
            preview = self.web_thumbs.get(f"{path}?{query}")
            if preview is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                return
            head = f"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: {len(preview)}"
            writer.write(head.encode() + b"\r\n\r\n" + preview)
            return
        try:
            card = self.file(path)
        except (KeyError, ValueError):
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        self.gets.append(Get(path, offset, "http"))
        total = card.http_length if card.http_length is not None else len(card.data)
        fault = card.faults.pop(0) if card.faults else None
        if offset:
            head = (
                f"HTTP/1.1 206 Partial Content\r\nContent-Length: {total - offset}\r\n"
                f"Content-Range: bytes {offset}-{total - 1}/{total}\r\n\r\n"
            )
        else:
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n"
        writer.write(head.encode())
        await self._stream(writer, path, card.data[offset:] + card.extra, fault)

    # -- helpers --------------------------------------------------------------------------

    def _track(self, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._writers.add(writer)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
