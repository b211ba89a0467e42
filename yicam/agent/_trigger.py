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
_SPIN = 0.004  # seconds waited out by polling the clock, after the sleep
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


async def measure_clock(client: AgentClient, agent: str, pings: int = 5) -> tuple[float, float]:
    """An agent's clock minus this computer's, and the round trip it was measured with (s)."""
    best: tuple[float, float] | None = None
    for _ in range(pings):
        sent = time.time()
        reply = await client.request(agent, None, "ping", {}, timeout=5.0)
        back = time.time()
        rtt = back - sent
        offset = float(reply["time"]) - (sent + back) / 2
        if best is None or rtt < best[1]:
            best = (offset, rtt)
    assert best is not None
    return best
