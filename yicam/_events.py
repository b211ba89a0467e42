"""Events a `Camera` delivers to its subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from ._messages import Notification

__all__ = [
    "Disconnected",
    "Event",
    "EventStream",
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
        """Stop receiving events."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def aclose(self) -> None:
        """Stop receiving events (async-generator style)."""
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
