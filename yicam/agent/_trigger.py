""" "Fire at T" across agents: each agent writes its cameras' requests at the same instant.

The tool measures each agent's clock against its own (the least round trip of a few pings,
NTP style) and sends every agent the moment T, a few hundred milliseconds ahead, in that
agent's clock. An agent arms the shot just before T (sessions checked, request slots taken,
requests encoded), waits for T and writes every camera's request in one pass (the fleet
trigger). Broker and network delays only need to be shorter than the lead: they do not add
to the spread; what is left is the clocks' error and how late each computer wakes at T.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import yicam
from yicam import MsgId, Notify
from yicam._fleet.moment import sleep_until
from yicam._fleet.trigger import ARM_AHEAD, fire

from ._codec import encode_error

if TYPE_CHECKING:
    from ._agent import Agent
    from ._client import AgentClient

__all__ = ["FIRE_OPS", "fire_at", "measure_clock"]

# op: the request, and the notification that names the file
_SHOTS = {
    "take_photo": (MsgId.TAKE_PHOTO, Notify.PHOTO_TAKEN),
    "start_recording": (MsgId.START_RECORD, None),
    "stop_recording": (MsgId.STOP_RECORD, Notify.VIDEO_RECORD_COMPLETE),
}
FIRE_OPS = tuple(_SHOTS)
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
    msg_id, then = _SHOTS[op]
    await sleep_until(at - ARM_AHEAD)
    before = await yicam.Fleet(owned).connect()  # a camera that dropped: once more, now
    live = {name: cam for name, cam in owned.items() if before[name].ok}
    wall_minus_monotonic = _wall_minus_monotonic()
    outcomes = await fire(live, msg_id, then=then, at=at) if live else {}
    cameras: dict[str, Any] = {}
    for name in owned:
        outcome = outcomes.get(name, before[name].error)
        if isinstance(outcome, yicam.Trigger):
            late = outcome.sent + wall_minus_monotonic - at
            cameras[name] = {"ok": True, "late": late, "path": outcome.path}
        else:
            error = outcome or yicam.YicamError("failed")
            cameras[name] = {"ok": False, "error": encode_error(error)}
    for name in owned:
        agent.spawn(agent.refresh_state(name))
    return {"agent": agent.name, "at": at, "cameras": cameras}


def _wall_minus_monotonic() -> float:
    """`time.time()` minus `time.monotonic()`, from the tightest of a few readings (a
    reading split by a preemption would be off by as long as it lasted)."""
    best: tuple[float, float] | None = None
    for _ in range(5):
        before = time.monotonic()
        wall = time.time()
        after = time.monotonic()
        if best is None or after - before < best[0]:
            best = (after - before, wall - (before + after) / 2)
    assert best is not None
    return best[1]


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
