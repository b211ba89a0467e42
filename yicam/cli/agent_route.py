"""Whether a command goes through an agent, and running it there.

`yicam --broker URL COMMAND` always does; otherwise a local agent that owns the camera (its
file in the agents' folder, `yicam.agent.find_owner`) is used when it is online, and the
command opens its own session when there is none: that lookup reads one folder, so a
computer without agents pays nothing measurable. `--no-agent` skips it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .base import GlobalOptions

__all__ = ["LOCAL_WAIT", "Route", "Unavailable", "route"]

T = TypeVar("T")
LOCAL_WAIT = 1.0  # seconds to hear a local agent's retained status and state
REMOTE_WAIT = 3.0  # seconds to find a camera on a --broker


class Unavailable(Exception):
    """The local agent cannot serve the camera after all: open a session directly."""


class Route:
    """A camera reached through an agent: `run(job)` runs `job(remote_camera)`."""

    def __init__(
        self,
        broker: str,
        prefix: str,
        *,
        agent: str | None,
        camera: str | None,
        host: str | None,
        port: int | None,
        explicit: bool,
    ) -> None:
        self.broker = broker
        self.prefix = prefix
        self.agent = agent
        self.camera = camera
        self.host = host
        self.port = port
        self.explicit = explicit  # --broker given: not finding the camera is an error

    def run(self, job: Callable[[Any], Awaitable[T]], options: GlobalOptions) -> T:
        """`job(camera)` through the agent; returns its value.

        Raises what `job` raises, and `CameraConnectionError` when `--broker` was given and
        the broker or the camera cannot be found there; `Unavailable` when a local agent
        cannot be used after all (nothing was sent).
        """
        from yicam.agent import run

        return run(self._session(job, options))

    async def _session(self, job: Callable[[Any], Awaitable[T]], options: GlobalOptions) -> T:
        import yicam
        from yicam.agent import AgentClient, RemoteCamera

        client = AgentClient(self.broker, prefix=self.prefix)
        try:
            await client.__aenter__()
        except yicam.CameraConnectionError:
            if self.explicit:
                raise
            raise Unavailable from None
        try:
            info = await client.wait_for(
                self._find(client), REMOTE_WAIT if self.explicit else LOCAL_WAIT
            )
            if info is None:
                if not self.explicit:
                    raise Unavailable
                raise yicam.CameraConnectionError(self._not_found(client))
            at = options.settings
            cam = RemoteCamera(client, info, timeout=at.timeout, event_timeout=at.event_timeout)
            async with cam:
                return await job(cam)
        finally:
            await client.close()

    def _find(self, client: Any) -> Callable[[], Any]:
        def found() -> Any:
            if self.agent is not None and self.camera is not None:
                if client.online(self.agent):
                    return client.find(f"{self.agent}/{self.camera}")
                return None
            if self.camera is not None:
                return client.find(self.camera)
            if self.host is not None:
                return client.find(host=self.host, port=self.port)
            cameras = client.online_cameras()
            return cameras[0] if len(cameras) == 1 else None

        return found

    def _not_found(self, client: Any) -> str:
        names = ", ".join(f"{i.agent}/{i.camera}" for i in client.online_cameras()) or "none"
        wanted = self.camera or (f"{self.host}:{self.port}" if self.host else "one camera")
        return (
            f"no online agent on {client.url} owns {wanted} (cameras there: {names}); "
            "name one with -c AGENT/CAMERA"
        )


def route(options: GlobalOptions) -> Route | None:
    """Where `options` send camera commands: a `Route` through an agent, or None (direct)."""
    if options.no_agent:
        return None
    if options.broker is not None:
        explicit = options.explicit
        name = options.camera_name
        host = port = None
        if name is None and "host" in explicit:
            at = options.settings
            host, port = at.host, at.port if "port" in explicit else None
        return Route(
            options.broker, options.prefix, agent=None, camera=name, host=host, port=port,
            explicit=True,
        )  # fmt: skip
    from yicam.agent import find_owner

    resolved = options.resolved()
    owner = find_owner(resolved.settings.host, resolved.settings.port)
    if owner is None:
        return None
    agent, camera = owner
    return Route(
        agent.broker, agent.prefix, agent=agent.name, camera=camera, host=None, port=None,
        explicit=False,
    )  # fmt: skip
