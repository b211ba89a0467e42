"""Where the camera is: the address and ports a `Camera` is opened with (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from yicam import Camera

__all__ = ["DEFAULT_HOST", "Target"]

DEFAULT_HOST = "192.168.42.1"  # the camera's own Wi-Fi access point


@dataclass(frozen=True, slots=True)
class Target:
    """A camera's address and ports, as the global `yicam` options give them."""

    host: str = DEFAULT_HOST
    port: int = 7878
    data_port: int = 8787
    http_port: int = 80
    rtsp_port: int = 554
    timeout: float = 5.0

    def with_host(self, host: str) -> Target:
        """The same ports on another host."""
        return replace(self, host=host)

    def camera(self) -> Camera:
        """A new, unconnected `Camera` for this target that reconnects by itself after a drop."""
        return Camera(
            self.host,
            self.port,
            data_port=self.data_port,
            http_port=self.http_port,
            rtsp_port=self.rtsp_port,
            timeout=self.timeout,
            reconnect=True,
        )
