"""Home Assistant MQTT discovery from an agent, checked against what Home Assistant requires."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from yicam import Camera
from yicam.agent import Agent, AgentClient, BrokerURL, EmbeddedBroker
from yicam.agent._link import Incoming, Link
from yicam.emulator import Emulator

from .conftest import wait_until

# Home Assistant's MQTT discovery, as its documentation states it: the topic
# <discovery_prefix>/<component>/[<node_id>/]<object_id>/config (ids of letters, digits, _ and
# -); an entity in a device needs a unique_id; the device needs identifiers (a list) and a name;
# a sensor and a binary sensor read a state_topic, a button publishes to a command_topic;
# availability entries carry a topic and their payloads.
TOPIC = re.compile(
    r"^homeassistant/(?P<component>sensor|binary_sensor|button)/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/config$"
)
REQUIRED: dict[str, type] = {"unique_id": str, "name": str, "device": dict}
BY_COMPONENT: dict[str, dict[str, type]] = {
    "sensor": {"state_topic": str, "value_template": str},
    "binary_sensor": {
        "state_topic": str,
        "value_template": str,
        "payload_on": str,
        "payload_off": str,
    },
    "button": {"command_topic": str, "payload_press": str},
}
KNOWN = {
    "unique_id", "name", "device", "availability", "availability_mode", "origin", "state_topic",
    "value_template", "device_class", "unit_of_measurement", "state_class", "payload_on",
    "payload_off", "command_topic", "payload_press", "icon", "qos",
}  # fmt: skip
DEVICE_KEYS = {"identifiers", "name", "manufacturer", "model"}
AVAILABILITY_KEYS = {"topic", "payload_available", "payload_not_available", "value_template"}


def check_config(topic: str, config: Any) -> str:
    """Fail unless `config` is a discovery message Home Assistant accepts; returns its component."""
    match = TOPIC.match(topic)
    assert match, f"not a discovery topic: {topic}"
    component = match["component"]
    assert isinstance(config, dict)
    assert set(config) <= KNOWN, f"unknown keys {set(config) - KNOWN} in {topic}"
    for key, kind in {**REQUIRED, **BY_COMPONENT[component]}.items():
        assert isinstance(config.get(key), kind), f"{topic}: {key} missing or not a {kind.__name__}"
    device = config["device"]
    assert set(device) <= DEVICE_KEYS
    assert isinstance(device["identifiers"], list)
    assert device["identifiers"]
    assert all(isinstance(i, str) and i for i in device["identifiers"])
    assert isinstance(device["name"], str)
    assert device["name"]
    assert config["availability_mode"] in ("all", "any", "latest")
    for entry in config["availability"]:
        assert set(entry) <= AVAILABILITY_KEYS
        assert all(isinstance(entry[k], str) for k in ("topic", "payload_available",
                                                       "payload_not_available"))  # fmt: skip
    return component


def render(template: str, payload: bytes) -> str:
    """A value template as Home Assistant renders it (Jinja, `value` and `value_json`)."""
    text = payload.decode()
    return str(jinja2.Template(template).render(value=text, value_json=json.loads(text))).strip()


class Listener:
    """A client subscribed like Home Assistant: discovery and the states it points to."""

    def __init__(self, url: str) -> None:
        self.retained: dict[str, bytes] = {}
        self.link = Link(BrokerURL.parse(url), client_id="homeassistant", on_message=self._on,
                         on_connect=self._subscribe)  # fmt: skip

    async def _subscribe(self, link: Link) -> None:
        await link.subscribe("homeassistant/#", "yicam/#")

    def _on(self, message: Incoming) -> None:
        self.retained[message.topic] = message.payload


@pytest.fixture
async def agent(tmp_path: Path, emulator: Emulator) -> AsyncIterator[tuple[str, Emulator]]:
    async with EmbeddedBroker("127.0.0.1", 0) as broker:
        cam = Camera(emulator.host, emulator.port, data_port=emulator.data_port,
                     http_port=emulator.http_port, timeout=2.0, event_timeout=5.0,
                     reconnect=True)  # fmt: skip
        served = Agent({"cam": cam}, broker.url, name="studio", folder=tmp_path, homeassistant=True)
        task = asyncio.create_task(served.run())
        try:
            async with AgentClient(broker.url) as client:
                await client.wait_for(
                    lambda: (i := client.find("studio/cam")) and i.state.get("battery") is not None,
                    15,
                )
            yield broker.url, emulator
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_each_camera_is_a_home_assistant_device_with_sensors_and_buttons(
    agent: tuple[str, Emulator],
) -> None:
    url, emulator = agent
    ha = Listener(url)
    async with ha.link:
        await wait_until(lambda: sum(t.startswith("homeassistant/") for t in ha.retained) == 6, 10)
        configs = {
            t: json.loads(p) for t, p in ha.retained.items() if t.startswith("homeassistant/")
        }
        components = sorted(check_config(t, c) for t, c in configs.items())
        assert components == ["binary_sensor", "button", "button", "button", "sensor", "sensor"]
        assert len({c["unique_id"] for c in configs.values()}) == 6
        assert len({json.dumps(c["device"], sort_keys=True) for c in configs.values()}) == 1
        by_id = {c["unique_id"].rsplit("_", 1)[-1]: c for c in configs.values()}
        # The retained states and availability come on the yicam/# subscription, after the
        # discovery messages: wait for every topic the configs read.
        read = {c["state_topic"] for c in configs.values() if "state_topic" in c}
        read |= {entry["topic"] for c in configs.values() for entry in c["availability"]}
        await wait_until(lambda: read <= ha.retained.keys(), 10)
        # What Home Assistant shows: the values its templates render from the retained state.
        state = ha.retained[by_id["battery"]["state_topic"]]
        assert render(by_id["battery"]["value_template"], state) == str(emulator.state.battery)
        assert by_id["battery"]["device_class"] == "battery"
        assert int(render(configs[next(t for t in configs if "card_free" in t)]["value_template"],
                          state)) > 0  # fmt: skip
        assert render(by_id["recording"]["value_template"], state) == "OFF"
        for entry in by_id["battery"]["availability"]:
            payload = ha.retained[entry["topic"]]
            shown = render(entry["value_template"], payload) if "value_template" in entry else (
                payload.decode())  # fmt: skip
            assert shown == entry["payload_available"]
        # Pressing the photo button in Home Assistant takes one photo.
        photo = next(c for t, c in configs.items() if t.endswith("/photo/config"))
        await ha.link.publish(photo["command_topic"], photo["payload_press"])
        await wait_until(lambda: len(list(emulator.state.card.root.rglob("*.jpg"))) == 1, 15)
        start = next(c for t, c in configs.items() if t.endswith("/record_start/config"))
        await ha.link.publish(start["command_topic"], start["payload_press"])
        await wait_until(
            lambda: render(by_id["recording"]["value_template"],
                           ha.retained[by_id["recording"]["state_topic"]]) == "ON", 15,
        )  # fmt: skip
        stop = next(c for t, c in configs.items() if t.endswith("/record_stop/config"))
        await ha.link.publish(stop["command_topic"], stop["payload_press"])
        await wait_until(lambda: emulator.state.recording_since is None, 15)
