"""Brokers for agent tests: the embedded one, and Mosquitto (when installed) on a loopback port."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)


# Below every system's ephemeral range (Linux 32768-60999, macOS and Windows 49152-65535): a
# port from bind(0) is handed out again by the kernel, to any process's next connection or
# bind(0), between the pick and the server binding it ("Address already in use" under load).
_PICKED = range(20000, 32768)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing is bound to right now, outside the ephemeral range."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` different TCP ports nothing is bound to right now, outside the ephemeral range."""
    ports: list[int] = []
    for port in random.sample(_PICKED, 100 + count):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"no {count} free TCP ports on {host} in {_PICKED}")


def wait_listening(host: str, port: int, timeout: float = 10.0) -> None:
    """Poll until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port}")


class Mosquitto:
    """A mosquitto of its own: loopback port, temporary config, no persistence."""

    def __init__(self, folder: Path, port: int | None = None, users: dict[str, str] | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.users = users
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or start again, on the same port) and wait until it listens."""
        assert MOSQUITTO is not None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "persistence false",
            "log_dest none",
            "set_tcp_nodelay true",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            lines.append("user root")  # else it drops to `mosquitto`, who cannot read tmp_path
        if self.users:
            passwords = self.folder / "passwords"
            passwords.write_text("")
            tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
            for user, password in self.users.items():
                subprocess.run([tool, "-b", str(passwords), user, password], check=True)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        config = self.folder / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)])
        wait_listening("127.0.0.1", self.port)

    def stop(self) -> None:
        """Stop it (its port is free again afterwards)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"


@contextlib.contextmanager
def mosquitto(folder: Path, **kwargs: object) -> Iterator[Mosquitto]:
    """A running `Mosquitto`, stopped afterwards."""
    broker = Mosquitto(folder, **kwargs)  # type: ignore[arg-type]
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
