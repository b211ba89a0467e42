"""Asyncio jobs started from Qt slots, tracked so that they can be cancelled together."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from yicam import cancel_and_wait

__all__ = ["Jobs"]

T = TypeVar("T")


class Jobs:
    """Tasks a view-model started; an unexpected exception goes to `sys.excepthook`.

    View-models catch the errors they expect and turn them into signals; anything else is a
    bug, reported like an exception in any Qt slot (pytest-qt fails the test with it).
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
        """Run `coro` on the loop."""
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    @property
    def busy(self) -> bool:
        """True while a job runs."""
        return any(not t.done() for t in self._tasks)

    async def cancel_all(self) -> None:
        """Cancel every job and wait for them to end."""
        await cancel_and_wait(self._tasks)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            sys.excepthook(type(error), error, error.__traceback__)
