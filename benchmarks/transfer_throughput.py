"""Throughput of `yicam` downloads against a bare socket reading the same bytes.

A 256 MiB file goes through the data port and through HTTP from one emulator running in its
own process. For each transport, a bare client (minimal 257/1285 exchange and a raw read of
`rem_size` bytes; a raw GET and a read of Content-Length bytes) is timed against
`Camera.download` (written to disk, MD5-verified on the data port, size- and read-back-checked
over HTTP). Each download runs in a child process so that its peak RSS is its own.

    python benchmarks/transfer_throughput.py [--size-mib 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CARD_FILE = "DCIM/100MEDIA/BENCH001.mp4"
CAMERA_PATH = "/tmp/fuse_d/" + CARD_FILE
SERVER = """
import asyncio, sys
from yicam.emulator import Emulator
async def main():
    async with Emulator(port=0, data_port=0, http_port=0, model="yi4k", sd=sys.argv[1]) as emu:
        print(emu.port, emu.data_port, emu.http_port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


def bare_data(port: int, data_port: int, sink: str | None = None) -> int:
    """257, connect 8787, 1285, then read exactly rem_size bytes; returns the count.

    With `sink`, also write the bytes there and MD5 them: the ceiling of any verified download.
    """
    control = socket.create_connection(("127.0.0.1", port))
    control.sendall(b'{"msg_id":257,"token":0}')
    token = json.loads(_read_object(control))["param"]
    data = socket.create_connection(("127.0.0.1", data_port))
    request = {"msg_id": 1285, "token": token, "param": CAMERA_PATH, "offset": 0, "fetch_size": 0}
    control.sendall(json.dumps(request).encode())
    reply = json.loads(_read_object(control))
    left = reply["rem_size"]
    buf = bytearray(1024 * 1024)
    view = memoryview(buf)
    out = open(sink, "wb") if sink else None  # noqa: SIM115
    hasher = hashlib.md5()
    while left:
        n = data.recv_into(view, min(len(buf), left))
        if not n:
            raise RuntimeError("short read")
        if out is not None:
            out.write(view[:n])
            hasher.update(view[:n])
        left -= n
    if out is not None:
        out.close()
    data.close()
    control.close()
    return int(reply["rem_size"])


def bare_http(http_port: int) -> int:
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
    left = length - len(body)
    buf = bytearray(1024 * 1024)
    while left:
        n = sock.recv_into(buf, min(len(buf), left))
        if not n:
            raise RuntimeError("short read")
        left -= n
    sock.close()
    return length


def _read_object(sock: socket.socket) -> bytes:
    """One JSON object (these replies contain no braces in strings)."""
    data, depth = b"", 0
    while True:
        byte = sock.recv(1)
        data += byte
        depth += byte.count(b"{") - byte.count(b"}")
        if data.strip() and depth == 0:
            return data


def child(mode: str, ports: list[int], dest: str) -> None:
    """Run one download in this (child) process; print seconds and peak RSS in KiB."""
    import asyncio

    from yicam import Camera

    port, data_port, http_port = ports
    start = time.perf_counter()
    if mode == "bare-data":
        bare_data(port, data_port)
    elif mode == "bare-data+disk":
        bare_data(port, data_port, dest)
    elif mode == "bare-http":
        bare_http(http_port)
    else:

        async def run() -> None:
            async with Camera(
                "127.0.0.1", port, data_port=data_port, http_port=http_port, event_timeout=60
            ) as cam:
                await cam.download(CAMERA_PATH, dest, via=mode.removeprefix("yicam-"), resume=False)  # type: ignore[arg-type]

        asyncio.run(run())
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "rss_kib": rss}))


def measure(mode: str, ports: list[int], dest: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, *map(str, ports), str(dest)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    dest.unlink(missing_ok=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    work = Path(tempfile.mkdtemp(prefix="yicam-bench-"))
    server = None
    try:
        sd = work / "sd"
        (sd / "DCIM" / "100MEDIA").mkdir(parents=True)
        with (sd / CARD_FILE).open("wb") as file:
            for _ in range(args.size_mib):
                file.write(os.urandom(1024 * 1024))
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(sd)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert server.stdout is not None
        ports = [int(p) for p in server.stdout.readline().split()]
        dest = work / "out.mp4"
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for mode in ("bare-data", "bare-data+disk", "yicam-data", "bare-http", "yicam-http"):
                result = measure(mode, ports, dest)
                if mode not in best or result["seconds"] < best[mode]["seconds"]:
                    best[mode] = result
        mib = size / 1024 / 1024
        print(f"file: {mib:.0f} MiB, best of {args.rounds} rounds, emulator in its own process")
        for mode, result in best.items():
            speed = mib / result["seconds"]
            print(f"  {mode:15s} {speed:8.1f} MiB/s   peak RSS {result['rss_kib'] / 1024:6.1f} MiB")
        for transport in ("data", "http"):
            ratio = best[f"bare-{transport}"]["seconds"] / best[f"yicam-{transport}"]["seconds"]
            print(f"  ratio yicam/bare over {transport}: {ratio:.2f} (goal >= 0.8)")
        ceiling = best["bare-data+disk"]["seconds"] / best["yicam-data"]["seconds"]
        print(f"  ratio yicam/bare-that-also-writes-and-hashes over data: {ceiling:.2f}")
    finally:
        if server is not None:
            server.communicate("")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], [int(p) for p in sys.argv[3:6]], sys.argv[6])
    else:
        main()
