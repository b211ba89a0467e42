"""The vendor discovery datagram on UDP 7877, both ends, sans-I/O.

Read from the Yi 4K's stock firmware (its `remoteapi_disc_daemon`, rigs facts in
docs/building-a-rig.md), never tested on hardware: the datagram `amba discovery` (or
`amba discoverywakeup`) is answered, to the sender, with `name:<name>`.
"""

from __future__ import annotations

__all__ = ["DEFAULT_NAME", "DISCOVERY_PORT", "REQUEST", "answer", "parse_answer"]

DISCOVERY_PORT = 7877
REQUEST = b"amba discovery"
_WAKEUP = b"amba discoverywakeup"
DEFAULT_NAME = "amba-1"  # STA_DEVICE_NAME of the firmware's own wifi.conf
_PREFIX = b"name:"
_LONGEST = 64  # characters of a name kept: a host name is at most 63


def answer(data: bytes, name: str) -> bytes | None:
    """The daemon's answer to a datagram, or None when it is not a discovery request."""
    request = data.strip(b"\0\r\n ")
    if request not in (REQUEST, _WAKEUP):
        return None
    return _PREFIX + name.encode()


def parse_answer(data: bytes) -> str | None:
    """The camera name in an answer, made safe to show (None when it is no answer)."""
    data = data.strip(b"\0\r\n ")
    if not data.startswith(_PREFIX):
        return None
    text = data[len(_PREFIX) :].decode("utf-8", "replace")
    return "".join(c if c.isprintable() else "?" for c in text)[:_LONGEST]
