"""`tether`, `timelapse` and `sync` when an agent owns the camera: jobs run on the agent.

The command starts the job on the agent and follows its report, printing each file as the
agent keeps it; Ctrl-C stops the job. The files stay in the agent's folder:
`yicam sync --from-agent FOLDER` copies them here, verified against the agent's MD5.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from .. import SyncEntry, SyncReport, YicamError, cancel_and_wait
from .output import Result, emit, safe

__all__ = ["fetch_kept", "is_remote", "run_job"]


def is_remote(cam: object) -> bool:
    """True when `cam` is an agent's camera (a `yicam.agent.RemoteCamera`)."""
    agent = sys.modules.get("yicam.agent")
    return agent is not None and isinstance(cam, agent.RemoteCamera)


async def run_job(
    cam: Any,
    kind: str,
    options: dict[str, Any],
    on_file: Callable[[SyncEntry], None],
    on_report: Callable[[Any], None] | None = None,
    *,
    quiet: bool = False,
    stop_after: int | None = None,
) -> Any:
    """Start `kind` on the agent, follow it until it ends (Ctrl-C, or `stop_after` files,
    stops it); returns the job."""
    job = await cam.start_job(kind, **options)
    if not quiet:
        emit(Result(None, safe(
            f"{kind} runs on agent {cam.agent} with camera {cam.name}; its files stay in the "
            "agent's folder (`yicam sync --from-agent FOLDER` copies them)"
        )))  # fmt: skip
    seen = 0
    enough = asyncio.Event()

    def follow(_report: dict[str, Any]) -> None:
        nonlocal seen
        entries = job.entries
        for entry in entries[seen:]:
            on_file(entry)
        seen = len(entries)
        if on_report is not None:
            on_report(job)
        if stop_after is not None and seen >= stop_after:
            enough.set()

    following = asyncio.create_task(job.follow(follow))
    stopping = asyncio.create_task(enough.wait())
    try:
        await asyncio.wait([following, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not following.done():
            await job.stop()
        await following
    except asyncio.CancelledError:  # Ctrl-C: the job ends with the command
        with contextlib.suppress(YicamError, OSError):
            await job.stop()
        raise
    finally:
        await cancel_and_wait(following, stopping)
    return job


def _target(folder: Path, relative: str) -> Path:
    """Where a kept file `CAMERA/NNNMEDIA/NAME` goes under `folder`; refuses any other path."""
    parts = PurePosixPath(relative).parts
    if len(parts) < 2 or any(p in ("", ".", "..") or not p.isprintable() for p in parts):
        raise ValueError(f"the agent named an unsafe file: {relative!r}"[:200])
    if PurePosixPath(relative).is_absolute() or any("\\" in p for p in parts):
        raise ValueError(f"the agent named an unsafe file: {relative!r}"[:200])
    target = folder.joinpath(*parts[1:])
    if not target.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"the agent named an unsafe file: {relative!r}"[:200])
    return target


async def fetch_kept(cam: Any, folder: Path) -> SyncReport:
    """Copy every file the agent keeps of the camera into `folder` (FOLDER/NNNMEDIA/NAME)."""
    entries: list[SyncEntry] = []
    for kept in await cam.kept_files():
        relative, size = str(kept.get("file")), int(kept.get("size", 0))
        try:
            target = _target(folder, relative)
        except ValueError as exc:
            entries.append(SyncEntry(relative, None, size, "skipped", error=str(exc)))
            continue
        present = await asyncio.to_thread(target.exists)
        try:
            await cam.fetch_kept(relative, target)
        except YicamError as exc:
            entries.append(SyncEntry(relative, target, size, "failed", error=str(exc)))
            continue
        if present:
            entries.append(SyncEntry(relative, target, size, "present"))
        else:
            entries.append(SyncEntry(relative, target, size, "downloaded", verified_by="md5"))
    return SyncReport(tuple(entries))
