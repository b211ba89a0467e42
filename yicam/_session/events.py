"""Events a `Camera` delivers to its subscribers, and the helpers that consume them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from .._errors import CameraTimeoutError, NotConnectedError
from .._wire.ids import Notify
from .._wire.messages import Notification

__all__ = [
    "Disconnected",
    "Event",
    "EventStream",
    "Expectation",
    "Notification",
    "Reconnected",
    "Reconnecting",
    "SessionRequested",
]


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The control connection ended; `error` is None after a clean close.

    `reconnecting` is True when a reconnect policy is about to bring the session back
    (`Reconnecting` and `Reconnected` follow); a `Disconnected` without it is final.
    """

    error: Exception | None = None
    reconnecting: bool = False


@dataclass(frozen=True, slots=True)
class Reconnecting:
    """The connection dropped; attempt number `attempt` starts after `delay` seconds."""

    attempt: int
    delay: float


@dataclass(frozen=True, slots=True)
class Reconnected:
    """A new session is up after a drop; subscribers and the heartbeat carry on."""


@dataclass(frozen=True, slots=True)
class SessionRequested:
    """Another client asked the camera for the session (msg 1793)."""

    kept: bool


Event = Notification | Disconnected | Reconnecting | Reconnected | SessionRequested
"""Any event `Camera.subscribe` callbacks and `Camera.events()` get (notification or link)."""


class EventStream:
    """Events as an async iterator; subscribed from creation, ends after a final `Disconnected`."""

    def __init__(
        self,
        subscribe: Callable[[Callable[[Event], None]], Callable[[], None]],
        connected: bool,
    ) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._unsubscribe: Callable[[], None] | None = subscribe(self._queue.put_nowait)
        if not connected:
            self._queue.put_nowait(Disconnected())

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        if self._unsubscribe is None:
            raise StopAsyncIteration
        event = await self._queue.get()
        if isinstance(event, Disconnected) and not event.reconnecting:
            self.close()
        return event

    def close(self) -> None:
        """Stop receiving events; raises nothing."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def aclose(self) -> None:
        """Stop receiving events (async-generator style); raises nothing."""
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class Expectation:
    """Waits for the first notification of given types; subscribed from creation.

    Create it (`session.expect(...)`) before sending the request that causes the
    notification, then `await wait()`; `close()` (or leaving `with`) unsubscribes.
    """

    def __init__(
        self,
        subscribe: Callable[[Callable[[Event], None]], Callable[[], None]],
        kinds: tuple[Notify | str, ...],
        where: Callable[[Notification], bool] | None,
        timeout: float,
    ) -> None:
        self.kinds = kinds
        self._where = where
        self._timeout = timeout
        self._future: asyncio.Future[Notification] = asyncio.get_running_loop().create_future()
        self._unsubscribe = subscribe(self._on_event)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def done(self) -> bool:
        """Returns True once the notification came or the connection ended; raises nothing."""
        return self._future.done()

    async def wait(self, timeout: float | None = None) -> Notification:
        """Returns the notification.

        Raises `CameraTimeoutError` after `timeout` (default: event_timeout), and the
        connection's error (a `CameraConnectionError`) when it ended first.
        """
        limit = self._timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                return await asyncio.shield(self._future)
        except TimeoutError as exc:
            names = " or ".join(str(k) for k in self.kinds)
            raise CameraTimeoutError(f"the camera sent no {names} within {limit:g} s") from exc

    def close(self) -> None:
        """Stop listening; a result or error that came meanwhile is dropped."""
        self._unsubscribe()
        if self._future.done() and not self._future.cancelled():
            self._future.exception()  # mark as retrieved
        self._future.cancel()

    def _on_event(self, event: Event) -> None:
        if self._future.done():
            return
        if isinstance(event, Notification):
            if event.type in self.kinds and (self._where is None or self._where(event)):
                self._future.set_result(event)
        elif isinstance(event, Disconnected):
            names = " or ".join(str(k) for k in self.kinds)
            error = event.error or NotConnectedError(f"closed while waiting for {names}")
            self._future.set_exception(error)
