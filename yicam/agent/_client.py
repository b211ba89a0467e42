"""`AgentClient`: a tool's connection to the broker: which agents and cameras there are, and
requests to them with their one reply.

A request is published once, QoS 1, with a message expiry of its timeout (a broker never
delivers it late). Its reply address travels both as MQTT 5 properties and in the payload.
When the reply cannot come (the broker connection dropped, or the agent's status turned
"offline"), a capture raises `OutcomeUnknownError` (it may have happened; it is never sent
again) and anything else `CameraConnectionError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import yicam
from yicam import cancel_and_wait

from ._codec import decode, decode_error
from ._link import Incoming, Link, LinkDown, TLSOptions
from ._topics import DEFAULT_PREFIX, Topics
from ._url import BrokerURL

__all__ = ["AgentClient", "RemoteCameraInfo"]


@dataclass
class RemoteCameraInfo:
    """What a camera's retained state says, and its live events' listeners."""

    agent: str
    camera: str
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Pending:
    agent: str
    once: bool
    what: str
    future: asyncio.Future[Any]
    since: float = field(default_factory=time.monotonic)


class AgentClient:
    """`async with AgentClient("mqtt://host") as client:` agents, cameras, requests.

    Raises `CameraConnectionError` on entry when the broker cannot be reached.
    """

    def __init__(
        self,
        broker: BrokerURL | str,
        *,
        prefix: str = DEFAULT_PREFIX,
        tls: TLSOptions | None = None,
        client_id: str | None = None,
        request_qos: int = 1,
    ) -> None:
        self.url = broker if isinstance(broker, BrokerURL) else BrokerURL.parse(broker)
        self.topics = Topics(prefix)
        self.client_id = client_id or f"yicam-{uuid.uuid4().hex[:12]}"
        self.reply_topic = self.topics.reply(self.client_id)
        self.request_qos = request_qos
        self.status: dict[str, str] = {}
        self.cameras: dict[tuple[str, str], RemoteCameraInfo] = {}
        self.listeners: dict[tuple[str, str], list[Any]] = {}
        self.jobs: dict[tuple[str, str, str], dict[str, Any]] = {}  # (agent, camera, id): report
        self._pending: dict[str, _Pending] = {}
        self._changed = asyncio.Event()
        self.link = Link(
            self.url, client_id=self.client_id, on_message=self._on_message, tls=tls,
            on_connect=self._on_connect,
        )  # fmt: skip
        self._watch: asyncio.Task[None] | None = None

    async def __aenter__(self) -> AgentClient:
        try:
            await self.link.connect()
        except LinkDown as exc:
            raise yicam.CameraConnectionError(str(exc)) from None
        self._watch = asyncio.create_task(self._watch_link())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Disconnect; requests still waiting fail."""
        await cancel_and_wait(self._watch)
        await self.link.close()
        self._fail_all(None, "the connection to the broker was closed")

    async def _on_connect(self, link: Link) -> None:
        await link.subscribe(self.reply_topic, self.topics.all_status(), self.topics.all_states())

    async def _watch_link(self) -> None:
        await self.link.down.wait()
        self._fail_all(None, f"lost the connection to the broker at {self.url}")

    # -- what is there -------------------------------------------------------------------------

    def _on_message(self, message: Incoming) -> None:
        if message.topic == self.reply_topic:
            self._on_reply(message.payload)
            return
        levels = self.topics.split(message.topic)
        if len(levels) == 2 and levels[1] == "status":
            status = message.payload.decode("utf-8", "replace")
            self.status[levels[0]] = status
            if status != "online":
                self._fail_all(levels[0], f"agent {levels[0]} went offline")
        elif len(levels) == 3 and levels[2] == "state":
            key = (levels[0], levels[1])
            try:
                state = json.loads(message.payload) if message.payload else None
            except ValueError:
                return
            if not isinstance(state, dict):
                self.cameras.pop(key, None)
            else:
                self.cameras.setdefault(key, RemoteCameraInfo(*key)).state = state
        elif len(levels) == 4 and levels[2] == "job":
            job = (levels[0], levels[1], levels[3])
            try:
                report = json.loads(message.payload) if message.payload else None
            except ValueError:
                return
            if isinstance(report, dict):
                self.jobs[job] = report
            else:
                self.jobs.pop(job, None)
        elif len(levels) == 3 and levels[2] == "event":
            for listener in list(self.listeners.get((levels[0], levels[1]), [])):
                with contextlib.suppress(ValueError):
                    listener(json.loads(message.payload))
        self._changed.set()

    async def wait_for(self, found: Any, timeout: float) -> Any:
        """Wait until `found()` returns something true (retained messages arriving); returns it.

        Returns the last (false) value after `timeout` seconds.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not (value := found()):
                    self._changed.clear()
                    await self._changed.wait()
                return value
        return found()

    async def settled(self, timeout: float = 3.0) -> None:
        """Wait until the retained states and statuses present at connect are in.

        A broker sends a subscription's retained messages before anything published after
        it, so a message to our own reply topic marks their end. Best effort: returns after
        `timeout`, or at once when the connection is down.
        """
        marker = uuid.uuid4().hex
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[marker] = _Pending("", False, "settling", future)
        try:
            payload = json.dumps({"id": marker, "ok": True, "value": None})
            await self.link.publish(self.reply_topic, payload)
            async with asyncio.timeout(timeout):
                await future
        except (LinkDown, TimeoutError, yicam.YicamError):
            pass
        finally:
            self._pending.pop(marker, None)

    def unanswered_for(self, agent: str) -> float:
        """Seconds the oldest request to `agent` has waited for its reply; 0.0 when none waits."""
        now = time.monotonic()
        waits = [now - p.since for p in self._pending.values() if p.agent == agent]
        return max(waits, default=0.0)

    def online(self, agent: str) -> bool:
        """True while the agent's retained status says "online"."""
        return self.status.get(agent) == "online"

    def find(
        self, name: str | None = None, host: str | None = None, port: int | None = None
    ) -> RemoteCameraInfo | None:
        """The camera of an online agent named `name` (or `agent/name`), or at `host[:port]`."""
        for (agent, camera), info in sorted(self.cameras.items()):
            if not self.online(agent):
                continue
            if name is not None and name in (camera, f"{agent}/{camera}"):
                return info
            same_port = port is None or info.state.get("port") == port
            if host is not None and info.state.get("host") == host and same_port:
                return info
        return None

    def online_cameras(self) -> list[RemoteCameraInfo]:
        """Every camera of every online agent, sorted by agent and name."""
        return [i for (a, _), i in sorted(self.cameras.items()) if self.online(a)]

    async def subscribe_events(self, agent: str, camera: str) -> None:
        """Start receiving the camera's events (for `listeners`)."""
        await self.link.subscribe(self.topics.event(agent, camera))

    async def subscribe_jobs(self, agent: str, camera: str) -> None:
        """Start receiving the reports of the camera's jobs (in `jobs`)."""
        await self.link.subscribe(self.topics.jobs(agent, camera))

    # -- requests -------------------------------------------------------------------------------

    async def request(
        self,
        agent: str,
        camera: str | None,
        op: str,
        args: dict[str, Any] | None = None,
        *,
        timeout: float | None,
        once: bool = False,
    ) -> Any:
        """Ask `op` of an agent's camera (or of the agent, `camera=None`); returns its value.

        Raises the agent's error (`YicamError` subclasses, `ValueError`),
        `OutcomeUnknownError` for a `once` request whose reply cannot come,
        `CameraConnectionError` for any other, `CameraTimeoutError` after `timeout`.
        """
        if not self.online(agent):
            raise yicam.NotConnectedError(f"agent {agent} is not online on {self.url}")
        request_id = uuid.uuid4().hex
        topic = self.topics.agent_cmd(agent) if camera is None else self.topics.cmd(agent, camera)
        what = f"{op} on {agent}/{camera}" if camera else f"{op} on agent {agent}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = _Pending(agent, once, what, future)
        payload = json.dumps(
            {"id": request_id, "reply_to": self.reply_topic, "op": op, "args": args or {}}
        )
        try:
            try:
                await self.link.publish(
                    topic, payload, qos=self.request_qos, response_topic=self.reply_topic,
                    correlation=request_id.encode(), expiry=timeout,
                )  # fmt: skip
            except LinkDown as exc:
                if once:  # the broker may have taken it before the connection went
                    raise yicam.OutcomeUnknownError(
                        f"{what}: {exc}; it is not sent again"
                    ) from None
                raise yicam.CameraConnectionError(f"{what}: {exc}") from None
            try:
                async with asyncio.timeout(timeout):
                    return await future
            except TimeoutError:
                if once:
                    raise yicam.OutcomeUnknownError(
                        f"{what}: no reply within {timeout:g} s; it may have happened, "
                        "and it is not sent again"
                    ) from None
                raise yicam.CameraTimeoutError(f"{what}: no reply within {timeout:g} s") from None
        finally:
            self._pending.pop(request_id, None)

    def _on_reply(self, payload: bytes) -> None:
        try:
            reply = json.loads(payload)
        except ValueError:
            return
        if not isinstance(reply, dict):
            return
        pending = self._pending.get(str(reply.get("id")))
        if pending is None or pending.future.done():
            return
        if reply.get("ok"):
            try:
                pending.future.set_result(decode(reply.get("value")))
            except ValueError as exc:
                pending.future.set_exception(yicam.ProtocolError(f"{pending.what}: {exc}"))
        else:
            pending.future.set_exception(decode_error(reply.get("error")))

    def _fail_all(self, agent: str | None, reason: str) -> None:
        for pending in list(self._pending.values()):
            if pending.future.done() or (agent is not None and pending.agent != agent):
                continue
            if pending.once:
                error: Exception = yicam.OutcomeUnknownError(
                    f"{pending.what}: {reason} before the reply; it may have happened, "
                    "and it is not sent again"
                )
            else:
                error = yicam.CameraConnectionError(f"{pending.what}: {reason}")
            pending.future.set_exception(error)
