"""The emulator's RTSP server: raw RTSP requests, and FFmpeg (through PyAV) as a real client."""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import time
from dataclasses import dataclass

import av
import pytest

from yicam._wire.rtp import MTU_PAYLOAD, RtpPacketizer
from yicam._wire.sei import capture_sei_nal, find_capture_time
from yicam.emulator.rtsp import RtspServer
from yicam.emulator.video import split_annexb


@dataclass
class Flag:
    on: bool = True


@pytest.fixture
def viewfinder() -> Flag:
    return Flag()


class RawClient:
    """A minimal blocking RTSP client for protocol-level checks."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.port = port
        self.cseq = 0

    def request(self, method: str, url: str, **headers: str) -> tuple[int, dict[str, str], str]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.response()

    def response(self) -> tuple[int, dict[str, str], str]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += self.sock.recv(4096)
        assert headers["cseq"] == str(self.cseq)
        return int(lines[0].split()[1]), headers, body.decode()

    def close(self) -> None:
        self.sock.close()


def url(server: RtspServer, path: str = "/live") -> str:
    return f"rtsp://127.0.0.1:{server.port}{path}"


def read_frames(stream_url: str, count: int) -> list[tuple[int, int, float | None]]:
    """Decode `count` frames with FFmpeg's RTSP client over UDP: (width, height, capture time)."""
    out = []
    with av.open(stream_url, options={"rtsp_transport": "udp"}, timeout=(5, 5)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        for packet in container.demux(stream):
            captured = find_capture_time(bytes(packet))
            for frame in packet.decode():
                out.append((frame.width, frame.height, captured))
            if len(out) >= count:
                break
    return out


async def test_ffmpeg_reads_the_stream_over_udp(server: RtspServer) -> None:
    frames = await asyncio.to_thread(read_frames, server.url, 10)
    assert len(frames) >= 10
    assert all((w, h) == (432, 240) for w, h, _ in frames)
    now = time.time()
    assert all(t is not None and now - 5 < t <= now for _, _, t in frames)


async def test_two_clients_at_once(server: RtspServer) -> None:
    first, second = await asyncio.gather(
        asyncio.to_thread(read_frames, server.url, 15),
        asyncio.to_thread(read_frames, server.url, 15),
    )
    assert len(first) >= 15
    assert len(second) >= 15


async def test_custom_size(viewfinder: Flag) -> None:
    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: True, width=320, height=180, fps=15)
    await srv.start()
    try:
        frames = await asyncio.to_thread(read_frames, srv.url, 3)
    finally:
        await srv.close()
    assert frames[0][:2] == (320, 180)


async def test_options_and_describe(server: RtspServer) -> None:
    client = await asyncio.to_thread(RawClient, server.port)
    try:
        status, headers, _ = await asyncio.to_thread(client.request, "OPTIONS", url(server))
        assert status == 200
        assert "GET_PARAMETER" in headers["public"]
        status, headers, sdp = await asyncio.to_thread(client.request, "DESCRIBE", url(server))
    finally:
        client.close()
    assert status == 200
    assert headers["content-base"] == f"rtsp://127.0.0.1:{server.port}/live/"
    assert headers["content-type"] == "application/sdp"
    lines = sdp.splitlines()
    assert "s=Ambarella streaming" in lines
    assert "m=video 0 RTP/AVP 96" in lines
    assert "a=rtpmap:96 H264/90000" in lines
    assert "a=control:track1" in lines
    fmtp = next(line for line in lines if line.startswith("a=fmtp:96 "))
    assert "packetization-mode=1" in fmtp
    assert "profile-level-id=" in fmtp
    assert "sprop-parameter-sets=" in fmtp


@pytest.mark.parametrize(
    "transport",
    [
        "RTP/AVP/TCP;unicast;interleaved=0-1",
        "RTP/AVP;unicast;interleaved=0-1",
        "RTP/AVP/TCP;unicast;client_port=5000-5001",
    ],
)
async def test_setup_over_tcp_is_refused_with_461(server: RtspServer, transport: str) -> None:
    client = await asyncio.to_thread(RawClient, server.port)
    try:
        status, _, _ = await asyncio.to_thread(
            client.request, "SETUP", url(server, "/live/track1"), Transport=transport
        )
    finally:
        client.close()
    assert status == 461


async def test_ffmpeg_forced_to_tcp_fails(server: RtspServer) -> None:
    def open_tcp() -> None:
        with av.open(server.url, options={"rtsp_transport": "tcp"}, timeout=(5, 5)):
            pass

    with pytest.raises(av.FFmpegError):
        await asyncio.to_thread(open_tcp)


async def test_no_stream_while_the_viewfinder_is_off(server: RtspServer, viewfinder: Flag) -> None:
    viewfinder.on = False
    client = await asyncio.to_thread(RawClient, server.port)
    try:
        status, _, _ = await asyncio.to_thread(client.request, "DESCRIBE", url(server))
        assert status == 404
        status, _, _ = await asyncio.to_thread(
            client.request,
            "SETUP",
            url(server, "/live/track1"),
            Transport="RTP/AVP;unicast;client_port=5000-5001",
        )
        assert status == 404
    finally:
        client.close()
    with pytest.raises(av.FFmpegError):
        await asyncio.to_thread(read_frames, server.url, 1)


