"""RTSP 1.0 wire format for both sides (sans-I/O): messages, Transport, Session and SDP.

The emulator's server and yicam's client share it; neither sockets nor asyncio appear here.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "MAX_HEAD",
    "Reply",
    "Request",
    "Response",
    "VideoTrack",
    "content_base",
    "format_request",
    "format_response",
    "interleaved",
    "parse_request",
    "parse_sdp",
    "parse_session",
    "pop_request",
    "pop_response",
    "port_pair",
    "sdp",
    "stream_path",
    "transport_params",
    "udp_client_ports",
    "udp_transport",
]

Reply = tuple[int, dict[str, str], bytes]  # status, headers, body

MAX_HEAD = 16384  # bytes of start line and headers we accept
_MAX_BODY = 65536
_MAX_HEADERS = 64
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    454: "Session Not Found",
    461: "Unsupported Transport",
    503: "Service Unavailable",
    501: "Not Implemented",
}


@dataclass(frozen=True, slots=True)
class Request:
    """One RTSP request; header names are lower-cased."""

    method: str
    url: str
    headers: dict[str, str]

    @property
    def session(self) -> str:
        """The Session header without its parameters ("" when absent)."""
        return parse_session(self.headers.get("session", ""))[0]


@dataclass(frozen=True, slots=True)
class Response:
    """One RTSP response; header names are lower-cased."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class VideoTrack:
    """The H.264 video track of a session description."""

    control: str  # absolute URL for SETUP
    payload_type: int
    clock_rate: int
    parameter_sets: tuple[bytes, ...]  # SPS and PPS NAL units from sprop-parameter-sets


def parse_request(head: bytes) -> Request:
    """A request from its start line and headers (without body); raises ValueError."""
    start, headers = _parse_head(head)
    if len(start) != 3 or not start[2].startswith("RTSP/"):
        raise ValueError(f"bad request line {' '.join(start)!r}")
    return Request(start[0].upper(), start[1], headers)


def pop_response(buffer: bytearray) -> Response | None:
    """Take one whole response off the front of `buffer`, or None if it is not all there yet.

    Raises ValueError when the bytes are not an RTSP response or are too large.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD:
            raise ValueError("RTSP response head too long")
        return None
    start, headers = _parse_head(bytes(buffer[:end]))
    if len(start) < 2 or not start[0].startswith("RTSP/") or not start[1].isdigit():
        raise ValueError(f"bad status line {' '.join(start)[:80]!r}")
    length = _content_length(headers)
    if len(buffer) < end + 4 + length:
        return None
    body = bytes(buffer[end + 4 : end + 4 + length])
    del buffer[: end + 4 + length]
    return Response(int(start[1]), " ".join(start[2:]), headers, body)


def format_request(method: str, url: str, cseq: int, headers: dict[str, str]) -> bytes:
    """The bytes of a request without body."""
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", "User-Agent: yicam"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def format_response(cseq: str, reply: Reply) -> bytes:
    """The bytes of a response echoing `cseq`."""
    status, headers, body = reply
    lines = [f"RTSP/1.0 {status} {_REASONS[status]}", f"CSeq: {cseq}", "Server: yicam"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_session(value: str) -> tuple[str, float | None]:
    """The session id and its `timeout` in seconds (None when not given) from a Session header."""
    session, *params = (part.strip() for part in value.split(";"))
    for param in params:
        name, _, number = param.partition("=")
        if name.strip().lower() == "timeout":
            try:
                return session, float(number)
            except ValueError:
                break
    return session, None


def udp_transport(rtp_port: int, rtcp_port: int) -> str:
    """The Transport header a client sends to get RTP over UDP to its two ports."""
    return f"RTP/AVP;unicast;client_port={rtp_port}-{rtcp_port}"


def transport_params(value: str) -> dict[str, str]:
    """The parameters of the first choice in a Transport header, names lower-cased."""
    params = [p.strip() for p in value.split(",")[0].split(";")]
    out = {"spec": params[0].upper()}
    for param in params[1:]:
        name, _, arg = param.partition("=")
        out[name.strip().lower()] = arg.strip()
    return out


def port_pair(value: str) -> tuple[int, int] | None:
    """`6970-6971` as (6970, 6971); a single port means it and the next one.

    None when the first is not a number or either is above 65535 (no port, no channel).
    """
    low, _, high = value.strip().partition("-")
    rtp = _number(low)
    if rtp is None:
        return None
    rtcp = _number(high)
    pair = (rtp, rtp + 1 if rtcp is None else rtcp)
    return pair if max(pair) <= 65535 else None


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else None


def udp_client_ports(transport: str) -> tuple[int, int] | None:
    """The client's RTP/RTCP ports from the first UDP choice in a Transport header."""
    for choice in transport.split(","):
        params = transport_params(choice)
        if params["spec"] not in ("RTP/AVP", "RTP/AVP/UDP") or "interleaved" in params:
            continue
        if "client_port" in params:
            ports = port_pair(params["client_port"])
            if ports is not None:
                return ports
    return None


def stream_path(url: str) -> str:
    """The path of a request URL without trailing slashes."""
    return urlsplit(url).path.rstrip("/") or "/"


