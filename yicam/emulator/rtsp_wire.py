"""RTSP 1.0 wire format for the emulator's server: requests, responses, Transport and SDP."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "Reply",
    "Request",
    "content_base",
    "format_response",
    "read_request",
    "sdp",
    "stream_path",
    "udp_client_ports",
]

Reply = tuple[int, dict[str, str], bytes]  # status, headers, body

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    454: "Session Not Found",
    461: "Unsupported Transport",
    501: "Not Implemented",
}
_MAX_HEADERS = 64


@dataclass(frozen=True, slots=True)
class Request:
    """One RTSP request; header names are lower-cased."""

    method: str
    url: str
    headers: dict[str, str]

    @property
    def session(self) -> str:
        """The Session header without its parameters ("" when absent)."""
        return self.headers.get("session", "").split(";")[0].strip()


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request, or None at end of stream; raises ValueError if malformed."""
    line = b""
    while not line.strip():
        line = await reader.readline()
        if not line:
            return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("RTSP/"):
        raise ValueError(f"bad request line {line!r}")
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        raw = await reader.readline()
        if not raw.strip():
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise ValueError("too many headers")
    length = int(headers.get("content-length", "0") or 0)
    if length:
        await reader.readexactly(min(length, 65536))
    return Request(parts[0].upper(), parts[1], headers)


def format_response(cseq: str, reply: Reply) -> bytes:
    """The bytes of a response echoing `cseq`."""
    status, headers, body = reply
    lines = [f"RTSP/1.0 {status} {_REASONS[status]}", f"CSeq: {cseq}", "Server: yicam"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def udp_client_ports(transport: str) -> tuple[int, int] | None:
    """The client's RTP/RTCP ports from the first UDP choice in a Transport header."""
    for choice in transport.split(","):
        params = [p.strip() for p in choice.split(";")]
        spec = params[0].upper()
        if spec not in ("RTP/AVP", "RTP/AVP/UDP") or any(
            p.startswith("interleaved") for p in params
        ):
            continue
        for param in params[1:]:
            name, _, value = param.partition("=")
            if name.lower() == "client_port":
                low, _, high = value.partition("-")
                if low.isdigit():
                    rtp = int(low)
                    return rtp, int(high) if high.isdigit() else rtp + 1
    return None


def stream_path(url: str) -> str:
    """The path of a request URL without trailing slashes."""
    return urlsplit(url).path.rstrip("/") or "/"


def content_base(url: str) -> str:
    """`rtsp://host:port/live/` for the host and port the client used."""
    return f"rtsp://{urlsplit(url).netloc}/live/"


def sdp(local: str, sps: bytes, pps: bytes, fps: int) -> str:
    """A session description shaped like the camera's ("Ambarella streaming", track1)."""
    sprop = f"{base64.b64encode(sps).decode()},{base64.b64encode(pps).decode()}"
    fmtp = (
        f"packetization-mode=1;profile-level-id={sps[1:4].hex().upper()};"
        f"sprop-parameter-sets={sprop}"
    )
    lines = [
        "v=0",
        f"o=- {int(time.time())} 1 IN IP4 {local}",
        "s=Ambarella streaming",
        "i=Ambarella streaming",
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
