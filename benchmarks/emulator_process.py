"""An emulated camera in its own process, for the benchmarks: its CPU is not the client's.

Not a benchmark itself: the scripts here use `with emulator_process(...) as ports:`.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

_SERVER = """
import asyncio, json, sys
from yicam.emulator import Emulator
from yicam.emulator.faults import Faults
async def main():
    options = json.loads(sys.argv[1])
    if "faults" in options:
        options["faults"] = Faults(**options["faults"])
    async with Emulator("127.0.0.1", 0, **options) as emu:
        print(emu.port, emu.data_port, emu.http_port, emu.rtsp_port or 0, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


class Ports(NamedTuple):
    """Where the emulated camera listens (on 127.0.0.1)."""

    port: int
    data_port: int
    http_port: int
    rtsp_port: int  # 0: no RTSP server


@contextlib.contextmanager
def emulator_process(**options: Any) -> Iterator[Ports]:
    """Run `Emulator("127.0.0.1", 0, **options)` in a child process until the block ends.

    Data and HTTP ports are any free ones and RTSP is off unless `options` say otherwise;
    `options` are JSON values (`faults` as a dict of `Faults` fields). Yields the ports;
    raises `RuntimeError` when the emulator does not start.
    """
    options = {"data_port": 0, "http_port": 0, "rtsp_port": None, **options}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, json.dumps(options)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start")
        yield Ports(*(int(p) for p in line.split()))
    finally:
        server.communicate("")
