"""Faults the emulator can inject, for tests and for reproducing bad cameras."""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from .._wire.rtp import MTU_PAYLOAD, PAYLOAD_TYPE, RtpPacketizer

__all__ = ["Faults", "junk_packet", "parse_faults"]


@dataclass(frozen=True, slots=True)
class Faults:
    """What goes wrong on the emulated camera's sockets."""

    split: bool = False  # write each control message in random small segments
    glue: bool = False  # glue messages sent close together (replies and notifications) in one write
    delay: float = 0.0  # seconds before each control message is written
    drop: bool = False  # close each control connection at a random moment
    drop_data: float = 0.0  # probability that a data-port or HTTP transfer is cut short
    slow_data: int = 0  # throttle data-port and HTTP transfers to this many KiB/s (0: off)
    rtp_loss: float = 0.0  # probability that a live-view RTP packet is lost, as on busy Wi-Fi
    rtp_reorder: float = 0.0  # probability that a live-view RTP packet overtakes the one before
    rtp_junk: int = 0  # after every N-th frame, one junk datagram on the RTP port (0: off)
    rtsp_silent: tuple[str, ...] = ()  # RTSP methods never answered, as by a hung camera
    stap_a: bool = False  # aggregate small NAL units in STAP-A packets, as some firmware does
    no_marker: bool = False  # never set the RTP marker bit, as some Ambarella firmware does
    seed: int | None = None

    def rng(self, stream: int = 0) -> random.Random:
        """A random source; seeded runs repeat exactly.

        `stream` numbers the sources drawn from one seed (the emulator's n-th control
        connection uses stream n): each differs from the others, so a seeded `drop` cuts each
        connection at another byte instead of cutting every reconnect at the same place.
        """
        if self.seed is None or stream == 0:
            return random.Random(self.seed)
        return random.Random(f"{self.seed}/{stream}")


def parse_faults(specs: list[str] | tuple[str, ...], seed: int | None = None) -> Faults:
    """Build `Faults` from `--fault` values such as `split`, `delay=200`, `rtp-loss=0.05`."""
    values: dict[str, object] = {"seed": seed}
    for spec in specs:
        name, _, arg = spec.partition("=")
        name = name.strip().replace("-", "_")
        try:
            if name in ("split", "glue", "drop", "stap_a", "no_marker") and not arg:
                values[name] = True
            elif name == "delay" and arg:
                values["delay"] = float(arg) / 1000
            elif name == "drop_data" and arg:
                values["drop_data"] = float(arg)
            elif name == "slow_data" and arg:
                values["slow_data"] = int(arg)
            elif name in ("rtp_loss", "rtp_reorder") and arg:
                values[name] = float(arg)
            elif name == "rtp_junk" and arg and int(arg) >= 0:
                values[name] = int(arg)
            elif name == "rtsp_silent" and arg:
                values[name] = tuple(m.strip().upper() for m in arg.split(",") if m.strip())
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"unknown fault {spec!r}; use split, glue, drop, delay=MS, drop-data=P, "
                "slow-data=KBPS, rtp-loss=P, rtp-reorder=P, rtp-junk=N, rtsp-silent=METHOD[,...],"
                " stap-a or no-marker"
            ) from None
    return Faults(**values)  # type: ignore[arg-type]


def junk_packet(packetizer: RtpPacketizer, rng: random.Random, shape: int) -> bytes:
    """A datagram that is no packet of `packetizer`'s stream; `shape` picks one of four kinds.

    0: bytes that are not RTP at all; 1: RTP of another source; 2: this stream's source with a
    sequence number and a timestamp far from the stream's; 3: this stream's source, its next
    sequence number and current timestamp (a real packet with that number follows), with a
    payload that is no H.264 packet (the forbidden bit set). Payloads are random otherwise.
    """
    payload = rng.randbytes(rng.randrange(1, MTU_PAYLOAD))
    ssrc, seq, timestamp = packetizer.ssrc, packetizer.seq, packetizer.last_timestamp
    match shape % 4:
        case 0:
            return bytes([rng.randrange(0x80)]) + payload  # RTP version 0 or 1
        case 1:
            ssrc = (ssrc + rng.randrange(1, 1 << 32)) & 0xFFFFFFFF
            seq, timestamp = rng.getrandbits(16), rng.getrandbits(32)
        case 2:
            seq = (seq + 0x8000) & 0xFFFF
            timestamp = (timestamp + 0x80000000) & 0xFFFFFFFF
        case _:
            payload = bytes([0x80 | payload[0]]) + payload[1:]
    header = struct.pack(">BBHII", 0x80, PAYLOAD_TYPE, seq, timestamp, ssrc)
    return header + payload
