"""The RTP engine (the default): yicam's RTSP client and depacketizer, FFmpeg's decoder.

Each access unit goes to a PyAV H.264 decoder (low-delay flags, no frame threading) as soon as
its last RTP packet is in, in the same thread that read the packet. FFmpeg still decodes,
converts, encodes snapshots and muxes recordings; only the depacketizing is ours.

`open_timeout` bounds every step: each RTSP request and keep-alive gets its answer within it,
and the first frame comes within it after PLAY.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import av

from yicam._errors import CameraTimeoutError, YicamError

from .media import Source, source_from_keyframe
from .rtp import AccessUnit, H264Depacketizer, parse_rtp
from .rtsp_client import RtspClient
from .sink import Sink

__all__ = ["run_rtp"]

_POLL = 0.25  # seconds between chores, and longest wait between checks of `closing`
_RTCP_BYE = 203
_SPS = 7


def run_rtp(
    url: str,
    sink: Sink,
    *,
    open_timeout: float,
    stall_timeout: float,
    conceal: bool = False,
    interface: str | None = None,
) -> BaseException | None:
    """Play the stream and decode until it stalls, ends or the sink closes; return why it ended."""
    try:
        client = RtspClient(url, open_timeout, interface)
    except ValueError as exc:
        return exc
    try:
        track = client.open()
        return _Receiver(client, sink, stall_timeout, conceal).run(track.parameter_sets)
    except (YicamError, OSError, av.FFmpegError) as exc:
        return exc
    finally:
        client.close()
        sink.end()


class _Receiver:
    """The receive loop of one RTSP session."""

    def __init__(self, client: RtspClient, sink: Sink, stall_timeout: float, conceal: bool) -> None:
        assert client.track is not None
        self._client = client
        self._sink = sink
        self._stall_timeout = stall_timeout
        self._time_base = Fraction(1, client.track.clock_rate)
        self._payload_type = client.track.payload_type
        self._decoder: Any = av.CodecContext.create("h264", "r")
        self._decoder.flags |= av.codec.context.Flags.low_delay
        self._decoder.thread_count = 1  # frame threads would hold frames back
        self._depack: H264Depacketizer | None = None
        self._conceal = conceal
        self._first_ts: int | None = None
        self._source: Source | None = None
        self._sps = b""
        self._keyframe = b""  # the latest keyframe with new parameter sets
        self._reported = (0, 0, 0)
        self._frames = 0  # decoded in this session
        self._played = 0.0  # when PLAY was answered

    def run(self, parameter_sets: tuple[bytes, ...]) -> BaseException | None:
        client = self._client
        assert client.rtp is not None
        assert client.rtcp is not None
        assert client.sock is not None
        self._depack = H264Depacketizer(
            parameter_sets, conceal=self._conceal, first_seq=client.first_seq
        )
        rtp = client.rtp
        self._sink.opened()
        now = self._last_packet = self._played = time.monotonic()
        chores = now  # RTCP, RTSP answers, keep-alive and stall checks, every _POLL seconds
        # One blocking read per packet: no selector or drain loop on the path of a frame.
        while not self._sink.closing.is_set():
            deadline = self._depack.deadline()
            wait = chores if deadline is None else min(chores, deadline)
            rtp.settimeout(max(wait - now, 0.001))
            try:
                data, addr = rtp.recvfrom(2048)
            except (TimeoutError, InterruptedError, ConnectionResetError):
                data, addr = b"", None  # a Windows socket reports an ICMP unreachable as a reset
            now = time.monotonic()
            if addr is not None and addr[0] == client.server_addr:
                self._packet(data, now)  # RTP from any port of the camera, only the camera
            if deadline is not None and now >= deadline:
                self._decode(self._depack.expire(now))
            if now >= chores:
                outcome = self._chores(now)
                if outcome is not None:
                    return outcome
                chores = now + _POLL
        return None

    def _packet(self, data: bytes, now: float) -> None:
        assert self._depack is not None
        try:
            packet = parse_rtp(data)
        except ValueError:
            return
        if packet.payload_type == self._payload_type:
            strays = self._depack.stats.stray
            units = self._depack.push(packet, now)
            if self._depack.stats.stray == strays:  # junk must not keep a dead stream alive
                self._last_packet = now
            if units:
                self._decode(units)

    def _chores(self, now: float) -> BaseException | None:
        outcome = self._read_rtcp()
        if outcome is not None:
            return outcome
        if not self._client.read_control():
            return EOFError("the camera closed the RTSP connection")
        self._report()
        if now - self._last_packet > self._stall_timeout:
            return CameraTimeoutError(f"{self._client.url}: no video for too long")
        if not self._frames and now - self._played > self._client.timeout:
            return CameraTimeoutError(
                f"{self._client.url}: no frame within {self._client.timeout:g} s of PLAY"
            )
        self._client.check_keepalive(now)
        if self._client.keepalive_due(now) <= 0:
            self._client.keepalive()
        return None

    def _read_rtcp(self) -> BaseException | None:
        client = self._client
        assert client.rtcp is not None
        while True:
            try:
                data, addr = client.rtcp.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return None
            except ConnectionResetError:  # Windows reports an ICMP unreachable this way
                continue
            if addr[0] == client.server_addr and _has_bye(data):
                return EOFError("the stream ended")

    def _decode(self, units: list[AccessUnit]) -> None:
        for unit in units:
            self._sink.unit(unit)  # re-serving and restreaming first: they add no latency
            if self._first_ts is None:
                self._first_ts = unit.timestamp
            packet = av.Packet(unit.data)
            packet.pts = packet.dts = unit.timestamp - self._first_ts
            packet.time_base = self._time_base
            packet.is_keyframe = unit.keyframe
            self._sink.decoding(packet.pts, unit.data)
            try:
                frames = self._decoder.decode(packet)
            except av.error.InvalidDataError:
                self._sink.rejected()
                frames = []
            self._frames += len(frames)
            for frame in frames:
                self._sink.frame(frame)
            if unit.complete:
                self._record(unit, packet)

    def _record(self, unit: AccessUnit, packet: Any) -> None:
        if unit.keyframe:
            sps = _sps(unit.data)
            if sps != self._sps:  # a new picture size or profile: a new source for recordings
                self._sps, self._source, self._keyframe = sps, None, unit.data
        if not self._sink.recording() or not self._keyframe:
            return
        if self._source is None:  # FFmpeg parses the parameter sets, only when recording
            try:
                self._source = source_from_keyframe(self._keyframe, self._time_base)
            except ValueError:
                self._keyframe = self._sps = b""  # recordings wait for the next keyframe
                return
        self._sink.record(packet, self._source)

    def _report(self) -> None:
        assert self._depack is not None
        now = (self._depack.stats.lost, self._depack.stats.late, self._depack.dropped)
        if now != self._reported:
            lost, late, dropped = (a - b for a, b in zip(now, self._reported, strict=True))
            self._reported = now
            self._sink.losses(lost, late, dropped)


def _sps(data: bytes) -> bytes:
    for nal in data.split(b"\x00\x00\x00\x01"):
        if nal and nal[0] & 0x1F == _SPS:
            return nal
    return b""


def _has_bye(data: bytes) -> bool:
    """Whether a (compound) RTCP packet holds a BYE."""
    pos = 0
    while pos + 4 <= len(data):
        if data[pos + 1] == _RTCP_BYE:
            return True
        pos += 4 * (int.from_bytes(data[pos + 2 : pos + 4], "big") + 1)
    return False
