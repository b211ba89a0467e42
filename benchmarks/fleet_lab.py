"""Eight cameras over shaped Wi-Fi links (the Wi-Fi lab): trigger spread and sync throughput.

Each camera is an emulator at 192.168.42.1 in a network namespace of its own, reached
through its own interface (tests/wifi_lab.py); Linux as root only (it says why elsewhere).

Trigger spread: links of 5 ms +- 3 ms (uniform, each way) and 1 % loss. Each record start
(msg 513) is time-stamped by the kernel as it arrives at the camera's interface, inside the
camera's namespace (a packet socket with SO_TIMESTAMPNS; every namespace shares the clock);
a retransmitted segment counts once, when it first arrived. Interleaved in blocks, ROUNDS
each of:
- yicam's `Fleet.start_recording` (one pass over pre-encoded requests);
- the sequential fan-out (send to one camera, wait for its reply, then the next);
- a bare one-pass client (sockets bound to the interfaces, requests written in one loop, no
  yicam): what the links themselves spread, the "links' own jitter" of the goal.
The client side also counts each 513 it sent twice (a retransmission): rounds with one are
shown apart, as TCP's retransmission timer, not the fan-out, sets their spread.

Sync throughput: links of 20 Mbit/s each way (5 ms +- 3 ms, no loss; and again with 1 %
loss for comparison), 8 cameras with SYNC_MB of media each, `Fleet.sync` of all of them at
once: bytes copied (verified) per second against the links' total rate.

Goals: fleet p95 spread at most 2 ms above the bare client's p95, and at least 5x below the
sequential fan-out; sync at least 0.9 of the links' total rate. Prints the figures and
which shaper made the links (netem, or the lab's user-space forwarder where the kernel has
no sch_netem). CAMERAS, ROUNDS and SYNC_MB can be set in the environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import select
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.wifi_lab import CAMERA_ADDRESS, LinkShape, WifiLab, lab_unavailable
from yicam import Camera, Fleet
from yicam._session.interface import TCP_RTO_MIN_US, resend_sooner

if sys.platform != "linux":  # network namespaces, packet sockets: the lab is Linux's
    print("fleet_lab: skipped: the Wi-Fi lab needs Linux network namespaces")
    raise SystemExit(0)

CAMERAS = int(os.environ.get("CAMERAS", "8"))
ROUNDS = int(os.environ.get("ROUNDS", "150"))
BLOCKS = 5
SYNC_MB = int(os.environ.get("SYNC_MB", "32"))
# The links' losses: fresh draws each run unless SEED is set. A fixed seed fixes which
# frames are lost, and so which kind of round gets them (the rounds send fixed sequences).
SEED = int(os.environ["SEED"]) if os.environ.get("SEED") else None
TRIGGER_LINK = LinkShape(delay=0.005, jitter=0.003, loss=0.01)
SYNC_RATE = 20e6  # bits per second, each link
SETTLE = 0.05  # seconds between rounds
SO_TIMESTAMPNS = 35
SOL_PACKET = 263
PACKET_OUTGOING = 4
ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003
_START = re.compile(rb'"msg_id":\s*513[,}]')


@dataclass
class Tap:
    """The 513s seen on one interface: the kernel stamp of each one's first copy, in order,
    and how many copies of each (the client's side: a retransmission sends two)."""

    outgoing: bool  # the client's side: frames this host sent
    first: dict[tuple[int, int], int] = field(default_factory=dict)  # (port, seq) -> ns
    copies: dict[tuple[int, int], int] = field(default_factory=dict)

    def stamps(self) -> list[int]:
        """The first arrival of each 513, in order."""
        return list(self.first.values())

    def retransmitted(self) -> list[bool]:
        """Per 513 sent, in order: was it sent more than once?"""
        return [self.copies[key] > 1 for key in self.first]

    def take(self, sock: socket.socket) -> None:
        """Every frame waiting on `sock` (a packet socket of this tap's interface)."""
        while True:
            try:
                data, ancillary, _flags, address = sock.recvmsg(4096, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            if (address[2] == PACKET_OUTGOING) != self.outgoing:
                continue
            key = _start_segment(data)
            if key is None:
                continue
            self.copies[key] = self.copies.get(key, 0) + 1
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanos = struct.unpack("qq", value[:16])
                    self.first.setdefault(key, seconds * 10**9 + nanos)


class Sniffers:
    """Kernel stamps of every 513 on some interfaces, each (namespace, interface, outgoing),
    read by a process of its own: reader threads in this process would take the GIL from
    the clients under test between their writes (on a loaded machine, ~10 ms at p95)."""

    def __init__(self, lab: WifiLab, taps: list[tuple[str, str, bool]]) -> None:
        self._socks = []
        for namespace, interface, outgoing in taps:
            # Frames a host sends reach only ETH_P_ALL sockets; received ones every kind.
            kind = ETH_P_ALL if outgoing else ETH_P_IP
            with lab.entered(namespace):
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(kind))
                sock.bind((interface, 0))
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            sock.setblocking(False)
            self._socks.append(sock)
        context = multiprocessing.get_context("fork")  # the sockets go with it
        self._pipe, child = context.Pipe()
        directions = [tap[2] for tap in taps]
        self._process = context.Process(
            target=_sniff, args=(self._socks, directions, child), daemon=True
        )
        self._process.start()
        child.close()
        self._pipe.recv()  # ready

    def collect(self) -> list[Tap]:
        """Stop reading; every tap, in the order given."""
        self._pipe.send("stop")
        taps: list[Tap] = self._pipe.recv()
        self._process.join()
        for sock in self._socks:
            sock.close()
        return taps


def _sniff(socks: list[socket.socket], outgoing: list[bool], pipe: Connection) -> None:
    taps = [Tap(o) for o in outgoing]
    watched: list[socket.socket | Connection] = [*socks, pipe]
    pipe.send("ready")
    while True:
        readable, _, _ = select.select(watched, [], [])
        for sock, tap in zip(socks, taps, strict=True):
            if sock in readable:
                tap.take(sock)
        if pipe in readable:
            pipe.recv()
            for sock, tap in zip(socks, taps, strict=True):
                tap.take(sock)
            pipe.send(taps)
            return


def _start_segment(frame: bytes) -> tuple[int, int] | None:
    """(source port, sequence number) of a TCP segment carrying a 513 request, else None."""
    if frame[12:14] != b"\x08\x00":
        return None  # not IPv4
    ip = frame[14:]
    if len(ip) < 20 or ip[9] != socket.IPPROTO_TCP:
        return None
    tcp = ip[(ip[0] & 0x0F) * 4 :]
    payload = tcp[(tcp[12] >> 4) * 4 :]
    if not _START.search(payload):
        return None
    port, seq = struct.unpack("!H2xI", tcp[:8])
    return port, seq


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def row(label: str, values: list[float]) -> str:
    """p50, p95, max (ms) and the count."""
    if not values:
        return f"  {label:<36}{'n/a':>8}"
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    return f"  {label:<36}{p50:8.2f} {p95:8.2f} {max(values):8.2f} {len(values):6d}"


# -- trigger spread -----------------------------------------------------------------------


SEND_SPREADS: list[float] = []  # yicam's own first-to-last write of each fleet start, ms


async def fleet_rounds(fleet: Fleet, kind: str, rounds: int, order: list[str]) -> None:
    """`rounds` record starts of `kind` ("fleet" or "sequential"), each stopped after."""
    for _ in range(rounds):
        if kind == "fleet":
            shot = await fleet.start_recording()
            if not shot.ok:
                raise SystemExit(f"fleet start failed: {shot.summary()}")
            SEND_SPREADS.append(shot.send_spread * 1000)
        else:
            for cam in fleet.cameras.values():
                await cam.call(513)
        order.append(kind)
        if not (stopped := await fleet.stop_recording()).ok:
            raise SystemExit(f"stop failed: {stopped.summary()}")
        await asyncio.sleep(SETTLE)


class Bare:
    """One bare connection: a socket bound to the interface, `raw_decode` for replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = ""
        self.token = 0

    async def reply(self, msg_id: int) -> dict[str, object]:
        """The next reply to `msg_id` (notifications and other objects are skipped)."""
        decoder = json.JSONDecoder()
        while True:
            text = self.buffer.lstrip()
            try:
                obj, end = decoder.raw_decode(text)
            except ValueError:
                self.buffer = text + (await self.reader.read(65536)).decode()
                continue
            self.buffer = text[end:]
            if isinstance(obj, dict) and obj.get("msg_id") == msg_id and "rval" in obj:
                return obj

    def request(self, msg_id: int) -> bytes:
        """A request, encoded beforehand."""
        payload = {"msg_id": msg_id, "token": self.token}
        return json.dumps(payload, separators=(",", ":")).encode()


async def bare_rounds(lab: WifiLab, fleet: Fleet, rounds: int, order: list[str]) -> None:
    """The bare one-pass client: its own sockets, bound to the interfaces."""
    await fleet.close()  # one session per camera: the bare client takes it over
    conns = []
    for camera in lab.camera_list:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, camera.interface.encode())
        resend_sooner(sock)  # the kernel's treatment the library asks for: only the fan-out differs
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (CAMERA_ADDRESS, 7878))
        conn = Bare(*await asyncio.open_connection(sock=sock))
        conn.writer.write(b'{"msg_id":257,"token":0}')
        token = (await conn.reply(257))["param"]
        assert isinstance(token, int)
        conn.token = token
        conns.append(conn)
    for _ in range(rounds):
        for msg_id in (513, 514):
            payloads = [conn.request(msg_id) for conn in conns]
            for conn, payload in zip(conns, payloads, strict=True):
                conn.writer.write(payload)
            for conn in conns:
                if (await conn.reply(msg_id))["rval"] != 0:
                    raise SystemExit(f"bare msg {msg_id} refused")
            if msg_id == 513:
                order.append("bare")
        await asyncio.sleep(SETTLE + 0.05)  # the video is written meanwhile
    for conn in conns:
        conn.writer.write(b'{"msg_id":258,"token":%d}' % conn.token)
        conn.writer.close()
    await fleet.connect()


async def trigger(lab: WifiLab) -> tuple[list[str], int]:
    order: list[str] = []
    cameras = {
        f"cam{c.index}": Camera(interface=c.interface, timeout=10.0) for c in lab.camera_list
    }
    per_block = ROUNDS // BLOCKS
    async with Fleet(cameras) as fleet:
        if not (connected := await fleet.connect()).ok:
            raise SystemExit(f"cannot reach the cameras: {connected.summary()}")
        for _ in range(BLOCKS):
            await fleet_rounds(fleet, "fleet", per_block, order)
            await fleet_rounds(fleet, "sequential", per_block, order)
            await bare_rounds(lab, fleet, per_block, order)
    return order, per_block


def spreads(order: list[str], cameras: list[Tap], senders: list[Tap]) -> None:
    stamps = [s.stamps() for s in cameras]
    resent = [s.retransmitted() for s in senders]
    if any(len(s) != len(order) for s in stamps):
        raise SystemExit(f"stamps {[len(s) for s in stamps]} for {len(order)} rounds")
    table: dict[str, list[float]] = {k: [] for k in ("fleet", "sequential", "bare")}
    clean: dict[str, list[float]] = {k: [] for k in table}
    for index, kind in enumerate(order):
        arrivals = [camera[index] for camera in stamps]
        spread = (max(arrivals) - min(arrivals)) / 1e6
        table[kind].append(spread)
        if not any(len(r) > index and r[index] for r in resent):
            clean[kind].append(spread)
    print("trigger spread, first to last arrival at the cameras (ms, kernel stamps)")
    print(f"  {'':<36}{'p50':>8} {'p95':>8} {'max':>8} {'rounds':>6}")
    for kind, label in (
        ("fleet", "yicam Fleet (one pass)"),
        ("sequential", "sequential fan-out"),
        ("bare", "bare one-pass client (the links)"),
    ):
        print(row(label, table[kind]))
        print(row(f"  {kind}, no 513 retransmitted", clean[kind]))
    fleet, bare, seq = (percentile(table[k], 0.95) for k in ("fleet", "bare", "sequential"))
    print(
        f"goal: fleet p95 {fleet:.2f} ms <= bare p95 {bare:.2f} + 2 ms: "
        f"{'met' if fleet <= bare + 2 else 'NOT met'}; sequential/fleet p95 {seq / fleet:.1f}x "
        f">= 5x: {'met' if seq >= 5 * fleet else 'NOT met'}"
    )
    print(row("  (yicam's own writes, first to last)", SEND_SPREADS))
    if clean["fleet"] and clean["bare"]:
        cf, cb = percentile(clean["fleet"], 0.95), percentile(clean["bare"], 0.95)
        print(f"  (rounds without retransmission: fleet p95 {cf:.2f} ms, bare p95 {cb:.2f} ms)")


def run_trigger() -> None:
    with WifiLab(CAMERAS, TRIGGER_LINK, seed=SEED) as lab:
        lab.start_emulators(model="yi4k", rtsp_port=None, time_scale=0.1)
        print(f"{CAMERAS} cameras, links {describe(TRIGGER_LINK)} ({lab.shaper} shaper)")
        print(f"retransmission floor of the control sockets: {rto_floor()}")
        sniffers = Sniffers(
            lab,
            [(c.namespace, "wlan0", False) for c in lab.camera_list]
            + [(lab.namespace, c.interface, True) for c in lab.camera_list],
        )
        with lab.inside():
            order, _per_block = asyncio.run(trigger(lab))
        time.sleep(0.5)  # the last stamps
        taps = sniffers.collect()
        cams, sent = taps[:CAMERAS], taps[CAMERAS:]
        spreads(order, cams, sent)


# -- sync throughput ----------------------------------------------------------------------


def fill_cards(lab: WifiLab, megabytes: int) -> int:
    """Media files on every card; returns the bytes per camera."""
    chunk = os.urandom(1024 * 1024)
    for camera in lab.camera_list:
        folder = camera.sd / "DCIM" / "100MEDIA"
        folder.mkdir(parents=True, exist_ok=True)
        for part in range(2):
            with (folder / f"YDXJ{part + 1:04d}.MP4").open("wb") as file:
                for _ in range(megabytes // 2):
                    file.write(chunk)
    return (megabytes // 2) * 2 * 1024 * 1024


async def sync_all(lab: WifiLab, dest: Path) -> float:
    cameras = {
        f"cam{c.index}": Camera(interface=c.interface, timeout=10.0, event_timeout=60.0)
        for c in lab.camera_list
    }
    async with Fleet(cameras) as fleet:
        start = time.monotonic()
        result = await fleet.sync(dest)
        elapsed = time.monotonic() - start
    if not result.ok:
        raise SystemExit(f"sync failed: {result.summary()}")
    return elapsed


async def bare_get(lab: WifiLab) -> tuple[int, float]:
    """The same files by plain HTTP GETs (sockets bound to the interfaces, bytes counted and
    dropped): what the lab's cameras and links carry without yicam's client."""

    async def camera(interface: str) -> int:
        got = 0
        for part in (1, 2):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (CAMERA_ADDRESS, 80))
            reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
            writer.write(b"GET /DCIM/100MEDIA/YDXJ%04d.MP4 HTTP/1.0\r\n\r\n" % part)
            await reader.readuntil(b"\r\n\r\n")
            while data := await reader.read(1 << 20):
                got += len(data)
            writer.close()
        return got

    start = time.monotonic()
    sizes = await asyncio.gather(*(camera(c.interface) for c in lab.camera_list))
    return sum(sizes), time.monotonic() - start


def run_sync(loss: float) -> None:
    shape = LinkShape(delay=0.005, jitter=0.003, loss=loss, rate=SYNC_RATE)
    with WifiLab(CAMERAS, shape, seed=SEED) as lab, tempdir() as dest:
        per_camera = fill_cards(lab, SYNC_MB)
        lab.start_emulators(model="yi4k", rtsp_port=None)
        with lab.inside():
            bare_bytes, bare_elapsed = asyncio.run(bare_get(lab))
            elapsed = asyncio.run(sync_all(lab, dest))
        copied = sum(p.stat().st_size for p in dest.rglob("*.MP4"))
        if copied != per_camera * CAMERAS or bare_bytes != copied:
            raise SystemExit(f"copied {copied} (bare {bare_bytes}) of {per_camera * CAMERAS}")
        rate, bare = copied * 8 / elapsed, bare_bytes * 8 / bare_elapsed
        total = SYNC_RATE * CAMERAS
        print(
            f"sync, links {describe(shape)} ({lab.shaper} shaper): {copied / 1e6:.0f} MB from "
            f"{CAMERAS} cameras in {elapsed:.2f} s = {rate / 1e6:.1f} Mbit/s, "
            f"{rate / total:.2f} of the links' {total / 1e6:.0f} Mbit/s"
            + (f" (goal 0.9: {'met' if rate >= 0.9 * total else 'NOT met'})" if not loss else "")
            + f"; bare HTTP GETs {bare / 1e6:.1f} Mbit/s ({bare / total:.2f}), "
            f"yicam/bare {rate / bare:.2f}"
        )


@contextlib.contextmanager
def tempdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="yicam-fleet-lab-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def rto_floor() -> str:
    """What the kernel makes of the library's retransmission floor (TCP_RTO_MIN_US)."""
    with socket.socket() as sock:
        resend_sooner(sock)
        try:
            floor = sock.getsockopt(socket.IPPROTO_TCP, TCP_RTO_MIN_US)
        except OSError:
            return "the kernel's 200 ms (no TCP_RTO_MIN_US before Linux 6.15)"
    return f"{floor / 1000:g} ms per socket (TCP_RTO_MIN_US)"


def describe(shape: LinkShape) -> str:
    text = f"{shape.delay * 1000:g} ms +- {shape.jitter * 1000:g} ms"
    if shape.loss:
        text += f", {shape.loss:.0%} loss"
    if shape.rate:
        text += f", {shape.rate / 1e6:g} Mbit/s"
    return text + " each way"


def main() -> None:
    reason = lab_unavailable()
    if reason is not None:
        print(f"fleet_lab: skipped: {reason}")
        return
    load = f"{os.getloadavg()[0]:.2f}"
    run_trigger()
    run_sync(loss=0.0)
    run_sync(loss=TRIGGER_LINK.loss)
    print(f"load average {load} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
