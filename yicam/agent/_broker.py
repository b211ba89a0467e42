"""`EmbeddedBroker`: an MQTT 5 broker inside `yicam agent`, for one computer without Mosquitto.

It is rumqttd, the Rust broker the `iotcore` package ships compiled for Linux (x86_64, i686,
aarch64, armv7), macOS and Windows. It runs in a child process of ours (`_broker_process`) that
turns Nagle's algorithm off for its connections and exits with its parent (even after kill -9,
when the parent's pipe closes). Of the Python-installable brokers
tried (see docs/many-computers.md), it is the one that speaks MQTT 5 with QoS 1, retained
messages, Last Wills and the response-topic and correlation-data properties: amqtt 0.12 speaks
3.1.1 only, mqttools 0.50 has no QoS 1 and no authentication. It binds loopback unless told
otherwise, and has no users or TLS here: use Mosquitto for a rig across computers.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ._broker_process import BOOTSTRAP

__all__ = ["MAX_PAYLOAD", "EmbeddedBroker"]

MAX_PAYLOAD = 1 << 20  # bytes: a file chunk (256 KiB) and its header fit with room to spare
_PICKS = 5  # ports tried for port 0 where the broker process cannot report the one it got

_CONFIG = """\
id = 0

[router]
id = 0
max_connections = 1000
max_outgoing_packet_count = 200
max_segment_size = 16777216
max_segment_count = 10

[v5.1]
name = "yicam"
listen = "{listen}"
next_connection_delay_ms = 1
    [v5.1.connections]
    connection_timeout_ms = 10000
    max_payload_size = {max_payload}
    max_inflight_count = 100
    dynamic_filters = true
"""


class EmbeddedBroker:
    """`async with EmbeddedBroker("127.0.0.1", 1883):` a broker for as long as the block runs.

    Port 0 lets the broker take a free port, found in `port` once started. `nodelay` tells
    whether Nagle's algorithm is off for the broker's connections (see `_broker_process`);
    without it each request through an agent waits about 40 ms. Raises `OSError` on entry when
    the port is taken or cannot be listened on, `RuntimeError` when the broker process fails
    otherwise (with what it wrote), `ImportError` when iotcore is not installed
    (`pip install 'yicam[agent]'`).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self.nodelay = False
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self, timeout: float = 60.0) -> None:
        """Start the broker and wait until it accepts connections (see the class for errors).

        The wait ends when the broker process says it listens or exits; `timeout` only bounds
        a process that does neither.
        """
        # Where the process cannot find the port it got (Windows), port 0 means: pick a free
        # one here, and another one if something else takes it before the broker binds it.
        pick = self.port == 0 and sys.platform == "win32"
        for attempt in range(1, _PICKS + 1):
            port = _free_port(self.host) if pick else self.port
            try:
                await self._start(port, timeout)
                return
            except OSError as error:
                if not (pick and error.errno == errno.EADDRINUSE and attempt < _PICKS):
                    raise

    async def _start(self, port: int, timeout: float) -> None:
        from iotcore.iotcore import IotCoreBroker

        self._folder = tempfile.TemporaryDirectory(prefix="yicam-broker-")
        folder = Path(self._folder.name)
        config = folder / "rumqttd.toml"
        host = f"[{self.host}]" if ":" in self.host else self.host
        config.write_text(_CONFIG.format(listen=f"{host}:{port}", max_payload=MAX_PAYLOAD), "utf-8")
        where = f"mqtt://{host}:{port}"
        try:
            IotCoreBroker(config_path=str(config)).check_ports()  # OSError when taken
            argv = [sys.executable, "-c", BOOTSTRAP, str(config), self.host, str(port)]
            process = self._process = await asyncio.to_thread(_launch, argv, folder / "stderr")
            try:
                async with asyncio.timeout(timeout):  # not wait_for: 3.11's can drop a cancellation
                    line = await asyncio.to_thread(_first_line, process)
            except TimeoutError:
                said = f"no word from its process in {timeout:g} s"
                raise RuntimeError(
                    f"the embedded broker did not start on {where}: {said}"
                ) from None
            word, _, rest = line.partition(" ")
            if word == "ready":
                self.port = int(rest.rpartition(" ")[2])
                self.nodelay = rest.startswith("nodelay ")
                return
            if word == "in-use":
                raise OSError(
                    errno.EADDRINUSE, f"the embedded broker cannot listen on {where}: {rest}"
                )
            if word == "failed":
                raise OSError(f"the embedded broker cannot listen on {where}: {rest}")
            status = await asyncio.to_thread(_exit_status, process)
            said = f"its process {status}; it said: {_tail(folder / 'stderr') or line or 'nothing'}"
            raise RuntimeError(f"the embedded broker did not start on {where}: {said}")
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop the broker and free its port."""
        process, self._process = self._process, None
        if process is not None:
            await asyncio.to_thread(_end, process)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    @property
    def url(self) -> str:
        """`mqtt://HOST:PORT` of this broker."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"


def _launch(argv: list[str], stderr: Path) -> subprocess.Popen[bytes]:
    # stdin: the child exits when this pipe closes; stdout: it says when it is ready; stderr:
    # a file (a pipe nobody reads could fill up and block it), read when it fails to start.
    with stderr.open("wb") as errors:
        return subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )


def _first_line(process: subprocess.Popen[bytes]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().decode("ascii", "replace").strip()


def _exit_status(process: subprocess.Popen[bytes]) -> str:
    try:
        return f"exited with status {process.wait(5)}"
    except subprocess.TimeoutExpired:
        return "did not exit"


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
