"""`yicam.agent`: one owner per camera, shared by every tool, across computers over MQTT.

`Agent` owns the sessions of its cameras and serves them through an MQTT broker (Mosquitto,
or the `EmbeddedBroker` on one computer); `AgentClient` and `RemoteCamera` are the tools' side:
a `RemoteCamera` has the `Camera` methods the tools use, run by the agent. Needs the `agent`
extra (`pip install 'yicam[agent]'`). Names are imported on first use, as in `yicam`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._agent import Agent, AgentCamera, camera_name
    from ._broker import EmbeddedBroker
    from ._client import AgentClient, RemoteCameraInfo
    from ._fleet import AgentClock, AgentFleet, AgentShot, FiredCamera
    from ._link import TLSOptions, run
    from ._registry import LocalAgent, agents_folder, find_owner, local_agents
    from ._remote import RemoteCamera
    from ._remote_jobs import RemoteJob
    from ._topics import DEFAULT_PREFIX, Topics
    from ._url import BrokerURL

__all__ = [
    "DEFAULT_PREFIX",
    "Agent",
    "AgentCamera",
    "AgentClient",
    "AgentClock",
    "AgentFleet",
    "AgentShot",
    "BrokerURL",
    "EmbeddedBroker",
    "FiredCamera",
    "LocalAgent",
    "RemoteCamera",
    "RemoteCameraInfo",
    "RemoteJob",
    "TLSOptions",
    "Topics",
    "agents_folder",
    "camera_name",
    "find_owner",
    "local_agents",
    "run",
]

_EXPORTS: dict[str, str] = {
    "Agent": "._agent",
    "AgentCamera": "._agent",
    "camera_name": "._agent",
    "EmbeddedBroker": "._broker",
    "AgentClient": "._client",
    "RemoteCameraInfo": "._client",
    "AgentClock": "._fleet",
    "AgentFleet": "._fleet",
    "AgentShot": "._fleet",
    "FiredCamera": "._fleet",
    "TLSOptions": "._link",
    "run": "._link",
    "LocalAgent": "._registry",
    "agents_folder": "._registry",
    "find_owner": "._registry",
    "local_agents": "._registry",
    "RemoteCamera": "._remote",
    "RemoteJob": "._remote_jobs",
    "DEFAULT_PREFIX": "._topics",
    "Topics": "._topics",
    "BrokerURL": "._url",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use, then keep it here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'yicam.agent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, including those not imported yet."""
    return sorted(set(globals()) | set(__all__))