async def test_unknown_path_and_session(server: RtspServer) -> None:
    client = await asyncio.to_thread(RawClient, server.port)
    try:
        status, _, _ = await asyncio.to_thread(client.request, "DESCRIBE", url(server, "/other"))
        assert status == 404
        status, _, _ = await asyncio.to_thread(
            client.request, "PLAY", url(server, "/live/"), Session="NOPE"
        )
        assert status == 454
    finally:
        client.close()


async def test_the_stream_ends_when_the_viewfinder_stops(
    server: RtspServer, viewfinder: Flag
) -> None:
    def watch() -> tuple[float, list[float]]:
        stopped_at = 0.0
        captured = []
        with av.open(server.url, options={"rtsp_transport": "udp"}, timeout=(5, 5)) as container:
            for packet in container.demux(video=0):
                when = find_capture_time(bytes(packet))
                if when is not None:
                    captured.append(when)
                if len(captured) == 10 and viewfinder.on:
                    viewfinder.on = False  # msg 260
                    stopped_at = time.time()
        return stopped_at, captured  # the loop ended: FFmpeg saw the RTCP BYE

    stopped_at, captured = await asyncio.to_thread(watch)
    assert stopped_at
    assert max(captured) < stopped_at + 0.1  # nothing captured after the viewfinder stopped


async def test_raw_udp_session_gets_rtp_until_teardown(server: RtspServer) -> None:
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", 0))
    rtp.settimeout(5)
    port = rtp.getsockname()[1]
    client = await asyncio.to_thread(RawClient, server.port)
    try:
        status, headers, _ = await asyncio.to_thread(
            client.request,
            "SETUP",
            url(server, "/live/track1"),
            Transport=f"RTP/AVP;unicast;client_port={port}-{port + 1}",
        )
        assert status == 200
        assert f"client_port={port}-{port + 1}" in headers["transport"]
        assert "server_port=" in headers["transport"]
        session = headers["session"].split(";")[0]
        status, headers, _ = await asyncio.to_thread(
            client.request, "PLAY", url(server, "/live/"), Session=session
        )
        assert status == 200
        assert "seq=" in headers["rtp-info"]
        first_seq = int(headers["rtp-info"].split("seq=")[1].split(";")[0])
        packet = await asyncio.to_thread(rtp.recv, 2048)
        version, payload_type, seq = (
            packet[0] >> 6,
            packet[1] & 0x7F,
            struct.unpack(">H", packet[2:4])[0],
        )
        assert (version, payload_type, seq) == (2, 96, first_seq)
        status, _, _ = await asyncio.to_thread(
            client.request, "GET_PARAMETER", url(server, "/live/"), Session=session
        )
        assert status == 200
        status, _, _ = await asyncio.to_thread(
            client.request, "TEARDOWN", url(server, "/live/"), Session=session
        )
        assert status == 200
    finally:
        client.close()
        await asyncio.sleep(0.2)
        rtp.setblocking(False)
        while True:  # drain what was in flight
            try:
                rtp.recv(2048)
            except BlockingIOError:
                break
        await asyncio.sleep(0.3)
        with pytest.raises(BlockingIOError):
            rtp.recv(2048)
        rtp.close()


async def test_idle_client_is_dropped() -> None:
    # 1 s: well above the talker's 0.1 s gaps, even when a loaded machine stretches them.
    srv = RtspServer("127.0.0.1", 0, viewfinder=lambda: True, idle_timeout=1.0)
    await srv.start()
    talker = await asyncio.to_thread(RawClient, srv.port)
    idler = await asyncio.to_thread(RawClient, srv.port)
    try:
        for _ in range(12):  # keep-alives every 0.1 s keep the talker's connection open
            status, _, _ = await asyncio.to_thread(talker.request, "GET_PARAMETER", srv.url)
            assert status == 200
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(idler.sock.recv, 1) == b""  # closed by the server
    finally:
        talker.close()
        idler.close()
        await srv.close()


def test_fu_a_fragments_reassemble() -> None:
    packetizer = RtpPacketizer()
    small = bytes([0x06]) + bytes(100)
    big = bytes([0x65]) + bytes(range(256)) * 20
    packets = packetizer.packetize([small, big], 1000.0)
    assert all(len(p) - 12 <= MTU_PAYLOAD for p in packets)
    assert [p[1] >> 7 for p in packets] == [0] * (len(packets) - 1) + [1]
    seqs = [struct.unpack(">H", p[2:4])[0] for p in packets]
    assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))
    assert packets[0][12:] == small
    fragments = [p[12:] for p in packets[1:]]
    assert all(f[0] & 0x1F == 28 for f in fragments)
    assert fragments[0][1] & 0x80
    assert fragments[-1][1] & 0x40
    rebuilt = bytes([(fragments[0][0] & 0xE0) | (fragments[0][1] & 0x1F)])
    rebuilt += b"".join(f[2:] for f in fragments)
    assert rebuilt == big


@pytest.mark.parametrize("when", [0.0, 1_700_000_000.000001, 65536 / 1e6, 3 / 1e6])
def test_capture_sei_round_trip(when: float) -> None:
    nal = capture_sei_nal(when)
    assert b"\x00\x00\x00" not in nal
    assert b"\x00\x00\x01" not in nal
    stream = b"\x00\x00\x00\x01" + nal + b"\x00\x00\x01\x65\x88"
    assert split_annexb(stream)[0] == nal
    found = find_capture_time(stream)
    assert found is not None
    assert found == pytest.approx(when, abs=1e-6)


def test_no_capture_sei() -> None:
    assert find_capture_time(b"\x00\x00\x01\x65\x88\x84") is None
