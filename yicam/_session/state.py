"""`KnownState`: what this client knows of one camera's state, kept in one place.

The session feeds it every notification (`track`) and clears what a session held when one
ends; the commands that read or change the state (battery, storage, settings, recording,
viewfinder) record their replies here. `Camera.state` is a frozen snapshot of it. The
"refused while recording" gate lives here too, so that every caller gets the same check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from .._errors import ProtocolError, UnsafeOperationError
from .._wire.ids import Notify
from .._wire.messages import Notification
from .results import Battery, CameraState, Storage, parse_int

__all__ = ["KnownState"]


class KnownState:
    """The camera's state as last seen: recording, viewfinder, battery, storage, card, settings."""

    def __init__(self) -> None:
        self.recording = False  # from 513/514 and the record notifications
        self.viewfinder = False  # from 259/260 and vf_start/vf_stop
        self.battery: Battery | None = None
        self.storage: Storage | None = None  # None also when the card could not tell
        self.card: str | None = None  # "insert" / "remove", from sd_card_status
        self._settings: dict[str, str] = {}

    def snapshot(self) -> CameraState:
        """A frozen copy, for `Camera.state`."""
        return CameraState(
            recording=self.recording,
            viewfinder=self.viewfinder,
            battery=self.battery,
            storage=self.storage,
            card=self.card,
            settings=dict(self._settings),
        )

    def track(self, note: Notification) -> None:
        """Take what a notification says about the state (the others change nothing)."""
        param = note.param
        if note.type == Notify.START_VIDEO_RECORD:
            self.recording = True
        elif note.type == Notify.VIDEO_RECORD_COMPLETE:
            self.recording = False
        elif note.type == Notify.VF_START:
            self.viewfinder = True
        elif note.type == Notify.VF_STOP:
            self.viewfinder = False
        elif note.type == Notify.BATTERY:
            with contextlib.suppress(ProtocolError):
                level = parse_int(param, "battery level", 0, 100)
                self.battery = Battery(level, self.battery is not None and self.battery.on_adapter)
        elif note.type == Notify.ADAPTER_STATUS and self.battery is not None:
            self.battery = Battery(self.battery.level, str(param) == "1")
        elif note.type == Notify.SD_CARD_STATUS and isinstance(param, str):
            self.card = param
        elif note.type == Notify.SETTING_CHANGED and isinstance(param, str):
            value = note.fields.get("value")
            if isinstance(value, str | int | float):
                self._settings[param] = str(value)

    def session_ended(self) -> None:
        """Forget what only a session knew: a new one starts with neither flag set."""
        self.recording = self.viewfinder = False

    def settings_read(self, settings: Mapping[str, str]) -> None:
        """Every setting, as just read (msg 3)."""
        self._settings = dict(settings)

    def setting_changed(self, name: str, value: str) -> None:
        """One setting the camera accepted (a setting never read is not added)."""
        if name in self._settings:
            self._settings[name] = value

    def check_not_recording(self, app_status: str | None, action: str) -> None:
        """Refuse `action` while the camera records (as `app_status` says, or as last seen).

        Raises `UnsafeOperationError` while recording.
        """
        if app_status == "record" or self.recording:
            raise UnsafeOperationError(
                f"refusing to {action} while the camera is recording; stop recording first"
            )
