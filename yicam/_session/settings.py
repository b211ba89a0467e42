"""`ConnectionSettings`: where one camera is and how long to wait for it, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_HOST", "ConnectionSettings"]

DEFAULT_HOST = "192.168.42.1"  # the camera's own Wi-Fi access point
_PORTS = ("port", "data_port", "http_port", "rtsp_port")
_TIMEOUTS = ("timeout", "event_timeout")


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """How to reach one camera: its address, its four ports, the two timeouts, the interface.

    `port` is the control (JSON) port; `timeout` bounds the wait for each reply, and
    `event_timeout` each wait for the camera to act (a photo written, transfer data).
    `interface` names the local network interface to reach the camera through (None: the
    system's route). Change one with `dataclasses.replace(settings, timeout=10)`.

    Raises `ValueError` for an empty host or interface, a port outside 0-65535 (0: any free
    port, for the emulator) or a timeout that is not a positive number.
    """

    host: str = DEFAULT_HOST
    port: int = 7878
    data_port: int = 8787
    http_port: int = 80
    rtsp_port: int = 554
    timeout: float = 5.0
    event_timeout: float = 30.0
    interface: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host:
            raise ValueError(f"host must be an address or a name, not {self.host!r}")
        for name in _PORTS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 65536:
                raise ValueError(f"{name} must be a port number (0-65535), not {value!r}")
        for name in _TIMEOUTS:
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        if self.interface is not None and (
            not isinstance(self.interface, str) or not self.interface
        ):
            raise ValueError(f"interface must be an interface name, not {self.interface!r}")
