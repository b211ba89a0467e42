"""Where the camera is: the connection settings a `Camera` is opened with (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from yicam import Camera, ConnectionSettings

__all__ = ["DEFAULT_HOST", "Target"]

DEFAULT_HOST = "192.168.42.1"  # the camera's own Wi-Fi access point


@dataclass(frozen=True, slots=True)
class Target(ConnectionSettings):
    """The `ConnectionSettings` the app connects with, as the global `yicam` options give them."""

    def with_host(self, host: str) -> Target:
        """The same ports on another host."""
        return replace(self, host=host)

    def camera(self) -> Camera:
        """A new, unconnected `Camera` for this target that reconnects by itself after a drop."""
        return Camera(settings=self, reconnect=True)
