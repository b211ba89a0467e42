"""`PickerModel`: the cameras to choose from: named ones (`yicam cameras`) and those a search found.

The search is `yicam discover`'s (`yicam.discover`): inside the networks of this computer's
interfaces, or those typed, on the control port of the camera the window is set to. It runs
on the loop, so the window stays responsive, and it can be cancelled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields, replace

from PySide6.QtCore import QObject, Signal

from yicam import (
    CameraConfig,
    ConfigError,
    ConnectionSettings,
    FoundCamera,
    add_camera,
    discover,
    load_cameras,
)

from .jobs import Jobs
from .problems import clean_text
from .target import Target, target_for

__all__ = ["PickerEntry", "PickerModel", "parse_networks"]

PROBE_TIMEOUT = 1.0  # seconds an address gets to answer the search, as `yicam discover`


@dataclass(frozen=True, slots=True)
class PickerEntry:
    """A camera in the list: a named one, one the search found, or both."""

    target: Target
    name: str | None = None  # its name in the config file
    model: str = ""
    serial: str = ""
    found: bool = False  # it answered the last search

    @property
    def label(self) -> str:
        """What the Camera field shows for it: its name, else its address."""
        return self.name or self.target.address


def parse_networks(text: str) -> list[str] | None:
    """Networks typed as `192.168.1.0/24, 10.0.0.0/24`; None (this computer's) when blank."""
    parts = [part for part in text.replace(",", " ").split() if part]
    return parts or None


class PickerModel(QObject):
    """The list (`entries`), the search, and saving a camera under a name."""

    entriesChanged = Signal()
    searchingChanged = Signal(bool)
    message = Signal(str)

    def __init__(self, base: Target, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.base = base  # the ports a found camera is reached on, besides its control port
        self.entries: list[PickerEntry] = []
        self._found: list[FoundCamera] = []
        self._jobs = Jobs()
        self._search: asyncio.Task[None] | None = None

    @property
    def searching(self) -> bool:
        """True while a search runs."""
        return self._search is not None

    def reload(self) -> None:
        """Read the named cameras again (the file may have changed)."""
        try:
            named = load_cameras()
        except ConfigError as exc:
            named = {}
            self.message.emit(clean_text(str(exc), 300))
        entries = [
            PickerEntry(Target.of(c), c.name, clean_text(c.model or "", 40), c.serial or "")
            for c in named.values()
        ]
        for found in self._found:
            target = replace(self.base, host=found.host, port=found.port)
            model = clean_text(found.model or "", 40, single_line=True)
            serial = clean_text(found.serial or "", 40, single_line=True)
            match = next(
                (i for i, e in enumerate(entries) if _same(e.target, target)),
                None,
            )
            if match is None:
                entries.append(PickerEntry(target, None, model, serial, found=True))
            else:
                known = entries[match]
                entries[match] = replace(
                    known, model=known.model or model, serial=known.serial or serial, found=True
                )
        self.entries = entries
        self.entriesChanged.emit()

    def find(self, networks: list[str] | None = None) -> None:
        """Search `networks` (default: this computer's) for cameras."""
        if self._search is None:
            self._search = self._jobs.spawn(self._find(networks), name="yicam-gui-find")
            self.searchingChanged.emit(True)

    def cancel_find(self) -> None:
        """Stop the search."""
        if self._search is not None:
            self._search.cancel()

    def target_for(self, text: str) -> Target:
        """The camera `text` names: a named camera, else HOST[:PORT] on the usual ports."""
        return target_for(text, self.base)

    def save(self, name: str, target: Target, entry: PickerEntry | None = None) -> bool:
        """Save `target` as the named camera `name`; returns False (with a message) when the
        name is taken or unusable or the file cannot be written."""
        settings = ConnectionSettings(
            **{f.name: getattr(target, f.name) for f in fields(ConnectionSettings)}
        )
        model = entry.model or None if entry else None
        serial = entry.serial or None if entry else None
        try:
            path = add_camera(CameraConfig(name.strip(), settings, model=model, serial=serial))
        except (ConfigError, OSError) as exc:
            self.message.emit(clean_text(str(exc), 300))
            return False
        self.message.emit(f"Saved {target.address} as “{name.strip()}” in {path}")
        self.reload()
        return True

    async def aclose(self) -> None:
        """Stop the search."""
        await self._jobs.cancel_all()

    async def _find(self, networks: list[str] | None) -> None:
        where = ", ".join(networks) if networks else "this computer's networks"
        self.message.emit(f"Searching {where} for cameras…")
        try:
            found = await discover(networks, port=self.base.port, timeout=PROBE_TIMEOUT)
        except ValueError as exc:  # not a network, or too wide
            self.message.emit(clean_text(str(exc), 300))
            return
        except asyncio.CancelledError:
            self.message.emit("Search stopped")
            raise
        finally:
            self._search = None
            self.searchingChanged.emit(False)
        self._found = found
        count = len(found)
        self.message.emit(
            f"{count} camera{'s' if count != 1 else ''} found in {where}"
            if found
            else f"No camera answered in {where}"
        )
        self.reload()


def _same(a: Target, b: Target) -> bool:
    return (a.host, a.port) == (b.host, b.port)
