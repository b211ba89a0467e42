"""`Link`: one MQTT connection to the broker (aiomqtt), MQTT 5 with 3.1.1 as the fallback.

Requests carry their reply address twice: as MQTT 5 response topic and correlation data, and
as `reply_to` and `id` in the JSON payload, so they also work through a broker that speaks only
MQTT 3.1.1 (the link falls back to it when the broker refuses version 5). aiomqtt watches the
socket with `loop.add_reader`: on Windows the asyncio loop must be a selector loop
(`run` in this package takes care of it).

Every wait on the broker is bounded here with `asyncio.timeout`, never by aiomqtt's own timeouts:
those use `asyncio.wait_for`, which on Python 3.11 drops a cancellation that arrives together
with the broker's answer, so a stopping agent went on serving and its shutdown waited forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from yicam import cancel_and_wait

from ._url import BrokerURL

__all__ = ["Incoming", "Link", "LinkDown", "run", "stop_if_cancelled"]

_LOG = logging.getLogger(__name__)


class _CancelledCallsAnswered(logging.Filter):
    """Drops aiomqtt's traceback for an acknowledgement of a call we cancelled (stopping)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unexpected message ID")


_MQTT_LOG = logging.getLogger(f"{__name__}.mqtt")
_MQTT_LOG.addFilter(_CancelledCallsAnswered())
T = TypeVar("T")
_UNSUPPORTED_VERSION = (1, 132)  # CONNACK: 3.1.1's "unacceptable protocol", MQTT 5's 0x84
_ABANDON_WAIT = 6.0  # seconds: paho's connect timeout (5 s) and a little
_PENDING_WARNING = 1000  # publishes awaiting acknowledgement before aiomqtt warns


class LinkDown(Exception):
    """The broker connection is down (or was lost while waiting)."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message from the broker, with its MQTT 5 reply address when it has one."""

    topic: str
    payload: bytes
    retain: bool
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass(frozen=True, slots=True)
class TLSOptions:
    """TLS for `mqtts://`: a CA file (default: the system's), a client certificate, or none."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False  # skip the host name check (a self-signed test broker)

    def context(self) -> ssl.SSLContext:
        """The SSL context. Raises `OSError` or `ssl.SSLError` for unreadable files."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.cert_file:
            context.load_cert_chain(self.cert_file, self.key_file)
        if self.insecure:
            context.check_hostname = False
        return context


