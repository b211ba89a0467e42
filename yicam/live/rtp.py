"""RTP packets and an H.264 depacketizer (RFC 6184, packetization-mode 1), sans-I/O.

`H264Depacketizer` takes RTP packets in arrival order and returns whole access units (frames)
as soon as their last packet is in: on the marker bit, or when a packet with a new timestamp
shows that a camera forgot the marker. Packets are put back in sequence order within a small
window; a hole that outlives the window is a loss. An access unit that lost a packet is never
returned as complete: it is dropped (and so is everything up to the next keyframe, which needs
no earlier picture), or with `conceal=True` returned marked incomplete, with only its intact
NAL units, for the decoder to conceal. The stream's first access unit is trusted to be whole
only when it starts at the sequence number the server announced (RTP-Info) or, without one,
with an SPS or an access unit delimiter (NAL units that only ever open a frame).

A packet that does not fit the stream (another SSRC, a sequence number or timestamp far from
the stream's, or a payload that is no H.264 packet) is set aside without touching the stream:
a stray datagram costs nothing, not even its sequence number, which the real packet may still
fill. Only when two such packets follow each other in sequence (RFC 3550's probation) does the
depacketizer take them as a new stream and start over.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["AccessUnit", "DepacketizerStats", "H264Depacketizer", "RtpPacket", "parse_rtp"]

_HEADER = struct.Struct(">BBHII")
_START_CODE = b"\x00\x00\x00\x01"
_STAP_A = 24
_FU_A = 28
_IDR = 5
_SPS = 7
_PPS = 8
_AUD = 9
_MAX_DROPOUT = 3000  # a forward jump this large in sequence numbers means a new stream (RFC 3550)
_MAX_MISORDER = 100  # a packet this far behind is not late but from a new position (RFC 3550)
_MAX_UNIT = 8 << 20  # bytes; a camera that never ends a frame must not fill our memory
_MAX_TS_JUMP = 10 * 90_000  # RTP ticks (90 kHz for H.264): 10 s, far more than any stall
_PROBATION = 2  # packets in sequence that make a new stream (RFC 3550's MIN_SEQUENTIAL)


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """The fields of one RTP packet that the depacketizer uses."""

    seq: int
    timestamp: int
    marker: bool
    payload_type: int
    ssrc: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class AccessUnit:
    """One frame's NAL units in Annex B form (each after a 4-byte start code)."""

    data: bytes
    timestamp: int  # RTP clock, extended past the 32-bit wrap-around
    keyframe: bool  # holds an IDR slice (SPS and PPS are put in front when it lacks them)
    complete: bool  # every packet arrived; False only with `conceal=True`


