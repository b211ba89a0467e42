"""`LiveServer`: one camera stream re-served over RTSP to any number of viewers on this computer.

A camera allows few RTSP viewers, needs its viewfinder started first and drops a stream that is
not kept alive. The server holds one live view of the camera (its `LiveView`, which restarts the
viewfinder and reopens the stream after a drop) and serves `rtsp://HOST:PORT/live` to VLC, OBS,
ffplay or GStreamer, over UDP or TCP. The H.264 access units go out as they came in, without
re-encoding; viewers stay connected while the camera stream is reopened.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from .rtsp_server import RtspFanOut
from .view import LiveView

__all__ = ["LiveServer", "ServerStatus"]


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """What a `LiveServer` is doing."""

    url: str
    viewers: int  # RTSP sessions playing
    frames: int  # access units forwarded since the start
    fps: float  # frames per second from the camera now (0 while it is reconnecting)
    reconnects: int  # times the camera stream was reopened


class LiveServer:
    """Re-serves `live` (an open "rtp" `LiveView`): `async with LiveServer(live, port=8554) as s:`.

    Binds `host` (loopback unless told otherwise: anyone who can reach the address can watch);
    port 0 picks a free port (see `port` and `url`). Raises `ValueError` when `live` uses the
    "ffmpeg" engine, which hands out no access units.
    """

    def __init__(self, live: LiveView, *, host: str = "127.0.0.1", port: int = 8554) -> None:
        if live.engine != "rtp":
            raise ValueError("LiveServer needs a live view with the 'rtp' engine")
        self._live = live
        self._fan_out = RtspFanOut(host, port)
        self._remove: Callable[[], None] | None = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The stream's URL for viewers, `rtsp://HOST:PORT/live`; raises nothing."""
        return self._fan_out.url

    @property
    def loopback(self) -> bool:
        """True when only this computer can watch (a loopback address); raises nothing."""
        host = self._fan_out.host
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def port(self) -> int:
        """The bound RTSP port; raises nothing."""
        return self._fan_out.port

    async def start(self) -> None:
        """Bind the ports and start forwarding. Raises `OSError` when a port cannot be bound."""
        await self._fan_out.start()
        self._remove = self._live.add_unit_listener(self._fan_out.forward)

    async def close(self) -> None:
        """Stop forwarding, end every viewer's session and close the ports; raises nothing."""
        if self._remove is not None:
            self._remove()
            self._remove = None
        await self._fan_out.close()

    def status(self) -> ServerStatus:
        """Returns the viewers, frames and camera figures now; raises nothing."""
        stats = self._live.stats()
        if stats.fps:
            self._fan_out.fps = max(1, round(stats.fps))
        return ServerStatus(
            url=self.url,
            viewers=self._fan_out.viewers,
            frames=self._fan_out.units,
            fps=stats.fps,
            reconnects=stats.reconnects,
        )