class Link:
    """One broker connection: `async with Link(url, ...)` connects once; `serve()` keeps one up.

    `on_message` is called for every message on the subscribed topics; `on_connect` (a
    coroutine) runs after every connect, before messages flow: it subscribes and publishes
    what the broker must know again. `will` is the Last Will (topic, payload), retained.
    """

    def __init__(
        self,
        url: BrokerURL,
        *,
        client_id: str,
        on_message: Callable[[Incoming], None],
        on_connect: Callable[[Link], Awaitable[None]] | None = None,
        will: tuple[str, bytes] | None = None,
        tls: TLSOptions | None = None,
        keepalive: int = 10,
        protocol: int = 5,
    ) -> None:
        self.url = url
        self.client_id = client_id
        self.on_message = on_message
        self.on_connect = on_connect
        self.will = will
        self.tls = tls or TLSOptions()
        self.keepalive = keepalive
        self.protocol = protocol
        self.up = asyncio.Event()
        self.down = asyncio.Event()
        self.down.set()
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def v5(self) -> bool:
        """True when the connection speaks MQTT 5 (properties travel)."""
        return self.protocol == 5

    # -- one connection --------------------------------------------------------------------

    async def __aenter__(self) -> Link:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self, timeout: float = 5.0) -> None:
        """Connect (falling back to MQTT 3.1.1), run `on_connect`, start reading.

        Raises `LinkDown` when the broker cannot be reached or refuses the client.
        """
        try:
            client = await self._open(timeout)
        except aiomqtt.MqttCodeError as exc:
            if self.protocol != 5 or exc.rc not in _UNSUPPORTED_VERSION:
                raise LinkDown(f"broker {self.url} refused the connection: {exc}") from None
            self.protocol = 4  # a 3.1.1 broker: the payload carries the reply address
            client = await self._open(timeout)
        self._client = client
        self.down.clear()
        self._reader = asyncio.create_task(self._read(client))
        try:
            if self.on_connect is not None:
                await self.on_connect(self)
        except BaseException:
            await self.close()
            raise
        self.up.set()

    async def _open(self, timeout: float) -> aiomqtt.Client:
        will = None
        if self.will is not None:
            will = aiomqtt.Will(self.will[0], self.will[1], qos=1, retain=True)
        client = aiomqtt.Client(
            self.url.host,
            self.url.port,
            username=self.url.username,
            password=self.url.password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5
            if self.protocol == 5
            else aiomqtt.ProtocolVersion.V311,
            will=will,
            keepalive=self.keepalive,
            timeout=math.inf,  # bounded here (see the module)
            logger=_MQTT_LOG,
            tls_context=self.tls.context() if self.url.tls else None,
            tls_insecure=self.tls.insecure if self.url.tls else None,
            # Without it, Nagle's algorithm holds a small request back for the broker's
            # delayed acknowledgement: tens of milliseconds per command.
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )
        # A fleet's requests, replies and states are many publishes waiting for their
        # acknowledgements at once: that is normal here, not worth aiomqtt's warning at 10.
        client.pending_calls_threshold = _PENDING_WARNING
        # aiomqtt connects in a worker thread that a cancellation does not stop: given up
        # (timeout, the agent stopping), the attempt is waited for and hung up, else its socket
        # and tasks outlive the event loop.
        entering = asyncio.ensure_future(client.__aenter__())
        try:
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(entering)
            except BaseException:
                await _hang_up(client, entering)
                raise
        except aiomqtt.MqttCodeError:
            raise
        except (aiomqtt.MqttError, TimeoutError, OSError) as exc:
            raise LinkDown(f"cannot reach the broker at {self.url}: {exc or 'timed out'}") from None
        # The connection's end is reported through this future; once our reader has stopped
        # (closing, or dropping a dead connection) nobody awaits it, and asyncio would log
        # "Future exception was never retrieved" for a connection we already gave up.
        client._disconnected.add_done_callback(_retrieve)
        return client

    async def close(self) -> None:
        """Disconnect cleanly (no Last Will)."""
        self.up.clear()
        client, self._client = self._client, None
        await cancel_and_wait(self._reader)
        self._reader = None
        if client is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await client.__aexit__(None, None, None)
        self.down.set()

    async def _read(self, client: aiomqtt.Client) -> None:
        try:
            async for message in client.messages:
                payload = message.payload
                if not isinstance(payload, bytes | bytearray):
                    payload = str(payload if payload is not None else "").encode()
                props = message.properties
                response = getattr(props, "ResponseTopic", None) if props else None
                correlation = getattr(props, "CorrelationData", None) if props else None
                incoming = Incoming(
                    message.topic.value, bytes(payload), message.retain, response, correlation
                )
                try:
                    self.on_message(incoming)
                except Exception:
                    _LOG.exception("handling a message on %s failed", incoming.topic)
        except aiomqtt.MqttError as exc:
            _LOG.info("broker connection lost: %s", exc)
        finally:
            self.up.clear()
            self.down.set()

    # -- a connection that comes back ---------------------------------------------------------

    async def serve(self, *, backoff: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)) -> None:
        """Stay connected until cancelled, reconnecting after every drop."""
        attempt = 0
        try:
            while True:
                stop_if_cancelled()
                try:
                    await self.connect()
                    attempt = 0
                    _LOG.info("connected to the broker at %s", self.url)
                    await self.down.wait()
                except LinkDown as exc:
                    _LOG.info("%s", exc)
                await self._drop()
                await asyncio.sleep(backoff[min(attempt, len(backoff) - 1)])
                attempt += 1
        finally:
            await self.close()

    async def _drop(self) -> None:
        client, self._client = self._client, None
        await cancel_and_wait(self._reader)
        self._reader = None
        if client is not None:
            with contextlib.suppress(Exception):
                client._client.disconnect()  # free the socket without waiting for the broker
        self.up.clear()
        self.down.set()

    # -- sending -----------------------------------------------------------------------------

    async def subscribe(self, *topics: str, timeout: float = 10.0) -> None:
        """Subscribe (QoS 1). Raises `LinkDown` when the connection is down."""
        client = self._need()
        try:
            async with asyncio.timeout(timeout):
                await client.subscribe([(t, 1) for t in topics], timeout=math.inf)
        except (aiomqtt.MqttError, TimeoutError) as exc:
            raise LinkDown(f"subscribing failed: {exc or 'timed out'}") from None

    async def publish(
        self,
        topic: str,
        payload: bytes | str,
        *,
        qos: int = 1,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        expiry: float | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Publish; QoS 1 waits for the broker's acknowledgement.

        `response_topic`, `correlation` and `expiry` (seconds the broker may hold the message)
        travel as MQTT 5 properties, left out on 3.1.1. Raises `LinkDown` when the
        connection is down or drops before the broker acknowledged.
        """
        client = self._need()
        properties = None
        if self.v5 and (response_topic or correlation is not None or expiry):
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if response_topic:
                properties.ResponseTopic = response_topic
            if correlation is not None:
                properties.CorrelationData = correlation
            if expiry:
                properties.MessageExpiryInterval = max(1, math.ceil(expiry))
        try:
            async with asyncio.timeout(timeout):
                await client.publish(
                    topic, payload, qos=qos, retain=retain, properties=properties, timeout=math.inf
                )
        except (aiomqtt.MqttError, TimeoutError) as exc:
            raise LinkDown(f"publishing on {topic} failed: {exc or 'timed out'}") from None

    def _need(self) -> aiomqtt.Client:
        if self._client is None or self.down.is_set():
            raise LinkDown(f"not connected to the broker at {self.url}")
        return self._client


async def _hang_up(client: aiomqtt.Client, entering: asyncio.Future[Any]) -> None:
    await asyncio.wait([entering], timeout=_ABANDON_WAIT)
    if not entering.done():  # connected, no CONNACK yet
        entering.cancel()
        with contextlib.suppress(Exception):
            client._client.disconnect()
        await asyncio.wait([entering])
    elif not entering.cancelled() and entering.exception() is None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await client.__aexit__(None, None, None)


def stop_if_cancelled() -> None:
    """Raise `CancelledError` when the current task was asked to stop but carried on.

    For loops that must end even when a library swallowed the cancellation (3.11's `wait_for`).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on a loop aiomqtt can use (a selector loop on Windows)."""
    if sys.platform == "win32":  # pragma: no cover - the proactor loop has no add_reader
        with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
            return runner.run(main)
    return asyncio.run(main)
