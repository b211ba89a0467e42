"""Named cameras: the `[cameras.NAME]` tables of the user's yicam config file (TOML).

```toml
[cameras.left]
host = "192.168.1.51"
port = 7878          # optional, as is every other `ConnectionSettings` field
```

The file lives in the platform's config folder (`$XDG_CONFIG_HOME/yicam/config.toml` on Linux,
`~/Library/Application Support/yicam/` on macOS, `%LOCALAPPDATA%\\yicam\\` on Windows), or
where `YICAM_CONFIG` points. Reading needs only the standard library (`tomllib`); `add_camera`
and `remove_camera` edit the file with tomlkit, keeping its comments and layout.

The file is the user's, but read as carefully as what a camera sends: at most 1 MiB and 32
levels deep (checked before parsing), UTF-8. An entry with a bad host, port or timeout is
skipped with one line naming the file and the entry; the other cameras still work.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .._camera import Camera
from .._session.settings import ConnectionSettings
from .._user_files import check_nesting, load_toml, read_text

__all__ = [
    "CameraConfig",
    "ConfigError",
    "add_camera",
    "check_host",
    "check_name",
    "config_path",
    "get_camera",
    "load_cameras",
    "remove_camera",
]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")  # one label of a host name (RFC 1123)
_PORTS = ("port", "data_port", "http_port", "rtsp_port")


class ConfigError(ValueError):
    """The config file cannot be read, or names a camera it does not hold."""


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """How to reach one named camera: `CameraConfig("left", ConnectionSettings("10.0.0.5"))`."""

    name: str
    settings: ConnectionSettings
    model: str | None = None  # what discovery saw; informative only
    serial: str | None = None

    def camera(self, **overrides: Any) -> Camera:
        """Returns a new, unconnected `Camera` for this entry; `overrides` go to its constructor.

        Raises `TypeError` for an override the constructor does not take.
        """
        return Camera(settings=self.settings, **overrides)

    def to_toml(self) -> dict[str, Any]:
        """The table written to the file: the host and every value that is not the default."""
        table: dict[str, Any] = {"host": self.settings.host}
        defaults = ConnectionSettings()
        for f in fields(ConnectionSettings):
            value = getattr(self.settings, f.name)
            if value is not None and value != getattr(defaults, f.name):
                table[f.name] = value
        for key in ("model", "serial"):
            if (value := getattr(self, key)) is not None:
                table[key] = value
        return table


def config_path() -> Path:
    """Returns where the config file is (it may not exist yet): `YICAM_CONFIG`, else the platform's.

    `config.toml` in the user config folder (platformdirs); raises nothing.
    """
    if override := os.environ.get("YICAM_CONFIG"):
        return Path(override)
    from platformdirs import user_config_path  # the CLI's dependency; only for the default

    return user_config_path("yicam", appauthor=False) / "config.toml"


def load_cameras(
    path: Path | None = None, *, on_skip: Callable[[ConfigError], object] | None = None
) -> dict[str, CameraConfig]:
    """Every usable named camera in the file, in file order; none when there is no file.

    Returns name -> `CameraConfig`. An entry that is malformed (no host, a bad host, port or
    timeout) is skipped: `on_skip` gets its `ConfigError` (the message names the file and the
    entry), or without `on_skip` it becomes a warning. Raises `ConfigError` when the file as a
    whole cannot be read: not UTF-8, not TOML, larger than 1 MiB or nested deeper than 32 levels.
    """
    cameras, skipped = _load(path or config_path())
    for error in skipped.values():
        if on_skip is None:
            warnings.warn(str(error), stacklevel=2)
        else:
            on_skip(error)
    return cameras


def get_camera(name: str, path: Path | None = None) -> CameraConfig:
    """The named camera; `ConfigError` when it is malformed or not there (listing the known ones).

    Other entries that are malformed are skipped silently: only this one matters here.
    """
    path = path or config_path()
    cameras, skipped = _load(path)
    if name in skipped:
        raise skipped[name]
    if name not in cameras:
        known = ", ".join(cameras) or "none yet; add one with `yicam cameras add NAME HOST`"
        raise ConfigError(f"no camera named {name!r} in {path} (known: {known})")
    return cameras[name]


def add_camera(entry: CameraConfig, path: Path | None = None, *, replace: bool = False) -> Path:
    """Add (or with `replace`, overwrite) a named camera; comments elsewhere are kept.

    Returns the file written; raises `ConfigError` when the name is taken (without `replace`),
    is not letters, digits, '-' and '_', the host is neither an IP address nor a host name, a
    port is not 1-65535, or the file cannot be read.
    """
    import tomlkit

    check_name(entry.name)
    path = path or config_path()
    _entry(path, entry.name, entry.to_toml())  # the checks a reader makes, before writing
    document = _read_document(path)
    cameras = document.get("cameras")
    if cameras is None:
        cameras = tomlkit.table(is_super_table=True)
        document["cameras"] = cameras
    if entry.name in cameras and not replace:
        raise ConfigError(f"a camera named {entry.name!r} exists already in {path}")
    table = tomlkit.table()
    table.update(entry.to_toml())
    cameras[entry.name] = table
    _write_document(path, document)
    return path


def remove_camera(name: str, path: Path | None = None) -> Path:
    """Remove a named camera; comments elsewhere are kept.

    Returns the file written; raises `ConfigError` when no camera has that name.
    """
    path = path or config_path()
    document = _read_document(path)
    cameras = document.get("cameras")
    if cameras is None or name not in cameras:
        raise ConfigError(f"no camera named {name!r} in {path}")
    del cameras[name]
    _write_document(path, document)
    return path


def check_name(name: str) -> str:
    """`name` when it is a usable camera name (letters, digits, `-`, `_`)."""
    if not _NAME.match(name):
        raise ConfigError(f"bad camera name {name!r}: use letters, digits, '-' and '_'")
    return name


def check_host(host: str) -> str:
    """`host` when it is an IP address or a host name (RFC 1123); raises `ConfigError`."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        name = host.removesuffix(".")
        labels = name.split(".")
        if not (
            0 < len(name) <= 253
            and all(_LABEL.fullmatch(label) for label in labels)
            and not labels[-1].isdigit()  # 999.1.1.1 is no address, and no name either
        ):
            raise ConfigError(
                f"bad host {host!r}: give an IP address or a host name (letters, digits, '-', '.')"
            ) from None
    return host