def content_base(url: str) -> str:
    """`rtsp://host:port/live/` for the host and port the client used."""
    return f"rtsp://{urlsplit(url).netloc}/live/"


def sdp(local: str, sps: bytes, pps: bytes, fps: int, *, name: str = "Ambarella streaming") -> str:
    """A session description shaped like the camera's ("Ambarella streaming", track1)."""
    sprop = f"{base64.b64encode(sps).decode()},{base64.b64encode(pps).decode()}"
    fmtp = (
        f"packetization-mode=1;profile-level-id={sps[1:4].hex().upper()};"
        f"sprop-parameter-sets={sprop}"
    )
    lines = [
        "v=0",
        f"o=- {int(time.time())} 1 IN IP4 {local}",
        f"s={name}",
        f"i={name}",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=tool:Ambarella streaming 2012.03.12",
        "a=type:broadcast",
        "a=control:*",
        "a=range:npt=0-",
        "m=video 0 RTP/AVP 96",
        "a=rtpmap:96 H264/90000",
        f"a=fmtp:96 {fmtp}",
        f"a=framerate:{fps}",
        "a=control:track1",
    ]
    return "\r\n".join(lines) + "\r\n"


def parse_sdp(text: str, base: str) -> VideoTrack:
    """The first H.264 video track of an SDP; `base` resolves its control URL. Raises ValueError."""
    session_control = ""
    media: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            media.append([line])
        elif media:
            media[-1].append(line)
        elif line.startswith("a=control:"):
            session_control = line[len("a=control:") :]
    for lines in media:
        fields = lines[0][2:].split()
        if len(fields) < 4 or fields[0] != "video":
            continue
        track = _h264_track(lines, fields[3:])
        if track is not None:
            payload_type, clock_rate, sprop, control = track
            base = _resolve(base, session_control) if session_control else base
            return VideoTrack(_resolve(base, control), payload_type, clock_rate, sprop)
    raise ValueError("the session description has no H.264 video track")


def _h264_track(
    lines: list[str], formats: list[str]
) -> tuple[int, int, tuple[bytes, ...], str] | None:
    rtpmap: dict[str, tuple[str, int]] = {}
    fmtp: dict[str, str] = {}
    control = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name == "a=rtpmap":
            fmt, _, spec = value.partition(" ")
            codec, _, rate = spec.partition("/")
            clock = rate.split("/")[0]
            rtpmap[fmt] = (codec.upper(), int(clock) if clock.isdigit() else 90000)
        elif name == "a=fmtp":
            fmt, _, params = value.partition(" ")
            fmtp[fmt] = params
        elif name == "a=control":
            control = value
    for fmt in formats:
        codec, clock_rate = rtpmap.get(fmt, ("", 90000))
        if codec == "H264" and fmt.isdigit():
            return int(fmt), clock_rate, _sprop(fmtp.get(fmt, "")), control
    return None


def _sprop(fmtp: str) -> tuple[bytes, ...]:
    for param in fmtp.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "sprop-parameter-sets":
            sets = []
            for part in value.split(","):
                try:
                    nal = base64.b64decode(part.strip(), validate=True)
                except (binascii.Error, ValueError):
                    continue  # a broken set is skipped: in-band ones may still come
                if nal:
                    sets.append(nal)
            return tuple(sets)
    return ()


def _resolve(base: str, control: str) -> str:
    if not control or control == "*":
        return base
    if "://" in control:
        return control
    return base.rstrip("/") + "/" + control.lstrip("/")


def _parse_head(head: bytes) -> tuple[list[str], dict[str, str]]:
    if len(head) > MAX_HEAD:
        raise ValueError("RTSP message head too long")
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
    if len(lines) > _MAX_HEADERS + 1:
        raise ValueError("too many headers")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0].split(), headers


def _content_length(headers: dict[str, str]) -> int:
    value = headers.get("content-length", "0") or "0"
    if not value.isdigit() or int(value) > _MAX_BODY:
        raise ValueError(f"bad Content-Length {value[:20]!r}")
    return int(value)


def pop_request(buffer: bytearray) -> Request | None:
    """Take one whole request (body skipped) off the front of `buffer`; None until it is all there.

    Interleaved binary frames (`$`, channel, 16-bit length: RTCP from a client over TCP) in
    front of it are dropped. Raises ValueError when the bytes are not an RTSP request or are too
    large.
    """
    while True:
        while buffer and buffer[0] in b"\r\n":  # blank lines between requests are allowed
            del buffer[:1]
        if buffer[:1] != b"$":
            break
        if len(buffer) < 4:
            return None
        size = 4 + int.from_bytes(buffer[2:4], "big")
        if len(buffer) < size:
            return None
        del buffer[:size]
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD:
            raise ValueError("RTSP request head too long")
        return None
    request = parse_request(bytes(buffer[:end]))
    length = _content_length(request.headers)
    if len(buffer) < end + 4 + length:
        return None
    del buffer[: end + 4 + length]
    return request


def interleaved(channel: int, packet: bytes) -> bytes:
    """`packet` framed for RTP over the RTSP connection (RFC 2326 10.12)."""
    return b"$" + bytes([channel]) + len(packet).to_bytes(2, "big") + packet
