"""Capture-to-decode latency on loopback: `Camera.live_view()` vs FFmpeg with its defaults.

An emulated camera runs in its own process (like a real one, its encoder is not on our CPU). Each
frame carries its capture time in an SEI message; latency is taken when the frame is decoded and
converted to RGB, i.e. when a viewer could show it. The clients run one after the other:

1. `live_view()`: yicam's low-latency options; every frame is handed over as soon as it decodes.
2. FFmpeg defaults, read greedily: `av.open(url, rtsp_transport=udp)` and decode as fast as
   frames come. FFmpeg probes about a second of stream before the first frame; a greedy reader
   then drains that backlog and catches up, so its steady-state latency is the decoder's.
3. FFmpeg defaults, played: the same frames shown on their timestamps, the way ffplay and VLC
   present video. The second buffered while probing is never caught up: it becomes the delay
   users see (the "1-2 s in VLC" of peers.md section 3.3). A frame is shown at
   max(decoded, first display + (pts - first pts)).

    .venv/bin/python benchmarks/live_latency.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import av
from av.sidedata.sidedata import Type as SideDataType

from yicam import Camera
from yicam.live.sei import parse_capture_payload

HOST = "127.0.0.1"
SERVER = """
import asyncio, sys
from yicam.emulator import Emulator
async def main():
    async with Emulator("127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=0) as emu:
        print(emu.port, emu.rtsp_port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


@dataclass
class Run:
    """Latencies (seconds) of one client and how long its first frame took."""

    latencies: list[float]
    first_frame: float

    def median(self) -> float:
        return statistics.median(self.latencies)

    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[round(0.95 * (len(ordered) - 1))]

    def show(self, name: str) -> None:
        print(
            f"  {name:<38} frames {len(self.latencies):4d}  median {self.median() * 1e3:7.1f} ms"
            f"  p95 {self.p95() * 1e3:7.1f} ms  first frame {self.first_frame * 1e3:6.0f} ms"
        )


async def measure_live_view(cam: Camera, seconds: float) -> Run:
    latencies: list[float] = []
    began = time.monotonic()
    first = 0.0
    async with cam.live_view() as live:
        async for frame in live.frames():
            if not latencies:
                first = time.monotonic() - began
            if frame.latency is not None:
                latencies.append(frame.latency)
            if time.monotonic() - began > seconds:
                break
    return Run(latencies, first)


def measure_defaults(url: str, seconds: float) -> tuple[Run, Run]:
    """Greedy and played latencies of one FFmpeg-defaults session."""
    greedy: list[float] = []
    played: list[float] = []
    began = time.monotonic()
    first = 0.0
    start: tuple[float, float] | None = None  # (wall time of first display, its pts in s)
    with av.open(url, options={"rtsp_transport": "udp"}) as container:
        frame: Any
        for frame in container.decode(video=0):
            frame.to_ndarray(format="rgb24")
            now = time.time()
            captured = _capture_time(frame)
            if captured is None or frame.pts is None:
                continue
            pts = float(frame.pts * frame.time_base)
            if start is None:
                start = (now, pts)
                first = time.monotonic() - began
            shown = max(now, start[0] + (pts - start[1]))
            greedy.append(now - captured)
            played.append(shown - captured)
            if time.monotonic() - began > seconds:
                break
    return Run(greedy, first), Run(played, first)


def _capture_time(frame: Any) -> float | None:
    for side in frame.side_data:
        if side.type == SideDataType.SEI_UNREGISTERED:
            return parse_capture_payload(bytes(side))
    return None


async def measure(port: int, rtsp_port: int, seconds: float) -> tuple[Run, Run, Run]:
    async with Camera(HOST, port, rtsp_port=rtsp_port) as cam:
        low = await measure_live_view(cam, seconds)
        await cam.start_viewfinder()
        try:
            greedy, played = await asyncio.to_thread(measure_defaults, cam.rtsp_url, seconds)
        finally:
            await cam.stop_viewfinder()
    return low, greedy, played


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port, rtsp_port = (int(p) for p in server.stdout.readline().split())
        low, greedy, played = asyncio.run(measure(port, rtsp_port, args.seconds))
    finally:
        server.communicate("")
    print(f"432x240 at 30 fps from an emulator in its own process, {args.seconds:g} s per client")
    low.show("live_view()")
    greedy.show("FFmpeg defaults, read greedily")
    played.show("FFmpeg defaults, played (ffplay-like)")
    print(f"  live_view() median: {low.median() * 1e3:.1f} ms (goal <= 100 ms)")
    for name, run in (("greedy", greedy), ("played", played)):
        median, p95 = run.median() / low.median(), run.p95() / low.p95()
        first = run.first_frame / low.first_frame
        print(
            f"  defaults {name} / live_view(): median {median:.1f}x (goal >= 5x), "
            f"p95 {p95:.1f}x, first frame {first:.1f}x"
        )


if __name__ == "__main__":
    main()
