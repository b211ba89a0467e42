"""Trigger spread across 8 cameras: yicam's `Fleet` against the sequential fan-out.

Eight emulators run each in its own process on its own address (127.0.0.2..9) and note
the `time.monotonic()` (CLOCK_MONOTONIC, shared by every process) at which each record-start
request (msg 513) arrives: the first Python code to see its bytes once the process wakes.
The client then runs, interleaved in one run, ROUNDS fleet record starts
(`Fleet.start_recording`: every request encoded beforehand and written in one pass) and
ROUNDS sequential ones (send to one camera, wait for its reply, then the next: how the
existing multi-camera tools trigger). The spread of a round is the time between the first
and the last arrival. Prints p50/p95/max of both and the ratio (goals: fleet p95 <= 5 ms,
and at least 5x smaller than sequential), and yicam's own send spread. On a shared
two-core machine the arrival spread is mostly the time the OS takes to wake eight
emulator processes (real cameras each have their own CPU); the bare baseline (sockets and
pre-encoded requests written in one loop, no yicam, in blocks between the others) shows that
floor and the ratio fleet/bare what yicam adds to it. CAMERAS=N overrides 8; PIN=1
pins the client to CPU 0 and the emulators to the others (Linux), so that waking emulators
cannot preempt the client's send loop.
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

CAMERAS = int(os.environ.get("CAMERAS", "8"))
ROUNDS = 50
BLOCKS = 5  # the bare client needs the sessions: it runs in blocks between the others
START_RECORD = 513
STOP_RECORD = 514
SETTLE = 0.05  # seconds between rounds: the emulators finish their post-stop notifications

_SERVER = """
import asyncio, json, sys, time
from yicam.emulator import Emulator

arrivals = []
received = asyncio.StreamReaderProtocol.data_received

def stamped(self, data):
    # The first Python code to see the bytes once the process wakes: the arrival time.
    if b'"msg_id":513' in data:
        arrivals.append(time.monotonic())
    received(self, data)

asyncio.StreamReaderProtocol.data_received = stamped

async def main(host):
    async with Emulator(host, 0, data_port=0, http_port=0, rtsp_port=None,
                        time_scale=0.1) as emu:
        # The emulator walks its card for the free space on every record start, a cost that
        # grows with every video; a camera just knows it. Keep the walk out of the timing.
        emu.state.card.used = lambda: 0
        print(emu.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(json.dumps(arrivals), flush=True)

asyncio.run(main(sys.argv[1]))
"""


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def drive(ports: dict[str, int], rounds: int, send_spreads: list[float]) -> list[str]:
    """Interleaved rounds: a fleet start, then a sequential start; each followed by a stop."""
    cameras = {host: Camera(host, port, timeout=5.0) for host, port in ports.items()}
    order = []
    async with Fleet(cameras) as fleet:
        if not (connected := await fleet.connect()).ok:
            raise SystemExit(f"cannot reach the emulators: {connected.summary()}")
        for _ in range(rounds):
            for kind in ("fleet", "sequential"):
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


def main() -> None:
    hosts = [f"127.0.0.{i}" for i in range(2, 2 + CAMERAS)]
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", _SERVER, host],
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
    try:
        ports = {}
        for host, server in zip(hosts, servers, strict=True):
            assert server.stdout is not None
            ports[host] = int(server.stdout.readline())
        send_spreads: list[float] = []
        order: list[str] = []
        for _ in range(BLOCKS):  # blocks alternate, so the machine's load drifts over all three
            order += asyncio.run(drive(ports, ROUNDS // BLOCKS, send_spreads))
            order += asyncio.run(drive_bare(ports, ROUNDS // BLOCKS))
    finally:
        outputs = [server.communicate("")[0] for server in servers]
    arrivals = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    spreads: dict[str, list[float]] = {"fleet": [], "sequential": [], "bare": []}
    for index, kind in enumerate(order):
        times = [camera[index] for camera in arrivals]
        spreads[kind].append((max(times) - min(times)) * 1000)
    print(f"{CAMERAS} emulators in their own processes, {ROUNDS} record starts each way")
    print("arrival spread (ms)      p50      p95      max")
    labels = {"fleet": "yicam Fleet", "sequential": "sequential", "bare": "bare one-pass"}
    for kind, label in labels.items():
        values = spreads[kind]
        print(
            f"  {label:<20}"
            f"{statistics.median(values):8.3f} {percentile(values, 0.95):8.3f} {max(values):8.3f}"
        )
    print(
        f"  (yicam's own send spread, first to last write: p50 "
        f"{statistics.median(send_spreads):.3f} ms, p95 {percentile(send_spreads, 0.95):.3f} ms)"
    )
    fleet, seq = spreads["fleet"], spreads["sequential"]
    fleet_p95, seq_p95 = percentile(fleet, 0.95), percentile(seq, 0.95)
    fleet_p50, seq_p50 = statistics.median(fleet), statistics.median(seq)
    print(f"ratio sequential/fleet: p50 {seq_p50 / fleet_p50:.1f}x, p95 {seq_p95 / fleet_p95:.1f}x")
    bare_p50, bare_p95 = statistics.median(spreads["bare"]), percentile(spreads["bare"], 0.95)
    print(
        f"ratio fleet/bare:       p50 {fleet_p50 / bare_p50:.1f}x, p95 {fleet_p95 / bare_p95:.1f}x"
    )
    print(
        f"goals: fleet p95 <= 5 ms ({'met' if fleet_p95 <= 5 else 'NOT met'}), "
        f">= 5x smaller than sequential ({'met' if seq_p95 / fleet_p95 >= 5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
