"""The emulated camera's data port (8787): the sockets that carry raw file bytes.

A client opens a data connection first, then asks on the control port (1285, 1286, 1025).
Yi 1 clients never send msg 261, so the camera cannot be told which data connection belongs
to which control session: the emulator picks the most recent live data connection from the
control session's IP address (loopback clients share 127.0.0.1, so two clients on one
computer transferring at once can get each other's connection; a real camera has the same
ambiguity). A data connection carries one transfer at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .faults import Faults

if TYPE_CHECKING:
    from .control import ControlSession

__all__ = ["DataConnection", "DataService", "Transfer"]

# How long a request waits for its data connection to be accepted. A client connects before it
# asks, so this only runs out when the emulator's loop is starved (a loaded test machine: 1 s
# was seen to, and the -14 made `sync` skip a file) or the client never connected at all.
CONNECT_WAIT = 5.0


@dataclass(eq=False)
class DataConnection:
    """One accepted data-port socket."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    host: str
    busy: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def alive(self) -> bool:
        """Not closed by either side."""
        return not (self.closed.is_set() or self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        """Drop the socket; its server task then ends."""
        self.writer.close()
        self.closed.set()


@dataclass(eq=False)
class Transfer:
    """The transfer in one of the camera's two slots (one GET, one PUT)."""

    kind: Literal["get", "put"]
    path: str  # as the client named it in the request
    owner: ControlSession
    conn: DataConnection
    done: int = 0  # bytes moved so far
    task: asyncio.Task[None] | None = None
    on_end: Callable[[], None] | None = None


class DataService:
    """The data-port server, its connections and the GET/PUT transfer slots."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = faults.rng()  # one stream for the whole run: seeded runs repeat exactly
        self.slots: dict[str, Transfer] = {}
        self._conns: list[DataConnection] = []
        self._arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on `port` (0: any free port); returns the bound port."""
        self._server = await asyncio.start_server(self._serve, host, port)
        port_bound: int = self._server.sockets[0].getsockname()[1]
        return port_bound

    async def close(self) -> None:
        """Stop listening, cancel transfers and drop every connection."""
        if self._server is not None:
            self._server.close()
        for transfer in list(self.slots.values()):
            self.cancel(transfer)
        for conn in list(self._conns):
            conn.close()
        tasks = set(self._tasks)
        for task in tasks:
            if task.get_name().startswith("transfer"):
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def connection_for(self, host: str) -> DataConnection | None:
        """The newest idle live data connection from `host`, waiting briefly for one."""
        try:
            async with asyncio.timeout(CONNECT_WAIT):
                while True:
                    self._prune()
                    for conn in reversed(self._conns):
                        if conn.host == host and not conn.busy:
                            return conn
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            return None

    def begin(self, transfer: Transfer) -> None:
        """Take a slot; cancelled automatically when the owner's session ends."""
        self.slots[transfer.kind] = transfer
        transfer.conn.busy = True
        transfer.on_end = lambda: self.cancel(transfer)
        transfer.owner.on_end.append(transfer.on_end)

    def run(self, transfer: Transfer, coro: Coroutine[Any, Any, None]) -> None:
        """Run the transfer's byte-moving coroutine as a task the service owns."""
        task = asyncio.create_task(coro, name=f"transfer-{transfer.kind}")
        transfer.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def finish(self, transfer: Transfer) -> None:
        """Free the slot after a transfer ended normally; the connection stays open."""
        if self.slots.get(transfer.kind) is transfer:
            del self.slots[transfer.kind]
        transfer.conn.busy = False
        with contextlib.suppress(ValueError):
            transfer.owner.on_end.remove(transfer.on_end)  # type: ignore[arg-type]

    def cancel(self, transfer: Transfer) -> None:
        """Stop a transfer, drop its connection (bytes may be in flight) and free the slot."""
        if self.slots.get(transfer.kind) is not transfer:
            return
        del self.slots[transfer.kind]
        if transfer.task is not None and transfer.task is not asyncio.current_task():
            transfer.task.cancel()
        transfer.conn.close()

    def _prune(self) -> None:
        for conn in list(self._conns):
            if not conn.alive and not conn.busy:
                conn.close()
                self._conns.remove(conn)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        conn = DataConnection(reader, writer, peer[0] if peer else "")
        self._prune()
        self._conns.append(conn)
        self._arrived.set()
        try:
            await conn.closed.wait()
        finally:
            with contextlib.suppress(ValueError):
                self._conns.remove(conn)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            self._tasks.discard(task)
