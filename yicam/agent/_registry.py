"""Where a running agent tells the tools on its computer which cameras it owns.

Each agent writes `<folder>/<agent>.json` (broker URL without password, topic prefix, process
id, and the address of every camera it owns) and removes it when it stops. `yicam` reads the
folder before opening its own session: a missing folder costs one `stat`, so the default
lookup adds no measurable start-up time, and no port is probed. A file left behind by an agent
that was killed names a broker that is gone or an agent whose status is "offline": the tool
then opens its own session as usual.

The folder: `YICAM_AGENT_DIR` when set; else `$XDG_RUNTIME_DIR/yicam/agents` (Linux), the
user's temporary folder (macOS, other POSIX: `yicam-<uid>/agents`), or
`%LOCALAPPDATA%\\yicam\\agents` (Windows). Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._user_files import load_json

__all__ = ["LocalAgent", "agents_folder", "find_owner", "local_agents", "register", "unregister"]


@dataclass(frozen=True, slots=True)
class LocalAgent:
    """One agent on this computer, as its file says."""

    name: str
    broker: str
    prefix: str
    pid: int
    cameras: dict[str, tuple[str, int]] = field(default_factory=dict)


def agents_folder() -> Path:
    """The folder of the agents' files (see the module docstring)."""
    explicit = os.environ.get("YICAM_AGENT_DIR")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "yicam" / "agents"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "yicam" / "agents"
    temp = os.environ.get("TMPDIR") or "/tmp"
    return Path(temp) / f"yicam-{os.getuid()}" / "agents"


def register(agent: LocalAgent, folder: Path | None = None) -> Path:
    """Write (or replace) the agent's file, readable by this user only; returns its path.

    Raises `OSError` when the folder cannot be written.
    """
    folder = folder or agents_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{agent.name}.json"
    data = {
        "agent": agent.name,
        "broker": agent.broker,
        "prefix": agent.prefix,
        "pid": agent.pid,
        "cameras": {name: [host, port] for name, (host, port) in agent.cameras.items()},
    }
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(data, file)
    os.replace(temporary, path)
    return path


def unregister(name: str, folder: Path | None = None) -> None:
    """Remove the agent's file (nothing when it is gone)."""
    with contextlib.suppress(OSError):
        ((folder or agents_folder()) / f"{name}.json").unlink()


def local_agents(folder: Path | None = None) -> list[LocalAgent]:
    """Every agent file in the folder, newest first; unreadable files are skipped."""
    folder = folder or agents_folder()
    try:
        paths = sorted(folder.glob("*.json"), key=_mtime, reverse=True)
    except OSError:
        return []
    found = []
    for path in paths:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            found.append(_parse(load_json(path)))  # bounded: any file may sit in the folder
    return found


def find_owner(host: str, port: int, folder: Path | None = None) -> tuple[LocalAgent, str] | None:
    """The local agent that owns the camera at `host:port`, and its name for it; or None."""
    folder = folder or agents_folder()
    try:
        if not folder.is_dir():
            return None
    except OSError:
        return None
    for agent in local_agents(folder):
        if not _alive(agent.pid):
            unregister(agent.name, folder)  # killed without cleaning up
            continue
        for name, where in agent.cameras.items():
            if where == (host, port):
                return agent, name
    return None


def _alive(pid: int) -> bool:
    """False only when the process surely ended (POSIX); Windows cannot tell this cheaply."""
    if sys.platform == "win32" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _parse(data: Any) -> LocalAgent:
    cameras = {str(n): (str(w[0]), int(w[1])) for n, w in dict(data["cameras"]).items()}
    return LocalAgent(
        name=str(data["agent"]),
        broker=str(data["broker"]),
        prefix=str(data["prefix"]),
        pid=int(data["pid"]),
        cameras=cameras,
    )