def _load(path: Path) -> tuple[dict[str, CameraConfig], dict[str, ConfigError]]:
    """The usable entries of the file, and why each other one is skipped."""
    try:
        document = load_toml(path)
    except FileNotFoundError:
        return {}, {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, too deep, not UTF-8, not TOML; names the file
        raise ConfigError(str(exc)) from None
    cameras = document.get("cameras", {})
    if not isinstance(cameras, Mapping):
        raise ConfigError(f"{path}: `cameras` must be a table of [cameras.NAME] tables")
    good: dict[str, CameraConfig] = {}
    bad: dict[str, ConfigError] = {}
    for name, table in cameras.items():
        try:
            good[name] = _entry(path, name, table)
        except ConfigError as exc:
            bad[name] = ConfigError(f"{exc}; skipped")
    return good, bad


def _entry(path: Path, name: str, table: Any) -> CameraConfig:
    here = f"{path}: [cameras.{name}]"
    if not _NAME.match(name):
        raise ConfigError(f"{path}: bad camera name {name!r}: use letters, digits, '-' and '_'")
    if not isinstance(table, Mapping) or not isinstance(table.get("host"), str):
        raise ConfigError(f'{here} needs host = "ADDRESS"')
    try:
        check_host(table["host"])
    except ConfigError as exc:
        raise ConfigError(f"{here}: {exc}") from None
    for key in _PORTS:  # not 0 either: "any free port" is for the emulator, not a camera
        value = table.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
            raise ConfigError(f"{here} {key} must be a port number (1-65535), not {value!r}")
    where = {f.name: table[f.name] for f in fields(ConnectionSettings) if f.name in table}
    for key in ("timeout", "event_timeout"):  # TOML `5` is an int: seconds are floats
        if type(where.get(key)) is int:
            where[key] = float(where[key])
    try:
        settings = ConnectionSettings(**where)
    except ValueError as exc:
        raise ConfigError(f"{here} {exc}") from None
    extra = {key: table[key] for key in ("model", "serial") if isinstance(table.get(key), str)}
    return CameraConfig(name, settings, **extra)


def _read_document(path: Path) -> Any:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        text = read_text(path)
        check_nesting(text, path, toml=True)
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # too large, too deep, not UTF-8; names the file
        raise ConfigError(str(exc)) from None
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigError(f"{path}: not TOML: {exc}") from exc


def _write_document(path: Path, document: Any) -> None:
    import tomlkit

    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the file and rename: an interrupted write never leaves half a config.
    fd, temp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(tomlkit.dumps(document))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
