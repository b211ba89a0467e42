"""`LiveServer` against viewers that misbehave: none of them may hold back the others."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from yicam._wire.rtsp import (
    MAX_HEAD,
    Response,
    format_request,
    format_response,
    parse_session,
    pop_response,
)
from yicam.emulator import Emulator
from yicam.live import LiveServer, LiveView, rtsp_server

from .conftest import wait_until
from .test_live_out import Viewer, camera_for

TCP = "RTP/AVP/TCP;unicast;interleaved=0-1"


class Rtsp:
    """One bare RTSP connection, made as a careless or hostile program makes it.

    Nothing is read from the socket unless asked: a viewer that stops reading really stops.
    """

    def __init__(self, sock: socket.socket, url: str) -> None:
        self.sock, self.url = sock, url
        self.buffer = bytearray()
        self.cseq = 0
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, url: str, *, receive_buffer: int = 0) -> Rtsp:
        sock = socket.socket()
        if receive_buffer:  # before connecting: the TCP window is agreed then
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        parts = urlsplit(url)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        return cls(sock, url)

    async def send(self, data: bytes) -> None:
        await self.loop.sock_sendall(self.sock, data)

    async def recv(self) -> bytes:
        async with asyncio.timeout(20):
            return await self.loop.sock_recv(self.sock, 65536)

    async def response(self) -> Response | None:
        """The next response, or None when the server hung up first."""
        while (response := pop_response(self.buffer)) is None:
            data = await self.recv()
            if not data:
                return None
            self.buffer += data
        return response

    async def ask(self, method: str, target: str = "", **headers: str) -> Response:
        self.cseq += 1
        await self.send(format_request(method, target or self.url, self.cseq, headers))
        response = await self.response()
        assert response is not None, f"{method}: the server hung up"
        return response

    async def play(self, transport: str) -> str:
        """DESCRIBE, SETUP with `transport`, PLAY; the session id."""
        assert (await self.ask("DESCRIBE")).status == 200
        setup = await self.ask("SETUP", f"{self.url}/track1", Transport=transport)
        assert setup.status == 200, setup
        session = parse_session(setup.headers["session"])[0]
        assert (await self.ask("PLAY", Session=session)).status == 200
        return session

    async def hung_up(self) -> bool:
        """Read until the server closes the connection; False if it keeps it open for 20 s."""
        try:
            while await self.recv():
                pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
async def served(emulator: Emulator) -> AsyncIterator[tuple[LiveView, LiveServer, Viewer]]:
    """A served camera and one well-behaved FFmpeg viewer, decoding frames."""
    async with (
        camera_for(emulator) as cam,
        cam.live_view(retries=None) as live,
        LiveServer(live, port=0) as server,
    ):
        good = Viewer(server.url).start()
        try:
            await wait_until(lambda: good.count() >= 10, timeout=20)
            yield live, server, good
        finally:  # in a thread: it waits for a frame, which this loop serves
            await asyncio.to_thread(good.close)


async def more_frames(viewer: Viewer, frames: int = 30) -> None:
    """Wait until `viewer` decodes `frames` more frames."""
    start = viewer.count()
    await wait_until(lambda: viewer.count() >= start + frames, timeout=20)


@pytest.mark.parametrize(
    "transport",
    [
        "RTP/AVP;unicast;client_port=70000-70001",  # no such port
        "RTP/AVP;unicast;client_port=0-1",
        "RTP/AVP;unicast;client_port=\u00b2-\u00b3",  # digits to str.isdigit, not to int
        "RTP/AVP/TCP;unicast;interleaved=255-256",  # RTCP would need channel 256
        "RTP/AVP/TCP;unicast;interleaved=99999",
        "RTP/AVP;multicast;destination=224.1.1.1",
        "RTP/SAVP;unicast;client_port=6000-6001",
    ],
)
async def test_a_transport_the_server_cannot_serve_is_refused(
    served: tuple[LiveView, LiveServer, Viewer], transport: str
) -> None:
    _live, server, good = served
    client = await Rtsp.open(server.url)
    try:
        setup = await client.ask("SETUP", f"{server.url}/track1", Transport=transport)
        assert setup.status == 461
        # A usable choice after it in the same header is taken.
        setup = await client.ask("SETUP", f"{server.url}/track1", Transport=f"{transport},{TCP}")
        assert setup.status == 200
        assert setup.headers["transport"].startswith("RTP/AVP/TCP;unicast;interleaved=0-1")
    finally:
        client.close()
    await more_frames(good)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64) + b"\r\n\r\n",  # TLS hello
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"DESCRIBE rtsp://127.0.0.1/live RTSP/1.0\r\nContent-Length: 99999999\r\n\r\n",
        b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n" + b"X-Pad: " + b"a" * 20_000 + b"\r\n\r\n",
        b"OPTIONS * RTSP/1.0\r\n" + b"X: y\r\n" * 100 + b"\r\n",
        b"A" * 1_000_000,  # a head that never ends
    ],
    ids=["tls", "http", "content-length", "long-header", "many-headers", "endless"],
)
async def test_a_request_that_is_not_rtsp_gets_400_and_the_connection_closed(
    served: tuple[LiveView, LiveServer, Viewer], garbage: bytes
) -> None:
    _live, server, good = served
    client = await Rtsp.open(server.url)
    received = bytearray()
    try:
        # The server hangs up before it has read it all, so sending may fail: that is the point.
        await asyncio.gather(client.send(garbage), return_exceptions=True)
        with contextlib.suppress(ConnectionError):  # a reset: the server left bytes unread
            while data := await client.recv():
                received += data
    finally:
        client.close()
    if len(garbage) < MAX_HEAD * 2:  # all read by the server: it answered
        assert received.startswith(b"RTSP/1.0 400 Bad Request\r\n")
    else:  # the kernel may throw the answer away with the reset
        assert received in (b"", format_response("0", (400, {}, b"")))
    await more_frames(good)


async def test_one_connection_cannot_open_many_sessions(
    served: tuple[LiveView, LiveServer, Viewer],
) -> None:
    _live, server, good = served
    client = await Rtsp.open(server.url)
    try:
        statuses = [
            (await client.ask("SETUP", f"{server.url}/track1", Transport=TCP)).status
            for _ in range(6)
        ]
    finally:
        client.close()
    assert statuses == [200] * 4 + [503] * 2
    await more_frames(good)


async def test_connections_past_the_limit_are_closed_at_once(
    served: tuple[LiveView, LiveServer, Viewer],
) -> None:
    _live, server, good = served
    idle = [await Rtsp.open(server.url) for _ in range(rtsp_server._MAX_CONNECTIONS - 1)]
    try:
        extra = await Rtsp.open(server.url)  # the good viewer holds one connection
        try:
            assert await extra.hung_up()
        finally:
            extra.close()
        await more_frames(good)
        idle.pop().close()  # one leaves: a new viewer gets in
        await wait_until(lambda: len(server._fan_out._connections) < len(idle) + 2)
        late = await Rtsp.open(server.url)
        try:
            assert (await late.ask("OPTIONS")).status == 200
        finally:
            late.close()
    finally:
        for client in idle:
            client.close()


def rtp_packets(data: bytes | bytearray) -> list[bytes]:
    """The RTP packets on interleaved channel 0 of what a TCP viewer received."""
    packets, at = [], 0
    while at + 4 <= len(data):
        assert data[at] == ord("$"), "interleaved framing lost"
        channel, size = data[at + 1], struct.unpack(">H", data[at + 2 : at + 4])[0]
        if at + 4 + size > len(data):
            break
        if channel == 0:
            packets.append(bytes(data[at + 4 : at + 4 + size]))
        at += 4 + size
    return packets


async def test_a_viewer_that_stops_reading_holds_back_nobody(
    served: tuple[LiveView, LiveServer, Viewer], monkeypatch: pytest.MonkeyPatch
) -> None:
    backlog = 32 * 1024  # the stream's bitrate fills this in about a second
    monkeypatch.setattr(rtsp_server, "_TCP_BACKLOG", backlog)
    _live, server, good = served
    slow = await Rtsp.open(server.url, receive_buffer=4096)
    try:
        await slow.play(TCP)
        port = slow.sock.getsockname()[1]
        (connection,) = (
            c for c in server._fan_out._connections.values()
            if c.writer.get_extra_info("peername")[1] == port
        )  # fmt: skip
        transport: Any = connection.writer.transport
        # Small kernel buffers at both ends (its own at opening): the server's queue, which is
        # what is tested, fills in seconds instead of minutes.
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        peak = 0

        def held_back() -> bool:
            nonlocal peak
            peak = max(peak, int(transport.get_write_buffer_size()))
            return peak > backlog

        # The slow viewer reads nothing more: the kernel's buffers fill, then the server's.
        await wait_until(held_back, timeout=30)
        await more_frames(good, 60)
        held_back()
        assert peak < backlog + 64 * 1024  # what was queued, plus one access unit at most
        assert server.status().viewers == 2  # still connected: it may read again

        # It reads again: what it missed is skipped, and it goes on from a keyframe.
        received = bytearray(slow.buffer)
        packets: list[bytes] = []
        gaps: list[int] = []
        while not gaps or len(packets) < gaps[-1] + 30:
            received += await slow.recv()
            packets = rtp_packets(received)
            sequence = [struct.unpack(">H", packet[2:4])[0] for packet in packets]
            gaps = [
                i for i in range(1, len(sequence)) if sequence[i] != (sequence[i - 1] + 1) & 0xFFFF
            ]
    finally:
        slow.close()
    for i in gaps:
        assert packets[i][12] & 0x1F == 7  # each gap ends at a keyframe's SPS
