"""The camera's one transfer slot, and the `Handle` a transfer works through while it holds it.

A camera serves one file at a time (and a Yi 1 is fragile while it does), so file work takes
turns under the slot's lock. `Slot.held(stall)` takes the lock and gives a `Handle`: the
session, the stall timeout, and the openers, each of which records what it opens as the
transfer in progress, so that `Slot.cancel` can reach it. The download and sync engines get
the handle, never the owner of the slot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._session import commands
from . import data_port as _data_port
from .data_port import DataGet
from .http_get import HttpGet

if TYPE_CHECKING:
    from .._session.results import DirEntry
    from .._session.session import Session

__all__ = ["Handle", "Slot", "prepare_http"]


@dataclass
class _Active:
    """The transfer in progress, so that `cancel` can reach it."""

    path: str
    stop: Callable[[], None]  # shuts its connection down
    on_data_port: bool
    cancelled: bool = False
    stopped: bool = False  # the camera confirmed the cancel: no outcome will follow


class Slot:
    """The camera's one transfer slot: the lock file work takes turns under, and what holds it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = asyncio.Lock()
        self._active: _Active | None = None

    @contextlib.asynccontextmanager
    async def held(self, stall_timeout: float | None) -> AsyncIterator[Handle]:
        """Wait for the slot and hold it; yields the `Handle` to work through.

        `stall_timeout` (None: the session's `event_timeout`) bounds every wait for data.
        """
        where = self.session.settings
        stall = where.event_timeout if stall_timeout is None else stall_timeout
        async with self.lock:
            try:
                yield Handle(self, stall)
            finally:
                self._active = None

    async def cancel(self) -> bool:
        """Cancel the transfer in progress (1287 on the data port); False if there is none."""
        active = self._active
        if active is None or active.cancelled:
            return False
        active.cancelled = True
        try:
            if active.on_data_port:
                active.stopped = await _data_port.cancel(self.session, active.path)
        finally:
            active.stop()
        return True


@dataclass(frozen=True, slots=True)
class Handle:
    """What a transfer works through while its `Slot` is held: session, stall timeout, openers."""

    slot: Slot
    stall: float  # seconds without data before a transfer fails

    @property
    def session(self) -> Session:
        """The camera's session (address, quirks, requests)."""
        return self.slot.session

    async def open_get(self, path: str, offset: int) -> DataGet:
        """Send 1285 for `path` from `offset`; the get can be cancelled until `done()`."""
        get = await _data_port.open_get(self.session, path, offset, self.stall)
        self.track(path, get.stop, on_data_port=True)
        return get

    def open_http(self, path: str, offset: int) -> HttpGet:
        """An HTTP GET of `path` from `offset` (sent when read); cancellable until `done()`."""
        session = self.session
        web = HttpGet(
            session.host, session.settings.http_port, path, session.quirks.card_root, offset,
            session.settings.timeout, self.stall, session.settings.interface,
        )  # fmt: skip
        self.track(path, web.stop, on_data_port=False)
        return web

    async def settle(self, get: DataGet) -> None:
        """Before `get` is closed: its outcome must not reach the next get (see `settle`)."""
        active = self.slot._active
        await _data_port.settle(self.session, get, active is not None and active.stopped)

    async def prepare_http(self, *, force: bool = False) -> bool:
        """Start the viewfinder when the web server needs it; True when it was started."""
        return await prepare_http(self.session, force=force)

    async def list_dir(self, path: str) -> list[DirEntry]:
        """A camera directory, with the listing's safety check (`commands.list_dir`)."""
        return await commands.list_dir(self.session, path)

    def track(self, path: str, stop: Callable[[], None], *, on_data_port: bool) -> None:
        """Make the transfer in progress cancellable: `stop` shuts its connection down."""
        self.slot._active = _Active(path, stop, on_data_port)

    def cancelled(self) -> bool:
        """True when `Slot.cancel` stopped the transfer in progress."""
        active = self.slot._active
        return active is not None and active.cancelled

    def done(self) -> None:
        """Forget the transfer in progress (the slot stays held)."""
        self.slot._active = None


async def prepare_http(session: Session, *, force: bool = False) -> bool:
    """Start the viewfinder when the web server needs it (or `force`); True when started."""
    if session.known.viewfinder or not (force or session.quirks.http_needs_viewfinder):
        return False
    await commands.start_viewfinder(session)
    return True