@dataclass(slots=True)
class DepacketizerStats:
    """Counters since the depacketizer was created."""

    packets: int = 0
    lost: int = 0  # sequence numbers that never arrived within the window
    late: int = 0  # packets that came after their place was given up, and duplicates
    damaged: int = 0  # access units that lost a packet
    skipped: int = 0  # whole access units dropped while waiting for a keyframe
    vanished: int = 0  # access units whose every packet was lost (estimated from timestamps)
    units: int = 0  # access units returned
    stray: int = 0  # packets set aside: not of this stream, or no H.264 packet


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse one RTP packet; raises ValueError when it is not one."""
    if len(data) < _HEADER.size:
        raise ValueError("RTP packet too short")
    first, second, seq, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise ValueError("not RTP version 2")
    start = _HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in words
        if len(data) < start + 4:
            raise ValueError("RTP header extension cut short")
        start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4], "big")
    end = len(data)
    if first & 0x20:  # padding: the last byte counts the padding bytes
        end -= data[-1]
    if start > end:
        raise ValueError("RTP header longer than the packet")
    return RtpPacket(seq, timestamp, bool(second & 0x80), second & 0x7F, ssrc, data[start:end])


class H264Depacketizer:
    """Reassembles H.264 access units from RTP packets; feed it with `push` and `expire`."""

    def __init__(
        self,
        parameter_sets: tuple[bytes, ...] = (),
        *,
        window: int = 32,
        max_wait: float = 0.02,
        conceal: bool = False,
        first_seq: int | None = None,
    ) -> None:
        self.stats = DepacketizerStats()
        self._window = window  # packets held back at most while a hole is open
        self._max_wait = max_wait  # seconds a hole may stay open
        self._conceal = conceal
        self._params: dict[int, bytes] = {}
        for nal in parameter_sets:
            self._remember(nal)
        self._ssrc: int | None = None
        self._next: int | None = None  # extended sequence number we wait for
        self._started = False  # a packet was taken since (re)starting: the numbers are known
        self._candidates: list[RtpPacket] = []  # strays in sequence: maybe a new stream
        self._first_seq = first_seq  # from RTP-Info: where the stream starts
        self._fresh = False  # no unit boundary seen yet since (re)starting
        self._held: dict[int, tuple[RtpPacket, float]] = {}
        self._gap = False  # packets were lost just before the next one to process
        self._last_ts: int | None = None
        self._interval = 0  # shortest timestamp step between frames seen without a loss
        self._need_keyframe = True
        self._nals: list[bytes] = []
        self._size = 0  # payload bytes of the access unit so far
        self._au_ts: int | None = None
        self._damaged = False
        self._fu: bytearray | None = None

    @property
    def parameter_sets(self) -> tuple[bytes, ...]:
        """The current SPS and PPS (from the SDP or in-band)."""
        return tuple(self._params[kind] for kind in (_SPS, _PPS) if kind in self._params)

    def push(self, packet: RtpPacket, now: float) -> list[AccessUnit]:
        """Add a packet that arrived at `now` (seconds, any monotonic clock)."""
        self.stats.packets += 1
        if not _well_formed(packet.payload):
            self.stats.stray += 1
            return []
        if self._next is None:
            return self._restart(packet) + self._take_packet(packet, now)
        if not self._fits(packet):
            return self._probation(packet, now)
        return self._take_packet(packet, now)

    def _take_packet(self, packet: RtpPacket, now: float) -> list[AccessUnit]:
        out: list[AccessUnit] = []
        assert self._next is not None
        ahead = (packet.seq - self._next + 0x8000) % 0x10000 - 0x8000
        if not self._started and (ahead > _MAX_DROPOUT or ahead < -_MAX_MISORDER):
            out += self._restart(packet)  # RTP-Info named a wrong number
            ahead = 0
        self._started = True
        self._candidates.clear()
        if ahead == 0 and not self._held:  # the usual case: in order, nothing waiting
            self._next += 1
            return out + self._process(packet)
        if ahead < 0 or self._next + ahead in self._held:
            self.stats.late += 1
            return out
        self._held[self._next + ahead] = (packet, now)
        return out + self._release(now)

    def expire(self, now: float) -> list[AccessUnit]:
        """Give up on holes older than `max_wait`; call when `deadline()` has passed."""
        return self._release(now)

    def deadline(self) -> float | None:
        """When the oldest held packet stops waiting for a hole (None when nothing is held)."""
        if not self._held:
            return None
        return min(arrived for _, arrived in self._held.values()) + self._max_wait

    def flush(self) -> list[AccessUnit]:
        """End of stream: process every held packet; an unfinished access unit is dropped."""
        out = self._release(float("inf"))
        self._nals, self._au_ts, self._fu, self._size = [], None, None, 0
        return out

    # -- internals ---------------------------------------------------------------------

    def _fits(self, packet: RtpPacket) -> bool:
        """Whether a packet belongs to the current stream: same source, near it in numbers."""
        if packet.ssrc != self._ssrc:
            return False
        if self._started:
            assert self._next is not None
            ahead = (packet.seq - self._next + 0x8000) % 0x10000 - 0x8000
            if ahead > _MAX_DROPOUT or ahead < -_MAX_MISORDER:
                return False
        if self._last_ts is not None:
            return _near(packet.timestamp, self._last_ts)
        return True

    def _probation(self, packet: RtpPacket, now: float) -> list[AccessUnit]:
        """A packet that does not fit: set aside, unless it and the one before make a stream."""
        self.stats.stray += 1
        last = self._candidates[-1] if self._candidates else None
        if (
            last is not None
            and packet.ssrc == last.ssrc
            and packet.seq == (last.seq + 1) & 0xFFFF
            and _near(packet.timestamp, last.timestamp)
        ):
            self._candidates.append(packet)
        else:
            self._candidates = [packet]
        if len(self._candidates) < _PROBATION:
            return []
        candidates, self._candidates = self._candidates, []
        self.stats.stray -= len(candidates)  # they were the new stream's after all
        out = self._restart(candidates[0])
        for candidate in candidates:
            out += self._take_packet(candidate, now)
        return out

    def _restart(self, packet: RtpPacket) -> list[AccessUnit]:
        """A new source or a jump in sequence numbers: start over from this packet."""
        out = self.flush() if self._next is not None else []
        self._ssrc = packet.ssrc
        self._next = packet.seq if self._first_seq is None else self._first_seq
        self._fresh = self._first_seq is None
        self._first_seq = None
        self._started = False
        self._candidates = []
        self._held.clear()
        self._gap = False
        self._last_ts = None
        self._need_keyframe = True
        return out

    def _release(self, now: float) -> list[AccessUnit]:
        out: list[AccessUnit] = []
        assert self._next is not None or not self._held
        while self._held:
            assert self._next is not None
            if self._next in self._held:
                packet, _ = self._held.pop(self._next)
                self._next += 1
                out += self._process(packet)
                continue
            oldest = min(arrived for _, arrived in self._held.values())
            if now - oldest >= self._max_wait:
                resume = min(self._held)  # waited long enough: the whole hole is lost
            elif max(self._held) - self._next >= self._window:
                # Only what fell out of the window is lost; later numbers may still come.
                resume = min(min(self._held), max(self._held) - self._window + 1)
            else:
                break  # the hole may still fill
            self.stats.lost += resume - self._next
            self._next = resume
            self._gap = True
        return out

    @property
    def dropped(self) -> int:
        """Access units that never reached the decoder whole: damaged, skipped or vanished."""
        return self.stats.damaged + self.stats.skipped + self.stats.vanished

    def _process(self, packet: RtpPacket) -> list[AccessUnit]:
        out: list[AccessUnit] = []
        previous = self._last_ts
        ts = self._unwrap(packet.timestamp)
        gap, self._gap = self._gap, False
        if previous is not None and ts > previous:
            if gap and self._interval:
                self.stats.vanished += max(0, round((ts - previous) / self._interval) - 1)
            elif not gap:
                self._interval = min(self._interval or ts - previous, ts - previous)
        if gap:
            self._fu = None
            if self._au_ts is not None:
                self._damaged = True
        if self._au_ts is not None and ts != self._au_ts:
            out += self._finish()  # a camera that forgets the marker bit
        if self._au_ts is None:
            # After a hole, the lost packets may have been the start of this access unit.
            self._au_ts, self._damaged = ts, gap or (self._fresh and not _opens(packet.payload))
            self._fresh = False
        self._take(packet.payload)
        if packet.marker:
            out += self._finish()
        return out

    def _take(self, payload: bytes) -> None:
        if not payload:
            return
        self._size += len(payload)
        if self._size > _MAX_UNIT:
            self._damaged = True
            self._nals, self._fu = [], None
            return
        kind = payload[0] & 0x1F
        if 1 <= kind <= 23:
            self._end_fragment()
            self._nals.append(payload)
        elif kind == _STAP_A:
            self._end_fragment()
            self._nals += _aggregated(payload)
        else:  # FU-A: `_well_formed` let nothing else through
            self._fragment(payload)

    def _fragment(self, payload: bytes) -> None:
        header = payload[1]
        if header & 0x80:  # start
            self._end_fragment()
            self._fu = bytearray([(payload[0] & 0xE0) | (header & 0x1F)])
        elif self._fu is None:
            self._damaged = True  # the start was lost or never sent
            return
        self._fu += payload[2:]
        if header & 0x40:  # end
            self._nals.append(bytes(self._fu))
            self._fu = None

    def _end_fragment(self) -> None:
        if self._fu is not None:  # a fragmented NAL unit without its end
            self._fu = None
            self._damaged = True

    def _finish(self) -> list[AccessUnit]:
        self._end_fragment()
        nals, ts, damaged = self._nals, self._au_ts, self._damaged
        self._nals, self._au_ts, self._damaged, self._size = [], None, False, 0
        if ts is None or (not nals and not damaged):
            return []
        for nal in nals:
            self._remember(nal)
        keyframe = any(nal[0] & 0x1F == _IDR for nal in nals)
        if damaged:
            self.stats.damaged += 1
            if not self._conceal:
                self._need_keyframe = True
                return []
            if self._need_keyframe or not nals:
                return []
            return [self._unit(nals, ts, keyframe, complete=False)]
        if self._need_keyframe:
            if not keyframe:
                self.stats.skipped += 1
                return []
            self._need_keyframe = False
        return [self._unit(nals, ts, keyframe, complete=True)]

    def _unit(self, nals: list[bytes], ts: int, keyframe: bool, *, complete: bool) -> AccessUnit:
        if keyframe and not any(nal[0] & 0x1F == _SPS for nal in nals):
            nals = [*self.parameter_sets, *nals]
        self.stats.units += 1
        return AccessUnit(b"".join(_START_CODE + nal for nal in nals), ts, keyframe, complete)

    def _remember(self, nal: bytes) -> None:
        if nal and nal[0] & 0x1F in (_SPS, _PPS):
            self._params[nal[0] & 0x1F] = nal

    def _unwrap(self, timestamp: int) -> int:
        if self._last_ts is None:
            self._last_ts = timestamp
        else:
            self._last_ts += (timestamp - self._last_ts + 0x80000000) % 0x100000000 - 0x80000000
        return self._last_ts


def _near(timestamp: int, other: int) -> bool:
    """Whether two RTP timestamps (the second maybe extended) are within `_MAX_TS_JUMP`."""
    return abs((timestamp - other + 0x80000000) % 0x100000000 - 0x80000000) <= _MAX_TS_JUMP


def _well_formed(payload: bytes) -> bool:
    """Whether a payload is an H.264 packet of packetization-mode 1 (RFC 6184).

    A single NAL unit (types 1-23), a STAP-A whose sizes add up exactly, or an FU-A fragment of
    such a NAL unit, with the forbidden bit clear everywhere. STAP-B, MTAP and FU-B belong to
    the interleaved mode; types 0 and 29-31 are undefined.
    """
    if not payload or payload[0] & 0x80:
        return False
    kind = payload[0] & 0x1F
    if 1 <= kind <= 23:
        return True
    if kind == _STAP_A:
        nals = _aggregated(payload)
        return bool(nals) and all(nal[0] & 0x80 == 0 and 1 <= nal[0] & 0x1F <= 23 for nal in nals)
    # An FU-A with both its start and end bits is against the RFC, but whole: let it through.
    return kind == _FU_A and len(payload) > 2 and 1 <= payload[1] & 0x1F <= 23


def _aggregated(payload: bytes) -> list[bytes]:
    """The NAL units of a STAP-A payload; none when their sizes do not fill it exactly."""
    nals = []
    pos = 1
    while pos < len(payload):
        size = int.from_bytes(payload[pos : pos + 2], "big")
        if size == 0 or pos + 2 + size > len(payload):
            return []
        nals.append(payload[pos + 2 : pos + 2 + size])
        pos += 2 + size
    return nals


def _opens(payload: bytes) -> bool:
    """Whether a packet starts with an SPS or an access unit delimiter."""
    if len(payload) < 2:
        return False
    kind = payload[0] & 0x1F
    if kind == _STAP_A and len(payload) > 3:
        kind = payload[3] & 0x1F
    elif kind == _FU_A:
        kind = payload[1] & 0x1F if payload[1] & 0x80 else 0
    return kind in (_SPS, _AUD)
