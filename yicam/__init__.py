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
    from ._durations import format_duration, parse_duration
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
    from ._fleet.config import (
        CameraConfig,
        ConfigError,
        add_camera,
        config_path,
        get_camera,
        load_cameras,
        remove_camera,
    )
    from ._fleet.discovery import FoundCamera, discover
    from ._fleet.fleet import Fleet, camera_folder
    from ._fleet.fleet_results import (
        CameraResult,
        CameraStatus,
        ClockSync,
        FleetResult,
        ShotReport,
        Trigger,
    )
    from ._jobs.intervalometer import Intervalometer, Shot, TimelapseReport
    from ._jobs.new_media import NewMedia
    from ._jobs.profiles import Profile, ProfileReport, SettingOutcome, differing_settings
    from ._jobs.tether import Tether
    from ._rig.station import CardFile
    from ._rig.station_setup import StationSetup
    from ._session.events import (
        Disconnected,
        Event,
        EventStream,
        Expectation,
        Reconnected,
        Reconnecting,
        SessionRequested,
    )
    from ._session.results import (
        Battery,
        CameraState,
        DeviceInfo,
        DirEntry,
        MediaInfo,
        Options,
        Storage,
    )
    from ._session.session import ConnectionState, ReconnectPolicy, Session
    from ._session.settings import ConnectionSettings
    from ._tasks import cancel_and_wait
    from ._transfers.download import DownloadResult, Progress, Via
    from ._transfers.media import MediaItem
    from ._transfers.retry import RetryPolicy
    from ._transfers.sync import SyncEntry, SyncReport
    from ._wire.ids import MsgId, Notify
    from ._wire.messages import Notification
    from ._wire.quirks import Quirks
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
    "CardFile",
    "ClockSync",
    "ConfigError",
    "ConnectionSettings",
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
    "Progress",
    "ProtocolError",
    "Quirks",
    "ReconnectPolicy",
    "Reconnected",
    "Reconnecting",
    "RemoteFileNotFoundError",
    "RetryPolicy",
    "Session",
    "SessionHeldError",
    "SessionRequested",
    "SettingOutcome",
    "Shot",
    "ShotReport",
    "SizeMismatchError",
    "StationSetup",
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
    "Via",
    "YicamError",
    "add_camera",
    "camera_folder",
    "cancel_and_wait",
    "config_path",
    "differing_settings",
    "discover",
    "format_duration",
    "get_camera",
    "load_cameras",
    "parse_duration",
    "remove_camera",
]

# Where each public name lives.
_EXPORTS: dict[str, str] = {
    "Camera": "._camera",
    "CameraConfig": "._fleet.config",
    "ConfigError": "._fleet.config",
    "add_camera": "._fleet.config",
    "config_path": "._fleet.config",
    "load_cameras": "._fleet.config",
    "remove_camera": "._fleet.config",
    "FoundCamera": "._fleet.discovery",
    "discover": "._fleet.discovery",
    "DownloadResult": "._transfers.download",
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
    "Disconnected": "._session.events",
    "Event": "._session.events",
    "EventStream": "._session.events",
    "Expectation": "._session.events",
    "Reconnected": "._session.events",
    "Reconnecting": "._session.events",
    "SessionRequested": "._session.events",
    "Fleet": "._fleet.fleet",
    "CameraResult": "._fleet.fleet_results",
    "CameraStatus": "._fleet.fleet_results",
    "ClockSync": "._fleet.fleet_results",
    "CardFile": "._rig.station",
    "StationSetup": "._rig.station_setup",
    "FleetResult": "._fleet.fleet_results",
    "ShotReport": "._fleet.fleet_results",
    "Trigger": "._fleet.fleet_results",
    "MsgId": "._wire.ids",
    "Notify": "._wire.ids",
    "Intervalometer": "._jobs.intervalometer",
    "Shot": "._jobs.intervalometer",
    "TimelapseReport": "._jobs.intervalometer",
    "MediaItem": "._transfers.media",
    "RetryPolicy": "._transfers.retry",
    "Notification": "._wire.messages",
    "NewMedia": "._jobs.new_media",
    "Profile": "._jobs.profiles",
    "ProfileReport": "._jobs.profiles",
    "SettingOutcome": "._jobs.profiles",
    "Quirks": "._wire.quirks",
    "Battery": "._session.results",
    "CameraState": "._session.results",
    "DeviceInfo": "._session.results",
    "DirEntry": "._session.results",
    "MediaInfo": "._session.results",
    "Options": "._session.results",
    "Storage": "._session.results",
    "ConnectionState": "._session.session",
    "ReconnectPolicy": "._session.session",
    "Session": "._session.session",
    "ConnectionSettings": "._session.settings",
    "SyncEntry": "._transfers.sync",
    "SyncReport": "._transfers.sync",
    "Tether": "._jobs.tether",
    "LiveView": ".live",
    "Via": "._transfers.download",
    "Progress": "._transfers.download",
    "format_duration": "._durations",
    "cancel_and_wait": "._tasks",
    "get_camera": "._fleet.config",
    "camera_folder": "._fleet.fleet",
    "differing_settings": "._jobs.profiles",
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
