"""Capture timestamps carried in-band as H.264 SEI user_data_unregistered messages.

The emulator puts one such SEI NAL unit before each frame's slices: payload type 5, the 16-byte
`CAPTURE_UUID`, then the capture time as 8-byte big-endian microseconds since the Unix epoch.
A real camera sends none, so readers must treat the timestamp as optional.
"""

from __future__ import annotations

import struct

__all__ = ["CAPTURE_UUID", "capture_sei_nal", "find_capture_time", "parse_capture_payload"]

CAPTURE_UUID = b"yicam-capture-ts"  # 16 bytes, as the SEI UUID field requires
_SEI_NAL_TYPE = 6
_USER_DATA_UNREGISTERED = 5
_START = b"\x00\x00\x01"
_SEI_START = _START + bytes([_SEI_NAL_TYPE])


def capture_sei_nal(captured_at: float) -> bytes:
    """One SEI NAL unit (no start code) carrying `captured_at` (seconds since the epoch)."""
    payload = CAPTURE_UUID + struct.pack(">Q", round(captured_at * 1_000_000))
    rbsp = bytes([_USER_DATA_UNREGISTERED, len(payload)]) + payload + b"\x80"
    return bytes([_SEI_NAL_TYPE]) + _escape(rbsp)


def parse_capture_payload(payload: bytes) -> float | None:
    """The capture time in a user_data_unregistered payload (UUID + data), if it is ours."""
    if len(payload) < 24 or payload[:16] != CAPTURE_UUID:
        return None
    (micros,) = struct.unpack(">Q", payload[16:24])
    return float(micros) / 1_000_000


def find_capture_time(data: bytes) -> float | None:
    """The capture time in an Annex B access unit, or None when it carries no capture SEI.

    Looks at the SEI NAL units only (an SEI's nal_ref_idc is 0, so its header byte is 6), so
    the slices, most of a frame's bytes, are never copied.
    """
    start = data.find(_SEI_START)
    while start >= 0:
        begin = start + len(_SEI_START)
        end = data.find(_START, begin)
        nal = data[begin : len(data) if end < 0 else end].rstrip(b"\x00")
        when = _parse_sei(_unescape(nal))
        if when is not None:
            return when
        start = data.find(_SEI_START, begin)
    return None


def _parse_sei(rbsp: bytes) -> float | None:
    pos = 0
    while pos + 2 <= len(rbsp) and rbsp[pos] != 0x80:
        kind, pos = _read_varlen(rbsp, pos)
        size, pos = _read_varlen(rbsp, pos)
        body = rbsp[pos : pos + size]
        pos += size
        if kind == _USER_DATA_UNREGISTERED:
            when = parse_capture_payload(body)
            if when is not None:
                return when
    return None


def _read_varlen(rbsp: bytes, pos: int) -> tuple[int, int]:
    value = 0
    while pos < len(rbsp) and rbsp[pos] == 0xFF:
        value += 255
        pos += 1
    if pos < len(rbsp):
        value += rbsp[pos]
    return value, pos + 1


def _escape(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes (0x000003) so no start code appears inside."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _unescape(ebsp: bytes) -> bytes:
    return ebsp.replace(b"\x00\x00\x03", b"\x00\x00")
