"""What went wrong, in words a user can act on: one title and one hint per kind of failure.

No Qt here, so the wording is tested without a window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yicam import (
    CameraConnectionError,
    CameraError,
    CameraTimeoutError,
    CardError,
    ProtocolError,
    SessionHeldError,
    UnsafeOperationError,
    YicamError,
)

__all__ = ["Problem", "clean_text", "explain"]

_CARD_FULL = frozenset({-17, -31, -37})  # no space, capacity low, no space for loop recording
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Problem:
    """A failure as the window shows it; `reconnect` offers a Reconnect button."""

    title: str
    hint: str
    detail: str = ""
    reconnect: bool = False


def clean_text(text: str, limit: int = 500, *, single_line: bool = False) -> str:
    """Camera-supplied text made safe to show: no control characters, bounded length."""
    text = _CONTROL.sub("?", text)
    if single_line:
        text = text.replace("\n", "?").replace("\t", "?")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain(exc: BaseException, host: str = "the camera", *, connecting: bool = False) -> Problem:
    """The title and hint for an exception from the `yicam` library."""
    detail = clean_text(str(exc))
    if isinstance(exc, SessionHeldError):
        return Problem(
            "Another client holds the camera",
            "Close the Yi app on your phone, or stop the other yicam (a running `yicam tether`,"
            " another window), then connect again.",
            detail,
        )
    if isinstance(exc, CameraTimeoutError):
        return Problem(
            f"No answer from {host}",
            "Is this computer on the camera's Wi-Fi (YDXJ_...)? Is the camera's Wi-Fi on?",
            detail,
            reconnect=not connecting,
        )
    if isinstance(exc, CameraConnectionError):
        if connecting:
            return Problem(
                f"Cannot reach {host}",
                "Join the camera's Wi-Fi (YDXJ_..., password 1234567890 by default) and check "
                "the address.",
                detail,
            )
        return Problem(
            "Connection to the camera lost",
            "The camera went out of range, turned off or dropped the Wi-Fi. Reconnect when "
            "it is back.",
            detail,
            reconnect=True,
        )
    if isinstance(exc, CardError) or (isinstance(exc, CameraError) and exc.rval == -28):
        return Problem(
            "SD card missing, busy or not formatted",
            "Insert a card, or format it from the Camera menu.",
            detail,
        )
    if isinstance(exc, CameraError) and exc.rval in _CARD_FULL:
        return Problem(
            "The SD card is full", "Download and delete files, or format the card.", detail
        )
    if isinstance(exc, CameraError):
        return Problem("The camera refused", _reason(exc), detail)
    if isinstance(exc, UnsafeOperationError):
        return Problem("Not now", detail, detail)
    if isinstance(exc, ProtocolError):
        return Problem(
            "The camera sent something yicam cannot read",
            "Try again; if it keeps happening, report it with the event log.",
            detail,
        )
    if isinstance(exc, YicamError):
        return Problem("Failed", detail, detail)
    if isinstance(exc, OSError):
        return Problem("A local file could not be written", detail, detail)
    return Problem("Unexpected error", detail, detail)


def _reason(exc: CameraError) -> str:
    """The camera's reason, without the message-id preamble."""
    text = clean_text(str(exc))
    _, _, reason = text.partition(": ")
    return reason or text
