"""Control Xiaomi Yi and other Ambarella action cameras: asyncio library, CLI and emulator."""

from __future__ import annotations

from .camera import Camera
from .errors import (
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    CardError,
    InvalidOperationError,
    InvalidPathError,
    InvalidTokenError,
    ProtocolError,
    SessionHeldError,
    UnsafeOperationError,
    UnsupportedError,
    YicamError,
)
from .events import Disconnected, Event, SessionRequested
from .ids import MsgId, Notify
from .messages import Notification
from .models import Battery, DeviceInfo, DirEntry, MediaInfo, Options, Storage

__all__ = [
    "Battery",
    "Camera",
    "CameraBusyError",
    "CameraConnectionError",
    "CameraError",
    "CameraTimeoutError",
    "CardError",
    "DeviceInfo",
    "DirEntry",
    "Disconnected",
    "Event",
    "InvalidOperationError",
    "InvalidPathError",
    "InvalidTokenError",
    "MediaInfo",
    "MsgId",
    "Notification",
    "Notify",
    "Options",
    "ProtocolError",
    "SessionHeldError",
    "SessionRequested",
    "Storage",
    "UnsafeOperationError",
    "UnsupportedError",
    "YicamError",
]
