"""RTP packetization of H.264 (RFC 6184, packetization-mode 1) and the RTCP packets servers send.

Besides the usual single NAL unit and FU-A packets, it can send the shapes some Ambarella
firmware sends: small NAL units aggregated in STAP-A packets, and no marker bit at all.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Iterable

__all__ = ["MTU_PAYLOAD", "PAYLOAD_TYPE", "RtpPacketizer", "rtcp_bye", "rtcp_sender_report"]

PAYLOAD_TYPE = 96
CLOCK_RATE = 90_000
# Payload bytes per RTP packet: keeps IP + UDP + RTP headers under a 1500-byte Ethernet MTU.
MTU_PAYLOAD = 1400
_STAP_A = 24
_FU_A = 28
_NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 to 1970


class RtpPacketizer:
    """Turns access units into RTP packets for one stream (one SSRC, one sequence)."""

    def __init__(
        self, mtu_payload: int = MTU_PAYLOAD, *, stap_a: bool = False, marker: bool = True
    ) -> None:
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.mtu_payload = mtu_payload
        self.stap_a = stap_a  # aggregate consecutive small NAL units in STAP-A packets
        self.marker = marker  # set the marker bit on each access unit's last packet
        self.packets_sent = 0
        self.octets_sent = 0
        self._ts_base = random.getrandbits(32)
        self.last_timestamp = self._ts_base

    def timestamp(self, when: float) -> int:
        """The RTP timestamp of wall-clock time `when`."""
        return (self._ts_base + round(when * CLOCK_RATE)) & 0xFFFFFFFF

    def packetize(self, nals: Iterable[bytes], when: float) -> list[bytes]:
        """RTP packets for one access unit; the marker bit is set on the last one."""
        timestamp = self.timestamp(when)
        self.last_timestamp = timestamp
        payloads: list[bytes] = []
        small: list[bytes] = []  # NAL units waiting to be aggregated
        for nal in nals:
            if self.stap_a and 2 + len(nal) <= self.mtu_payload - 1:
                if 1 + sum(2 + len(n) for n in small) + 2 + len(nal) > self.mtu_payload:
                    payloads.append(_aggregate(small))
                    small = []
                small.append(nal)
                continue
            if small:
                payloads.append(_aggregate(small))
                small = []
            if len(nal) <= self.mtu_payload:
                payloads.append(nal)
            else:
                payloads.extend(self._fragment(nal))
        if small:
            payloads.append(_aggregate(small))
        packets = []
        for i, payload in enumerate(payloads):
            marker = 0x80 if self.marker and i == len(payloads) - 1 else 0
            header = struct.pack(
                ">BBHII", 0x80, marker | PAYLOAD_TYPE, self.seq, timestamp, self.ssrc
            )
            self.seq = (self.seq + 1) & 0xFFFF
            self.packets_sent += 1
            self.octets_sent += len(payload)
            packets.append(header + payload)
        return packets

    def _fragment(self, nal: bytes) -> list[bytes]:
        indicator = (nal[0] & 0xE0) | _FU_A
        kind = nal[0] & 0x1F
        body = nal[1:]
        step = self.mtu_payload - 2
        chunks = [body[i : i + step] for i in range(0, len(body), step)]
        fragments = []
        for i, chunk in enumerate(chunks):
            start = 0x80 if i == 0 else 0
            end = 0x40 if i == len(chunks) - 1 else 0
            fragments.append(bytes([indicator, start | end | kind]) + chunk)
        return fragments


def _aggregate(nals: list[bytes]) -> bytes:
    """A STAP-A payload for several NAL units, or the NAL unit itself when there is one."""
    if len(nals) == 1:
        return nals[0]
    nri = max(nal[0] & 0x60 for nal in nals)
    return bytes([nri | _STAP_A]) + b"".join(len(n).to_bytes(2, "big") + n for n in nals)


def rtcp_sender_report(packetizer: RtpPacketizer, when: float | None = None) -> bytes:
    """An RTCP SR tying the stream's RTP timestamps to wall-clock (NTP) time."""
    when = time.time() if when is None else when
    ntp = when + _NTP_EPOCH_OFFSET
    seconds = int(ntp)
    fraction = int((ntp - seconds) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack(
        ">BBHIIIIII",
        0x80,
        200,
        6,
        packetizer.ssrc,
        seconds & 0xFFFFFFFF,
        fraction,
        packetizer.timestamp(when),
        packetizer.packets_sent & 0xFFFFFFFF,
        packetizer.octets_sent & 0xFFFFFFFF,
    )


def rtcp_bye(ssrc: int) -> bytes:
    """An RTCP BYE for `ssrc`: tells the client the stream has ended."""
    return struct.pack(">BBHI", 0x81, 203, 1, ssrc)
