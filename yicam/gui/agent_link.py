"""The camera through the local agent that owns it (`yicam agent`), as the CLI routes it.

When an agent on this computer holds the camera's session, the camera refuses a second one
(-3): the app then works through the agent's `RemoteCamera`. The agent's presence becomes the
app's connection: the agent going offline is a final `Disconnected`, its own session to the
camera dropping is a `Disconnected` with `reconnecting` until it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from yicam import Camera, CameraConnectionError, Disconnected, Reconnected, YicamError

from .target import Target

__all__ = ["LOOKUP_WAIT", "agent_of", "camera_via_agent", "missing"]

LOOKUP_WAIT = 1.0  # seconds to hear the local agent's retained status and state


async def camera_via_agent(target: Target) -> Camera | None:
    """An unconnected camera served by the local agent that owns `target`, or None (no such
    agent online, or the agent extra not installed): the caller then opens its own session."""
    try:
        from yicam.agent import AgentClient, find_owner
    except ImportError:
        return None
    owner = find_owner(target.host, target.port)
    if owner is None:
        return None
    agent, name = owner
    try:
        client = AgentClient(agent.broker, prefix=agent.prefix)
        await client.__aenter__()
    except (ImportError, ValueError, YicamError):
        return None
    found = await client.wait_for(
        lambda: client.online(agent.name) and client.find(f"{agent.name}/{name}"), LOOKUP_WAIT
    )
    if not found:
        await client.close()
        return None
    remote = _attached()(client, found, timeout=target.timeout, event_timeout=target.event_timeout)
    return cast(Camera, remote)  # the `Camera` methods the app uses, run by the agent


def agent_of(cam: object) -> str:
    """The name of the agent serving `cam`, or "" for a camera of our own."""
    return str(getattr(cam, "agent", "")) if getattr(type(cam), "via_agent", False) else ""


def missing(cam: object, *members: str) -> str:
    """Why `cam` cannot serve a feature that needs `members`, or "" when it can."""
    if all(getattr(type(cam), m, None) is not None for m in members):
        return ""
    agent = agent_of(cam)
    return f"Not available through agent {agent}, which holds the camera: stop it to use this here"


_ATTACHED: Any = None


def _attached() -> Any:
    """`RemoteCamera` that also owns its broker connection and reports the agent's presence
    as connection events (made on first use: `yicam.agent` needs the agent extra)."""
    global _ATTACHED
    if _ATTACHED is not None:
        return _ATTACHED
    from yicam.agent import RemoteCamera

    class AttachedCamera(RemoteCamera):
        via_agent = True

        _watch: asyncio.Task[None] | None = None

        async def connect(self) -> None:
            await super().connect()
            if self._watch is None:
                self._watch = asyncio.get_running_loop().create_task(self._follow())

        async def close(self) -> None:
            watch, self._watch = self._watch, None
            if watch is not None and watch is not asyncio.current_task():
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
            await super().close()
            await self.client.close()

        async def _follow(self) -> None:
            last = (True, True)  # (camera connected, agent online)

            def now() -> tuple[bool, bool]:
                return self.connected, self.client.online(self.agent)

            while True:
                await self.client.wait_for(lambda last=last: now() != last, 3600.0)
                connected, online = current = now()
                if not online:
                    error = CameraConnectionError(f"agent {self.agent} went offline")
                    self._emit(Disconnected(error, reconnecting=False))
                    return
                if connected and not last[0]:
                    self._emit(Reconnected())
                elif not connected and last[0]:
                    error = CameraConnectionError(f"agent {self.agent} lost the camera")
                    self._emit(Disconnected(error, reconnecting=True))
                last = current

        def _emit(self, event: Any) -> None:
            for callback in list(self._callbacks):
                callback(event)

    _ATTACHED = AttachedCamera
    return _ATTACHED
