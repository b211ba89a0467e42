"""Where the camera is: the connection settings a `Camera` is opened with (no Qt here)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields, replace

from yicam import Camera, CameraConfig, ConfigError, ConnectionSettings, load_cameras

__all__ = ["DEFAULT_HOST", "Target", "target_for"]

DEFAULT_HOST = "192.168.42.1"  # the camera's own Wi-Fi access point


@dataclass(frozen=True, slots=True)
class Target(ConnectionSettings):
    """The `ConnectionSettings` the app connects with, as the global `yicam` options give them."""

    @classmethod
    def of(cls, entry: CameraConfig) -> Target:
        """The connection settings of a named camera."""
        return cls(**{f.name: getattr(entry.settings, f.name) for f in fields(ConnectionSettings)})

    @property
    def address(self) -> str:
        """`HOST`, or `HOST:PORT` when the control port is not the camera's own 7878."""
        return self.host if self.port == 7878 else f"{self.host}:{self.port}"

    def with_host(self, host: str) -> Target:
        """The same ports on another host."""
        return replace(self, host=host)

    def with_address(self, address: str) -> Target:
        """`HOST` or `HOST:PORT` as typed (`[::1]:PORT` for IPv6); the other ports stay.

        Text that is neither is taken as a host name, for connecting to say why it fails;
        blank text changes nothing.
        """
        address = address.strip()
        host, sep, port = address.rpartition(":")
        if sep and port.isdigit() and 0 < int(port) < 65536 and host:
            if host.startswith("[") and host.endswith("]") and len(host) > 2:
                return replace(self, host=host[1:-1], port=int(port))
            if ":" not in host:
                return replace(self, host=host, port=int(port))
        return replace(self, host=address) if address else self

    def camera(self, *, reconnect: bool = True) -> Camera:
        """A new, unconnected `Camera` for this target (by default one that reconnects by
        itself after a drop)."""
        return Camera(settings=self, reconnect=reconnect)


def target_for(text: str, base: Target) -> Target:
    """What the Camera field names: a named camera (`yicam cameras`), else `HOST[:PORT]`
    with `base`'s other ports. An unreadable config file names no camera."""
    name = text.strip()
    with contextlib.suppress(ConfigError):
        entry = load_cameras().get(name)
        if entry is not None:
            return Target.of(entry)
    return base.with_address(name)
