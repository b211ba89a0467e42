""" "Fire at T" across agents: each agent writes its cameras' requests at the same instant.

The tool measures each agent's clock against its own (the least round trip of a few pings,
NTP style) and sends every agent the moment T, a few hundred milliseconds ahead, in that
agent's clock. An agent sleeps until just before T, waits out the last milliseconds, and
fires its cameras with `Fleet`'s one-pass write. Broker and network delays only need to be
shorter than the lead: they do not add to the spread; what is left is the clocks' error.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import yicam

from ._codec import encode_error

if TYPE_CHECKING:
    from ._agent import Agent
    from ._client import AgentClient

__all__ = ["FIRE_OPS", "fire_at", "measure_clock"]

FIRE_OPS = ("take_photo", "start_recording", "stop_recording")
# Seconds waited out by polling the clock after the sleep. Short: on a loaded computer a
# process that spins through its time slice is the one the scheduler preempts, right at T
# (10 ms of spinning made shots 10-30 ms late there; 1 ms keeps them under 2 ms).
_SPIN = 0.001
_LONGEST_LEAD = 10.0


async def fire_at(agent: Agent, args: dict[str, Any]) -> dict[str, Any]:
    """The agent's side: fire `op` on its cameras (or `cameras`) at `at` (its clock)."""
    op, at = args.get("op"), args.get("at")
    if op not in FIRE_OPS:
        raise ValueError(f"cannot fire {op!r}; one of {', '.join(FIRE_OPS)}")
    if not isinstance(at, int | float) or not -1.0 < at - time.time() < _LONGEST_LEAD:
        raise ValueError("the fire time must be a moment in the next few seconds")
    names = args.get("cameras") or list(agent.cameras)
    owned = {name: agent.owned(name).cam for name in names}
    fleet = yicam.Fleet(owned)
    delay = at - time.time()
    if delay > _SPIN:
        await asyncio.sleep(delay - _SPIN)
    while time.time() < at:
        pass  # the last few milliseconds: a sleep would wake up late
    wall_minus_monotonic = time.time() - time.monotonic()
    report = await getattr(fleet, op)()
    cameras: dict[str, Any] = {}
    for result in report:
        entry: dict[str, Any] = {"ok": result.ok}
        if result.ok and result.value is not None:
            entry["late"] = result.value.sent + wall_minus_monotonic - at
            entry["path"] = result.value.path
        else:
            entry["error"] = encode_error(result.error or yicam.YicamError("failed"))
        cameras[result.name] = entry
    for name in owned:
        agent.spawn(agent.refresh_state(name))
    return {"agent": agent.name, "at": at, "cameras": cameras}


async def measure_clock(
    client: AgentClient, agent: str, pings: int = 5
) -> list[tuple[float, float]]:
    """Samples of an agent's clock minus this computer's, each with its round trip (s).

    The sample with the shortest round trip is the best: its error is at most half of it.
    """
    samples = []
    for _ in range(pings):
        sent = time.time()
        reply = await client.request(agent, None, "ping", {}, timeout=5.0)
        back = time.time()
        samples.append((float(reply["time"]) - (sent + back) / 2, back - sent))
    return samples
