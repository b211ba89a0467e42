"""What fleet operations return: one result per camera (a value or an error) and a summary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

__all__ = [
    "CameraResult",
    "CameraStatus",
    "ClockSync",
    "FleetResult",
    "ShotReport",
    "Trigger",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CameraResult(Generic[T]):
    """One camera's outcome: `value` when it succeeded, else `error`."""

    name: str
    value: T | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when this camera succeeded."""
        return self.error is None

    @property
    def reason(self) -> str:
        """The error in one line (empty when it succeeded)."""
        if self.error is None:
            return ""
        return str(self.error) or type(self.error).__name__


@dataclass(frozen=True, slots=True)
class FleetResult(Generic[T]):
    """Every camera's outcome of one operation, in fleet order; never raised as a whole."""

    results: tuple[CameraResult[T], ...]

    def __iter__(self) -> Iterator[CameraResult[T]]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> CameraResult[T]:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def ok(self) -> bool:
        """True when every camera succeeded."""
        return all(r.ok for r in self.results)

    @property
    def succeeded(self) -> tuple[str, ...]:
        """Names of the cameras that succeeded."""
        return tuple(r.name for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the cameras that failed."""
        return tuple(r.name for r in self.results if not r.ok)

    def values(self) -> dict[str, T]:
        """Returns the values of the cameras that succeeded, by name; raises nothing."""
        return {r.name: r.value for r in self.results if r.ok and r.value is not None}

    def summary(self) -> str:
        """Returns a line such as `3 of 4 cameras ok; failed: left (why)`; raises nothing."""
        text = f"{len(self.succeeded)} of {len(self.results)} cameras ok"
        failures = [f"{r.name} ({r.reason})" for r in self.results if not r.ok]
        return text + ("; failed: " + ", ".join(failures) if failures else "")


@dataclass(frozen=True, slots=True)
class Trigger:
    """One camera's part of a shot; times are `time.monotonic()` seconds."""

    sent: float  # just before its request was written
    replied: float  # when its reply arrived
    path: str | None = None  # the photo or video the shot produced, when it names one
    retried: bool = False  # it answered -4: re-authenticated and sent again
    reconnected: bool = False  # it had dropped: reconnected before the shot
    scheduled: bool = False  # a start at a time: the camera started itself, by its clock
    started: float | None = None  # a start at a time: when its start_video_record came


@dataclass(frozen=True, slots=True)
class ShotReport(FleetResult[Trigger]):
    """A fleet shot: per camera its send and reply times, and the spread across cameras."""

    @property
    def send_spread(self) -> float:
        """Seconds between the first and the last request written (cameras that succeeded)."""
        sent = [t.sent for t in self.values().values()]
        return max(sent) - min(sent) if sent else 0.0

    @property
    def reply_spread(self) -> float:
        """Seconds between the first and the last reply (cameras that succeeded)."""
        replied = [t.replied for t in self.values().values()]
        return max(replied) - min(replied) if replied else 0.0


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """What `fleet status` shows for one camera."""

    host: str
    connected: bool
    model: str | None = None
    battery: int | None = None  # percent
    on_adapter: bool | None = None
    card_free: int | None = None  # bytes; None without a card
    card_total: int | None = None
    recording: bool | None = None


@dataclass(frozen=True, slots=True)
class ClockSync:
    """One camera's clock alignment."""

    offset_before: float  # camera clock minus this computer's, seconds (1 s resolution)
    set_to: datetime  # the whole second written
    round_trip: float  # measured request round trip, seconds; half of it was compensated
