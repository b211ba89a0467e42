"""Topic names under the prefix (default `yicam/`), and names safe as one topic level.

```text
<prefix><agent>/status            retained "online" / "offline" (the agent's Last Will)
<prefix><agent>/cmd               requests to the agent (jobs, fleet triggers, files, clock)
<prefix><agent>/<camera>/state    retained JSON: model, battery, card, mode, recording, connection
<prefix><agent>/<camera>/event    notifications and connection events, as they happen
<prefix><agent>/<camera>/cmd      requests to the camera (`Camera` methods), QoS 1
<prefix><agent>/<camera>/job/<id> retained JSON: a job's report (tether, time-lapse, sync)
<prefix><agent>/<camera>/ha/<act> Home Assistant button presses (with --homeassistant)
<prefix>reply/<client id>         replies to one client (MQTT 5 response topic)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_PREFIX", "Topics", "level"]

DEFAULT_PREFIX = "yicam/"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def level(name: str) -> str:
    """`name` as one topic level: no `/`, `+`, `#` or control characters (each run is `_`).

    Raises `ValueError` when nothing is left.
    """
    cleaned = _UNSAFE.sub("_", name).strip("_.")
    if not cleaned:
        raise ValueError(f"{name!r} cannot name an agent or a camera in a topic")
    return cleaned[:64]


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one prefix."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if self.prefix and not self.prefix.endswith("/"):
            object.__setattr__(self, "prefix", self.prefix + "/")
        if "+" in self.prefix or "#" in self.prefix:
            raise ValueError(f"topic prefix {self.prefix!r} may not hold + or #")

    def status(self, agent: str) -> str:
        """The agent's presence, retained."""
        return f"{self.prefix}{agent}/status"

    def agent_cmd(self, agent: str) -> str:
        """Requests to the agent itself."""
        return f"{self.prefix}{agent}/cmd"

    def state(self, agent: str, camera: str) -> str:
        """A camera's state, retained."""
        return f"{self.prefix}{agent}/{camera}/state"

    def event(self, agent: str, camera: str) -> str:
        """A camera's events."""
        return f"{self.prefix}{agent}/{camera}/event"

    def cmd(self, agent: str, camera: str) -> str:
        """Requests to a camera."""
        return f"{self.prefix}{agent}/{camera}/cmd"

    def job(self, agent: str, camera: str, job: str) -> str:
        """A job's report, retained."""
        return f"{self.prefix}{agent}/{camera}/job/{job}"

    def jobs(self, agent: str, camera: str) -> str:
        """Every job report of a camera."""
        return f"{self.prefix}{agent}/{camera}/job/+"

    def ha_command(self, agent: str, camera: str, action: str) -> str:
        """Where Home Assistant presses a camera's button."""
        return f"{self.prefix}{agent}/{camera}/ha/{action}"

    def reply(self, client: str) -> str:
        """Replies to one client."""
        return f"{self.prefix}reply/{client}"

    def all_states(self) -> str:
        """Every camera's state, of every agent."""
        return f"{self.prefix}+/+/state"

    def all_status(self) -> str:
        """Every agent's presence."""
        return f"{self.prefix}+/status"

    def split(self, topic: str) -> list[str]:
        """The levels of `topic` after the prefix ([] when it is not under the prefix)."""
        if not topic.startswith(self.prefix):
            return []
        return topic[len(self.prefix) :].split("/")
