"""`Agent`: owns the sessions of its cameras and serves them to every tool through the broker.

```python
agent = Agent({"left": Camera("192.168.1.51", reconnect=True)}, "mqtt://rig-pi.local")
await agent.run()  # until cancelled
```

Each camera keeps one session, opened again after a drop; its state is published retained,
its notifications as events, and requests on its `cmd` topic run as `Camera` methods
(`_ops`). A request is run at most once: a repeated request id gets the first reply again.
The agent's presence is a retained "online" and a Last Will of "offline".
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import yicam
from yicam import cancel_and_wait

from . import _ops
from ._codec import encode, encode_error
from ._events import event_to_json
from ._files import file_info, inside, list_files, read_chunk
from ._homeassistant import ACTIONS, discovery
from ._jobs import Jobs
from ._link import Incoming, Link, LinkDown, TLSOptions, stop_if_cancelled
from ._registry import LocalAgent, register, unregister
from ._topics import DEFAULT_PREFIX, Topics, level
from ._trigger import fire_at
from ._url import BrokerURL

__all__ = ["Agent", "AgentCamera", "camera_name"]

_LOG = logging.getLogger(__name__)
_REMEMBERED = 1000  # request ids whose replies are kept for a repeated request
_STOP_WAIT = 10.0  # seconds a stopping task may take before it is logged and left behind
AgentHandler = Callable[[dict[str, Any]], Awaitable[Any]]


def camera_name(cam: yicam.Camera) -> str:
    """The topic name of a camera without a name: its host (and port when not 7878)."""
    port = cam.settings.port
    return level(cam.host if port == 7878 else f"{cam.host}_{port}")


class AgentCamera:
    """One owned camera: its session, kept open, and what the agent last published of it."""

    def __init__(self, name: str, cam: yicam.Camera) -> None:
        self.name = name
        self.cam = cam
        self.error: str | None = None  # why the last connect failed
        self.busy: dict[str, str] = {}  # job name -> kind, shown in the state

    def state(self, agent: str) -> dict[str, Any]:
        """The retained state: model, battery, card, mode, recording, connection."""
        cam = self.cam
        state = cam.state
        battery = state.battery
        storage = state.storage
        settings = state.settings
        return {
            "agent": agent,
            "camera": self.name,
            "host": cam.host,
            "port": cam.settings.port,
            "model": cam.model,
            "model_name": cam.model_name,
            "connection": cam.connection_state.value,
            "error": self.error,
            "battery": battery.level if battery else None,
            "on_adapter": battery.on_adapter if battery else None,
            "card": {
                "status": state.card,
                "free": storage.free if storage else None,
                "total": storage.total if storage else None,
            },
            "mode": settings.get("system_mode") or settings.get("capture_mode"),
            "recording": state.recording,
            "viewfinder": state.viewfinder,
            "rtsp_url": cam.rtsp_url,
            "jobs": dict(self.busy),
            "updated": round(time.time(), 3),
        }


class Agent:
    """Serve `cameras` (name: `Camera`, ideally with `reconnect=True`) through `broker`.

    `name` names the agent in topics (default: this computer's host name). `folder` is where
    jobs keep their files. `homeassistant` publishes Home Assistant discovery messages and
    takes its button presses (`_homeassistant`). Raises `ValueError` for a broker URL or name
    that cannot be used.
    """

    def __init__(
        self,
        cameras: Mapping[str, yicam.Camera],
        broker: BrokerURL | str,
        *,
        name: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        folder: Path | str | None = None,
        allow_destructive: bool = False,
        tls: TLSOptions | None = None,
        refresh_every: float = 30.0,
        register_locally: bool = True,
        retry_every: float = 2.0,
        homeassistant: bool = False,
    ) -> None:
        self.url = broker if isinstance(broker, BrokerURL) else BrokerURL.parse(broker)
        self.name = level(name or socket.gethostname().split(".")[0] or "agent")
        self.topics = Topics(prefix)
        self.folder = Path(folder) if folder is not None else Path.cwd() / "yicam-agent"
        self.allow_destructive = allow_destructive
        self.refresh_every = refresh_every
        self.register_locally = register_locally
        self.retry_every = retry_every
        self.homeassistant = homeassistant
        self.cameras: dict[str, AgentCamera] = {}
        for cam_name, cam in cameras.items():
            key = level(cam_name)
            if key in self.cameras:
                raise ValueError(f"two cameras are named {key!r}")
            self.cameras[key] = AgentCamera(key, cam)
        self.handlers: dict[str, AgentHandler] = {
            "ping": self._ping,
            "cameras": self._list,
            "download": self._download,
            "files": self._files,
            "file_info": lambda args: file_info(self.folder, args.get("file")),
            "file_read": lambda args: read_chunk(self.folder, args.get("file"), args.get("offset")),
            "fire": lambda args: fire_at(self, args),
        }
        self.jobs = Jobs(self)
        self.handlers.update(
            job_start=self.jobs.start, job_stop=self.jobs.stop, jobs=self.jobs.reports
        )
        self.link = Link(
            self.url,
            client_id=f"yicam-agent-{self.name}-{uuid.uuid4().hex[:6]}",
            on_message=self._on_message,
            on_connect=self._on_connect,
            will=(self.topics.status(self.name), b"offline"),
            tls=tls,
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._replies: collections.OrderedDict[str, tuple[str, bytes]] = collections.OrderedDict()
        self._running: set[str] = set()
        self._published: dict[str, bytes] = {}
        self.on_connected: list[Callable[[], Awaitable[None]]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until cancelled; then publish "offline", close the sessions."""
        self.folder.mkdir(parents=True, exist_ok=True)
        workers = [asyncio.create_task(self.link.serve(), name="broker link")]
        for owned in self.cameras.values():
            owned.cam.subscribe(self._forward(owned))
            workers.append(asyncio.create_task(self._keep(owned), name=f"camera {owned.name}"))
        self.jobs.resume()
        if self.register_locally:
            self._register()
        try:
            # Not gather: cancelling it would cancel the broker link before the goodbye.
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            await self.jobs.close()
            # The broker link goes last: the goodbye ("offline", closed sessions) needs it.
            await cancel_and_wait(workers[1:], self._tasks, timeout=_STOP_WAIT)
            await self._goodbye()
            await cancel_and_wait(workers[0], timeout=_STOP_WAIT)

    def _register(self) -> None:
        cameras = {n: (o.cam.host, o.cam.settings.port) for n, o in self.cameras.items()}
        entry = LocalAgent(self.name, str(self.url), self.topics.prefix, os.getpid(), cameras)
        try:
            register(entry)
        except OSError as exc:
            _LOG.warning("cannot tell local tools about this agent: %s", exc)

    async def _goodbye(self) -> None:
        if self.register_locally:
            unregister(self.name)
        with contextlib.suppress(LinkDown, TimeoutError):
            async with asyncio.timeout(2):
                for owned in self.cameras.values():
                    await owned.cam.close()
                    await self._publish_state(owned)
                await self.link.publish(self.topics.status(self.name), "offline", retain=True)
        await self.link.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_STOP_WAIT):
                await asyncio.gather(*(o.cam.close() for o in self.cameras.values()))

    async def _on_connect(self, link: Link) -> None:
        """After every (re)connect: say "online", listen for requests, publish every state."""
        await link.subscribe(
            self.topics.agent_cmd(self.name), f"{self.topics.prefix}{self.name}/+/cmd"
        )
        self._published.clear()
        for owned in self.cameras.values():
            await self._publish_state(owned)
        if self.homeassistant:
            await link.subscribe(self.topics.ha_command(self.name, "+", "+"))
            for owned in self.cameras.values():
                for topic, config in discovery(self, owned).items():
                    await link.publish(topic, json.dumps(config), retain=True)
        await self.jobs.publish_all()
        await link.publish(self.topics.status(self.name), "online", retain=True)
        for hook in self.on_connected:
            await hook()

    # -- the cameras ---------------------------------------------------------------------------

    async def _keep(self, owned: AgentCamera) -> None:
        """Open the session, again after it was given up; refresh the state now and then."""
        cam = owned.cam
        while True:
            stop_if_cancelled()
            if cam.connection_state is yicam.ConnectionState.CLOSED:
                try:
                    await cam.connect()
                    owned.error = None
                    with contextlib.suppress(yicam.YicamError):
                        await cam.refresh()
                except (yicam.YicamError, OSError) as exc:
                    owned.error = str(exc)
                    await self._publish_state(owned)
                    await asyncio.sleep(self.retry_every)
                    continue
                await self._publish_state(owned)
            await asyncio.sleep(self.refresh_every)
            if cam.connected:
                with contextlib.suppress(yicam.YicamError):
                    await cam.refresh()
            await self._publish_state(owned)

    def _forward(self, owned: AgentCamera) -> Callable[[yicam.Event], None]:
        def forward(event: yicam.Event) -> None:
            payload = json.dumps(event_to_json(event))
            self.spawn(self._publish_quietly(self.topics.event(self.name, owned.name), payload))
            self.spawn(self._publish_state(owned))

        return forward

    async def _publish_state(self, owned: AgentCamera) -> None:
        topic = self.topics.state(self.name, owned.name)
        data = owned.state(self.name)
        compare = json.dumps({k: v for k, v in data.items() if k != "updated"}).encode()
        if self._published.get(topic) == compare:
            return
        with contextlib.suppress(LinkDown):
            await self.link.publish(topic, json.dumps(data), retain=True)
            self._published[topic] = compare

    async def publish_event(self, camera: str, data: dict[str, Any]) -> None:
        """Publish one event (a job's report, ...) on a camera's event topic; dropped when down."""
        data.setdefault("time", time.time())
        await self._publish_quietly(self.topics.event(self.name, camera), json.dumps(data))

    async def refresh_state(self, camera: str) -> None:
        """Publish a camera's state again (after its jobs changed)."""
        await self._publish_state(self.cameras[camera])

    async def _publish_quietly(self, topic: str, payload: str | bytes) -> None:
        with contextlib.suppress(LinkDown):
            await self.link.publish(topic, payload, qos=0)

    def spawn(self, job: Awaitable[Any]) -> None:
        """Run `job` in the background; it is cancelled when the agent stops."""
        task = asyncio.ensure_future(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- requests ----------------------------------------------------------------------------

    def _on_message(self, message: Incoming) -> None:
        levels = self.topics.split(message.topic)
        if self.homeassistant and len(levels) == 4 and levels[0] == self.name and levels[2] == "ha":
            self._press(levels[1], levels[3], message.payload)
            return
        if not levels or levels[0] != self.name or levels[-1] != "cmd":
            return
        try:
            request = json.loads(message.payload)
            if not isinstance(request, dict):
                raise ValueError("a request is a JSON object")
        except ValueError:
            _LOG.warning("ignoring a malformed request on %s", message.topic)
            return
        reply_to = message.response_topic or request.get("reply_to")
        request_id = request.get("id")
        if message.correlation is not None and request_id is None:
            request_id = message.correlation.decode("utf-8", "replace")
        if not isinstance(reply_to, str) or not isinstance(request_id, str):
            _LOG.warning("ignoring a request without reply topic or id on %s", message.topic)
            return
        if not reply_to.startswith(self.topics.prefix) or "+" in reply_to or "#" in reply_to:
            _LOG.warning("ignoring a reply topic outside the prefix: %r", reply_to[:100])
            return
        if request_id in self._running:
            return  # the same request again while it runs: its one reply is on its way
        if request_id in self._replies:
            self.spawn(self._send_reply(*self._replies[request_id], request_id))
            return
        self._running.add(request_id)
        camera = levels[1] if len(levels) == 3 else None
        self.spawn(self._serve(camera, request, reply_to, request_id))

    def _press(self, camera: str, action: str, payload: bytes) -> None:
        """A Home Assistant button: run its capture once; the outcome is an event."""
        owned = self.cameras.get(camera)
        if owned is None or action not in ACTIONS or payload != b"PRESS":
            _LOG.warning("ignoring a Home Assistant press on %s/%s", camera[:64], action[:64])
            return
        op = ACTIONS[action][0]

        async def press() -> None:
            report: dict[str, Any] = {"kind": "homeassistant", "action": action, "ok": True}
            try:
                report["value"] = encode(await _ops.run(owned.cam, op, {}))
            except Exception as exc:
                report.update(ok=False, error=encode_error(exc))
            await self.publish_event(owned.name, report)
            await self._publish_state(owned)

        self.spawn(press())

    async def _serve(
        self, camera: str | None, request: dict[str, Any], reply_to: str, request_id: str
    ) -> None:
        try:
            value = await self._execute(camera, request)
            reply: dict[str, Any] = {"id": request_id, "ok": True, "value": encode(value)}
        except Exception as exc:
            _LOG.info("request %s failed: %s", request.get("op"), exc)
            reply = {"id": request_id, "ok": False, "error": encode_error(exc)}
        payload = json.dumps(reply).encode()
        self._replies[request_id] = (reply_to, payload)
        while len(self._replies) > _REMEMBERED:
            self._replies.popitem(last=False)
        self._running.discard(request_id)
        await self._send_reply(reply_to, payload, request_id)

    async def _execute(self, camera: str | None, request: dict[str, Any]) -> Any:
        op = request.get("op")
        args = request.get("args", {})
        if camera is None:
            handler = self.handlers.get(op) if isinstance(op, str) else None
            if handler is None:
                raise ValueError(f"unknown agent operation {op!r}")
            return await handler(args if isinstance(args, dict) else {})
        owned = self.cameras.get(camera)
        if owned is None:
            raise ValueError(f"agent {self.name} has no camera {camera!r}")
        _ops.check(op, args, allow_destructive=self.allow_destructive)
        assert isinstance(op, str)
        value = await _ops.run(owned.cam, op, args)
        self.spawn(self._publish_state(owned))
        return value

    async def _send_reply(self, reply_to: str, payload: bytes, request_id: str) -> None:
        with contextlib.suppress(LinkDown):
            await self.link.publish(reply_to, payload, correlation=request_id.encode())

    # -- agent requests ----------------------------------------------------------------------------

    async def _ping(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"agent": self.name, "time": time.time(), "echo": args.get("echo")}

    async def _list(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {name: owned.state(self.name) for name, owned in self.cameras.items()}

    def owned(self, camera: Any) -> AgentCamera:
        """The camera named `camera`. Raises `ValueError` when the agent has none by that name."""
        owned = self.cameras.get(camera) if isinstance(camera, str) else None
        if owned is None:
            raise ValueError(f"agent {self.name} has no camera {camera!r}")
        return owned

    async def _download(self, args: dict[str, Any]) -> dict[str, Any]:
        """A camera file into `<folder>/<camera>/NNNMEDIA/`, verified; returns where and its MD5."""
        owned = self.owned(args.get("camera"))
        camera_path = args.get("camera_path")
        if not isinstance(camera_path, str) or "/" not in camera_path:
            raise ValueError("camera_path must be a camera file path")
        parent = camera_path.rstrip("/").rsplit("/", 2)[-2] or "files"
        dest = inside(self.folder, f"{owned.name}/{level(parent)}")
        dest.mkdir(parents=True, exist_ok=True)
        result = await owned.cam.download(camera_path, dest)
        relative = result.path.resolve().relative_to(self.folder.resolve()).as_posix()
        return {"file": relative, "size": result.size, "md5": result.md5, "via": result.via}

    async def _files(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        camera = args.get("camera")
        if camera is not None:
            self.owned(camera)
        return await asyncio.to_thread(list_files, self.folder, camera)
