"""Throughput of `yicam` downloads against bare sockets reading the same bytes.

A 256 MiB file goes through the data port and through HTTP from one emulator running in its
own process. Each download runs in a child process, so that its peak RSS is its own, and the
rounds are interleaved (every mode once per round). For each transport:

- `bare`: a minimal client (257/1285 and a raw read of `rem_size` bytes; a raw GET and a read
  of Content-Length bytes) that throws the bytes away. The issue's goal: yicam >= 0.8 of this.
- `bare+disk`: the same read in one thread that also writes the bytes to a file, MD5s them
  and fsyncs the file at the end: the plain way to do a verified, durable download, so the
  cost any such download starts from (disk and MD5 included, no pipelining).
- `yicam`: `Camera.download` (to a partial file, MD5-verified on the data port, size-checked on
  HTTP, fsynced, renamed). Its bytes move like `bare+disk`'s, in one worker thread (recv_into,
  or `http.client`'s request and `readinto1`; write, MD5, then fsync), with the event loop free
  for the control channel and progress.

    python benchmarks/transfer_throughput.py [--size-mib 256] [--rounds 5] [--set MOD.NAME=INT]

`--set yicam._transfers.download.BLOCK_SIZE=2097152` (repeatable) overrides an integer constant
in the yicam children, for tuning experiments.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator_process import emulator_process

CARD_FILE = "DCIM/100MEDIA/BENCH001.mp4"
CAMERA_PATH = "/tmp/fuse_d/" + CARD_FILE


def bare_data(port: int, data_port: int, sink: str | None = None) -> int:
    """257, connect 8787, 1285, then read exactly rem_size bytes; returns the count."""
    control = socket.create_connection(("127.0.0.1", port))
    control.sendall(b'{"msg_id":257,"token":0}')
    token = json.loads(_read_object(control))["param"]
    data = socket.create_connection(("127.0.0.1", data_port))
    request = {"msg_id": 1285, "token": token, "param": CAMERA_PATH, "offset": 0, "fetch_size": 0}
    control.sendall(json.dumps(request).encode())
    reply = json.loads(_read_object(control))
    _read(data, b"", reply["rem_size"], sink)
    data.close()
    control.close()
    return int(reply["rem_size"])


def bare_http(http_port: int, sink: str | None = None) -> int:
    """A raw GET; read exactly Content-Length bytes."""
    sock = socket.create_connection(("127.0.0.1", http_port))
    sock.sendall(f"GET /{CARD_FILE} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    head, body = head.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    _read(sock, body, length, sink)
    sock.close()
    return length


def _read(sock: socket.socket, first: bytes, length: int, sink: str | None) -> None:
    """Read `length` bytes (`first` already read) with 1 MiB recv_into calls.

    With `sink`: write each piece to that file and MD5 it, then fsync (all in this thread).
    """
    buf = bytearray(1024 * 1024)
    view = memoryview(buf)
    out = open(sink, "wb", buffering=0) if sink else None  # noqa: SIM115
    hasher = hashlib.md5()
    if out is not None and first:
        out.write(first)
        hasher.update(first)
    left = length - len(first)
    while left:
        n = sock.recv_into(view, min(len(buf), left))
        if not n:
            raise RuntimeError("short read")
        if out is not None:
            out.write(view[:n])
            hasher.update(view[:n])
        left -= n
    if out is not None:
        os.fsync(out.fileno())
        out.close()
        hasher.hexdigest()


def _read_object(sock: socket.socket) -> bytes:
    """One JSON object (these replies contain no braces in strings)."""
    data, depth = b"", 0
    while True:
        byte = sock.recv(1)
        data += byte
        depth += byte.count(b"{") - byte.count(b"}")
        if data.strip() and depth == 0:
            return data


MODES = ("bare-data", "bare-data+disk", "yicam-data", "bare-http", "bare-http+disk", "yicam-http")


def child(mode: str, ports: list[int], dest: str, overrides: list[str]) -> None:
    """Run one download in this (child) process; print seconds and peak RSS in KiB."""
    import asyncio

    from yicam import Camera

    for item in overrides:
        name, value = item.split("=", 1)
        module, attr = name.rsplit(".", 1)
        setattr(importlib.import_module(module), attr, int(value))
    port, data_port, http_port = ports
    start = time.perf_counter()
    if mode.startswith("bare-data"):
        bare_data(port, data_port, dest if mode.endswith("+disk") else None)
    elif mode.startswith("bare-http"):
        bare_http(http_port, dest if mode.endswith("+disk") else None)
    else:

        async def run() -> None:
            async with Camera(
                "127.0.0.1", port, data_port=data_port, http_port=http_port, event_timeout=60
            ) as cam:
                via = mode.removeprefix("yicam-")
                await cam.download(CAMERA_PATH, dest, via=via, resume=False)  # type: ignore[arg-type]

        asyncio.run(run())
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "rss_kib": peak_rss_kib()}))


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB (0 where `resource` is missing: Windows)."""
    if sys.platform == "win32":
        return 0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(mode: str, ports: list[int], dest: Path, overrides: list[str]) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, *map(str, ports), str(dest)]
    out = subprocess.run([*command, *overrides], check=True, capture_output=True, text=True)
    dest.unlink(missing_ok=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--set", action="append", default=[], metavar="MOD.NAME=INT")
    args = parser.parse_args()
    modes = args.modes.split(",")
    mib = args.size_mib
    work = Path(tempfile.mkdtemp(prefix="yicam-bench-"))
    stack = contextlib.ExitStack()
    try:
        sd = work / "sd"
        (sd / "DCIM" / "100MEDIA").mkdir(parents=True)
        with (sd / CARD_FILE).open("wb") as file:
            for _ in range(mib):
                file.write(os.urandom(1024 * 1024))
        ports = list(stack.enter_context(emulator_process(model="yi4k", sd=str(sd)))[:3])
        dest = work / "out.mp4"
        runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
        for _ in range(args.rounds):
            for mode in modes:
                runs[mode].append(measure(mode, ports, dest, args.set if "yicam" in mode else []))
        report(runs, mib, args.rounds, args.set)
    finally:
        stack.close()
        shutil.rmtree(work, ignore_errors=True)


def report(
    runs: dict[str, list[dict[str, float]]], mib: int, rounds: int, overrides: list[str]
) -> None:
    median = {mode: statistics.median(r["seconds"] for r in rs) for mode, rs in runs.items()}
    print(f"file: {mib} MiB, median of {rounds} interleaved rounds, emulator in its own process")
    if overrides:
        print(f"overrides in the yicam children: {' '.join(overrides)}")
    for mode, rs in runs.items():
        speeds = sorted(mib / r["seconds"] for r in rs)
        rss = max(r["rss_kib"] for r in rs) / 1024
        print(
            f"  {mode:15s} {mib / median[mode]:7.1f} MiB/s  (min {speeds[0]:7.1f}, "
            f"max {speeds[-1]:7.1f})   peak RSS {rss:5.1f} MiB"
        )
    for transport in ("data", "http"):
        yicam, bare, disk = (f"{kind}-{transport}" for kind in ("yicam", "bare", "bare"))
        disk += "+disk"
        if yicam not in median:
            continue
        rss = max(r["rss_kib"] for r in runs[yicam]) / 1024
        print(f"  {transport}:")
        if bare in median:
            ratio = median[bare] / median[yicam]
            print(f"    yicam / bare read (bytes discarded):        {ratio:5.2f}   goal >= 0.8")
        if disk in median:
            ratio = median[disk] / median[yicam]
            print(f"    yicam / bare read + write + MD5 + fsync:    {ratio:5.2f}")
        print(f"    yicam peak RSS:                           {rss:5.1f} MiB   goal < 100 MB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], [int(p) for p in sys.argv[3:6]], sys.argv[6], sys.argv[7:])
    else:
        main()
