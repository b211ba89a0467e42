"""The emulated camera's state, shared by its control, data, HTTP and RTSP servers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from .card import Card
from .profiles import Profile

if TYPE_CHECKING:
    from .control import ControlSession
    from .data_port import DataService

__all__ = ["CameraState"]


@dataclass
class CameraState:
    """Everything a real camera would remember between requests."""

    profile: Profile
    card: Card
    time_scale: float = 1.0  # multiplies every realistic delay; tests use a small value
    # Seconds (lowest, highest) the camera takes to answer a command, before time_scale;
    # (0, 0) answers at once. See `Emulator` and docs/protocol.md for the captured figures.
    reply_latency: tuple[float, float] = (0.0, 0.0)
    firmware: Literal["old", "new"] = "new"  # "old": the 2015 settings format (msg 3 + param)
    battery: int = 86
    on_adapter: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    viewfinder: bool = False
    vf_wedged: bool = False  # Yi 1 answers 259 with -21 after photo + record until a 260
    photo_since_vf: bool = False  # a photo since the last 259/260 (the -21 quirk needs one)
    recording_since: float | None = None
    scheduled_record: asyncio.Task[None] | None = None  # a start at a clock time (16777247)
    capture: Any = None  # the running capture (`capture.Capture`), whoever started it
    zoom: int = 0  # digital zoom level, 0 to 100
    card_busy_until: float = 0.0
    clock_offset: timedelta = timedelta()
    token: int = 0  # 0: no session
    holder: ControlSession | None = None
    sessions: set[ControlSession] = field(default_factory=set)
    last_token: int = 0
    rtsp_port: int = 554
    announced_host: str | None = None  # the address 257's `rtsp` names (None: where it serves)
    received: Counter[int] = field(default_factory=Counter)  # msg ids seen, for tests
    data_service: DataService | None = None  # the data port, once it listens
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)  # the camera's own work

    @property
    def legacy_options(self) -> bool:
        """Msg 9 unknown, options through msg 3 + param (the 2015 firmware)."""
        return self.firmware == "old"

    def __post_init__(self) -> None:
        if not self.settings:
            self.reset_settings()

    def reset_settings(self) -> None:
        """Factory defaults of the profile (and of its firmware)."""
        self.settings = dict(self.profile.settings)
        if self.firmware == "new":
            self.settings.update(self.profile.later_settings)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run work that belongs to the camera, not to a connection: it outlives the client."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def sleep(self, seconds: float) -> None:
        """A realistic camera delay, scaled by `time_scale`."""
        await asyncio.sleep(seconds * self.time_scale)

    def notify(self, kind: str, param: Any = None, **fields: Any) -> None:
        """Send a msg 7 notification to the client holding the session, if any."""
        if self.holder is not None:
            self.holder.notify(kind, param, **fields)

    def now(self) -> datetime:
        """The camera's clock."""
        return datetime.now() + self.clock_offset

    def new_token(self) -> int:
        """The next session token: a counter from 1 that never hands out 0."""
        self.last_token = self.last_token % 0x7FFFFFFF + 1
        return self.last_token

    def rtsp_url(self, host: str) -> str:
        """The live-stream URL as this camera would announce it."""
        port = "" if self.rtsp_port == 554 else f":{self.rtsp_port}"
        return f"rtsp://{host}{port}/live"

    def app_status(self) -> str:
        """`idle`, `vf` or `record`, as the camera reports it."""
        if self.recording_since is not None:
            return "record"
        return "vf" if self.viewfinder else "idle"
