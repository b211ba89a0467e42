"""What `yicam live --serve` costs: latency it adds, and CPU per viewer it serves.

An emulated camera (432x240 at 30 fps, like a Yi 1) runs in its own process and `yicam live
--serve` in another, as a user runs it. Each frame carries its capture time in an SEI message,
so latency is capture to decoded frame.

1. Added latency: one viewer (yicam's own "rtp" live view, in this process) reads the camera
   directly while one reads the re-served stream, at the same time; then 4 read the server
   beside the direct one. Each served frame is compared with the same frame (by capture time)
   seen directly, so a busy machine weighs on both alike. Goal: at most 5 ms more at the
   median.
2. CPU: the server process's CPU time (user + system, from `wait4`, its whole life) serving
   for the same length of time to 0, 4 and 64 viewers over UDP, 64 over TCP and 0 again (the
   difference between the two runs without viewers is the noise). These viewers
   receive the stream and throw it away, all in one thread of this process, so that their own
   decoding takes no CPU from the server; per viewer is the difference to 0 viewers, divided by
   the viewers. The server receives and decodes its camera stream once whatever the viewers:
   that is the base.

POSIX only (wait4). `.venv/bin/python benchmarks/live_out.py [--seconds 10] [--cpu-seconds 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from emulator_process import Ports, emulator_process

from yicam._wire.rtsp import Response, format_request, parse_session, pop_response, udp_transport
from yicam.live import LiveView

WARM_UP = 2.0  # seconds of serving before measuring: imports, first decoder, first keyframe
MANY = 64  # viewers for the CPU per viewer: enough that their cost stands out of the base's noise


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


async def latencies(url: str, seconds: float) -> dict[float, float]:
    """Capture-to-decode latency of each frame of one live view of `url`, by capture time."""
    got: dict[float, float] = {}
    async with LiveView(url) as live:
        end = time.monotonic() + seconds
        async for frame in live.frames():
            if frame.captured_at is not None and frame.latency is not None:
                got[frame.captured_at] = frame.latency
            if time.monotonic() > end:
                break
    return got


async def side_by_side(
    camera_url: str, url: str, seconds: float, viewers: int
) -> tuple[list[float], list[float], list[float]]:
    """One viewer of the camera and `viewers` of the server at once, over the same frames.

    Returns the direct latencies, the served ones, and for each served frame the difference to
    the same frame seen directly: the machine's load then weighs on both paths alike.
    """
    direct, *served = await asyncio.gather(
        latencies(camera_url, seconds), *(latencies(url, seconds) for _ in range(viewers))
    )
    added = [value - direct[at] for run in served for at, value in run.items() if at in direct]
    return list(direct.values()), [v for run in served for v in run.values()], added


def play(url: str, transport: str) -> list[socket.socket]:
    """One RTSP session of `url` playing over "udp" or "tcp"; the sockets its stream comes on."""
    parts = urlsplit(url)
    rtsp = socket.create_connection((parts.hostname, parts.port), timeout=15)
    buffer = bytearray()

    def ask(cseq: int, method: str, target: str, headers: dict[str, str]) -> Response:
        rtsp.sendall(format_request(method, target, cseq, headers))
        while (response := pop_response(buffer)) is None:
            data = rtsp.recv(65536)
            if not data:
                raise RuntimeError(f"{method}: the server closed the connection")
            buffer.extend(data)
        if response.status != 200:
            raise RuntimeError(f"{method}: {response.status} {response.reason}")
        return response

    ask(1, "DESCRIBE", url, {"Accept": "application/sdp"})
    sockets = [rtsp]
    if transport == "udp":
        for _ in range(2):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        wanted = udp_transport(sockets[1].getsockname()[1], sockets[2].getsockname()[1])
    else:
        wanted = "RTP/AVP/TCP;unicast;interleaved=0-1"
    setup = ask(2, "SETUP", f"{url}/track1", {"Transport": wanted})
    ask(3, "PLAY", url, {"Session": parse_session(setup.headers["session"])[0]})
    return sockets


@contextlib.contextmanager
def drained(url: str, viewers: int, transport: str) -> Iterator[list[int]]:
    """`viewers` sessions of `url` whose stream is read and dropped; yields bytes per viewer."""
    received = [0] * viewers
    selector = selectors.DefaultSelector()
    sessions = [play(url, transport) for _ in range(viewers)]
    for index, sockets in enumerate(sessions):
        for sock in sockets:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, index)
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            for key, _ in selector.select(0.2):
                with contextlib.suppress(BlockingIOError):
                    received[key.data] += len(key.fileobj.recv(65536))  # type: ignore[union-attr]

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        yield received
    finally:
        stop.set()
        thread.join()
        selector.close()
        for sockets in sessions:
            for sock in sockets:
                sock.close()


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def figures(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1e3, ordered[round(0.95 * (len(ordered) - 1))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each latency run")
    parser.add_argument("--cpu-seconds", type=float, default=20.0, help="length of each CPU run")
    args = parser.parse_args()
    seconds, cpu_seconds = args.seconds, args.cpu_seconds
    load = load_average()
    with emulator_process(rtsp_port=0) as ports:
        # 1. Latency: the camera and the server side by side, with 1 and with 4 served viewers.
        proc, url = serve(ports, 2 * seconds + 4 * WARM_UP)
        time.sleep(WARM_UP)
        camera_url = f"rtsp://127.0.0.1:{ports.rtsp_port}/live"
        one = asyncio.run(side_by_side(camera_url, url, seconds, 1))
        four = asyncio.run(side_by_side(camera_url, url, seconds, 4))
        proc.kill()
        cpu_of(proc)
        # 2. CPU of the server, the same length of serving with each number of viewers.
        # No viewer first and last: how far two equal runs differ is the noise.
        runs = ((0, "udp"), (4, "udp"), (MANY, "udp"), (MANY, "tcp"), (0, "udp"))
        cpu: list[float] = []
        received: list[float] = []
        for viewers, transport in runs:
            proc, url = serve(ports, cpu_seconds + 2 * WARM_UP)
            time.sleep(WARM_UP)
            with drained(url, viewers, transport) as got:
                time.sleep(cpu_seconds)
            cpu.append(cpu_of(proc))
            received.append(min(got, default=0) * 8 / cpu_seconds / 1e3)
    print(
        f"432x240 at 30 fps from an emulator in its own process; latency runs {seconds:g} s,"
        f" CPU runs {cpu_seconds:g} s; load average {load} at the start,"
        f" {load_average()} at the end"
    )
    for viewers, (direct, served, added) in ((1, one), (4, four)):
        print(f"  {viewers} served viewer{'s' if viewers > 1 else ''}, one direct, at once:")
        for name, values in (
            ("direct (rtp engine)", direct),
            ("through --serve", served),
            ("added, frame by frame", added),
        ):
            median, p95 = figures(values)
            print(
                f"    {name:<22} frames {len(values):4d}  median {median:5.1f} ms"
                f"  p95 {p95:5.1f} ms"
            )
    print(f"  added by --serve at the median: {figures(one[2])[0]:+.1f} ms (goal <= 5)")
    base = (cpu[0] + cpu[-1]) / 2
    life = cpu_seconds + 2 * WARM_UP
    print(
        f"  server CPU over its {life:g} s, no viewer (camera stream and decode): {cpu[0]:.2f} s"
        f" and {cpu[-1]:.2f} s, {base / life * 100:.1f}% of a core (noise: the two differ by"
        f" {abs(cpu[0] - cpu[-1]):.2f} s)"
    )
    for (viewers, transport), value, rate in zip(
        runs[1:-1], cpu[1:-1], received[1:-1], strict=True
    ):
        each = (value - base) / viewers / cpu_seconds * 100
        print(
            f"  {viewers:2d} viewers over {transport.upper()}: {value:.2f} s, {each:+.3f}% of a"
            f" core per viewer (each got {rate:.0f} kbit/s)"
        )


if __name__ == "__main__":
    main()
