"""Home Assistant MQTT discovery: every camera of the agent appears as a device, no setup there.

With `Agent(..., homeassistant=True)` (`yicam agent --homeassistant`) the agent publishes,
retained, one discovery message per entity on `homeassistant/<component>/<node>/<entity>/config`
(Home Assistant's default discovery prefix): battery and card-free sensors, a recording binary
sensor, and photo, record-start and record-stop buttons. They read the camera's retained state
topic through value templates; an entity is available while the agent is online and holds the
camera's session. A button press arrives as `PRESS` on `<prefix><agent>/<camera>/ha/<action>`
and runs the capture once (never again on a duplicate delivery, as every capture).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._agent import Agent, AgentCamera

__all__ = ["ACTIONS", "DISCOVERY_PREFIX", "discovery", "node_id"]

DISCOVERY_PREFIX = "homeassistant"
ACTIONS = {
    "photo": ("take_photo", "Take photo", "mdi:camera"),
    "record_start": ("start_recording", "Start recording", "mdi:record-rec"),
    "record_stop": ("stop_recording", "Stop recording", "mdi:stop"),
}
_ONLINE = "{{ 'online' if value_json.connection == 'connected' else 'offline' }}"


def node_id(agent: str, camera: str) -> str:
    """The camera's id in discovery topics and unique ids (letters, digits, _ and - only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"yicam_{agent}_{camera}")


def discovery(agent: Agent, owned: AgentCamera) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config payload, for every entity of one camera."""
    node = node_id(agent.name, owned.name)
    state = agent.topics.state(agent.name, owned.name)
    cam = owned.cam
    common: dict[str, Any] = {
        "device": {
            "identifiers": [node],
            "name": f"{owned.name} ({agent.name})",
            "manufacturer": "YI Technology",
            "model": cam.model_name,
        },
        "availability": [
            {
                "topic": agent.topics.status(agent.name),
                "payload_available": "online",
                "payload_not_available": "offline",
            },
            {
                "topic": state,
                "value_template": _ONLINE,
                "payload_available": "online",
                "payload_not_available": "offline",
            },
        ],
        "availability_mode": "all",
        "origin": {"name": "yicam"},
    }
    configs: dict[str, dict[str, Any]] = {}

    def add(component: str, entity: str, config: dict[str, Any]) -> None:
        topic = f"{DISCOVERY_PREFIX}/{component}/{node}/{entity}/config"
        configs[topic] = {"unique_id": f"{node}_{entity}", **config, **common}

    add("sensor", "battery", {
        "name": "Battery", "state_topic": state, "device_class": "battery",
        "unit_of_measurement": "%", "state_class": "measurement",
        "value_template": "{{ value_json.battery }}",
    })  # fmt: skip
    add("sensor", "card_free", {
        "name": "Card free", "state_topic": state, "device_class": "data_size",
        "unit_of_measurement": "B", "state_class": "measurement",
        "value_template": "{{ value_json.card.free }}",
    })  # fmt: skip
    add("binary_sensor", "recording", {
        "name": "Recording", "state_topic": state, "device_class": "running",
        "value_template": "{{ 'ON' if value_json.recording else 'OFF' }}",
        "payload_on": "ON", "payload_off": "OFF",
    })  # fmt: skip
    for action, (_op, name, icon) in ACTIONS.items():
        add("button", action, {
            "name": name, "icon": icon, "payload_press": "PRESS", "qos": 1,
            "command_topic": agent.topics.ha_command(agent.name, owned.name, action),
        })  # fmt: skip
    return configs
