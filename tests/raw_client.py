"""A bare-socket client, as simple scripts talk to a camera: send, read, hang up."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, Self

from yicam._wire.messages import Notification, Reply, Request
from yicam._wire.protocol import Role, YiProtocol


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for `condition` to hold, checking after every turn of the loop's clock."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


class RawClient:
    """One control connection with no library behind it."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.token = 0
        self.notifications: list[Notification] = []
        self._unread: list[Any] = []  # parsed, not yet looked at
        self._proto = YiProtocol(Role.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Self:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reply = await self.call(257, token=0)
        self.token = int(reply.param)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.hang_up()

    def send(self, msg_id: int, **fields: Any) -> None:
        """Write one request without waiting for anything."""
        assert self._writer is not None
        token = fields.pop("token", self.token)
        # json.dumps as simple scripts call it: ASCII only, odd characters as \u escapes.
        self._writer.write(json.dumps(Request(msg_id, token, fields).to_json()).encode())

    async def call(self, msg_id: int, **fields: Any) -> Reply:
        """Send a request and read until its reply; notifications are kept on the way."""
        self.send(msg_id, **fields)
        async with asyncio.timeout(10):
            while True:
                message = await self._next()
                if isinstance(message, Reply) and message.msg_id in (msg_id, 0):
                    return message
                if isinstance(message, Notification):
                    self.notifications.append(message)

    async def notification(self, kind: str) -> Notification:
        """The next (or an already received) notification of type `kind`."""
        async with asyncio.timeout(10):
            while True:
                for note in self.notifications:
                    if note.type == kind:
                        self.notifications.remove(note)
                        return note
                message = await self._next()
                if isinstance(message, Notification):
                    self.notifications.append(message)

    def hang_up(self) -> None:
        """Close the socket at once, with nothing read or said."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _next(self) -> Any:
        """The next message; what came with it in the same read waits for the next call."""
        while not self._unread:
            self._unread.extend(await self._read())
        return self._unread.pop(0)

    async def _read(self) -> list[Any]:
        assert self._reader is not None
        data = await self._reader.read(65536)
        if not data:
            raise ConnectionError("the camera closed the connection")
        return self._proto.receive_data(data)
