"""The RTSP endpoint of `LiveServer`: viewers' sessions, and one stream fanned out to all of them.

Each access unit is packetized once (one SSRC and one sequence for the life of the server, so a
viewer sees one stream across camera reconnects) and sent to every playing session: over UDP
straight from the live view's receiving thread, over the RTSP connection (RTP/AVP/TCP,
interleaved) from the event loop. A session starts at the next keyframe, which carries its SPS
and PPS; a TCP viewer that cannot keep up skips to the next keyframe rather than falling behind.

What viewers send is untrusted: a request that is not RTSP or too long gets 400 and the
connection closed; a transport with ports or channels out of range gets 461; connections and
sessions per connection are capped, so one program cannot take the server's sockets or make it
send the stream many times over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

from .._wire.rtp import RtpPacketizer, rtcp_bye, rtcp_sender_report
from .._wire.rtsp import (
    Reply,
    Request,
    content_base,
    format_response,
    interleaved,
    pop_request,
    port_pair,
    sdp,
    stream_path,
    transport_params,
)
from .rtp import AccessUnit

__all__ = ["RtspFanOut"]

_log = logging.getLogger(__name__)

_PUBLIC = "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER"
_START_CODE = b"\x00\x00\x00\x01"
_CLOCK = 90_000  # H.264 over RTP always uses a 90 kHz clock
_NEW_STREAM = 5 * _CLOCK  # a timestamp step outside 0..5 s: the camera stream was reopened
_SR_INTERVAL = 1.0
_TCP_BACKLOG = 1 << 20  # bytes queued for a TCP viewer before it skips to the next keyframe
_PARAMS_WAIT = 10.0  # seconds DESCRIBE waits for the camera's first keyframe
_CLOSE_GRACE = 2.0  # seconds a closing connection has to take what was sent to it
_MAX_CONNECTIONS = 100  # RTSP connections at once; more are closed at once
_MAX_SESSIONS = 4  # sessions per connection (a viewer needs one: the stream has one track)
_MAX_CHANNEL = 254  # interleaved RTP channel: RTCP goes on the next, and both fit in a byte
_SPS, _PPS = 7, 8


@dataclass(eq=False, slots=True)
class _Viewer:
    id: str
    writer: asyncio.StreamWriter
    rtp_addr: tuple[str, int] | None = None  # UDP; None over TCP
    rtcp_addr: tuple[str, int] | None = None
    channel: int = 0  # interleaved RTP channel over TCP (RTCP on the next)
    playing: bool = False
    waiting: bool = True  # for a keyframe


@dataclass(slots=True)
class _Connection:
    writer: asyncio.StreamWriter
    peer: str
    local: str
    viewers: dict[str, _Viewer] = field(default_factory=dict)


class _Drain(asyncio.DatagramProtocol):
    """Reads and ignores what viewers send to our RTP/RTCP ports (receiver reports)."""


class RtspFanOut:
    """An RTSP server at `rtsp://HOST:PORT/live` for the access units given to `forward`."""

    def __init__(self, host: str, port: int, *, idle_timeout: float = 60.0) -> None:
        self.host = host
        self._port = port
        self._idle_timeout = idle_timeout
        self._packetizer = RtpPacketizer()
        self._lock = threading.Lock()  # guards _playing, shared with the receiving thread
        self._playing: list[_Viewer] = []
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rtp: socket.socket | None = None
        self._rtcp: socket.socket | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self._params: tuple[bytes, bytes] | None = None
        self._have_params = asyncio.Event()
        self._last_ts: int | None = None
        self._last_wall = 0.0
        self._stream_time = 0.0  # seconds on the clock of our RTP timestamps
        self._last_sr = 0.0
        self.units = 0  # access units forwarded
        self.fps = 30

    @property
    def port(self) -> int:
        """The bound TCP port (useful after binding port 0)."""
        return self._port

    @property
    def url(self) -> str:
        """`rtsp://HOST:PORT/live`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"rtsp://{host}:{self._port}/live"

    @property
    def viewers(self) -> int:
        """Sessions playing now."""
        with self._lock:
            return len(self._playing)

    async def start(self) -> None:
        """Bind the RTSP port and the RTP/RTCP ports; raises OSError if a bind fails."""
        self._loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._rtp = socket.socket(family, socket.SOCK_DGRAM)
        self._rtcp = socket.socket(family, socket.SOCK_DGRAM)
        try:
            for sock in (self._rtp, self._rtcp):
                sock.bind((self.host, 0))
                sock.setblocking(False)
                transport, _ = await self._loop.create_datagram_endpoint(_Drain, sock=sock)
                self._transports.append(transport)
            self._server = await asyncio.start_server(self._serve, self.host, self._port)
        except OSError:
            await self.close()
            raise
        self._port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Say BYE to every viewer and close every connection and socket."""
        if self._server is not None:
            self._server.close()
        with self._lock:
            playing, self._playing = self._playing, []
        bye = rtcp_sender_report(self._packetizer) + rtcp_bye(self._packetizer.ssrc)
        for viewer in playing:
            self._send_rtcp(viewer, bye)
        for connection in self._connections.values():
            connection.writer.close()
        if self._connections:
            _done, hanging = await asyncio.wait(set(self._connections), timeout=_CLOSE_GRACE)
            for task in hanging:
                self._connections[task].writer.transport.abort()  # not reading what we sent
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- the stream (receiving thread) ---------------------------------------------------

    def forward(self, unit: AccessUnit) -> None:
        """Send one whole access unit to every playing viewer; called in the receiving thread."""
        if not unit.complete or self._loop is None:
            return
        nals = unit.data.split(_START_CODE)[1:]
        if unit.keyframe and self._params is None:
            self._learn(nals)
        now = time.time()
        step = None if self._last_ts is None else unit.timestamp - self._last_ts
        if step is None:
            self._stream_time = now
        elif 0 <= step <= _NEW_STREAM:
            self._stream_time += step / _CLOCK
        else:  # a new camera stream: our clock goes on with the wall clock's
            self._stream_time += max(now - self._last_wall, 1 / _CLOCK)
        self._last_ts, self._last_wall = unit.timestamp, now
        packets = self._packetizer.packetize(nals, self._stream_time)
        report = None
        if now - self._last_sr >= _SR_INTERVAL:
            self._last_sr = now
            report = rtcp_sender_report(self._packetizer, self._stream_time)
        self.units += 1
        with self._lock:
            playing = list(self._playing)
        over_tcp = []
        for viewer in playing:
            if viewer.rtp_addr is None:
                over_tcp.append(viewer)
                continue
            if viewer.waiting:
                if not unit.keyframe:
                    continue
                viewer.waiting = False
            for packet in packets:
                with contextlib.suppress(OSError):  # a full buffer loses the packet, as UDP does
                    self._rtp.sendto(packet, viewer.rtp_addr)  # type: ignore[union-attr]
            if report is not None:
                self._send_rtcp(viewer, report)
        if over_tcp:
            with contextlib.suppress(RuntimeError):  # the loop closed under us
                self._loop.call_soon_threadsafe(
                    self._send_tcp, over_tcp, packets, unit.keyframe, report
                )

    def _learn(self, nals: list[bytes]) -> None:
        found = {nal[0] & 0x1F: nal for nal in nals if nal}
        if _SPS in found and _PPS in found:
            self._params = (found[_SPS], found[_PPS])
            assert self._loop is not None
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._have_params.set)

    def _send_tcp(
        self, viewers: list[_Viewer], packets: list[bytes], keyframe: bool, report: bytes | None
    ) -> None:
        for viewer in viewers:
            transport = viewer.writer.transport
            if not viewer.playing or transport.is_closing():
                continue
            if viewer.waiting and not keyframe:
                continue
            if transport.get_write_buffer_size() > _TCP_BACKLOG:
                viewer.waiting = True  # too slow: skip to the next keyframe
                continue
            viewer.waiting = False
            data = b"".join(interleaved(viewer.channel, packet) for packet in packets)
            if report is not None:
                data += interleaved(viewer.channel + 1, report)
            transport.write(data)

    def _send_rtcp(self, viewer: _Viewer, data: bytes) -> None:
        if viewer.rtcp_addr is not None:
            with contextlib.suppress(OSError):
                self._rtcp.sendto(data, viewer.rtcp_addr)  # type: ignore[union-attr]
        elif not viewer.writer.transport.is_closing():
            viewer.writer.transport.write(interleaved(viewer.channel + 1, data))

    # -- RTSP connections (event loop) ---------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")[0]
        if len(self._connections) >= _MAX_CONNECTIONS:
            _log.info("refusing RTSP viewer %s: %d connections already", peer, _MAX_CONNECTIONS)
            writer.transport.abort()
            return
        connection = _Connection(writer, peer, writer.get_extra_info("sockname")[0])
        self._connections[task] = connection
        buffer = bytearray()
        try:
            while True:
                request = pop_request(buffer)
                if request is None:
                    async with asyncio.timeout(self._idle_timeout):
                        data = await reader.read(65536)
                    if not data:
                        break
                    buffer += data
                    continue
                reply = await self._respond(connection, request)
                writer.write(format_response(request.headers.get("cseq", "0"), reply))
                await writer.drain()
        except TimeoutError:
            _log.info("dropping RTSP viewer %s: idle for %.0f s", peer, self._idle_timeout)
        except ValueError as exc:  # not RTSP, or too long: say so and hang up
            _log.info("dropping RTSP viewer %s: %s", peer, exc)
            writer.write(format_response("0", (400, {}, b"")))
        except ConnectionError as exc:
            _log.debug("RTSP viewer %s: %s", peer, exc)
        finally:
            del self._connections[task]
            self._stop(*connection.viewers.values())
            writer.close()
            # A viewer that stopped reading would hold the socket for ever, waiting for a flush.
            asyncio.get_running_loop().call_later(_CLOSE_GRACE, writer.transport.abort)

    async def _respond(self, connection: _Connection, request: Request) -> Reply:
        method = request.method
        if method == "OPTIONS":
            return 200, {"Public": _PUBLIC}, b""
        if method == "DESCRIBE":
            return await self._describe(connection, request)
        if method == "SETUP":
            return self._setup(connection, request)
        if method not in ("PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"):
            return 501, {}, b""
        viewer = connection.viewers.get(request.session)
        if viewer is None:
            return (454, {}, b"") if request.session else (200, {}, b"")
        headers = {"Session": self._session_header(viewer.id)}
        if method == "PLAY":
            self._play(viewer)
            base = content_base(request.url)
            return 200, {**headers, "Range": "npt=0.000-", "RTP-Info": f"url={base}track1"}, b""
        if method in ("PAUSE", "TEARDOWN"):
            self._stop(viewer)
            if method == "TEARDOWN":
                del connection.viewers[viewer.id]
                return 200, {}, b""
        return 200, headers, b""

    async def _describe(self, connection: _Connection, request: Request) -> Reply:
        if stream_path(request.url) != "/live":
            return 404, {}, b""
        try:
            async with asyncio.timeout(_PARAMS_WAIT):
                await self._have_params.wait()
        except TimeoutError:
            return 503, {}, b""  # no picture from the camera yet
        assert self._params is not None
        body = sdp(connection.local, *self._params, self.fps, name="yicam live view").encode()
        headers = {"Content-Base": content_base(request.url), "Content-Type": "application/sdp"}
        return 200, headers, body

    def _setup(self, connection: _Connection, request: Request) -> Reply:
        if stream_path(request.url) not in ("/live/track1", "/live"):
            return 404, {}, b""
        session = request.session
        if session and session not in connection.viewers:
            return 454, {}, b""
        if not session and len(connection.viewers) >= _MAX_SESSIONS:
            return 503, {}, b""
        viewer = _Viewer(session or secrets.token_hex(4).upper(), connection.writer)
        transport = self._transport(connection, request.headers.get("transport", ""), viewer)
        if transport is None:
            return 461, {}, b""
        old = connection.viewers.get(viewer.id)
        if old is not None:
            self._stop(old)
        connection.viewers[viewer.id] = viewer
        return 200, {"Transport": transport, "Session": self._session_header(viewer.id)}, b""

    def _transport(self, connection: _Connection, value: str, viewer: _Viewer) -> str | None:
        """Fill in where `viewer` gets RTP from the client's first usable choice; the reply."""
        ssrc = f"ssrc={self._packetizer.ssrc:08X}"
        for choice in value.split(","):
            params = transport_params(choice)
            if "multicast" in params:
                continue
            if params["spec"] == "RTP/AVP/TCP":
                asked = params.get("interleaved")
                channels = (0, 1) if asked is None else port_pair(asked)
                if channels is None or channels[0] > _MAX_CHANNEL:
                    continue
                viewer.channel = channels[0]
                return f"RTP/AVP/TCP;unicast;interleaved={channels[0]}-{channels[0] + 1};{ssrc}"
            ports = port_pair(params.get("client_port", ""))
            if params["spec"] in ("RTP/AVP", "RTP/AVP/UDP") and ports is not None and min(ports):
                viewer.rtp_addr = (connection.peer, ports[0])  # only ever the viewer's address
                viewer.rtcp_addr = (connection.peer, ports[1])
                assert self._rtp is not None
                assert self._rtcp is not None
                return (
                    f"RTP/AVP;unicast;client_port={ports[0]}-{ports[1]};"
                    f"server_port={self._rtp.getsockname()[1]}-{self._rtcp.getsockname()[1]};"
                    f"{ssrc}"
                )
        return None

    def _play(self, viewer: _Viewer) -> None:
        with self._lock:
            if not viewer.playing:
                viewer.playing, viewer.waiting = True, True
                self._playing.append(viewer)

    def _stop(self, *viewers: _Viewer) -> None:
        with self._lock:
            for viewer in viewers:
                viewer.playing = False
                if viewer in self._playing:
                    self._playing.remove(viewer)

    def _session_header(self, session_id: str) -> str:
        return f"{session_id};timeout={max(2, int(self._idle_timeout))}"
