"""Frozen result types returned by `Camera` methods, and the parsers that build them.

Every value comes from the camera and is untrusted: a parser returns a value inside its
domain (a battery level of 0-100 %, a size of 0 or more bytes, a setting that is text) or
raises `ProtocolError`; optional descriptive fields (a model name, a resolution) that are
not what they should be read as None, that is, unknown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._errors import ProtocolError

__all__ = [
    "Battery",
    "CameraState",
    "DeviceInfo",
    "DirEntry",
    "MediaInfo",
    "Options",
    "Storage",
    "optional_text",
    "parse_battery",
    "parse_date",
    "parse_int",
    "parse_listing",
    "parse_media_duration",
    "parse_options",
    "parse_settings",
    "parse_storage",
    "parse_text",
]

_LISTING_VALUE = re.compile(
    r"^\s*(\d{1,19})\s*bytes?\s*(?:\|\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))?\s*$", re.ASCII
)
_MAX_DIGITS = 19  # beyond any real size or count, and far below int()'s own digit limit
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True, slots=True)
class Battery:
    """Battery level in percent, and whether the camera runs on its USB adapter."""

    level: int
    on_adapter: bool


@dataclass(frozen=True, slots=True)
class Storage:
    """SD card capacity in bytes."""

    total: int
    free: int

    @property
    def used(self) -> int:
        """Bytes in use."""
        return self.total - self.free


@dataclass(frozen=True, slots=True)
class Options:
    """The values a setting accepts, and whether it can be changed now."""

    name: str
    permission: str
    options: tuple[str, ...]

    @property
    def settable(self) -> bool:
        """True when the camera lets this setting be changed now."""
        return self.permission == "settable"


@dataclass(frozen=True, slots=True)
class DirEntry:
    """One entry of a camera directory listing; `name` is untrusted camera data."""

    name: str
    size: int
    modified: datetime | None
    is_dir: bool


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the camera reports about one media file (msg 1026)."""

    size: int
    date: datetime | None
    resolution: str | None
    media_type: str | None
    duration: float | None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Model, firmware and serial number, from msg 11 or from the settings.

    `model` is the camera's own id ("Z16", "SJ8PRO_TAIWAN"); `name` is for people ("Yi 4K").
    """

    model: str | None
    firmware: str | None
    hardware: str | None
    serial: str | None
    raw: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None


def parse_date(text: object) -> datetime | None:
    """A camera timestamp (`YYYY-MM-DD HH:MM:SS`), or None when absent or malformed."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text.strip(), DATE_FORMAT)
    except ValueError:
        return None


def parse_int(
    value: object, what: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    """An int the camera may send as a number or as a string, within [minimum, maximum]."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if digits.isascii() and digits.isdigit() and len(digits) <= _MAX_DIGITS:
            number = int(text)
    if number is None:
        raise ProtocolError(f"{what}: expected a number, got {_short(value)}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        low = "" if minimum is None else minimum
        high = "" if maximum is None else maximum
        raise ProtocolError(f"{what}: {number} is outside {low}..{high}")
    return number


def parse_text(value: object, what: str) -> str:
    """A text value (a setting, a path); numbers are accepted as their decimal text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ProtocolError(f"{what}: expected a text value, got {_short(value)}")


def optional_text(value: object) -> str | None:
    """A descriptive text field, or None (unknown) when absent or not text."""
    return value if isinstance(value, str) and value else None


def parse_media_duration(value: object) -> float | None:
    """Seconds of a media file (a number or numeric text), or None when absent or invalid."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def parse_battery(param: object, kind: object) -> Battery:
    """A msg 13 reply's `param` (percent) and `type` ("battery" or "adapter")."""
    return Battery(parse_int(param, "battery level", 0, 100), kind == "adapter")


def parse_storage(total: object, free: object) -> Storage:
    """Card space from the two msg 5 replies, in KiB on the wire."""
    return Storage(
        total=parse_int(total, "total space", 0) * 1024,
        free=parse_int(free, "free space", 0) * 1024,
    )


def parse_settings(param: object) -> dict[str, str]:
    """The msg 3 array of one-key objects, in camera order (a repeated key moves last)."""
    if not isinstance(param, list):
        raise ProtocolError(f"settings: expected an array, got {_short(param)}")
    settings: dict[str, str] = {}
    for item in param:
        if not isinstance(item, dict):
            raise ProtocolError(f"settings: expected objects, got {_short(item)}")
        for key, value in item.items():
            settings.pop(key, None)
            settings[key] = parse_text(value, f"setting {key!r}")
    return settings


def parse_listing(listing: object) -> list[DirEntry]:
    """Parse the msg 1282 `listing` array of `{"name": "<n> bytes|<date>"}` objects."""
    if not isinstance(listing, list):
        raise ProtocolError(f"listing: expected an array, got {type(listing).__name__}")
    entries = []
    for item in listing:
        if not isinstance(item, dict):
            raise ProtocolError(f"listing entry: expected an object, got {item!r}")
        for name, value in item.items():
            match = _LISTING_VALUE.match(value) if isinstance(value, str) else None
            if match is None:
                raise ProtocolError(f"listing entry {name!r}: cannot read {value!r}")
            is_dir = name.endswith("/")
            entries.append(
                DirEntry(
                    name=name.rstrip("/") if is_dir else name,
                    size=int(match[1]),
                    modified=parse_date(match[2]),
                    is_dir=is_dir,
                )
            )
    return entries


def parse_options(name: str, reply: Mapping[str, Any]) -> Options:
    """Options from a msg 9 reply, or from the old msg 3 `settable:a#b#c` form."""
    options = reply.get("options")
    if isinstance(options, list):
        permission = reply.get("permission", "settable")
        if not isinstance(permission, str):
            raise ProtocolError(f"options for {name!r}: permission {_short(permission)}")
        values = tuple(parse_text(o, f"an option of {name!r}") for o in options)
        return Options(name, permission, values)
    param = reply.get("param")
    text: object = param
    if isinstance(param, list):
        text = next((d[name] for d in param if isinstance(d, dict) and name in d), None)
    if isinstance(text, str) and ":" in text:
        permission, _, rest = text.partition(":")
        return Options(name, permission, tuple(o for o in rest.split("#") if o))
    raise ProtocolError(f"options for {name!r}: cannot read {_short(dict(reply))}")


def _short(value: object) -> str:
    """The repr of a camera value, cut short: error messages stay one readable line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, slots=True)
class CameraState:
    """What the client last knew about the camera (`Camera.state`); None where not yet known.

    Notifications keep it fresh; `await cam.refresh()` reads everything again.
    """

    recording: bool = False
    viewfinder: bool = False
    battery: Battery | None = None
    storage: Storage | None = None
    card: str | None = None  # "insert" / "remove", from sd_card_status
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def charging(self) -> bool | None:
        """True on the USB adapter, None while the battery is unknown."""
        return None if self.battery is None else self.battery.on_adapter
