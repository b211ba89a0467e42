"""Trigger spread across 8 cameras: yicam's `Fleet` against the sequential fan-out.

Eight emulators run each in its own process on its own address (127.0.0.2..9) and note two
times for each record-start request (msg 513), both on CLOCK_MONOTONIC, which every process
shares:
- **kernel arrival**: the kernel's receive timestamp of the bytes (SO_TIMESTAMPNS read with
  recvmsg on the emulator's control socket; CLOCK_REALTIME, moved onto the monotonic clock
  with an offset each process measures once). This is when the request reached the camera,
  what a camera with its own CPU would act on. The goals are judged on it.
- **wake-up**: the first Python code to see the bytes, once the OS has woken the emulator's
  process. On a shared two-core machine eight processes woken at once wait their turn, so
  this mostly measures the scheduler, which real cameras (each with its own CPU) do not share.
The client runs, interleaved in blocks in one run, ROUNDS each of:
- `Fleet.start_recording` (every request encoded beforehand and written in one pass);
- the sequential fan-out existing tools use (send to one camera, wait for its reply, then
  the next), against emulators that answer at once (the spread is then loopback round trips
  only), and against emulators answering in the captured 10-60 ms per command
  (`CAPTURED_REPLY_LATENCY`, docs/protocol.md "Reply latency"), as real cameras do;
- a bare one-pass client (sockets and pre-encoded requests written in one loop, no yicam):
  the floor the host allows, so fleet/bare shows what yicam adds.
Prints p50/p95/max of the first-to-last arrival spread of each, the ratios and the goals
(fleet p95 <= 5 ms; at least 5x smaller than the sequential fan-out against cameras that
answer as real ones do). CAMERAS=N overrides 8; PIN=1 pins the client to CPU 0 and the
emulators to the others (Linux). The kernel stamps need Linux; elsewhere only wake-up shows.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable

from yicam import Camera, Fleet
from yicam.emulator import CAPTURED_REPLY_LATENCY

CAMERAS = int(os.environ.get("CAMERAS", "8"))
ROUNDS = 50
BLOCKS = 5  # blocks alternate, so the machine's load drifts over every kind alike
START_RECORD = 513
STOP_RECORD = 514
SETTLE = 0.05  # seconds between rounds: the emulators finish their post-stop notifications
TIME_SCALE = 0.1  # the emulators' delays: notifications stay out of the trigger window

_SERVER = """
import asyncio, json, socket, struct, sys, time
from yicam.emulator import Emulator

SO_TIMESTAMPNS = 35  # Linux (x86, arm, most others); SCM_TIMESTAMPNS is the same value
arrivals = []  # [wake-up, kernel arrival or None] per record start, monotonic seconds
stamped_fds = set()
kernel_stamp = {}


