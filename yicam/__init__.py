"""Control Xiaomi Yi and other Ambarella action cameras: asyncio library, CLI and emulator.

Everything public is exported here; the `_name` modules are internal and may change.
`LiveView` is imported on first use, so `import yicam` does not load PyAV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._camera import Camera
from ._config import (
    CameraConfig,
    ConfigError,
    add_camera,
    config_path,
    load_cameras,
    remove_camera,
)
from ._discovery import FoundCamera, discover
from ._download import DownloadResult
from ._durations import parse_duration
from ._errors import (
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    CardError,
    InvalidOperationError,
    InvalidPathError,
    InvalidTokenError,
    LocalFileError,
    NotConnectedError,
    OutcomeUnknownError,
    ProtocolError,
    RemoteFileNotFoundError,
    SessionHeldError,
    TransferCancelledError,
    TransferError,
    UnsafeNameError,
    UnsafeOperationError,
    UnsupportedError,
    YicamError,
)
from ._events import (
    Disconnected,
    Event,
    EventStream,
    Reconnected,
    Reconnecting,
    SessionRequested,
)
from ._fleet import Fleet
from ._fleet_results import (
    CameraResult,
    CameraStatus,
    ClockSync,
    FleetResult,
    ShotReport,
    Trigger,
)
from ._ids import MsgId, Notify
from ._intervalometer import Intervalometer, Shot, TimelapseReport
from ._media import MediaItem
from ._messages import Notification
from ._new_media import NewMedia
from ._profiles import Profile, ProfileReport, SettingOutcome
from ._quirks import Quirks
from ._results import Battery, CameraState, DeviceInfo, DirEntry, MediaInfo, Options, Storage
from ._session import ConnectionState, Expectation, ReconnectPolicy, Session
from ._sync import SyncEntry, SyncReport
from ._tether import Tether

if TYPE_CHECKING:
    from .live import LiveView

__all__ = [
    "Battery",
    "Camera",
    "CameraBusyError",
    "CameraConfig",
    "CameraConnectionError",
    "CameraError",
    "CameraResult",
    "CameraState",
    "CameraStatus",
    "CameraTimeoutError",
    "CardError",
    "ClockSync",
    "ConfigError",
    "ConnectionState",
    "DeviceInfo",
    "DirEntry",
    "Disconnected",
    "DownloadResult",
    "Event",
    "EventStream",
    "Expectation",
    "Fleet",
    "FleetResult",
    "FoundCamera",
    "Intervalometer",
    "InvalidOperationError",
    "InvalidPathError",
    "InvalidTokenError",
    "LiveView",
    "LocalFileError",
    "MediaInfo",
    "MediaItem",
    "MsgId",
    "NewMedia",
    "NotConnectedError",
    "Notification",
    "Notify",
    "Options",
    "OutcomeUnknownError",
    "Profile",
    "ProfileReport",
    "ProtocolError",
    "Quirks",
    "ReconnectPolicy",
    "Reconnected",
    "Reconnecting",
    "RemoteFileNotFoundError",
    "Session",
    "SessionHeldError",
    "SessionRequested",
    "SettingOutcome",
    "Shot",
    "ShotReport",
    "Storage",
    "SyncEntry",
    "SyncReport",
    "Tether",
    "TimelapseReport",
    "TransferCancelledError",
    "TransferError",
    "Trigger",
    "UnsafeNameError",
    "UnsafeOperationError",
    "UnsupportedError",
    "YicamError",
    "add_camera",
    "config_path",
    "discover",
    "load_cameras",
    "parse_duration",
    "remove_camera",
]


def __getattr__(name: str) -> Any:
    """Import `LiveView` (PyAV, numpy) only when it is first used."""
    if name == "LiveView":
        from .live import LiveView

        return LiveView
    raise AttributeError(f"module 'yicam' has no attribute {name!r}")
