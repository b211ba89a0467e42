"""`SettingsModel`: every camera setting with the values it accepts, changed and verified.

Also the camera-wide actions of the Camera menu: clock sync, format, reboot, factory reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from yicam import Camera, Event, Notification, Notify, UnsafeOperationError, YicamError

from .jobs import Jobs
from .problems import clean_text, explain
from .session_model import SessionModel
from .setting_labels import label_for

__all__ = ["GROUPS", "SettingRow", "SettingsModel", "group_of"]

GROUPS = ("Video", "Photo", "System", "Information")
ACTIONS = frozenset({"dev_reboot", "restore_factory_settings"})  # in the Camera menu instead
_VIDEO_WORDS = ("video", "record", "loop", "warp", "rotate", "fov", "slow_motion")
_PHOTO_WORDS = ("photo", "capture", "precise", "burst", "meter", "shutter", "iso", "timelapse")


def group_of(name: str, editable: bool) -> str:
    """Which box a setting goes in."""
    if not editable:
        return "Information"
    if any(word in name for word in _VIDEO_WORDS) or name == "video_standard":
        return "Video"
    if any(word in name for word in _PHOTO_WORDS):
        return "Photo"
    return "System"


@dataclass(frozen=True, slots=True)
class SettingRow:
    """One setting as the panel shows it."""

    name: str
    value: str
    options: tuple[str, ...]
    editable: bool
    group: str


class SettingsModel(QObject):
    """Loads settings and options (msg 3 and 9); applies a change and reads it back."""

    loaded = Signal(object)  # list[SettingRow]
    applied = Signal(str, str)  # name, value the camera now has
    refused = Signal(str, str, str)  # name, the value it keeps, why
    busyChanged = Signal(bool)
    message = Signal(str)

    def __init__(self, session: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._cam: Camera | None = None
        self._jobs = Jobs()
        self._values: dict[str, str] = {}
        self._settable: set[str] = set()  # seen settable at least once
        self._pending = 0
        self._refused_recording = False  # the message says "not while recording"
        session.cameraReady.connect(self._on_camera)
        session.cameraGone.connect(self._on_gone)
        session.cameraEvent.connect(self._on_event)

    @property
    def available(self) -> bool:
        """True when a camera is connected."""
        return self._cam is not None

    def reload(self) -> None:
        """Read every setting and its options again."""
        if self._cam is not None:
            self._jobs.spawn(self._load(self._cam))

    def apply(self, name: str, value: str) -> None:
        """Change a setting; `applied` once the camera reports the new value, else `refused`."""
        if self._cam is not None:
            self._jobs.spawn(self._apply(self._cam, name, value))

    async def sync_clock(self) -> str:
        """Set the camera's clock to this computer's; returns what to tell the user."""
        cam = self._need()
        try:
            when = await cam.sync_clock()
        except YicamError as exc:
            return f"Clock not set: {explain(exc, cam.host).hint}"
        return f"Camera clock set to {when:%Y-%m-%d %H:%M:%S}"

    async def format_card(self) -> str:
        """Erase the card (the caller asked the user)."""
        cam = self._need()
        try:
            await cam.format_card()
        except YicamError as exc:
            return f"Not formatted: {explain(exc, cam.host).hint}"
        return "The SD card was formatted"

    async def reboot(self) -> str:
        """Reboot the camera (the connection drops)."""
        cam = self._need()
        try:
            await cam.reboot()
        except YicamError as exc:
            return f"Not rebooted: {explain(exc, cam.host).hint}"
        return "The camera is rebooting"

    async def factory_reset(self) -> str:
        """Restore the factory settings."""
        cam = self._need()
        try:
            await cam.factory_reset()
        except YicamError as exc:
            return f"Not reset: {explain(exc, cam.host).hint}"
        self.reload()
        return "Factory settings restored"

    async def aclose(self) -> None:
        """Stop every job."""
        await self._jobs.cancel_all()

    # -- jobs ------------------------------------------------------------------------------

    def _need(self) -> Camera:
        if self._cam is None:
            raise RuntimeError("no camera")  # the menu is disabled while disconnected
        return self._cam

    async def _load(self, cam: Camera) -> None:
        self._busy(+1)
        try:
            values = await cam.get_settings()
            rows = []
            for name, value in values.items():
                if name in ACTIONS:
                    continue
                try:
                    options = await cam.get_options(name)
                    choices, settable = options.options, options.settable
                except YicamError:
                    choices, settable = (), False
                if settable:
                    self._settable.add(name)
                # A Yi 1 reports every setting read-only while its viewfinder runs, but the
                # library stops and restarts the viewfinder around a change.
                locked = cam.quirks.settings_locked_in_viewfinder and cam.state.viewfinder
                editable = bool(choices) and (
                    settable or name in self._settable or (locked and len(choices) > 1)
                )
                rows.append(
                    SettingRow(
                        clean_text(name, 60, single_line=True),
                        clean_text(value, 120, single_line=True),
                        tuple(clean_text(c, 120, single_line=True) for c in choices),
                        editable,
                        group_of(name, editable),
                    )
                )
        except YicamError as exc:
            self.message.emit(f"Cannot read the settings: {explain(exc, cam.host).title}")
            return
        finally:
            self._busy(-1)
        self._values = dict(values)
        self.loaded.emit(rows)

    async def _apply(self, cam: Camera, name: str, value: str) -> None:
        previous = self._values.get(name, "")
        self._busy(+1)
        try:
            await cam.set_setting(name, value)
            now = await cam.get_setting(name)  # verify: trust what the camera reports
        except YicamError as exc:
            problem = explain(exc, cam.host)
            self.refused.emit(name, previous, problem.hint)
            self._refused_recording = isinstance(exc, UnsafeOperationError)
            return
        finally:
            self._busy(-1)
        self._values[name] = now
        if now == value:
            self.applied.emit(name, now)
            self.message.emit(f"{label_for(name)}: {clean_text(now, 120)}")
        else:
            self.refused.emit(name, now, f"the camera kept {clean_text(now, 120)}")

    def _busy(self, step: int) -> None:
        was = self._pending > 0
        self._pending += step
        if (self._pending > 0) != was:
            self.busyChanged.emit(self._pending > 0)

    def _on_camera(self, cam: Camera) -> None:
        self._cam = cam
        self.reload()

    def _on_gone(self) -> None:
        self._cam = None

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, Notification):
            return
        if event.type == Notify.SETTING_CHANGED:
            self.reload()  # changed on the camera itself
        elif event.type == Notify.VIDEO_RECORD_COMPLETE and self._refused_recording:
            self._refused_recording = False
            self.message.emit("")  # "not while recording" no longer applies
