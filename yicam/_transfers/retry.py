"""`RetryPolicy`: which transfer failures are worth another try, how many, and how long between."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .._errors import (
    CameraBusyError,
    CameraConnectionError,
    InvalidOperationError,
    ProtocolError,
    SizeMismatchError,
    TransferCancelledError,
    TransferError,
)

__all__ = ["RetryPolicy"]

# A cut, stalled or lost connection, a busy camera (-21) or one not ready (-14), a garbled
# reply, a failed check: another try, resuming from the bytes on disk, may well succeed.
_TEMPORARY = (
    CameraConnectionError,
    CameraBusyError,
    InvalidOperationError,
    ProtocolError,
    TransferError,
)
# ... except a cancel (the user's) and a size that disagrees with the listing (the file).
_FINAL = (TransferCancelledError, SizeMismatchError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failed transfer is tried again (sync, tether and the desktop app's queue).

    Up to `attempts` retries after the first try; retry n waits `initial_delay * factor**(n-1)`
    seconds, at most `max_delay` (1, 3, 8, 8, ... s by default). Only temporary failures are
    retried (see `temporary`). Raises `ValueError` for a negative count or delay, or a factor
    below 1.
    """

    attempts: int = 3
    initial_delay: float = 1.0
    factor: float = 3.0
    max_delay: float = 8.0

    def __post_init__(self) -> None:
        if self.attempts < 0 or min(self.initial_delay, self.max_delay) < 0 or self.factor < 1:
            raise ValueError(
                f"retries need counts and delays of 0 or more, a factor of 1 or more: {self}"
            )

    def temporary(self, error: BaseException) -> bool:
        """True for a failure another try may cure.

        The connection cut, stalled or down (`CameraConnectionError`), the camera busy (-21) or
        not ready (-14), a malformed reply, a failed check (`TransferError`); not a cancel, a
        size that disagrees with the listing, a local problem, an unsafe name or a refusal.
        """
        return isinstance(error, _TEMPORARY) and not isinstance(error, _FINAL)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        return min(self.max_delay, self.initial_delay * self.factor ** max(0, retry - 1))

    async def pause(self, retry: int) -> None:
        """Wait `delay(retry)` seconds."""
        await asyncio.sleep(self.delay(retry))
