"""What `yicam live --serve` costs: latency it adds, and CPU per viewer it serves.

An emulated camera (432x240 at 30 fps, like a Yi 1) runs in its own process and `yicam live
--serve` in another, as a user runs it; viewers are yicam's own "rtp" live views in this process.
Each frame carries its capture time in an SEI message, so latency is capture to decoded frame.

1. Added latency: one viewer reads the camera directly, then one reads the re-served stream,
   in the same run (the server's own camera stream stays open meanwhile). Goal: at most 5 ms
   more at the median.
2. CPU: the server process's CPU time (user + system, from `wait4`) over the same length of
   serving with 0, 1 and 4 viewers; per viewer is the difference to 0 viewers, divided by the
   viewers. The server decodes its camera stream once whatever the viewers; that is the base.

POSIX only (wait4). `.venv/bin/python benchmarks/live_out.py [--seconds 10]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

from emulator_process import Ports, emulator_process

from yicam.live import LiveView

WARM_UP = 2.0  # seconds of serving before measuring: imports, first decoder, first keyframe


def serve(ports: Ports, seconds: float) -> tuple[subprocess.Popen[str], str]:
    """`yicam live --serve` for `seconds` in its own process; returns it and the stream URL."""
    command = [
        sys.executable, "-m", "yicam.cli.main", "--host", "127.0.0.1", "--port", str(ports.port),
        "--rtsp-port", str(ports.rtsp_port), "live", "--serve", "127.0.0.1:0", "--duration",
        str(seconds),
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("rtsp://"):
        proc.kill()
        raise RuntimeError("yicam live --serve did not start")
    return proc, url


def cpu_of(proc: subprocess.Popen[str]) -> float:
    """Wait for `proc` to end; its CPU seconds (user + system)."""
    assert proc.stdout is not None
    proc.stdout.read()
    if sys.platform == "win32":  # no wait4 there: the CPU time is not known
        proc.wait()
        proc.stdout.close()
        return float("nan")
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    return usage.ru_utime + usage.ru_stime


async def latencies(url: str, seconds: float, viewers: int = 1) -> list[float]:
    """Capture-to-decode latencies of `viewers` live views of `url` over `seconds`."""

    async def one() -> list[float]:
        got: list[float] = []
        async with LiveView(url) as live:
            end = time.monotonic() + seconds
            async for frame in live.frames():
                if frame.latency is not None:
                    got.append(frame.latency)
                if time.monotonic() > end:
                    return got
        return got

    runs = await asyncio.gather(*(one() for _ in range(viewers)))
    return [value for run in runs for value in run]


def figures(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1e3, ordered[round(0.95 * (len(ordered) - 1))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    args = parser.parse_args()
    seconds = args.seconds
    with emulator_process(rtsp_port=0) as ports:
        # 1. Latency: direct, then through the server, while the server runs.
        proc, url = serve(ports, 2 * seconds + 3 * WARM_UP)
        time.sleep(WARM_UP)
        camera_url = f"rtsp://127.0.0.1:{ports.rtsp_port}/live"
        direct = asyncio.run(latencies(camera_url, seconds))
        served = asyncio.run(latencies(url, seconds))
        cpu_of(proc)
        # 2. CPU of the server with 0, 1 and 4 viewers.
        cpu = {}
        served4: list[float] = []
        for viewers in (0, 1, 4):
            proc, url = serve(ports, seconds + 2 * WARM_UP)
            time.sleep(WARM_UP)
            if viewers:
                got = asyncio.run(latencies(url, seconds, viewers))
                if viewers == 4:
                    served4 = got
            else:
                time.sleep(seconds)
            cpu[viewers] = cpu_of(proc)
    d_med, d_p95 = figures(direct)
    s_med, s_p95 = figures(served)
    f_med, f_p95 = figures(served4)
    print(f"432x240 at 30 fps from an emulator in its own process, {seconds:g} s per measurement")
    for name, values, (median, p95) in (
        ("direct (rtp engine)", direct, (d_med, d_p95)),
        ("through --serve", served, (s_med, s_p95)),
        ("through --serve, 4 viewers", served4, (f_med, f_p95)),
    ):
        print(f"  {name:<27} frames {len(values):4d}  median {median:5.1f} ms  p95 {p95:5.1f} ms")
    print(
        f"  added by --serve: median {s_med - d_med:+.1f} ms (goal <= 5),"
        f" p95 {s_p95 - d_p95:+.1f} ms; served/direct median {s_med / d_med:.2f}x"
    )
    base = cpu[0] / (seconds + 2 * WARM_UP)
    print(
        f"  server CPU: {base * 100:.1f}% of a core with no viewer (camera stream and decode);"
        f" per viewer +{(cpu[1] - cpu[0]) / seconds * 100:.2f}% (1 viewer),"
        f" +{(cpu[4] - cpu[0]) / 4 / seconds * 100:.2f}% each with 4"
    )


if __name__ == "__main__":
    main()
