"""Issue 21's rig test: two `yicam agent` processes for two "computers" (cameras on 127.0.0.2
and 127.0.0.3), 4 emulators, Mosquitto, driven by `yicam --broker URL fleet ...` processes.

Skipped where Mosquitto is not installed (`.ci/run` installs it on Debian).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from yicam.agent import AgentClient
from yicam.emulator import Emulator

from . import test_agent_mosquitto
from .agent_helpers import MOSQUITTO, Mosquitto, mosquitto
from .cli_helpers import LoopThread
from .conftest import wait_until
from .test_agent_mosquitto import Agents, name

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed")

agents = test_agent_mosquitto.agents  # the fixture: no agent process outlives its test
AGENTS = {"pi1": ["cam0", "cam1"], "pi2": ["cam2", "cam3"]}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with mosquitto(tmp_path) as running:
        yield running


@pytest.fixture
def rig(
    loop: LoopThread,
    broker: Mosquitto,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    agents: Agents,
) -> dict[str, Emulator]:
    """cam0, cam1 on 127.0.0.2 behind agent pi1; cam2, cam3 on 127.0.0.3 behind agent pi2."""
    monkeypatch.setenv("YICAM_CONFIG", str(tmp_path / "config.toml"))
    emus = {f"cam{i}": loop.emulator(host=f"127.0.0.{2 + i // 2}") for i in range(4)}
    for camera, emu in emus.items():
        name(emu, camera)
    for agent, cameras in AGENTS.items():
        agents(broker.url, agent, cameras, tmp_path / agent)  # ended by the fixture
    return emus


async def all_connected(url: str) -> None:
    """Every camera of both agents is on the broker with its session up."""
    async with AgentClient(url) as client:

        def ready() -> bool:
            states = {(i.agent, i.camera): i.state for i in client.online_cameras()}
            wanted = [(a, c) for a, cams in AGENTS.items() for c in cams]
            return all(states.get(w, {}).get("connection") == "connected" for w in wanted)

        await wait_until(ready, 30)


def fleet(url: str, *args: str) -> subprocess.Popen[str]:
    """`yicam --broker URL --json fleet ARGS` as a process of its own."""
    argv = [sys.executable, "-m", "yicam.cli.main", "--broker", url, "--json", "fleet", *args]
    return subprocess.Popen(
        argv, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, Any, str]:
    """Exit status, the parsed JSON output and stderr of a fleet process."""
    out, err = process.communicate(timeout=60)
    return process.returncode, json.loads(out), err


def files(emu: Emulator, pattern: str) -> set[Path]:
    return set(emu.state.card.root.rglob(pattern))


async def test_fleet_photo_and_record_across_two_agent_processes(
    broker: Mosquitto, rig: dict[str, Emulator]
) -> None:
    await all_connected(broker.url)
    code, shot, err = finished(fleet(broker.url, "photo"))
    assert code == 0, err
    assert {c["agent"] for c in shot["clocks"]} == {"pi1", "pi2"}
    results = {c["camera"]: c for c in shot["cameras"]}
    assert sorted(results) == sorted(rig)
    for camera, emu in rig.items():
        assert results[camera]["ok"], results[camera]
        assert results[camera]["agent"] == ("pi1" if camera in AGENTS["pi1"] else "pi2")
        assert emu.state.card.local_path(results[camera]["path"]).is_file()
        assert len(files(emu, "*.jpg")) == 1

    code, started, err = finished(fleet(broker.url, "record", "start"))
    assert code == 0, err
    assert [c["ok"] for c in started["cameras"]] == [True] * 4
    assert all(emu.state.recording_since is not None for emu in rig.values())
    code, stopped, err = finished(fleet(broker.url, "record", "stop"))
    assert code == 0, err
    videos = {c["camera"]: c["path"] for c in stopped["cameras"] if c["ok"]}
    assert sorted(videos) == sorted(rig)
    for camera, emu in rig.items():
        assert emu.state.recording_since is None
        assert emu.state.card.local_path(videos[camera]).is_file()
        assert [p.name for p in files(emu, "*.mp4") if "_thm" not in p.name] == [
            Path(videos[camera]).name
        ]


async def test_a_camera_dropped_during_a_fleet_photo_is_reported_the_others_shoot(
    broker: Mosquitto, rig: dict[str, Emulator], loop: LoopThread
) -> None:
    await all_connected(broker.url)
    running = fleet(broker.url, "photo")
    loop.run(rig["cam3"].close())  # switched off while the shot is on its way
    code, shot, _err = finished(running)
    assert code == 1  # not every camera succeeded
    results = {c["camera"]: c for c in shot["cameras"]}
    assert not results["cam3"]["ok"]
    assert results["cam3"]["error"]
    for camera in ("cam0", "cam1", "cam2"):
        assert results[camera]["ok"], results[camera]
        assert rig[camera].state.card.local_path(results[camera]["path"]).is_file()

    async with AgentClient(broker.url) as client:
        await wait_until(
            lambda: (
                (i := client.find("pi2/cam3")) is not None
                and i.state.get("connection") != "connected"
            ),
            30,
        )
        assert client.online("pi2")  # its agent is still there, with cam2
    code, states, _err = finished(fleet(broker.url, "status"))
    assert code == 1  # a camera is not connected
    by_camera = {s["camera"]: s for s in states}
    assert by_camera["cam3"]["connection"] in ("closed", "reconnecting")
    assert all(by_camera[c]["connection"] == "connected" for c in ("cam0", "cam1", "cam2"))
