"""The QR code a Yi 4K scans in its Live mode to stream to RTMP, as the official SDK makes it.

The SDK (`ActionCamera.buildLiveVideoQRCode`) concatenates
`{"ssid":S,"pwd":P,"res":"720p","rate":"2","dur":"0","url":"rtmp://..."}` in that order, with
the network name and password quoted by `org.json.JSONObject.quote` (the SDK runs on Android,
whose version escapes `"`, `\\` and `/` with a backslash, and control characters) and the URL
inserted as it is. ZXing encodes it in byte mode, as ISO-8859-1, at error correction level L,
with a 4-module quiet zone. Text outside ISO-8859-1, which ZXing would turn into `?`, is
encoded as UTF-8 instead (the bytes a network name has on the air).
"""

from __future__ import annotations

import io
from typing import Literal

__all__ = [
    "LIVE_RATES",
    "LIVE_RESOLUTIONS",
    "LiveRate",
    "LiveResolution",
    "live_qr_payload",
    "live_qr_png",
]

LiveResolution = Literal["480p", "720p", "1080p"]
LiveRate = Literal["auto", "low", "middle", "high"]
LIVE_RESOLUTIONS: tuple[LiveResolution, ...] = ("480p", "720p", "1080p")
# The SDK's LiveVideoBitrate: Auto, Low, Middle, High are sent as "0" to "3".
LIVE_RATES: dict[LiveRate, str] = {"auto": "0", "low": "1", "middle": "2", "high": "3"}
_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_MAX_SSID = 32  # bytes (IEEE 802.11)
_QUIET_ZONE = 4  # modules, ZXing's QRCodeWriter default
_MIN_SIDE = 480  # pixels: big enough to scan from a screen


def live_qr_payload(
    ssid: str,
    password: str,
    url: str,
    *,
    resolution: LiveResolution = "1080p",
    rate: LiveRate = "auto",
    duration: int = 0,
) -> bytes:
    """Returns the bytes of the QR code: the SDK's JSON text (`duration` in seconds, 0: no end).

    Raises `ValueError` for an empty or too long (over 32 bytes) network name, a URL that is
    not rtmp:// or holds a quote, backslash or control character (the SDK inserts it unescaped),
    an unknown resolution or rate, or a negative duration.
    """
    if not ssid or len(ssid.encode()) > _MAX_SSID:
        raise ValueError("the network name must have 1 to 32 bytes")
    if not url.lower().startswith("rtmp://") or len(url) <= len("rtmp://"):
        raise ValueError("the camera streams only to rtmp:// URLs")
    if any(char in '"\\' or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise ValueError("the URL must not hold quotes, backslashes or control characters")
    if resolution not in LIVE_RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(LIVE_RESOLUTIONS)}")
    if rate not in LIVE_RATES:
        raise ValueError(f"rate must be one of {', '.join(LIVE_RATES)}")
    if duration < 0:
        raise ValueError("duration must not be negative")
    text = (
        f'{{"ssid":{_quote(ssid)},"pwd":{_quote(password)},"res":"{resolution}",'
        f'"rate":"{LIVE_RATES[rate]}","dur":"{int(duration)}","url":"{url}"}}'
    )
    try:
        return text.encode("iso-8859-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def live_qr_png(payload: bytes) -> bytes:
    """Returns the QR code of `payload` as a PNG image, black on white, at least 480 pixels wide.

    Raises `ValueError` when the payload is too long for a QR code.
    """
    import segno  # the `live` extra

    try:
        code = segno.make_qr(payload, error="L", mode="byte", boost_error=False)
    except segno.DataOverflowError as exc:
        raise ValueError(f"too much text for a QR code: {exc}") from None
    modules = code.symbol_size(scale=1, border=_QUIET_ZONE)[0]
    out = io.BytesIO()
    code.save(
        out,
        kind="png",
        scale=max(4, -(-_MIN_SIDE // modules)),
        border=_QUIET_ZONE,
        dark="black",
        light="white",
    )
    return out.getvalue()


def _quote(text: str) -> str:
    """A JSON string as Android's `org.json.JSONObject.quote` writes it."""
    out = ['"']
    for char in text:
        if char in '"\\/':
            out.append("\\" + char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
