"""One control-port (7878) connection of the emulated camera, and the session rules."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from .._errors import ProtocolError
from .._tasks import cancel_and_wait
from .._wire.ids import MsgId, Notify
from .._wire.messages import Notification, Reply, Request, Style, encode
from .._wire.protocol import Role, YiProtocol
from .card import CardPathError
from .faults import Faults
from .state import CameraState

__all__ = ["ControlSession", "Handler"]

_LOG = logging.getLogger(__name__)
HOLDER_QUERY_TIMEOUT = 0.8  # the camera waits 800 ms for the holder's 1793 answer

Handler = Callable[["ControlSession", Request], Awaitable[Reply | None]]


class ControlSession:
    """Reads requests, checks the session, runs handlers and writes replies in order."""

    def __init__(
        self,
        state: CameraState,
        handlers: dict[int, Handler],
        faults: Faults,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        number: int = 0,
    ) -> None:
        self.state = state
        self.handlers = handlers
        self.faults = faults
        self.cwd = "/tmp/fuse_d"
        self.token = 0
        self.client_ip: str | None = None  # what msg 261 said, for the data port
        self.on_end: list[Callable[[], None]] = []  # e.g. cancel this session's transfers
        self._reader = reader
        self._writer = writer
        style = Style.SPACED if state.profile.spaced_json else Style.COMPACT
        self._protocol = YiProtocol(Role.CAMERA, style=style)
        self._out: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._holder_answer: asyncio.Future[int] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rng = faults.rng(number)  # the emulator's `number`-th control connection
        self._closed = asyncio.Event()
        sock = writer.get_extra_info("socket")
        if sock is not None and faults.split:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def peer_host(self) -> str:
        """The client's IP address (the data port associates its connections by it)."""
        peer = self._writer.get_extra_info("peername")
        return str(peer[0]) if peer else ""

    @property
    def data_host(self) -> str:
        """The address whose data connections serve this session (261's, else the peer's)."""
        return self.client_ip or self.peer_host

    # -- outgoing --------------------------------------------------------------------------

    def send(self, obj: Reply | Notification | Request | dict[str, Any]) -> None:
        """Queue one message; the writer task sends queued messages in order."""
        payload = obj if isinstance(obj, dict) else obj.to_json()
        self._out.put_nowait(encode(payload, self._protocol.style))

    def notify(self, kind: Notify | str, param: Any = None, **fields: Any) -> None:
        """Queue a msg 7 notification."""
        self.send(Notification(kind, param, fields))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run background work (delayed notifications) tied to this connection."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resolve(self, req: Request, default: str | None = None) -> Path | Reply:
        """The local file named by the request's `param`, or the error reply (-9, -26)."""
        param = req.fields.get("param", default)
        if not isinstance(param, str):
            return Reply(req.msg_id, -9)
        try:
            return self.state.card.local_path(param, self.cwd)
        except CardPathError:
            return Reply(req.msg_id, -26)

    async def sleep(self, seconds: float) -> None:
        """A realistic camera delay, scaled by the emulator's time scale."""
        await asyncio.sleep(seconds * self.state.time_scale)

    def close(self) -> None:
        """Drop the connection (as a camera does when it reboots or crashes)."""
        self._out.put_nowait(None)

    # -- main loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until the client leaves or the camera drops it."""
        self.state.sessions.add(self)
        writer_task = asyncio.create_task(self._write_loop())
        try:
            if self.state.profile.vf_stop_on_connect:
                # A Yi 1 stops its viewfinder for a new connection and says so (section 7).
                self.state.viewfinder = False
                self.notify(Notify.VF_STOP)
            while not writer_task.done():
                data = await self._read(writer_task)
                if not data:
                    break
                try:
                    requests = self._protocol.receive_data(data)
                except ProtocolError:
                    self._protocol.discard_buffer()
                    self.send({"rval": -7})  # Yi 1's answer to bytes that are not a JSON object
                    continue
                for request in requests:
                    assert isinstance(request, Request)
                    await self._handle(request)
        except (ConnectionError, OSError):
            pass
        finally:
            self._end()
            self._out.put_nowait(None)
            with contextlib.suppress(Exception):
                await writer_task
            await cancel_and_wait(self._tasks)
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()

    async def _read(self, writer_task: asyncio.Task[None]) -> bytes:
        read = asyncio.ensure_future(self._reader.read(65536))
        done, _ = await asyncio.wait({read, writer_task}, return_when=asyncio.FIRST_COMPLETED)
        if read not in done:
            await cancel_and_wait(read)
            return b""
        return read.result()

    async def _handle(self, request: Request) -> None:
        msg_id = request.msg_id
        self.state.received[msg_id] += 1
        if msg_id == MsgId.QUERY_SESSION_HOLDER:
            # The holder's answer needs no token; a missing rval reads as 0, "keep".
            rval = request.fields.get("rval", 0)
            if self._holder_answer is not None and not self._holder_answer.done():
                self._holder_answer.set_result(rval if isinstance(rval, int) else -1)
            return
        await self._think()
        if msg_id == 0:
            empty = not request.fields and request.token is None
            self.send({"rval": -4 if empty else -9, "msg_id": 0})
            return
        if msg_id == MsgId.START_SESSION:
            await self._start_session()
            return
        if self.state.token == 0:
            self.send(Reply(msg_id, -14))  # no session until a new 257
            return
        if request.token != self.state.token or self.state.holder is not self:
            self.send(Reply(msg_id, -4))
            return
        if msg_id == MsgId.STOP_SESSION:
            self._end()
            self.send(Reply(msg_id))
            return
        handler = self.handlers.get(msg_id)
        if handler is None:
            self.send(Reply(msg_id, -23))
            return
        try:
            reply = await handler(self, request)
        except Exception:
            # An emulator bug must not look like a camera dropping the connection.
            _LOG.exception("msg %d failed", msg_id)
            reply = Reply(msg_id, -1)
        if reply is not None:
            self.send(reply)

    async def _think(self) -> None:
        """The camera's time to answer a command (`reply_latency`); one command at a time,
        so requests that arrive meanwhile wait their turn, as on the camera."""
        low, high = self.state.reply_latency
        if high > 0:
            await self.sleep(self._rng.uniform(low, high))

    async def _start_session(self) -> None:
        state = self.state
        holder = state.holder
        if holder is not None and holder is not self and not holder._closed.is_set():
            if await holder._query_holder():
                self.send(Reply(MsgId.START_SESSION, -3))
                return
            holder._end()
        state.holder = self
        state.token = self.token = state.new_token()
        fields: dict[str, Any] = {"param": self.token}
        if state.profile.model_in_257:
            host = state.announced_host or self._writer.get_extra_info("sockname")[0]
            fields["model"] = state.profile.model_id
            fields["rtsp"] = state.rtsp_url(host)
        self.send(Reply(MsgId.START_SESSION, 0, fields))

    async def _query_holder(self) -> bool:
        """Ask this (holding) client whether it keeps the session; True if it does."""
        self._holder_answer = asyncio.get_running_loop().create_future()
        self.send({"msg_id": int(MsgId.QUERY_SESSION_HOLDER)})
        try:
            async with asyncio.timeout(HOLDER_QUERY_TIMEOUT):
                return await self._holder_answer == 0
        except TimeoutError:
            return False
        finally:
            self._holder_answer = None

    def _end(self) -> None:
        """End this connection's session (258, take-over or disconnect)."""
        if self.state.holder is self:
            self.state.holder = None
            self.state.token = 0
        for callback in self.on_end:
            callback()
        self.on_end.clear()

    # -- writing with faults ---------------------------------------------------------------

    async def _write_loop(self) -> None:
        faults = self.faults
        drop_after = self._rng.randint(40, 4000) if faults.drop else None
        written = 0
        try:
            while (data := await self._out.get()) is not None:
                if faults.delay:
                    await asyncio.sleep(faults.delay)
                if faults.glue:
                    await asyncio.sleep(0.02)  # let replies and notifications pile up
                    while not self._out.empty():
                        more = self._out.get_nowait()
                        if more is None:
                            self._out.put_nowait(None)
                            break
                        data += more
                if drop_after is not None and written + len(data) >= drop_after:
                    self._writer.write(data[: drop_after - written])
                    await self._writer.drain()
                    return
                written += len(data)
                if faults.split:
                    await self._write_split(data)
                else:
                    self._writer.write(data)
                    await self._writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._closed.set()

    async def _write_split(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            size = self._rng.randint(1, 7)
            self._writer.write(data[pos : pos + size])
            await self._writer.drain()
            await asyncio.sleep(0)
            pos += size
