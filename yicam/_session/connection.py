"""The asyncio driver: one socket, one reader task, one request in flight.

A `Connection` lives for one TCP connection; the session opens a new one to reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Self

from .._errors import (
    CameraConnectionError,
    CameraTimeoutError,
    NotConnectedError,
    ProtocolError,
    YicamError,
)
from .._tasks import cancel_and_wait
from .._wire.ids import MsgId
from .._wire.messages import Notification, Reply, Request
from .._wire.protocol import Role, YiProtocol
from .events import Disconnected, Event, SessionRequested
from .interface import connect, resend_sooner

__all__ = ["UNREACHABLE_HINT", "Connection"]

_LOG = logging.getLogger(__name__)
_READ_SIZE = 65536

UNREACHABLE_HINT = "is this computer on the camera's Wi-Fi?"


class Connection:
    """Send requests, match replies by msg_id, and hand everything else to `sink`.

    `sink` receives every notification, `SessionRequested`, and exactly one `Disconnected`
    (error None after `close()`) when the connection ends.
    """

    def __init__(self, sink: Callable[[Event], None], *, keep_session: bool = True) -> None:
        self.keep_session = keep_session
        self.session_given_away = False
        self._sink = sink
        self._protocol = YiProtocol(Role.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._read_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._pending: tuple[int, asyncio.Future[Reply]] | None = None
        self._sent_at: float | None = None  # loop time the pending request was written
        self._error: Exception | None = None

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        timeout: float,
        sink: Callable[[Event], None],
        *,
        keep_session: bool = True,
        interface: str | None = None,
    ) -> Self:
        """Connect to the camera's control port (through `interface`, None: any)."""
        conn = cls(sink, keep_session=keep_session)
        try:
            async with asyncio.timeout(timeout):
                sock = await connect(host, port, interface)
                resend_sooner(sock)
                conn._reader, conn._writer = await asyncio.open_connection(sock=sock)
        except TimeoutError as exc:
            raise CameraTimeoutError(
                f"no answer from {host}:{port} within {timeout:g} s ({UNREACHABLE_HINT})"
            ) from exc
        except OSError as exc:
            raise CameraConnectionError(
                f"cannot connect to {host}:{port}: {exc.strerror or exc} ({UNREACHABLE_HINT})"
            ) from exc
        conn._read_task = asyncio.create_task(conn._read_loop(), name=f"yicam-read-{host}")
        return conn

    @property
    def local_address(self) -> str | None:
        """This computer's address on the connection (None when not connected)."""
        if self._writer is None:
            return None
        sockname = self._writer.get_extra_info("sockname")
        return str(sockname[0]) if sockname else None

    @property
    def connected(self) -> bool:
        """True while the socket is open and no fatal error happened."""
        return self._writer is not None and self._error is None

    @property
    def error(self) -> Exception | None:
        """The first error that ended the connection (None while up or after close)."""
        return self._error

    async def close(self) -> None:
        """Close the socket and stop the reader; a pending call fails."""
        self._fail(CameraConnectionError("connection closed"), clean=True)
        await cancel_and_wait(self._read_task)
        self._read_task = None
        if self._writer is not None:
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()

    def abort(self, error: Exception) -> None:
        """End the connection now with `error` (the camera stopped answering)."""
        self._fail(error)

    async def request(self, request: Request, timeout: float) -> Reply:
        """Send one request and return the reply with the same msg_id.

        Raises `NotConnectedError` when nothing was sent; any other connection error means
        the request may have reached the camera.
        """
        async with self._lock:
            if self._error is not None or self._writer is None or self._writer.is_closing():
                raise NotConnectedError(f"not connected: {self._error or 'closed'}")
            future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            self._pending = (int(request.msg_id), future)  # registered before the write
            try:
                self._writer.write(self._protocol.send(request))
                self._sent_at = time.monotonic()
                async with asyncio.timeout(timeout):
                    return await future
            except TimeoutError as exc:
                raise CameraTimeoutError(
                    f"camera did not answer msg {int(request.msg_id)} within {timeout:g} s"
                ) from exc
            finally:
                self._pending = self._sent_at = None

    @contextlib.asynccontextmanager
    async def reserved(
        self, request: Request
    ) -> AsyncIterator[tuple[bytes, asyncio.Future[Reply]]]:
        """Hold the request slot: yields the encoded request and its reply's future.

        The caller writes the bytes with `write` when it chooses: a fleet trigger writes
        every camera's request in one pass. `request` is this plus a write and a wait.
        """
        async with self._lock:
            if self._error is not None or self._writer is None:
                raise NotConnectedError(f"not connected: {self._error or 'closed'}")
            future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            self._pending = (int(request.msg_id), future)
            try:
                yield self._protocol.send(request), future
            finally:
                self._pending = self._sent_at = None
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved: the caller may not have awaited it
                future.cancel()

    def write(self, data: bytes) -> None:
        """Write bytes now (for `reserved`); raises when the connection is gone."""
        if self._error is not None or self._writer is None or self._writer.is_closing():
            raise NotConnectedError(f"not connected: {self._error or 'closed'}")
        self._writer.write(data)
        if self._pending is not None:
            self._sent_at = time.monotonic()

    def nudge(self) -> None:
        """Write a newline now, when connected (see `Session.nudge`)."""
        if self._error is None and self._writer is not None and not self._writer.is_closing():
            self._writer.write(b"\n")

    @property
    def unanswered_for(self) -> float:
        """Seconds the request on the wire has waited for its reply (0.0 when none waits)."""
        if self._sent_at is None:
            return 0.0
        return max(0.0, time.monotonic() - self._sent_at)

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while True:
                data = await self._reader.read(_READ_SIZE)
                if not data:
                    raise CameraConnectionError("the camera closed the connection")
                for message in self._protocol.receive_data(data):
                    self._dispatch(message)
        except asyncio.CancelledError:
            raise
        except ProtocolError as exc:
            self._fail(ProtocolError(f"garbage from the camera: {exc}"))
        except YicamError as exc:
            self._fail(exc)
        except OSError as exc:
            self._fail(CameraConnectionError(f"connection to the camera lost: {exc}"))
        except Exception as exc:  # a bug must not end the reader silently: every caller hears
            _LOG.exception("control reader failed")
            error = ProtocolError(f"cannot read the camera's messages: {exc!r}")
            error.__cause__ = exc
            self._fail(error)

    def _dispatch(self, message: Reply | Notification | Request) -> None:
        if isinstance(message, Reply):
            pending = self._pending
            # A camera answers a request it cannot parse with msg_id 0 (or none).
            matches = pending is not None and (
                message.msg_id == pending[0] or (message.msg_id == 0 and message.rval != 0)
            )
            if pending is not None and matches and not pending[1].done():
                pending[1].set_result(message)
            else:
                _LOG.debug("dropping reply nobody waits for: %s", message)
        elif isinstance(message, Notification):
            self._emit(message)
        elif message.msg_id == MsgId.QUERY_SESSION_HOLDER:
            self._answer_session_query()

    def _answer_session_query(self) -> None:
        # The camera waits 800 ms: answer from the reader task, never behind the call lock.
        rval = 0 if self.keep_session else -1
        if self.connected and self._writer is not None:
            self._writer.write(
                self._protocol.send(Request(MsgId.QUERY_SESSION_HOLDER, None, {"rval": rval}))
            )
        if not self.keep_session:
            self.session_given_away = True
        self._emit(SessionRequested(kept=self.keep_session))

    def _emit(self, event: Event) -> None:
        try:
            self._sink(event)
        except Exception:
            _LOG.exception("event sink failed")

    def _fail(self, error: Exception, *, clean: bool = False) -> None:
        if self._error is not None:
            return  # the first error is the root cause; keep it
        self._error = error
        if self._pending is not None and not self._pending[1].done():
            self._pending[1].set_exception(error)
        if self._writer is not None:
            self._writer.close()
        self._emit(Disconnected(None if clean else error))
