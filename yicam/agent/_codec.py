"""Values and errors as JSON, both ways, for replies and reports sent over the broker.

A dataclass becomes `{"__t": "Battery", ...fields}` and is rebuilt only when its name is one
of yicam's public result types listed here: nothing else is ever instantiated from a message.
An exception becomes `{"type": "OutcomeUnknownError", "message": ..., "rval": ...}` and is
rebuilt as the same public `yicam` error (a `YicamError` when the name is unknown).
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import yicam

__all__ = ["decode", "decode_error", "encode", "encode_error"]

_TYPES = (
    "Battery",
    "CameraState",
    "CameraStatus",
    "ClockSync",
    "DeviceInfo",
    "DirEntry",
    "DownloadResult",
    "MediaInfo",
    "MediaItem",
    "Options",
    "Shot",
    "Storage",
    "SyncEntry",
    "SyncReport",
    "TimelapseReport",
    "Trigger",
)
_ERRORS = (
    "CameraBusyError",
    "CameraConnectionError",
    "CameraError",
    "CameraTimeoutError",
    "CardError",
    "DataPortUnavailableError",
    "InvalidOperationError",
    "InvalidPathError",
    "InvalidTokenError",
    "LocalFileError",
    "NotConnectedError",
    "OutcomeUnknownError",
    "ProtocolError",
    "RemoteFileNotFoundError",
    "SessionHeldError",
    "SizeMismatchError",
    "TransferCancelledError",
    "TransferError",
    "UnsafeNameError",
    "UnsafeOperationError",
    "UnsupportedError",
    "YicamError",
)
_MAX_DEPTH = 32


def encode(value: Any) -> Any:
    """`value` as JSON-ready data (dataclasses tagged, tuples, bytes, paths and dates marked).

    Raises `TypeError` for a value of another kind.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__t": type(value).__name__, **fields}
    if isinstance(value, tuple):
        return {"__t": "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return {"__t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"__t": "datetime", "v": value.isoformat()}
    if isinstance(value, Path):
        return {"__t": "Path", "v": str(value)}
    if hasattr(value, "items"):  # a Mapping such as MappingProxyType
        return {str(k): encode(v) for k, v in value.items()}
    raise TypeError(f"cannot send a {type(value).__name__} over the broker")


def decode(data: Any, depth: int = 0) -> Any:
    """The value `encode` made. Raises `ValueError` for data it did not make."""
    if depth > _MAX_DEPTH:
        raise ValueError("reply nested too deeply")
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get("__t")
    if tag is None:
        return {k: decode(v, depth + 1) for k, v in data.items()}
    if tag == "tuple":
        return tuple(decode(v, depth + 1) for v in _list(data.get("v")))
    if tag == "bytes":
        return base64.b64decode(str(data.get("v", "")), validate=True)
    if tag == "datetime":
        return datetime.fromisoformat(str(data.get("v")))
    if tag == "Path":
        return Path(str(data.get("v")))
    if tag not in _TYPES:
        raise ValueError(f"unknown type {tag!r} in a reply")
    cls = getattr(yicam, tag)
    fields = {k: decode(v, depth + 1) for k, v in data.items() if k != "__t"}
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ValueError(f"malformed {tag} in a reply: {exc}") from None


def encode_error(exc: BaseException) -> dict[str, Any]:
    """An exception as JSON: its public class name, message, and rval/msg_id for camera errors."""
    name = type(exc).__name__
    if name not in _ERRORS:
        name = _closest(exc)
    data: dict[str, Any] = {"type": name, "message": str(exc) or name}
    if isinstance(exc, yicam.CameraError):
        data.update(rval=exc.rval, msg_id=exc.msg_id)
    return data


def decode_error(data: Any) -> Exception:
    """The exception `encode_error` describes (a `YicamError` for anything unknown)."""
    if not isinstance(data, dict):
        return yicam.YicamError(f"the agent sent a malformed error: {data!r}"[:300])
    name = str(data.get("type", "YicamError"))
    message = str(data.get("message", name))
    cls = getattr(yicam, name) if name in _ERRORS else yicam.YicamError
    if name == "ValueError":
        return ValueError(message)
    if issubclass(cls, yicam.CameraError):
        rval, msg_id = data.get("rval"), data.get("msg_id")
        exc: Exception = cls(
            rval if isinstance(rval, int) else 0, msg_id if isinstance(msg_id, int) else 0
        )
        exc.args = (message,)
        return exc
    return cls(message)


def _closest(exc: BaseException) -> str:
    """The nearest public error class of `exc` (ValueError is kept: a user's bad argument)."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _ERRORS:
            return cls.__name__
    if isinstance(exc, ValueError):
        return "ValueError"
    if isinstance(exc, OSError):
        return "CameraConnectionError"
    return "YicamError"


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("malformed tuple in a reply")
    return value
