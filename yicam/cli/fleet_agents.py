"""`yicam --broker URL fleet ...`: the cameras of every online agent on a broker.

Shots are sent as "fire at T" (`yicam.agent.AgentFleet`): each agent's clock is measured
against this computer's and printed with the shot; each camera's line says how late its
request went out after T, by its agent's clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from .base import global_options
from .output import Result, safe

__all__ = ["agent_clock_sync", "agent_set", "agent_shot", "agent_status"]

T = TypeVar("T")


def _with_client(job: Callable[[Any], Awaitable[T]]) -> T:
    from yicam.agent import AgentClient, run

    options = global_options()
    broker = options.broker or ""

    async def session() -> T:
        async with AgentClient(broker, prefix=options.prefix) as client:
            await client.settled()  # every agent's cameras, not only the first to arrive
            await client.wait_for(lambda: client.online_cameras(), 3.0)
            if not client.online_cameras():
                raise click.ClickException(f"no online agent with cameras on {client.url}")
            return await job(client)

    return run(session())


def _finish(result: Result, ok: bool) -> Result:
    """The result; when something failed, printed here and exit status 1."""
    if not ok:
        from .output import emit

        emit(result)
        raise click.exceptions.Exit(1)
    return result


def agent_shot(op: str) -> Result:
    """Fire `op` on every camera of every agent at one moment; prints a line per camera."""
    from yicam.agent import AgentFleet

    shot = _with_client(lambda client: AgentFleet(client).fire(op))
    lines = [
        f"agent {c.agent}: clock {c.offset * 1000:+.1f} ms against this computer "
        f"(round trip {c.round_trip * 1000:.1f} ms"
        f"{'' if c.correction else '; within its error, T not moved'})"
        for c in shot.clocks
    ]
    clocks: list[dict[str, Any]] = []
    cameras: list[dict[str, Any]] = []
    data = {"clocks": clocks, "cameras": cameras, "spread_ms": round(shot.spread * 1000, 3)}
    for clock in shot.clocks:
        clocks.append({"agent": clock.agent, "offset_ms": round(clock.offset * 1000, 3),
                       "round_trip_ms": round(clock.round_trip * 1000, 3),
                       "correction_ms": round(clock.correction * 1000, 3)})  # fmt: skip
    for cam in shot.cameras:
        late = None if cam.late is None else round(cam.late * 1000, 3)
        error = None if cam.error is None else str(cam.error)
        cameras.append({"agent": cam.agent, "camera": cam.name, "ok": cam.ok,
                        "late_ms": late, "path": cam.path, "error": error})  # fmt: skip
        outcome = cam.path or "ok" if cam.ok else f"FAILED: {cam.error}"
        timing = "" if late is None else f" ({late:.2f} ms after T)"
        lines.append(safe(f"{cam.agent}/{cam.name}: {outcome}{timing}"))
    failed = [c for c in shot.cameras if not c.ok]
    lines.append(
        f"{len(shot.cameras) - len(failed)} of {len(shot.cameras)} camera(s); "
        f"spread {shot.spread * 1000:.2f} ms by the agents' clocks"
    )
    return _finish(Result(data, "\n".join(lines)), not failed)


def agent_status() -> Result:
    """Every camera's retained state, one line each."""

    async def job(client: Any) -> list[dict[str, Any]]:
        return [dict(i.state) for i in client.online_cameras()]

    states = _with_client(job)
    lines = []
    for s in states:
        card = s.get("card") or {}
        free = card.get("free")
        space = "-" if free is None else f"{free / 1e9:.1f} GB free"
        lines.append(safe(
            f"{s.get('agent')}/{s.get('camera')}: {s.get('model_name')}, {s.get('connection')}, "
            f"battery {s.get('battery')}%, card {space}"
            f"{', recording' if s.get('recording') else ''}"
        ))  # fmt: skip
    ok = all(s.get("connection") == "connected" for s in states)
    return _finish(Result(states, "\n".join(lines)), ok)


def agent_each(op: str, args: dict[str, Any], describe: Callable[[Any], str]) -> Result:
    """`op` on every camera of every agent; a line per camera, exit 1 unless all succeeded."""
    import asyncio

    async def job(client: Any) -> list[tuple[str, Any]]:
        infos = client.online_cameras()
        timeout = global_options().settings.timeout * 2 + 1

        async def one(info: Any) -> Any:
            return await client.request(info.agent, info.camera, op, args, timeout=timeout)

        outcomes = await asyncio.gather(*(one(i) for i in infos), return_exceptions=True)
        return [(f"{i.agent}/{i.camera}", o) for i, o in zip(infos, outcomes, strict=True)]

    outcomes = _with_client(job)
    lines, data = [], []
    for name, outcome in outcomes:
        failed = isinstance(outcome, BaseException)
        text = f"FAILED: {outcome}" if failed else describe(outcome)
        lines.append(safe(f"{name}: {text}"))
        data.append({"camera": name, "ok": not failed, "result": str(outcome)})
    return _finish(Result(data, "\n".join(lines)), all(d["ok"] for d in data))


def agent_set(name: str, value: str) -> Result:
    """Change a setting on every camera of every agent."""
    return agent_each("set_setting", {"name": name, "value": value}, lambda _v: f"{name} = {value}")


def agent_clock_sync() -> Result:
    """Set every camera's clock to its agent computer's time."""
    return agent_each("sync_clock", {}, lambda when: f"clock set to {when:%Y-%m-%d %H:%M:%S}")
