"""Ending background tasks, with one policy for the whole package.

`cancel_and_wait(*tasks)` cancels every task that still runs and waits until each has
finished, so nothing it owned (a socket, a file, a thread) outlives the call. The policy:

- What a task ended with is not raised again: its errors belong to its owner, which reports
  them its own way before it ends the task. They are logged at debug level.
- The caller's own cancellation is never swallowed: cancelled while it waits, the caller gets
  `CancelledError` (the tasks are cancelled by then).
- `grace` seconds are first given to tasks that end on their own (a server that closed its
  sockets); only those still running after it are cancelled.
- `timeout` bounds the wait after cancelling, for a task stuck in a thread that cannot be
  interrupted; what is still running then is logged and left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

__all__ = ["cancel_and_wait"]

_LOG = logging.getLogger("yicam")


async def cancel_and_wait(
    *tasks: asyncio.Future[Any] | Iterable[asyncio.Future[Any]] | None,
    grace: float = 0.0,
    timeout: float | None = None,
) -> None:
    """Cancel the tasks (or futures) that still run and wait until they have finished."""
    pending: set[asyncio.Future[Any]] = set()
    for item in tasks:
        if isinstance(item, asyncio.Future):
            pending.add(item)
        elif item is not None:
            pending.update(item)
    if not pending:
        return
    if grace > 0:
        await asyncio.wait(pending, timeout=grace)
    for task in pending:
        task.cancel()
    done, stuck = await asyncio.wait(pending, timeout=timeout)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            _LOG.debug("%r ended with %r while being cancelled", task, task.exception())
    for task in stuck:
        _LOG.warning("%r did not end within %s s of being cancelled", task, timeout)
