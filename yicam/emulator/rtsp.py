"""The emulator's RTSP 1.0 server: `rtsp://HOST:PORT/live`, H.264 over RTP/UDP only, like a Yi 1.

One encoder thread per server produces frames while at least one session plays; each frame is
packetized once and the same RTP datagrams go to every playing client.

While the viewfinder is off the stream does not exist: DESCRIBE, SETUP and PLAY answer
`404 Not Found` (the path names no stream right now), and when it goes off mid-stream every playing
session ends with an RTCP BYE (FFmpeg then reports end of stream). A SETUP that asks for RTP over
TCP gets `461 Unsupported Transport`. A connection that sends nothing for `idle_timeout` seconds is
closed and its sessions end.

Options reproduce other cameras and bad networks: `profile="main"` at 1280x720 (an SJ8 Pro),
`stap_a` (small NAL units aggregated), `marker=False` (no RTP marker bits), `resize()` (new
SPS/PPS mid-stream), `loss` (RTP packets dropped), `reorder` (neighbouring RTP packets
swapped), `junk` (a junk datagram after every N-th frame), `silent` (methods never answered),
`split` and `delay` (RTSP responses in small pieces, or late). `requests` counts the requests
received by method.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .._tasks import cancel_and_wait
from .._wire.rtp import RtpPacketizer, rtcp_bye, rtcp_sender_report
from .._wire.rtsp import (
    Reply,
    Request,
    content_base,
    format_response,
    parse_request,
    sdp,
    stream_path,
    udp_client_ports,
)
from .faults import junk_packet
from .video import AccessUnit, H264Encoder

__all__ = ["RtspServer"]

_log = logging.getLogger(__name__)

_PUBLIC = "OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER"
_SR_INTERVAL = 1.0


@dataclass(slots=True)
class _Session:
    id: str
    rtp_addr: tuple[str, int]
    rtcp_addr: tuple[str, int]
    playing: bool = False


@dataclass(slots=True)
class _Client:
    writer: asyncio.StreamWriter
    peer: str
    local: str
    sessions: dict[str, _Session] = field(default_factory=dict)


class _Sink(asyncio.DatagramProtocol):
    """Ignores what clients send to our RTP/RTCP ports (NAT punches, receiver reports)."""


class RtspServer:
    """An RTSP server that streams a test picture while `viewfinder()` is true."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        viewfinder: Callable[[], bool],
        width: int = 432,
        height: int = 240,
        fps: int = 30,
        idle_timeout: float = 60.0,
        loss: float = 0.0,
        seed: int | None = None,
        profile: str = "baseline",
        stap_a: bool = False,
        marker: bool = True,
        split: bool = False,
        delay: float = 0.0,
        reorder: float = 0.0,
        junk: int = 0,
        silent: tuple[str, ...] = (),
    ) -> None:
        self.host = host
        self._port = port
        self._viewfinder = viewfinder
        self._size = (width, height)
        self._fps = fps
        self._idle_timeout = idle_timeout
        self._loss = loss  # probability of dropping each RTP packet (the `rtp-loss` fault)
        self._profile = profile
        self._split = split  # write each response in random small segments (the `split` fault)
        self._delay = delay  # seconds before each response (the `delay` fault)
        self._reorder = reorder  # probability that a packet swaps places with the next
        self._junk = junk  # a junk datagram after every `junk`-th frame (the `rtp-junk` fault)
        self.frames_sent = 0  # frames sent to the playing clients
        self._silent = frozenset(silent)  # methods never answered (the `rtsp-silent` fault)
        self.requests: Counter[str] = Counter()  # requests received, by method
        self._resize_to: tuple[int, int] | None = None
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._rtp: asyncio.DatagramTransport | None = None
        self._rtcp: asyncio.DatagramTransport | None = None
        self._encoder: H264Encoder | None = None
        self._packetizer = RtpPacketizer(stap_a=stap_a, marker=marker)
        self._clients: dict[asyncio.Task[None], _Client] = {}
        self._producer: threading.Thread | None = None
        self._wanted = threading.Event()  # some session plays: encode frames
        self._closing = threading.Event()
        self._last_sr = 0.0

    @property
    def port(self) -> int:
        """The bound TCP port (useful after binding port 0)."""
        return self._port

    @property
    def url(self) -> str:
        """The stream URL, `rtsp://HOST:PORT/live`."""
        return f"rtsp://{self.host}:{self._port}/live"

    async def start(self) -> None:
        """Bind the RTSP port and the RTP/RTCP ports; raises OSError if a bind fails."""
        loop = asyncio.get_running_loop()
        width, height = self._size
        self._encoder = await loop.run_in_executor(
            None, H264Encoder, width, height, self._fps, self._profile
        )
        self._rtp, _ = await loop.create_datagram_endpoint(_Sink, local_addr=(self.host, 0))
        self._rtcp, _ = await loop.create_datagram_endpoint(_Sink, local_addr=(self.host, 0))
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self._port)
        except OSError:
            self._rtp.close()
            self._rtcp.close()
            raise
        self._port = self._server.sockets[0].getsockname()[1]

    def resize(self, width: int, height: int) -> None:
        """Change the picture size mid-stream (new SPS/PPS in-band), as after a setting change."""
        self._resize_to = (width, height)

    async def close(self) -> None:
        """Stop serving: end every session and connection, stop the encoder thread."""
        if self._server is not None:
            self._server.close()
        if self._rtcp is not None:
            self._end_stream()
        for client in self._clients.values():
            client.writer.close()  # the handler then reads end of stream and returns
        await cancel_and_wait(list(self._clients), grace=2.0)
        await self._stop_production()
        for transport in (self._rtp, self._rtcp):
            if transport is not None:
                transport.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # -- RTSP connections ------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")[0]
        client = _Client(writer=writer, peer=peer, local=writer.get_extra_info("sockname")[0])
        self._clients[task] = client
        try:
            while True:
                try:
                    async with asyncio.timeout(self._idle_timeout):
                        request = await _read_request(reader)
                except TimeoutError:
                    _log.info("dropping RTSP client %s: idle for %.0f s", peer, self._idle_timeout)
                    break
                if request is None:
                    break
                self.requests[request.method] += 1
                if request.method in self._silent:
                    continue
                response = self._respond(client, request)
                if self._delay:
                    await asyncio.sleep(self._delay)
                async with asyncio.timeout(self._idle_timeout):
                    await self._write(writer, response)
        except (ConnectionError, ValueError, asyncio.LimitOverrunError) as exc:
            _log.debug("RTSP client %s: %s", peer, exc)
        finally:
            del self._clients[task]
            writer.close()
            self._pause_production()

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not self._split:
            writer.write(data)
            await writer.drain()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pos = 0
        while pos < len(data):
            size = self._rng.randint(1, 7)
            writer.write(data[pos : pos + size])
            await writer.drain()
            await asyncio.sleep(0)
            pos += size

    def _respond(self, client: _Client, request: Request) -> bytes:
        cseq = request.headers.get("cseq", "0")
        handler = {
            "OPTIONS": self._options,
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "PAUSE": self._pause,
            "TEARDOWN": self._teardown,
            "GET_PARAMETER": self._keepalive,
            "SET_PARAMETER": self._keepalive,
        }.get(request.method)
        reply: Reply = (501, {}, b"") if handler is None else handler(client, request)
        return format_response(cseq, reply)

    # -- methods ---------------------------------------------------------------------------

    def _options(self, client: _Client, request: Request) -> Reply:
        return 200, {"Public": _PUBLIC}, b""

    def _describe(self, client: _Client, request: Request) -> Reply:
        if stream_path(request.url) != "/live" or not self._viewfinder():
            return 404, {}, b""
        assert self._encoder is not None
        body = sdp(client.local, self._encoder.sps, self._encoder.pps, self._fps).encode()
        headers = {"Content-Base": content_base(request.url), "Content-Type": "application/sdp"}
        return 200, headers, body

    def _setup(self, client: _Client, request: Request) -> Reply:
        if stream_path(request.url) not in ("/live/track1", "/live") or not self._viewfinder():
            return 404, {}, b""
        ports = udp_client_ports(request.headers.get("transport", ""))
        if ports is None:
            return 461, {}, b""
        session_id = request.session
        if session_id and session_id not in client.sessions:
            return 454, {}, b""
        session_id = session_id or secrets.token_hex(4).upper()
        rtp_port, rtcp_port = ports
        client.sessions[session_id] = _Session(
            session_id, (client.peer, rtp_port), (client.peer, rtcp_port)
        )
        assert self._rtp is not None
        assert self._rtcp is not None
        transport = (
            f"RTP/AVP;unicast;destination={client.peer};source={client.local};"
            f"client_port={rtp_port}-{rtcp_port};"
            f"server_port={self._rtp.get_extra_info('sockname')[1]}-"
            f"{self._rtcp.get_extra_info('sockname')[1]};ssrc={self._packetizer.ssrc:08X}"
        )
        return 200, {"Transport": transport, "Session": self._session_header(session_id)}, b""

    def _play(self, client: _Client, request: Request) -> Reply:
        session = self._session(client, request)
        if session is None:
            return 454, {}, b""
        if not self._viewfinder():
            return 404, {}, b""
        session.playing = True
        assert self._encoder is not None
        self._encoder.request_keyframe()
        self._start_production()
        packetizer = self._packetizer
        rtp_info = (
            f"url={content_base(request.url)}track1;"
            f"seq={packetizer.seq};rtptime={packetizer.timestamp(time.time())}"
        )
        headers = {
            "Session": self._session_header(session.id),
            "Range": "npt=0.000-",
            "RTP-Info": rtp_info,
        }
        return 200, headers, b""

    def _pause(self, client: _Client, request: Request) -> Reply:
        session = self._session(client, request)
        if session is None:
            return 454, {}, b""
        session.playing = False
        self._pause_production()
        return 200, {"Session": self._session_header(session.id)}, b""

    def _teardown(self, client: _Client, request: Request) -> Reply:
        session = self._session(client, request)
        if session is None:
            return 454, {}, b""
        del client.sessions[session.id]
        self._pause_production()
        return 200, {}, b""

    def _keepalive(self, client: _Client, request: Request) -> Reply:
        session = self._session(client, request)
        return 200, {"Session": self._session_header(session.id)} if session else {}, b""

    # -- helpers ---------------------------------------------------------------------------

    def _session(self, client: _Client, request: Request) -> _Session | None:
        return client.sessions.get(request.session)

    def _session_header(self, session_id: str) -> str:
        # FFmpeg sends a keep-alive every timeout/2 whole seconds: keep that above zero.
        return f"{session_id};timeout={max(2, int(self._idle_timeout))}"

    def _playing(self) -> list[_Session]:
        return [s for c in self._clients.values() for s in c.sessions.values() if s.playing]

    # -- frame production and fan-out ------------------------------------------------------

    def _start_production(self) -> None:
        self._wanted.set()
        if self._producer is None:
            self._producer = threading.Thread(
                target=self._produce,
                args=(asyncio.get_running_loop(),),
                name="yicam-rtsp-encoder",
                daemon=True,
            )
            self._producer.start()

    def _pause_production(self) -> None:
        if not self._playing():
            self._wanted.clear()

    async def _stop_production(self) -> None:
        self._closing.set()
        self._wanted.set()
        if self._producer is not None:
            await asyncio.to_thread(self._producer.join, 5.0)
            self._producer = None

    def _produce(self, loop: asyncio.AbstractEventLoop) -> None:
        """Encoder thread: one frame per tick while someone plays, idle otherwise."""
        assert self._encoder is not None
        interval = 1.0 / self._fps
        while not self._closing.is_set():
            if not self._wanted.wait(0.5):
                continue
            deadline = time.monotonic()
            while self._wanted.is_set() and not self._closing.is_set():
                if self._resize_to is not None:
                    size, self._resize_to = self._resize_to, None
                    self._encoder = H264Encoder(*size, self._fps, self._profile)
                    self._encoder.request_keyframe()
                unit = self._encoder.encode()
                try:
                    loop.call_soon_threadsafe(self._deliver, unit)
                except RuntimeError:  # the loop closed under us
                    return
                deadline += interval
                if deadline < time.monotonic() - 1.0:  # fell far behind: don't burst
                    deadline = time.monotonic()
                self._closing.wait(max(0.0, deadline - time.monotonic()))

    def _deliver(self, unit: AccessUnit) -> None:
        playing = self._playing()
        if not playing:
            self._pause_production()
            return
        if not self._viewfinder():
            self._end_stream()
            return
        assert self._rtp is not None
        assert self._rtcp is not None
        packets = self._packetizer.packetize(unit.nals, unit.captured_at)
        send_report = unit.captured_at - self._last_sr >= _SR_INTERVAL
        if send_report:
            self._last_sr = unit.captured_at
            report = rtcp_sender_report(self._packetizer, unit.captured_at)
        self.frames_sent += 1
        if self._junk and self.frames_sent % self._junk == 0:
            shape = self.frames_sent // self._junk
            packets = [*packets, junk_packet(self._packetizer, self._rng, shape)]
        for session in playing:
            sending = list(packets)
            if self._reorder:  # Wi-Fi retries: a packet overtakes the one before it
                for i in range(len(sending) - 1):
                    if self._rng.random() < self._reorder:
                        sending[i], sending[i + 1] = sending[i + 1], sending[i]
            for packet in sending:
                if self._loss and self._rng.random() < self._loss:
                    continue
                self._rtp.sendto(packet, session.rtp_addr)
            if send_report:
                self._rtcp.sendto(report, session.rtcp_addr)

    def _end_stream(self) -> None:
        """The viewfinder went off: say BYE to every playing session and forget it."""
        assert self._rtcp is not None
        bye = rtcp_sender_report(self._packetizer) + rtcp_bye(self._packetizer.ssrc)
        for client in self._clients.values():
            for session_id, session in list(client.sessions.items()):
                if session.playing:
                    self._rtcp.sendto(bye, session.rtcp_addr)
                    del client.sessions[session_id]
        self._pause_production()


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request, or None at end of stream; raises ValueError if malformed."""
    head = b""
    while not head.strip():  # blank lines between requests are allowed
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise ValueError("connection closed inside a request") from None
            return None
    request = parse_request(head[:-4])
    length = request.headers.get("content-length", "0") or "0"
    if not length.isdigit():
        raise ValueError(f"bad Content-Length {length[:20]!r}")
    if int(length):
        await reader.readexactly(min(int(length), 65536))
    return request
