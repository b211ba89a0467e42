"""Capture-to-decode latency on loopback: LiveView vs FFmpeg with its default options.

Both clients read the same stream from the same emulated RTSP server, one after the other, and
take each frame's capture time from the SEI the emulator embeds. Latency is measured once the
frame is decoded and converted to RGB (what a viewer would display).

    .venv/bin/python benchmarks/live_latency.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import av
from av.sidedata.sidedata import Type as SideDataType

from yicam.emulator.rtsp import RtspServer
from yicam.live import LiveView
from yicam.live.sei import parse_capture_payload


def summary(name: str, latencies: list[float], first_frame: float) -> float:
    ordered = sorted(latencies)
    median = statistics.median(ordered)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    print(
        f"{name:<28} frames {len(ordered):4d}  median {median * 1000:7.1f} ms  "
        f"p95 {p95 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms  "
        f"first frame after {first_frame * 1000:6.0f} ms"
    )
    return median


async def measure_liveview(url: str, seconds: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    began = time.monotonic()
    first = 0.0
    async with LiveView(url) as live:
        async for frame in live.frames():
            if not latencies:
                first = time.monotonic() - began
            if frame.latency is not None:
                latencies.append(frame.latency)
            if time.monotonic() - began > seconds:
                break
    return latencies, first


def measure_defaults(url: str, seconds: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    began = time.monotonic()
    first = 0.0
    with av.open(url, options={"rtsp_transport": "udp"}) as container:
        frame: Any
        for frame in container.decode(video=0):
            frame.to_ndarray(format="rgb24")
            now = time.time()
            if not latencies:
                first = time.monotonic() - began
            for side in frame.side_data:
                if side.type == SideDataType.SEI_UNREGISTERED:
                    captured = parse_capture_payload(bytes(side))
                    if captured is not None:
                        latencies.append(now - captured)
            if time.monotonic() - began > seconds:
                break
    return latencies, first


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    args = parser.parse_args()
    server = RtspServer("127.0.0.1", 0, viewfinder=lambda: True)
    await server.start()
    try:
        print(f"stream {server.url}, 432x240 at 30 fps, {args.seconds:.0f} s per client")
        low, low_first = await measure_liveview(server.url, args.seconds)
        default, default_first = await asyncio.to_thread(measure_defaults, server.url, args.seconds)
    finally:
        await server.close()
    low_median = summary("LiveView (low latency)", low, low_first)
    default_median = summary("FFmpeg defaults (udp)", default, default_first)
    low_p95 = sorted(low)[round(0.95 * (len(low) - 1))]
    default_p95 = sorted(default)[round(0.95 * (len(default) - 1))]
    print(
        f"defaults / LiveView: median {default_median / low_median:.1f}x, "
        f"p95 {default_p95 / low_p95:.1f}x, first frame {default_first / low_first:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
