"""`yicam live-qr`: the QR code a Yi 4K scans in its Live mode to stream to an RTMP server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .output import Result, safe

if TYPE_CHECKING:
    from ..live import LiveRate, LiveResolution

__all__ = ["live_qr"]


def _seconds(value: str) -> int:
    from .. import parse_duration

    text = value.strip()
    seconds = float(text) if text.replace(".", "", 1).isdigit() else parse_duration(text)
    return round(seconds)


@click.command()
@click.option("--ssid", required=True, help="The Wi-Fi network the camera joins to stream.")
@click.option(
    "--password",
    prompt="Wi-Fi password",
    hide_input=True,
    help="The network's password (asked for, unechoed, when not given).",
)
@click.option("--url", required=True, help="Where the camera streams: rtmp://HOST/APP/KEY.")
@click.option(
    "--res",
    "resolution",
    type=click.Choice(["480p", "720p", "1080p"]),
    default="1080p",
    show_default=True,
    help="Picture size of the stream.",
)
@click.option(
    "--rate",
    type=click.Choice(["auto", "low", "middle", "high"]),
    default="auto",
    show_default=True,
    help="Bitrate (about 0.9, 1.1 and 1.4 Mbit/s at 1080p for low, middle, high).",
)
@click.option(
    "--duration",
    default="0",
    show_default=True,
    help="How long to stream: seconds, or 10m, 1h30m; 0 streams until stopped.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("live-qr.png"),
    show_default=True,
    help="The PNG file to write.",
)
def live_qr(
    ssid: str,
    password: str,
    url: str,
    resolution: LiveResolution,
    rate: LiveRate,
    duration: str,
    output: Path,
) -> Result:
    """Write the QR code a Yi 4K scans in its Live mode to stream to an RTMP server.

    The code holds the network name, password, URL and stream settings exactly as the official
    SDK encodes them; show it to the camera after choosing Live mode. Prints the file written,
    never the password or the URL (it holds the stream key). Fails (exit 1) for a value the
    camera cannot use, or without the live extra.
    """
    from ..live import live_qr_payload, live_qr_png

    seconds = _seconds(duration)  # ValueErrors print as `Error: ...`, without the values
    payload = live_qr_payload(
        ssid, password, url, resolution=resolution, rate=rate, duration=seconds
    )
    png = live_qr_png(payload)
    partial = output.with_name(output.name + ".part")
    partial.write_bytes(png)
    os.replace(partial, output)
    data = {"path": output, "resolution": resolution, "rate": rate, "duration": seconds}
    forever = "until stopped" if seconds == 0 else f"for {seconds} s"
    text = (
        f"Saved {output}: {resolution}, rate {rate}, {forever}; show it to the camera in Live mode"
    )
    return Result(data, safe(text))
