"""Capture-to-decode latency on loopback: yicam's RTP engine, its FFmpeg engine, FFmpeg defaults.

An emulated camera (432x240 at 30 fps, like a Yi 1) runs in its own process, so its encoder is
not on our CPU. Each frame carries its capture time in an SEI message; latency is taken when
the frame is decoded and converted to RGB, i.e. when a viewer could show it. The clients run
one after the other, in this process:

1. `live_view()`: yicam's RTSP client and depacketizer; a frame is decoded when its last RTP
   packet (marker bit) arrives.
2. `live_view(engine="ffmpeg")`: FFmpeg's RTSP demuxer with yicam's low-latency options; its
   H.264 parser sees that a frame ended only when the next begins (one frame later).
3. FFmpeg defaults, read greedily: `av.open(url, rtsp_transport=udp)`, decoding as fast as
   frames come (FFmpeg first probes about a second of stream).

"first frame" is the capture-to-decode latency of the first frame shown (a keyframe: the
emulator sends one when PLAY arrives); "open" is the time from opening to that frame. CPU per
frame is this process's CPU time (all threads) from the first frame to the last, divided by the
frames in between: the steady state. A one-second session with each engine runs first, not
measured, so one-time costs (imports, the first decoder) fall on no client.

    .venv/bin/python benchmarks/live_latency.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import av
from av.sidedata.sidedata import Type as SideDataType
from emulator_process import emulator_process

from yicam import Camera
from yicam._wire.sei import parse_capture_payload

HOST = "127.0.0.1"
FRAME_INTERVAL = 1 / 30


@dataclass
class Run:
    """Latencies (seconds) of one client, its first frame, and CPU time per frame."""

    latencies: list[float]
    first_latency: float
    opened: float  # seconds from opening to the first frame
    cpu: float  # CPU seconds over the run

    def median(self) -> float:
        return statistics.median(self.latencies)

    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[round(0.95 * (len(ordered) - 1))]

    def cpu_per_frame(self) -> float:
        return self.cpu / max(1, len(self.latencies) - 1)

    def show(self, name: str) -> None:
        print(
            f"  {name:<30} frames {len(self.latencies):4d}  median {self.median() * 1e3:6.1f} ms"
            f"  p95 {self.p95() * 1e3:6.1f} ms  first frame {self.first_latency * 1e3:6.1f} ms"
            f"  open {self.opened * 1e3:5.0f} ms  CPU/frame {self.cpu_per_frame() * 1e3:5.2f} ms"
        )


async def measure_live_view(cam: Camera, seconds: float, **options: Any) -> Run:
    latencies: list[float] = []
    cpu = 0.0
    began = time.monotonic()
    first = opened = 0.0
    async with cam.live_view(**options) as live:
        async for frame in live.frames():
            if frame.latency is None:
                continue
            if not latencies:
                opened, first = time.monotonic() - began, frame.latency
                cpu = time.process_time()
            latencies.append(frame.latency)
            if time.monotonic() - began > seconds:
                cpu = time.process_time() - cpu
                break
    return Run(latencies, first, opened, cpu)


def measure_defaults(url: str, seconds: float) -> Run:
    latencies: list[float] = []
    cpu = 0.0
    began = time.monotonic()
    first = opened = 0.0
    with av.open(url, options={"rtsp_transport": "udp"}) as container:
        frame: Any
        for frame in container.decode(video=0):
            frame.to_ndarray(format="rgb24")
            now = time.time()
            captured = _capture_time(frame)
            if captured is None:
                continue
            if not latencies:
                opened, first = time.monotonic() - began, now - captured
                cpu = time.process_time()
            latencies.append(now - captured)
            if time.monotonic() - began > seconds:
                cpu = time.process_time() - cpu
                break
    return Run(latencies, first, opened, cpu)


def _capture_time(frame: Any) -> float | None:
    # By position, as yicam/live/sink.py reads them (iterating gives only the types in PyAV 19).
    index = 0
    while True:
        try:
            side = frame.side_data[index]
        except IndexError:
            return None
        index += 1
        if side.type == SideDataType.SEI_UNREGISTERED:
            captured = parse_capture_payload(bytes(side))
            if captured is not None:
                return captured


async def measure(port: int, rtsp_port: int, seconds: float) -> tuple[Run, Run, Run]:
    async with Camera(HOST, port, rtsp_port=rtsp_port) as cam:
        for engine in ("rtp", "ffmpeg"):  # warm-up, not measured: first imports and decoders
            await measure_live_view(cam, 1.0, engine=engine)
        rtp = await measure_live_view(cam, seconds)
        ffmpeg = await measure_live_view(cam, seconds, engine="ffmpeg")
        await cam.start_viewfinder()
        try:
            defaults = await asyncio.to_thread(measure_defaults, cam.rtsp_url, seconds)
        finally:
            await cam.stop_viewfinder()
    return rtp, ffmpeg, defaults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    args = parser.parse_args()
    with emulator_process(rtsp_port=0) as ports:
        rtp, ffmpeg, defaults = asyncio.run(measure(ports.port, ports.rtsp_port, args.seconds))
    print(f"432x240 at 30 fps from an emulator in its own process, {args.seconds:g} s per client")
    rtp.show('live_view() (engine="rtp")')
    ffmpeg.show('live_view(engine="ffmpeg")')
    defaults.show("FFmpeg defaults (greedy)")
    print(
        f"  rtp: median {rtp.median() * 1e3:.1f} ms (goal <= 8), p95 {rtp.p95() * 1e3:.1f} ms"
        f" (goal <= 12), first frame {rtp.first_latency * 1e3:.1f} ms"
        f" (goal <= one frame interval, {FRAME_INTERVAL * 1e3:.1f})"
    )
    for name, run in (("ffmpeg engine", ffmpeg), ("FFmpeg defaults", defaults)):
        print(
            f"  {name} / rtp: median {run.median() / rtp.median():.1f}x,"
            f" p95 {run.p95() / rtp.p95():.1f}x, first frame"
            f" {run.first_latency / rtp.first_latency:.1f}x, open {run.opened / rtp.opened:.1f}x,"
            f" CPU/frame {run.cpu_per_frame() / rtp.cpu_per_frame():.2f}x (goal >= 1)"
        )


if __name__ == "__main__":
    main()
