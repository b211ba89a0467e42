"""`EmbeddedBroker`: an MQTT 5 broker inside `yicam agent`, for one computer without Mosquitto.

It is rumqttd, the Rust broker the `iotcore` package ships compiled for Linux (x86_64, i686,
aarch64, armv7), macOS and Windows; iotcore runs it in a child process that exits with its
parent (even after kill -9, when the parent's pipe closes). Of the Python-installable brokers
tried (see docs/many-computers.md), it is the one that speaks MQTT 5 with QoS 1, retained
messages, Last Wills and the response-topic and correlation-data properties: amqtt 0.12 speaks
3.1.1 only, mqttools 0.50 has no QoS 1 and no authentication. It binds loopback unless told
otherwise, and has no users or TLS here: use Mosquitto for a rig across computers.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["MAX_PAYLOAD", "EmbeddedBroker"]

MAX_PAYLOAD = 1 << 20  # bytes: a file chunk (256 KiB) and its header fit with room to spare

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

    Raises `OSError` on entry when the port is taken, `RuntimeError` when the broker does not
    start, `ImportError` when iotcore is not installed (`pip install 'yicam[agent]'`).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._broker: Any = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the broker and wait until it accepts connections (see the class for errors)."""
        from iotcore import Broker

        self._folder = tempfile.TemporaryDirectory(prefix="yicam-broker-")
        config = Path(self._folder.name) / "rumqttd.toml"
        host = f"[{self.host}]" if ":" in self.host else self.host
        config.write_text(
            _CONFIG.format(listen=f"{host}:{self.port}", max_payload=MAX_PAYLOAD), "utf-8"
        )
        self._broker = Broker(config_path=str(config))
        try:
            await asyncio.to_thread(self._broker.start)
        except BaseException:
            self._broker = None
            self._folder.cleanup()
            raise

    async def stop(self) -> None:
        """Stop the broker and free its port."""
        broker, self._broker = self._broker, None
        if broker is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(broker.stop)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    @property
    def url(self) -> str:
        """`mqtt://HOST:PORT` of this broker."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"
