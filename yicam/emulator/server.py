"""`Emulator`: a virtual camera serving the control port (and, when enabled, the others)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

from .._tasks import cancel_and_wait
from .._wire.discovery import DISCOVERY_PORT
from . import capture
from .card import Card
from .commands import HANDLERS
from .control import ControlSession, Handler
from .data_port import DataService
from .faults import Faults
from .http import HttpServer
from .network import AP_ADDRESS, DiscoveryResponder, NetworkMode, read_network_mode
from .profiles import PROFILES
from .state import CameraState
from .transfers import TRANSFER_HANDLERS

if TYPE_CHECKING:
    from .rtsp import RtspServer

__all__ = ["CAPTURED_REPLY_LATENCY", "Emulator", "latency_range"]

DEFAULT_CARD_SIZE = 32 * 1024**3
FIRMWARES = ("old", "new")  # old: the 2015 settings format (msg 3 + param, no msg 9)
RTSP_FALLBACK_PORT = 8554  # when port 554 needs privileges we do not have
CAPTURED_REPLY_LATENCY = (0.010, 0.060)  # most replies in the SJ8 captures [C], seconds


def latency_range(latency: float | tuple[float, float]) -> tuple[float, float]:
    """`reply_latency` as (lowest, highest) seconds; a single value is both."""
    low, high = (latency, latency) if isinstance(latency, int | float) else latency
    if not 0 <= low <= high:
        raise ValueError(f"reply latency {latency!r}: use 0 <= lowest <= highest seconds")
    return float(low), float(high)


class Emulator:
    """A virtual camera on loopback: `async with Emulator(port=0) as emu: ...`.

    `reply_latency` is the time the camera takes to answer each command, in seconds (one
    value, or a (lowest, highest) range drawn uniformly per command), scaled by `time_scale`
    like the camera's other delays. The default 0 answers at once; `CAPTURED_REPLY_LATENCY`
    is what a real camera took in the only timed captures (docs/protocol.md).
    `preview_fps` is the live stream's frame rate (a camera's is 30; fewer spare the CPU).

    `sample_media` puts photos, a clip and a time-lapse set on a card that has no media yet,
    before the camera serves (see `sample_card`; needs the `live` extra).

    `network_mode` makes it start as the firmware does: station mode when the card holds
    the model's station files, else access point; it announces 192.168.42.1 in 257's `rtsp`
    either way, and a Yi 4K (4K+) answers discovery on UDP `discovery_port` (0: any free
    port; see `yicam.emulator.network`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 7878,
        *,
        data_port: int = 8787,
        http_port: int = 80,
        rtsp_port: int | None = 554,
        preview_size: tuple[int, int] = (432, 240),
        preview_fps: int = 30,
        model: str = "yi1",
        sd: Path | str | None = None,
        card_size: int = DEFAULT_CARD_SIZE,
        card_inserted: bool = True,
        faults: Faults | None = None,
        time_scale: float = 1.0,
        reply_latency: float | tuple[float, float] = 0.0,
        firmware: Literal["old", "new"] = "new",
        legacy_options: bool = False,  # older spelling of firmware="old"
        sample_media: bool = False,
        network_mode: bool = False,
        discovery_port: int = DISCOVERY_PORT,
    ) -> None:
        if model not in PROFILES:
            raise ValueError(f"unknown model {model!r}; choose from {', '.join(PROFILES)}")
        if firmware not in FIRMWARES:
            raise ValueError(f"unknown firmware {firmware!r}; choose from {', '.join(FIRMWARES)}")
        self.host = host
        self.port = port
        self.data_port = data_port
        self.http_port = http_port  # 8080 when 80 needs privileges
        self.rtsp_port = rtsp_port  # None: no live stream; 8554 when 554 needs privileges
        self.preview_size = preview_size
        self.preview_fps = preview_fps
        self.live_note = ""  # why there is no live stream, for `yicam emulate`
        self.faults = faults or Faults()
        self.sample_media = sample_media
        self._tempdir: str | None = None
        if sd is None:
            self._tempdir = tempfile.mkdtemp(prefix="yicam-sd-")
            sd = self._tempdir
        card = Card(Path(sd), card_size)
        card.inserted = card_inserted
        self.state = CameraState(
            profile=PROFILES[model],
            card=card,
            time_scale=time_scale,
            reply_latency=latency_range(reply_latency),
            firmware="old" if legacy_options else firmware,
        )
        self.handlers: dict[int, Handler] = dict(HANDLERS)
        self.handlers.update(TRANSFER_HANDLERS)
        self._data = DataService(self.faults)
        self._http = HttpServer(self.state, self.faults)
        self._rtsp: RtspServer | None = None
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()
        self._accepted = 0  # control connections so far: each draws its own faults
        # network_mode: read the station files at start, announce the access point's
        # address, answer UDP discovery (network.py); off: a plain camera on `host`.
        self.network_mode = network_mode
        self.network = NetworkMode()
        self.discovery_port: int | None = discovery_port if network_mode else None
        self._discovery: DiscoveryResponder | None = None

    @property
    def sd(self) -> Path:
        """The local directory that holds the card's files."""
        return self.state.card.root

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Bind the ports and start serving; nothing stays bound if a port is taken.

        The control port is bound first (a taken port fails at once) but listens last: a
        client that gets in finds every port the camera announces (the RTSP URL in 257 above
        all) already serving.
        """
        control: socket.socket | None = _bound_socket(self.host, self.port)
        try:
            assert control is not None
            self.port = control.getsockname()[1]
            if self.sample_media and not any(self.sd.glob("DCIM/*/*")):
                from .sample_card import fill_sample_card  # PyAV and numpy: the `live` extra

                await asyncio.to_thread(fill_sample_card, self.state.card, self.state.now())
            self.data_port = await self._data.start(self.host, self.data_port)
            self.state.data_service = self._data
            self.http_port = await self._http.start(self.host, self.http_port)
            await self._start_rtsp()
            if self.network_mode:
                await self._start_network()
            server = await asyncio.start_server(self._serve_control, sock=control)
            control = None  # the server owns it now
            self._servers.append(server)
        except BaseException:
            if control is not None:
                control.close()
            await self.close()
            raise

    async def _start_rtsp(self) -> None:
        if self.rtsp_port is None:
            self.live_note = "live view off"
            return
        try:
            from .rtsp import RtspServer  # needs PyAV and numpy: the `live` extra
        except ImportError:
            self.rtsp_port = None
            self.live_note = "no live view: pip install 'yicam[live]'"
            return
        width, height = self.preview_size
        for port in (self.rtsp_port, RTSP_FALLBACK_PORT):
            rtsp = RtspServer(
                self.host,
                port,
                viewfinder=self._viewfinder_on,
                width=width,
                height=height,
                fps=self.preview_fps,
                loss=self.faults.rtp_loss,
                seed=self.faults.seed,
                split=self.faults.split,
                delay=self.faults.delay,
                reorder=self.faults.rtp_reorder,
                junk=self.faults.rtp_junk,
                silent=self.faults.rtsp_silent,
                stap_a=self.faults.stap_a,
                marker=not self.faults.no_marker,
            )
            try:
                await rtsp.start()
            except OSError as exc:
                if port != 554 or exc.errno not in (errno.EACCES, errno.EPERM):
                    raise
                continue
            self._rtsp = rtsp
            self.rtsp_port = self.state.rtsp_port = rtsp.port
            return

    async def _start_network(self) -> None:
        self.network = read_network_mode(self.state.card, self.state.profile.name)
        self.state.announced_host = AP_ADDRESS
        if self.network.discovery and self.discovery_port is not None:
            self._discovery = DiscoveryResponder(self.network.name)
            self.discovery_port = await self._discovery.start(self.host, self.discovery_port)
        else:
            self.discovery_port = None

    def _viewfinder_on(self) -> bool:
        return self.state.viewfinder

    async def close(self) -> None:
        """Stop serving, drop every connection and remove a temporary card."""
        for server in self._servers:
            server.close()
        await cancel_and_wait(self.state.tasks)  # captures in progress: the camera is switched off
        for session in list(self.state.sessions):
            session.close()
        # Sessions end on their own once closed; cancel only what hangs.
        await cancel_and_wait(self._connections, grace=2.0)
        if self._discovery is not None:
            self._discovery.close()
            self._discovery = None
        await self._data.close()
        await self._http.close()
        if self._rtsp is not None:
            await self._rtsp.close()
            self._rtsp = None
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def press_shutter(self) -> str:
        """Press the camera's own shutter button, as a person holding the camera would.

        In `capture` mode (`system_mode`) it takes a photo in the current `capture_mode`; in
        `record` mode it starts or stops recording; during a time-lapse photo run it stops
        it. The connected client gets the same notifications as for its own commands.
        Returns what the press did ("photo", "recording started", ...). Needs the
        emulator's event loop: call it from a coroutine or through `call_soon_threadsafe`.
        """
        return capture.press_shutter(self.state)

    def set_setting(self, name: str, value: str) -> None:
        """Change a setting from the camera's own menu (no session, no state checks)."""
        options = self.state.profile.options.get(name)
        if name not in self.state.settings or (options and value not in options):
            raise ValueError(f"{self.state.profile.name} has no setting {name}={value!r}")
        self.state.settings[name] = value

    def press_mode(self) -> str:
        """Press the camera's mode button: switch `system_mode` between capture and record.

        A Yi 1 tells the client with `switch_to_cap_mode` / `switch_to_rec_mode` (GOINK);
        the Yi 4K with `setting_changed` (YI SDK). Returns the new mode.
        """
        return capture.press_mode(self.state)

    async def idle(self) -> None:
        """Wait until the camera's own work (captures, recordings) has finished."""
        while tasks := set(self.state.tasks):
            await asyncio.wait(tasks)

    def invalidate_token(self) -> None:
        """Renew the session token behind the client's back (it then gets -4)."""
        if self.state.holder is not None:
            self.state.token = self.state.holder.token = self.state.new_token()

    @property
    def network_note(self) -> str:
        """With `network_mode`: how it came up (station or access point) and where it
        answers discovery, for the ready line; empty without."""
        if not self.network_mode:
            return ""
        udp = f", discovery on UDP {self.discovery_port}" if self.discovery_port else ""
        return self.network.describe() + udp

    async def _serve_control(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            self._accepted += 1
            session = ControlSession(
                self.state, self.handlers, self.faults, reader, writer, self._accepted - 1
            )
            await session.run()
        finally:
            self.state.sessions.discard(session)
            self._connections.discard(task)


def _bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` but not yet listening (connections are refused)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if hasattr(socket, "SO_REUSEADDR") and sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock
