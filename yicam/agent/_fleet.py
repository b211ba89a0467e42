"""`AgentFleet`: every camera of every online agent on a broker, fired together at one moment.

```python
async with AgentClient("mqtt://broker.local") as client:
    fleet = AgentFleet(client)
    shot = await fleet.fire("take_photo")        # "fire at T", T 300 ms ahead
    for camera in shot.cameras: print(camera.name, camera.late, camera.path or camera.error)
```
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from ._client import AgentClient
from ._codec import decode_error
from ._trigger import FIRE_OPS, measure_clock

__all__ = ["AgentClock", "AgentFleet", "AgentShot", "FiredCamera"]

# Seconds a clock sample is trusted: two computers' clocks drift apart by well under a
# millisecond in a minute (tens of ppm at worst, far less with NTP).
_KEEP_SAMPLES = 60.0


@dataclass(frozen=True, slots=True)
class AgentClock:
    """An agent's clock against this computer's: `offset` (its minus ours) and the round trip."""

    agent: str
    offset: float
    round_trip: float

    @property
    def correction(self) -> float:
        """The offset T is moved by for this agent: none while the offset is within the
        measurement's own error (half the round trip), where clocks kept by NTP agree better
        than a ping through the broker can tell."""
        return self.offset if abs(self.offset) > self.round_trip / 2 else 0.0


@dataclass(frozen=True, slots=True)
class FiredCamera:
    """One camera of a shot: how late its request went out after T (its agent's clock)."""

    agent: str
    name: str
    late: float | None = None
    path: str | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the camera took the request."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class AgentShot:
    """A shot across agents: T (this computer's clock), each agent's clock, each camera."""

    at: float
    clocks: tuple[AgentClock, ...]
    cameras: tuple[FiredCamera, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every camera took the request."""
        return all(c.ok for c in self.cameras)

    @property
    def spread(self) -> float:
        """Seconds between the first and the last request written, by the agents' clocks."""
        late = [c.late for c in self.cameras if c.late is not None]
        return max(late) - min(late) if late else 0.0


class AgentFleet:
    """Every camera of the online agents `client` sees (or of `agents`)."""

    def __init__(self, client: AgentClient, agents: list[str] | None = None) -> None:
        self.client = client
        self.agents = agents
        # (when, offset, round trip) per agent: a clock measured once keeps improving over
        # the next shots, as the shortest round trip of recent pings is the one trusted.
        self._samples: dict[str, list[tuple[float, float, float]]] = {}

    def _agents(self) -> list[str]:
        online = sorted({i.agent for i in self.client.online_cameras()})
        return [a for a in online if self.agents is None or a in self.agents]

    async def clocks(self, pings: int = 5) -> tuple[AgentClock, ...]:
        """Each agent's clock offset: `pings` new samples and those of the last minute, the
        one with the shortest round trip trusted. Raises `CameraConnectionError` when an
        agent does not answer."""
        agents = self._agents()
        measured = await asyncio.gather(*(measure_clock(self.client, a, pings) for a in agents))
        now = time.monotonic()
        clocks = []
        for agent, samples in zip(agents, measured, strict=True):
            kept = [s for s in self._samples.get(agent, []) if now - s[0] < _KEEP_SAMPLES]
            kept += [(now, offset, rtt) for offset, rtt in samples]
            self._samples[agent] = kept
            _, offset, rtt = min(kept, key=lambda s: s[2])
            clocks.append(AgentClock(agent, offset, rtt))
        return tuple(clocks)

    async def fire(self, op: str, *, lead: float = 0.3) -> AgentShot:
        """`op` ("take_photo", "start_recording", "stop_recording") on every camera at T,
        `lead` seconds from now; returns the `AgentShot`. Raises `ValueError` for another op,
        `CameraConnectionError` when an agent cannot be reached for its clock."""
        if op not in FIRE_OPS:
            raise ValueError(f"cannot fire {op!r}; one of {', '.join(FIRE_OPS)}")
        clocks = await self.clocks()
        at = time.time() + lead
        wait = lead + 40.0  # a stop waits for the camera to write the video

        async def one(clock: AgentClock) -> Any:
            args = {"op": op, "at": at + clock.correction}
            return await self.client.request(
                clock.agent, None, "fire", args, timeout=wait, once=True
            )

        replies = await asyncio.gather(*(one(c) for c in clocks), return_exceptions=True)
        cameras: list[FiredCamera] = []
        for clock, reply in zip(clocks, replies, strict=True):
            if isinstance(reply, BaseException):
                if not isinstance(reply, Exception):
                    raise reply
                names = [i.camera for i in self.client.online_cameras() if i.agent == clock.agent]
                cameras += [FiredCamera(clock.agent, n, error=reply) for n in names]
                continue
            for name, entry in sorted(reply["cameras"].items()):
                if entry.get("ok"):
                    cameras.append(
                        FiredCamera(
                            clock.agent, name, late=entry.get("late"), path=entry.get("path")
                        )
                    )
                else:
                    cameras.append(
                        FiredCamera(clock.agent, name, error=decode_error(entry.get("error")))
                    )
        return AgentShot(at, clocks, tuple(cameras))