def realtime_offset():
    # CLOCK_REALTIME - CLOCK_MONOTONIC from the tightest of many readings.
    best = None
    for _ in range(2000):
        before = time.monotonic_ns(); real = time.time_ns(); after = time.monotonic_ns()
        if best is None or after - before < best[0]:
            best = (after - before, real - (before + after) // 2)
    return best[1]


OFFSET = realtime_offset() if sys.platform == "linux" else None
plain_recv = socket.socket.recv


def recv(self, size, flags=0):
    if self.fileno() not in stamped_fds:
        return plain_recv(self, size, flags)
    data, ancillary, _flags, _addr = self.recvmsg(size, socket.CMSG_SPACE(16), flags)
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
            seconds, nanos = struct.unpack("qq", value[:16])
            kernel_stamp[self.fileno()] = (seconds * 10**9 + nanos - OFFSET) / 1e9
    return data


socket.socket.recv = recv
made = asyncio.StreamReaderProtocol.connection_made
received = asyncio.StreamReaderProtocol.data_received


def connection_made(self, transport):
    sock = transport.get_extra_info("socket")
    if OFFSET is not None and sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            stamped_fds.add(sock.fileno())
        except OSError:
            pass
    made(self, transport)


def data_received(self, data):
    if b'"msg_id":513' in data:
        sock = self._transport.get_extra_info("socket")
        kernel = kernel_stamp.pop(sock.fileno(), None) if sock is not None else None
        arrivals.append([time.monotonic(), kernel])
    received(self, data)


asyncio.StreamReaderProtocol.connection_made = connection_made
asyncio.StreamReaderProtocol.data_received = data_received


async def main(host):
    async with Emulator(host, 0, data_port=0, http_port=0, rtsp_port=None,
                        time_scale=TIME_SCALE) as emu:
        print(emu.port, flush=True)
        loop = asyncio.get_running_loop()
        while (line := await loop.run_in_executor(None, sys.stdin.readline)).strip():
            low, high = map(float, line.split())
            emu.state.reply_latency = (low, high)
            print("ok", flush=True)
    print(json.dumps(arrivals), flush=True)

TIME_SCALE = float(sys.argv[2])
asyncio.run(main(sys.argv[1]))
"""


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def drive(
    ports: dict[str, int], rounds: int, kinds: tuple[str, ...], send_spreads: list[float]
) -> list[str]:
    """Interleaved rounds of `kinds` (fleet and/or sequential starts), each then stopped."""
    cameras = {host: Camera(host, port, timeout=5.0) for host, port in ports.items()}
    order = []
    async with Fleet(cameras) as fleet:
        if not (connected := await fleet.connect()).ok:
            raise SystemExit(f"cannot reach the emulators: {connected.summary()}")
        for _ in range(rounds):
            for kind in kinds:
                if kind == "fleet":
                    shot = await fleet.start_recording()
                    if not shot.ok:
                        raise SystemExit(f"fleet start failed: {shot.summary()}")
                    send_spreads.append(shot.send_spread * 1000)
                else:
                    for cam in fleet.cameras.values():
                        await cam.call(START_RECORD)
                stopped = await fleet.stop_recording()
                if not stopped.ok:
                    raise SystemExit(f"stop failed: {stopped.summary()}")
                order.append(kind)
                await asyncio.sleep(SETTLE)
    return order


class BareCamera:
    """The least a client can do: a socket, pre-encoded requests, `raw_decode` for replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = ""
        self.token = 0

    async def reply(self, msg_id: int) -> dict[str, object]:
        """The next reply to `msg_id` (notifications and other objects are skipped)."""
        return await self.next(lambda obj: "rval" in obj and obj.get("msg_id") == msg_id)

    async def notification(self, kind: str) -> dict[str, object]:
        """The next notification of type `kind`."""
        return await self.next(lambda obj: obj.get("msg_id") == 7 and obj.get("type") == kind)

    async def next(self, wanted: Callable[[dict[str, object]], bool]) -> dict[str, object]:
        """The next JSON object that is `wanted` (others are skipped)."""
        decoder = json.JSONDecoder()
        while True:
            text = self.buffer.lstrip()
            try:
                obj, end = decoder.raw_decode(text)
            except ValueError:
                self.buffer = text + (await self.reader.read(65536)).decode()
                continue
            self.buffer = text[end:]
            if isinstance(obj, dict) and wanted(obj):
                return obj

    def request(self, msg_id: int) -> bytes:
        """A request, encoded beforehand."""
        return json.dumps({"msg_id": msg_id, "token": self.token}, separators=(",", ":")).encode()


async def drive_bare(ports: dict[str, int], rounds: int) -> list[str]:
    """The bare baseline: every start written in one loop over bare sockets."""
    cameras = []
    for host, port in ports.items():
        cam = BareCamera(*await asyncio.open_connection(host, port))
        cam.writer.write(b'{"msg_id":257,"token":0}')
        token = (await cam.reply(257))["param"]
        assert isinstance(token, int)
        cam.token = token
        cameras.append(cam)
    for msg_id in (START_RECORD, STOP_RECORD) * rounds:
        payloads = [cam.request(msg_id) for cam in cameras]
        for cam, payload in zip(cameras, payloads, strict=True):
            cam.writer.write(payload)
        for cam in cameras:
            if (await cam.reply(msg_id))["rval"] != 0:
                raise SystemExit(f"bare msg {msg_id} refused")
        if msg_id == STOP_RECORD:  # as the fleet's stop: the videos are written, then a pause
            for cam in cameras:
                await cam.notification("video_record_complete")
            await asyncio.sleep(SETTLE)
    for cam in cameras:
        cam.writer.close()
    return ["bare"] * rounds


def set_latency(servers: list[subprocess.Popen[str]], latency: tuple[float, float]) -> None:
    """Every emulator's reply latency, in camera seconds (the emulators scale them)."""
    for server in servers:
        assert server.stdin is not None
        server.stdin.write(f"{latency[0]} {latency[1]}\n")
        server.stdin.flush()
    for server in servers:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ok":
            raise SystemExit("an emulator did not take the reply latency")


def row(label: str, values: list[float]) -> str:
    """One table line: p50, p95, max."""
    if not values:
        return f"  {label:<34}{'n/a':>8}"
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    return f"  {label:<34}{p50:8.3f} {p95:8.3f} {max(values):8.3f}"


def load() -> str:
    """The 1-minute load average, where the OS has one."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def main() -> None:
    hosts = [f"127.0.0.{i}" for i in range(2, 2 + CAMERAS)]
    load_before = load()
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", _SERVER, host, str(TIME_SCALE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for host in hosts
    ]
    if os.environ.get("PIN") and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
        for server in servers:
            os.sched_setaffinity(server.pid, set(range(1, os.cpu_count() or 2)))
    # The captured latency in camera seconds: the emulators multiply by TIME_SCALE, so the
    # real wait is the captured 10-60 ms.
    captured = (CAPTURED_REPLY_LATENCY[0] / TIME_SCALE, CAPTURED_REPLY_LATENCY[1] / TIME_SCALE)
    try:
        ports = {}
        for host, server in zip(hosts, servers, strict=True):
            assert server.stdout is not None
            ports[host] = int(server.stdout.readline())
        send_spreads: list[float] = []
        order: list[str] = []
        per_block = ROUNDS // BLOCKS
        for _ in range(BLOCKS):
            order += asyncio.run(drive(ports, per_block, ("fleet", "sequential"), send_spreads))
            order += asyncio.run(drive_bare(ports, per_block))
            set_latency(servers, captured)
            order += ["sequential, captured"] * len(
                asyncio.run(drive(ports, per_block, ("sequential",), send_spreads))
            )
            set_latency(servers, (0.0, 0.0))
    finally:
        outputs = [server.communicate("\n")[0] for server in servers]
    arrivals = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    kinds = ("fleet", "sequential", "sequential, captured", "bare")
    wake: dict[str, list[float]] = {kind: [] for kind in kinds}
    kernel: dict[str, list[float]] = {kind: [] for kind in kinds}
    delays = [(wake - k) * 1000 for camera in arrivals for wake, k in camera if k is not None]
    for index, kind in enumerate(order):
        stamps = [camera[index] for camera in arrivals]
        wake[kind].append(spread([stamp[0] for stamp in stamps]))
        if all(stamp[1] is not None for stamp in stamps):
            kernel[kind].append(spread([stamp[1] for stamp in stamps]))
    labels = {
        "fleet": "yicam Fleet (one pass)",
        "sequential": "sequential, instant emulators",
        "sequential, captured": "sequential, captured 10-60 ms",
        "bare": "bare one-pass client",
    }
    print(
        f"{CAMERAS} emulators in their own processes, {ROUNDS} record starts of each kind; "
        f"load average {load_before} before, {load()} after"
    )
    for title, table in (
        ("kernel arrival spread (ms, SO_TIMESTAMPNS: when the request reached the camera)", kernel),
        ("wake-up spread (ms, first Python code in the woken emulator process)", wake),
    ):
        print(title)
        print(f"  {'':<34}{'p50':>8} {'p95':>8} {'max':>8}")
        for kind, label in labels.items():
            print(row(label, table[kind]))
    print(
        f"  (yicam's own send spread, first to last write: p50 "
        f"{statistics.median(send_spreads[:ROUNDS]):.3f} ms, "
        f"p95 {percentile(send_spreads[:ROUNDS], 0.95):.3f} ms)"
    )
    if delays:
        print(
            f"  (kernel arrival to wake-up, per request: min {min(delays):.3f}, p50 "
            f"{statistics.median(delays):.3f}, p95 {percentile(delays, 0.95):.3f} ms)"
        )
    for name, table in (("kernel arrival", kernel), ("wake-up", wake)):
        if not table["fleet"]:
            print(f"{name}: not measured on this OS")
            continue
        fleet_p95 = percentile(table["fleet"], 0.95)
        captured_p95 = percentile(table["sequential, captured"], 0.95)
        instant_p95 = percentile(table["sequential"], 0.95)
        bare_p95 = percentile(table["bare"], 0.95)
        print(
            f"{name}: p95 ratio sequential/fleet {captured_p95 / fleet_p95:.1f}x (captured "
            f"latency), {instant_p95 / fleet_p95:.1f}x (instant); fleet/bare "
            f"{fleet_p95 / bare_p95:.1f}x"
        )
    table = kernel if kernel["fleet"] else wake
    fleet_p95 = percentile(table["fleet"], 0.95)
    ratio = percentile(table["sequential, captured"], 0.95) / fleet_p95
    print(
        f"goals, on the {'kernel arrival' if table is kernel else 'wake-up'} spread against "
        f"the sequential fan-out at the captured latency: fleet p95 <= 5 ms "
        f"({'met' if fleet_p95 <= 5 else 'NOT met'}), >= 5x smaller than sequential "
        f"({'met' if ratio >= 5 else 'NOT met'})"
    )


def spread(times: list[float]) -> float:
    """First to last, in milliseconds."""
    return (max(times) - min(times)) * 1000


if __name__ == "__main__":
    main()
