"""Exceptions raised by yicam.

```text
YicamError
├── CameraConnectionError       cannot reach the camera, or the connection was lost
│   ├── CameraTimeoutError      no answer in time (also a builtin TimeoutError)
│   ├── NotConnectedError       no session: not connected yet, closed, or reconnecting
│   ├── DataPortUnavailableError  the data port (8787) cannot be opened (HTTP may still work)
│   └── OutcomeUnknownError     the connection dropped after a photo, record, delete or format
│                               may have reached the camera; it is never sent again
├── ProtocolError               bytes or messages that break the protocol
├── UnsafeOperationError        refused locally to protect the camera (see docs/protocol.md)
├── UnsafeNameError             a name from the camera would write outside the destination
├── LocalFileError              the local destination cannot be written (disk full, no permission)
├── RemoteFileNotFoundError     the camera's web server answered 404: no such file
├── TransferError               a file transfer failed its checks (size, MD5) or was cancelled
│   ├── SizeMismatchError       the sizes the camera announced disagree; nothing was written
│   └── TransferCancelledError  cancel_transfer() stopped it; the partial file is kept
└── CameraError                 the camera answered with rval != 0; carries .rval and .msg_id
                                (only ever an rval the camera sent; local trouble has its own class)
    ├── SessionHeldError        -3: another client (the phone app, another yicam) holds the session
    ├── InvalidTokenError       -4: the session token is no longer valid
    ├── InvalidOperationError   -14: not possible now (no session, not recording, ...)
    ├── CameraBusyError         -21: the camera or its data server is busy
    ├── UnsupportedError        -23: the camera does not know this command
    ├── InvalidPathError        -26: no such file or directory
    └── CardError               -27 / -28: card missing, busy or unformatted
```
"""

from __future__ import annotations

__all__ = [
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
    "error_for_rval",
]

# What each rval means, from Ambarella's header and the YI SDK (protocol.md section 4).
RVAL_TEXT: dict[int, str] = {
    -1: "unknown error",
    -3: (
        "another client holds the camera session (the phone app, or another yicam such as"
        " a running `yicam tether` or `yicam agent`); close it first"
    ),
    -4: "invalid session token",
    -5: "too many clients",
    -7: "not a JSON object",
    -8: "JSON package timeout",
    -9: "not a valid command",
    -13: "invalid option value",
    -14: "operation not possible now",
    -15: "setting not writable",
    -16: "HDMI inserted",
    -17: "no space left",
    -18: "card is write-protected",
    -19: "camera out of memory",
    -20: "photo in video not allowed",
    -21: "camera is busy",
    -22: "camera not ready",
    -23: "operation not supported by this camera",
    -24: "invalid type",
    -25: "invalid parameter",
    -26: "no such file or directory",
    -27: "no SD card, or the card is busy",
    -28: "SD card not formatted or not usable",
    -29: "battery low",
    -31: "SD card capacity low",
    -37: "no space for loop recording",
}


class YicamError(Exception):
    """Root of every exception yicam raises."""


class CameraConnectionError(YicamError):
    """The camera cannot be reached, or the connection to it was lost."""


class CameraTimeoutError(CameraConnectionError, TimeoutError):
    """The camera did not answer in time."""


class NotConnectedError(CameraConnectionError):
    """No session: the camera is not connected yet, was closed, or is reconnecting."""


class OutcomeUnknownError(CameraConnectionError):
    """The connection dropped after a request that may have changed the camera.

    Raised for a photo, record start/stop, delete or format: yicam never sends those twice,
    so check the camera (for example `list_media()`) before trying again.
    """


class ProtocolError(YicamError):
    """Bytes or a message that break the protocol."""


class UnsafeOperationError(YicamError):
    """An operation yicam refuses because it is known to hang or corrupt the camera."""


class UnsafeNameError(YicamError, ValueError):
    """A file name from the camera that could write outside the destination folder."""


class LocalFileError(YicamError):
    """The local destination cannot be written: disk full, no permission, not a directory."""


class RemoteFileNotFoundError(YicamError):
    """The camera's web server has no such file (HTTP 404); not a camera rval."""


class TransferError(YicamError):
    """A file transfer did not complete correctly (short, wrong size or MD5)."""


class TransferCancelledError(TransferError):
    """The transfer was cancelled with `cancel_transfer()`."""


class SizeMismatchError(TransferError):
    """The camera announced a size that disagrees with its listing; nothing was written."""


class DataPortUnavailableError(CameraConnectionError):
    """The data port cannot be opened (HTTP may still work)."""


class CameraError(YicamError):
    """The camera answered a request with a non-zero rval."""

    def __init__(self, rval: int, msg_id: int, detail: str = "") -> None:
        self.rval = rval
        self.msg_id = msg_id
        text = RVAL_TEXT.get(rval, "error")
        message = f"camera refused msg {msg_id}: {text} (rval {rval})"
        if detail:
            message = f"{message}: {detail}"
        super().__init__(message)


class SessionHeldError(CameraError):
    """Another client holds the camera's session: the phone app, or another yicam process."""


class InvalidTokenError(CameraError):
    """The session token is no longer valid."""


class InvalidOperationError(CameraError):
    """The operation is not possible in the camera's current state."""


class CameraBusyError(CameraError):
    """The camera, or its data server, is busy."""


class UnsupportedError(CameraError):
    """The camera does not support this command."""


class InvalidPathError(CameraError):
    """No such file or directory on the camera."""


class CardError(CameraError):
    """The SD card is missing, busy or not usable."""


_BY_RVAL: dict[int, type[CameraError]] = {
    -3: SessionHeldError,
    -4: InvalidTokenError,
    -14: InvalidOperationError,
    -21: CameraBusyError,
    -23: UnsupportedError,
    -26: InvalidPathError,
    -27: CardError,
    -28: CardError,
}


def error_for_rval(rval: int, msg_id: int, detail: str = "") -> CameraError:
    """The exception for a non-zero rval; unknown codes give a plain CameraError."""
    return _BY_RVAL.get(rval, CameraError)(rval, msg_id, detail)
