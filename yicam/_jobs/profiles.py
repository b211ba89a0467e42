"""Settings profiles: a camera's settable settings saved to a file, applied to other cameras.

```toml
# yicam settings profile
model = "Yi 1"
[settings]
video_standard = "NTSC"
video_resolution = "1920x1080 60P 16:9"
```

A `.json` file holds the same as `{"model": ..., "settings": {...}}`. Applying sets the
settings that choose a mode or a video standard first, since they change which values the
others accept, then the rest in the saved (camera) order; each setting is reported as
applied, unchanged, refused (with the values the camera accepts), read-only or unsupported.
Identity, status, clock, Wi-Fi credentials and action settings are never saved or applied.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .._camera import Camera
from .._errors import CameraError, UnsupportedError
from .._user_files import load_json, load_toml
from .._wire.limits import check_setting

__all__ = [
    "Profile",
    "ProfileReport",
    "SettingOutcome",
    "differing_settings",
]

# Settings that change what the others accept: applied first, in this order.
FIRST = (
    "system_mode",
    "system_default_mode",
    "rec_mode",
    "rec_default_mode",
    "capture_mode",
    "capture_default_mode",
    "video_standard",
)
# Never copied from one camera to another: identity, status, clock, credentials, actions.
PERSONAL = frozenset(
    {
        "app_status",
        "camera_clock",
        "dev_reboot",
        "restore_factory_settings",
        "sd_card_status",
        "sdcard_need_format",
        "sw_version",
        "hw_version",
        "serial_number",
        "product_name",
        "wifi_ssid",
        "wifi_password",
        "streaming_status",
        "preview_status",
        "precise_self_running",
        "precise_self_remain_time",
        "precise_cont_capturing",
        "quick_record_time",
    }
)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
Status = Literal["applied", "unchanged", "refused", "read-only", "unsupported"]


@dataclass(frozen=True, slots=True)
class Profile:
    """A set of setting values, and the model they were read from."""

    settings: Mapping[str, str]
    model: str | None = None

    @classmethod
    def load(cls, path: Path | str) -> Profile:
        """Read a `.toml` or `.json` profile; returns the `Profile`.

        Raises `ValueError` when the file is not a profile, is larger than 1 MiB, nests deeper
        than 32 levels or holds a name or value longer than real cameras send (64 characters),
        `OSError` when it cannot be read.
        """
        path = Path(path)
        # At most 1 MiB, 32 levels deep (_user_files), checked before parsing.
        data = load_json(path) if path.suffix.lower() == ".json" else load_toml(path)
        settings = data.get("settings") if isinstance(data, dict) else None
        if not isinstance(settings, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in settings.items()
        ):
            raise ValueError(f"{path}: a profile needs a [settings] table of text values")
        for name, value in settings.items():
            try:
                check_setting(name, value)
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
        model = data.get("model")
        return cls(dict(settings), model if isinstance(model, str) else None)

    def save(self, path: Path | str) -> Path:
        """Write the profile as TOML, or JSON for a `.json` path; returns the path.

        Raises `OSError` when the file cannot be written.
        """
        path = Path(path)
        if path.suffix.lower() == ".json":
            text = json.dumps({"model": self.model, "settings": dict(self.settings)}, indent=2)
        else:
            lines = ["# yicam settings profile: `yicam profile apply FILE`"]
            if self.model is not None:
                lines.append(f"model = {_toml_string(self.model)}")
            lines.append("")
            lines.append("[settings]")
            lines += [f"{_toml_key(k)} = {_toml_string(v)}" for k, v in self.settings.items()]
            text = "\n".join(lines)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    async def read(cls, cam: Camera) -> Profile:
        """Returns the camera's settable settings (msg 9 for each), with its model name.

        A setting whose options are refused is left out; raises `CameraError` or
        `CameraConnectionError` when the settings themselves cannot be read.
        """
        settings: dict[str, str] = {}
        state = await cam.refresh()  # also tells a Yi 1 from its versions, for the model name
        for name, value in state.settings.items():
            if name in PERSONAL:
                continue
            try:
                options = await cam.get_options(name)
            except CameraError:
                continue  # no options: not a setting a client can change
            if options.settable:
                settings[name] = value
        return cls(settings, cam.model_name)

    async def apply(self, cam: Camera) -> ProfileReport:
        """Apply to `cam`, mode and standard first; returns a `ProfileReport` of each setting.

        A setting the camera refuses (`CameraError`) is reported, not raised. Raises
        `UnsafeOperationError` while the camera records, `CameraConnectionError` when the
        connection fails, `CameraError` when the current settings cannot be read.
        """
        current = await cam.get_settings()
        outcomes = []
        for name, value in self.ordered():
            if name in PERSONAL:
                continue
            if name not in current:
                outcomes.append(SettingOutcome(name, value, "unsupported"))
                continue
            if current[name] == value:
                outcomes.append(SettingOutcome(name, value, "unchanged"))
                continue
            outcomes.append(await _apply_one(cam, name, value))
            if name in FIRST:  # a mode or standard can change the others' values
                current = await cam.get_settings()
        return ProfileReport(tuple(outcomes))

    def ordered(self) -> list[tuple[str, str]]:
        """Returns the settings in the order they are applied; raises nothing."""
        first = [(name, self.settings[name]) for name in FIRST if name in self.settings]
        rest = [(k, v) for k, v in self.settings.items() if k not in FIRST]
        return first + rest


@dataclass(frozen=True, slots=True)
class SettingOutcome:
    """What applying one setting did."""

    name: str
    value: str
    status: Status
    accepted: tuple[str, ...] = ()  # when refused: the values the camera accepts now
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ProfileReport:
    """Every setting of a profile applied to one camera."""

    outcomes: tuple[SettingOutcome, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when no setting was refused."""
        return all(o.status != "refused" for o in self.outcomes)

    def count(self, status: Status) -> int:
        """Returns how many settings ended with `status`; raises nothing."""
        return sum(1 for o in self.outcomes if o.status == status)


def differing_settings(
    settings: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, str | None]]:
    """Per setting that is not the same everywhere: each source's value (None: missing).

    `settings` maps a source (a camera name, or the profile file) to its settings.
    """
    names: dict[str, None] = {}
    for values in settings.values():
        names.update(dict.fromkeys(k for k in values if k not in PERSONAL))
    differing = {}
    for name in names:
        row = {source: values.get(name) for source, values in settings.items()}
        if len(set(row.values())) > 1:
            differing[name] = row
    return differing


async def _apply_one(cam: Camera, name: str, value: str) -> SettingOutcome:
    try:
        await cam.set_setting(name, value)
    except UnsupportedError as exc:
        return SettingOutcome(name, value, "unsupported", detail=str(exc))
    except CameraError as exc:
        if exc.rval == -15:
            return SettingOutcome(name, value, "read-only", detail=str(exc))
        accepted: tuple[str, ...] = ()
        with contextlib.suppress(CameraError):
            accepted = (await cam.get_options(name)).options
        return SettingOutcome(name, value, "refused", accepted, str(exc))
    return SettingOutcome(name, value, "applied")


def _toml_key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _toml_string(name)


def _toml_string(text: str) -> str:
    # JSON's escapes (\" \\ \n \uXXXX ...) are valid TOML basic-string escapes.
    return json.dumps(text, ensure_ascii=True)
