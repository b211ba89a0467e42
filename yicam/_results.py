"""Frozen result types returned by `Camera` methods, and the parsers that build them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._errors import ProtocolError

__all__ = [
    "Battery",
    "CameraState",
    "DeviceInfo",
    "DirEntry",
    "MediaInfo",
    "Options",
    "Storage",
    "parse_listing",
    "parse_options",
]

_LISTING_VALUE = re.compile(r"^\s*(\d+)\s*bytes?\s*(?:\|\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))?\s*$")
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


def parse_int(value: object, what: str) -> int:
    """An int the camera may send as a number or as a string."""
    if isinstance(value, bool):
        raise ProtocolError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ProtocolError(f"{what}: expected a number, got {value!r}")


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
        return Options(name, str(permission), tuple(str(o) for o in options))
    param = reply.get("param")
    text: object = param
    if isinstance(param, list):
        text = next((d[name] for d in param if isinstance(d, dict) and name in d), None)
    if isinstance(text, str) and ":" in text:
        permission, _, rest = text.partition(":")
        return Options(name, permission, tuple(o for o in rest.split("#") if o))
    raise ProtocolError(f"options for {name!r}: cannot read {dict(reply)!r}")


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
