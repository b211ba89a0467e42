"""The emulated camera's state, shared by its control, data, HTTP and RTSP servers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

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
    legacy_options: bool = False  # answer msg 9 with -23 and msg 3 + param the 2015 way
    battery: int = 86
    on_adapter: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    viewfinder: bool = False
    vf_wedged: bool = False  # Yi 1 answers 259 with -21 after a record cycle until a 260
    recording_since: float | None = None
    card_busy_until: float = 0.0
    clock_offset: timedelta = timedelta()
    token: int = 0  # 0: no session
    holder: ControlSession | None = None
    sessions: set[ControlSession] = field(default_factory=set)
    last_token: int = 0
    rtsp_port: int = 554
    received: Counter[int] = field(default_factory=Counter)  # msg ids seen, for tests
    data_service: DataService | None = None  # the data port, once it listens

    def __post_init__(self) -> None:
        if not self.settings:
            self.reset_settings()

    def reset_settings(self) -> None:
        """Factory defaults of the profile."""
        self.settings = dict(self.profile.settings)

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
