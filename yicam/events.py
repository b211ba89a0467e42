"""Events a `Camera` delivers to its subscribers."""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Notification

__all__ = ["Disconnected", "Event", "Notification", "SessionRequested"]


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The control connection ended; `error` is None after a clean close."""

    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class SessionRequested:
    """Another client asked the camera for the session (msg 1793)."""

    kept: bool


Event = Notification | Disconnected | SessionRequested
