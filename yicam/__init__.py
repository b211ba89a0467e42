"""Control Xiaomi Yi and other Ambarella action cameras: asyncio library, CLI and emulator.

Everything public is exported here; the `_name` modules are internal and may change.
Each name is imported on first use (PEP 562), so `import yicam` is cheap: the `yicam` command
starts without asyncio, and `LiveView` loads PyAV only when it is used. A new export goes
into both `_EXPORTS` and the `TYPE_CHECKING` imports (tests/test_package.py checks they agree).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        DataPortUnavailableError,
        InvalidOperationError,
        InvalidPathError,
        InvalidTokenError,
        LocalFileError,
        NotConnectedError,
        OutcomeUnknownError,
        ProtocolError,
        RemoteFileNotFoundError,
        SessionHeldError,
        SizeMismatchError,
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
        Expectation,
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
    from ._session import ConnectionState, ReconnectPolicy, Session
    from ._sync import SyncEntry, SyncReport
    from ._tether import Tether
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
    "DataPortUnavailableError",
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
    "SizeMismatchError",
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

# Where each public name lives.
_EXPORTS: dict[str, str] = {
    "Camera": "._camera",
    "CameraConfig": "._config",
    "ConfigError": "._config",
    "add_camera": "._config",
    "config_path": "._config",
    "load_cameras": "._config",
    "remove_camera": "._config",
    "FoundCamera": "._discovery",
    "discover": "._discovery",
    "DownloadResult": "._download",
    "SizeMismatchError": "._errors",
    "DataPortUnavailableError": "._errors",
    "parse_duration": "._durations",
    "CameraBusyError": "._errors",
    "CameraConnectionError": "._errors",
    "CameraError": "._errors",
    "CameraTimeoutError": "._errors",
    "CardError": "._errors",
    "InvalidOperationError": "._errors",
    "InvalidPathError": "._errors",
    "InvalidTokenError": "._errors",
    "LocalFileError": "._errors",
    "NotConnectedError": "._errors",
    "OutcomeUnknownError": "._errors",
    "ProtocolError": "._errors",
    "RemoteFileNotFoundError": "._errors",
    "SessionHeldError": "._errors",
    "TransferCancelledError": "._errors",
    "TransferError": "._errors",
    "UnsafeNameError": "._errors",
    "UnsafeOperationError": "._errors",
    "UnsupportedError": "._errors",
    "YicamError": "._errors",
    "Disconnected": "._events",
    "Event": "._events",
    "EventStream": "._events",
    "Expectation": "._events",
    "Reconnected": "._events",
    "Reconnecting": "._events",
    "SessionRequested": "._events",
    "Fleet": "._fleet",
    "CameraResult": "._fleet_results",
    "CameraStatus": "._fleet_results",
    "ClockSync": "._fleet_results",
    "FleetResult": "._fleet_results",
    "ShotReport": "._fleet_results",
    "Trigger": "._fleet_results",
    "MsgId": "._ids",
    "Notify": "._ids",
    "Intervalometer": "._intervalometer",
    "Shot": "._intervalometer",
    "TimelapseReport": "._intervalometer",
    "MediaItem": "._media",
    "Notification": "._messages",
    "NewMedia": "._new_media",
    "Profile": "._profiles",
    "ProfileReport": "._profiles",
    "SettingOutcome": "._profiles",
    "Quirks": "._quirks",
    "Battery": "._results",
    "CameraState": "._results",
    "DeviceInfo": "._results",
    "DirEntry": "._results",
    "MediaInfo": "._results",
    "Options": "._results",
    "Storage": "._results",
    "ConnectionState": "._session",
    "ReconnectPolicy": "._session",
    "Session": "._session",
    "SyncEntry": "._sync",
    "SyncReport": "._sync",
    "Tether": "._tether",
    "LiveView": ".live",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use, then keep it here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'yicam' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, including those not imported yet."""
    return sorted(set(globals()) | set(__all__))
