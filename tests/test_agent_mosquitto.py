"""Agents as processes on Mosquitto: presence after kill -9, lost replies, a broker restart.

Skipped where Mosquitto is not installed (`.ci/run` installs it on Debian).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import yicam
from yicam import CameraConfig, add_camera
from yicam.agent import AgentClient, BrokerURL, RemoteCamera
from yicam.agent._link import Link
from yicam.cli.emulate import settings_of
from yicam.emulator import Emulator

from .agent_helpers import MOSQUITTO, Mosquitto, mosquitto
from .cli_helpers import LoopThread
from .conftest import wait_until

pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with mosquitto(tmp_path) as running:
        yield running


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(path))
    return path


def name(emu: Emulator, camera: str) -> None:
    add_camera(CameraConfig(camera, dataclasses.replace(settings_of(emu), timeout=2.0)))


class AgentProcess:
    """`yicam --broker URL -c ... agent --name NAME` in a process of its own.

    Its output goes to files in `folder`'s parent (`output`, `errors`).
    """

    def __init__(self, broker: str, agent: str, cameras: list[str], folder: Path) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "yicam.cli.main",
            "--broker",
            broker,
            "--event-timeout",
            "5",
        ]
        for camera in cameras:
            self.argv += ["-c", camera]
        self.argv += ["agent", "--name", agent, "--folder", str(folder), "--refresh", "0.5"]
        self.output = folder.with_name(f"{folder.name}.out")
        self.errors = folder.with_name(f"{folder.name}.err")
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.output.open("wb") as out, self.errors.open("wb") as err:
            self.process = subprocess.Popen(
                self.argv, env=os.environ.copy(), stdout=out, stderr=err
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
        self.process.wait(10)

    def terminate(self) -> int:
        """SIGTERM (TerminateProcess on Windows); the exit status, once it ended (30 s at most)."""
        assert self.process is not None
        self.process.terminate()
        return self.process.wait(_GRACE)

    def started(self) -> bool:
        """True once it printed what it serves (its SIGTERM handler is in place by then)."""
        return b"Agent " in self.output.read_bytes()


Agents = Callable[[str, str, list[str], Path], AgentProcess]
_GRACE = 30.0  # seconds an agent may take to end after SIGTERM before it is killed


@pytest.fixture
def agents() -> Iterator[Callable[[str, str, list[str], Path], AgentProcess]]:
    """Start agent processes; each still running at the end gets SIGTERM, then SIGKILL."""
    started: list[AgentProcess] = []

    def start(broker: str, agent: str, cameras: list[str], folder: Path) -> AgentProcess:
        started.append(AgentProcess(broker, agent, cameras, folder))
        return started[-1]

    yield start
    hung = []
    for agent in started:
        process = agent.process
        if process is None or process.poll() is not None:
            continue
        try:
            agent.terminate()
        except subprocess.TimeoutExpired:
            hung.append(agent.argv)
            process.kill()  # whatever happened: no agent outlives its test
            process.wait(10)
    assert not hung, f"agents still running {_GRACE:g} s after SIGTERM: {hung}"


async def connected(client: AgentClient, agent: str, camera: str) -> RemoteCamera:
    await wait_until(
        lambda: (
            (i := client.find(f"{agent}/{camera}")) is not None
            and i.state.get("connection") == "connected"
        ),
        20,
    )
    info = client.find(f"{agent}/{camera}")
    assert info is not None
    return RemoteCamera(client, info, timeout=2.0, event_timeout=5.0)


@pytest.fixture
def emulators(loop: LoopThread, config: Path) -> list[Emulator]:
    emus = [loop.emulator(host=f"127.0.0.{i}") for i in (2, 3)]
    for i, emu in enumerate(emus):
        name(emu, f"cam{i}")
    return emus


async def test_presence_after_kill_and_restart(
    broker: Mosquitto, emulators: list[Emulator], tmp_path: Path, agents: Agents
) -> None:
    agent = agents(broker.url, "pi1", ["cam0", "cam1"], tmp_path / "pi1")
    async with AgentClient(broker.url) as client:
        remote = await connected(client, "pi1", "cam0")
        await connected(client, "pi1", "cam1")
        assert client.status["pi1"] == "online"
        agent.kill()  # no goodbye: the broker publishes the Last Will
        await wait_until(lambda: client.status.get("pi1") == "offline", 20)
        assert not remote.connected
        with pytest.raises(yicam.NotConnectedError, match="not online"):
            await remote.get_battery()
        agent.start()
        await wait_until(lambda: client.status.get("pi1") == "online", 20)
        again = await connected(client, "pi1", "cam0")
        assert (await again.get_battery()).level == emulators[0].state.battery


async def test_a_photo_whose_reply_is_lost_is_unknown_and_never_resent(
    broker: Mosquitto, emulators: list[Emulator], tmp_path: Path, loop: LoopThread, agents: Agents
) -> None:
    emu = emulators[0]
    agent = agents(broker.url, "pi1", ["cam0"], tmp_path / "pi1")
    async with AgentClient(broker.url) as client:
        remote = await connected(client, "pi1", "cam0")
        loop.call(lambda: setattr(emu.state, "reply_latency", (60.0, 60.0)))  # 3 s here
        shot = __import__("asyncio").ensure_future(remote.take_photo())
        await wait_until(
            lambda: emu.state.reply_latency == (60.0, 60.0) and bool(client._pending), 5
        )
        await __import__("asyncio").sleep(0.5)  # the request is at the camera now
        agent.kill()
        with pytest.raises(yicam.OutcomeUnknownError, match="not sent again"):
            await shot
        loop.call(lambda: setattr(emu.state, "reply_latency", (0.0, 0.0)))
        agent.start()
        await connected(client, "pi1", "cam0")
        photos = list(emu.state.card.root.rglob("*.jpg"))
        assert len(photos) <= 1  # taken once at most, never a second time


async def test_agent_comes_back_after_the_broker_restarts(
    broker: Mosquitto, emulators: list[Emulator], tmp_path: Path, agents: Agents
) -> None:
    agents(broker.url, "pi1", ["cam0"], tmp_path / "pi1")
    async with AgentClient(broker.url) as client:
        await connected(client, "pi1", "cam0")
    broker.stop()
    broker.start()  # same port, no persistence: the agent must publish everything again
    async with AgentClient(broker.url) as client:
        remote = await connected(client, "pi1", "cam0")
        assert client.status["pi1"] == "online"
        path = await remote.take_photo()
        assert emulators[0].state.card.local_path(path).is_file()


async def test_users_and_passwords(
    tmp_path: Path, emulators: list[Emulator], monkeypatch: pytest.MonkeyPatch, agents: Agents
) -> None:
    with mosquitto(tmp_path, users={"rig": "s3cret"}) as broker:
        monkeypatch.setenv("YICAM_BROKER_PASSWORD", "s3cret")
        url = f"mqtt://rig@127.0.0.1:{broker.port}"
        agents(url, "pi1", ["cam0"], tmp_path / "pi1")
        async with AgentClient(url) as client:
            remote = await connected(client, "pi1", "cam0")
            assert (await remote.get_battery()).level >= 0
        with pytest.raises(yicam.CameraConnectionError, match="refused"):
            async with AgentClient(f"mqtt://rig:wrong@127.0.0.1:{broker.port}"):
                pass


async def test_a_tether_job_survives_a_broker_restart_and_kill_9_with_nothing_lost(
    broker: Mosquitto, emulators: list[Emulator], tmp_path: Path, agents: Agents
) -> None:
    emu = emulators[0]
    agent = agents(broker.url, "pi1", ["cam0"], tmp_path / "pi1")
    async with AgentClient(broker.url) as client:
        remote = await connected(client, "pi1", "cam0")
        job = await remote.start_job("tether")
        first = await remote.take_photo()
        await wait_until(lambda: len(job.entries) == 1, 20)
    broker.stop()
    broker.start()  # mid-job: the job goes on, its report is published again
    async with AgentClient(broker.url) as client:
        remote = await connected(client, "pi1", "cam0")
        second = await remote.take_photo()
        again = (await remote.jobs())[-1]
        await wait_until(lambda: len(again.entries) == 2, 20)
        assert again.id == job.id
        agent.kill()  # no goodbye: the job's file still says "running"
        await wait_until(lambda: client.status.get("pi1") == "offline", 20)

    async def photo_while_the_agent_is_gone() -> str | None:
        direct = yicam.load_cameras()["cam0"].camera()
        try:
            async with direct:
                return await direct.take_photo()
        except yicam.SessionHeldError:
            return None  # the camera has not noticed the agent's end yet

    third: list[str] = []
    await wait_until(lambda: third or _append(third, photo_while_the_agent_is_gone()), 20)
    agent.start()
    async with AgentClient(broker.url) as client:
        remote = await connected(client, "pi1", "cam0")
        fourth = await remote.take_photo()
        taken_up = (await remote.jobs())[-1]
        assert taken_up.id == job.id
        await wait_until(lambda: len(taken_up.entries) == 4, 30)
        assert taken_up.report["resumed"] == 1
        entries = taken_up.entries
    assert sorted(e.path for e in entries) == sorted([first, second, third[0], fourth])
    assert all(e.status == "downloaded" and e.verified_by for e in entries)  # each once
    kept = sorted((tmp_path / "pi1" / "cam0").rglob("*.jpg"))
    assert len(kept) == 4
    for entry in entries:
        assert entry.local is not None
        local = tmp_path / "pi1" / entry.local
        assert local.read_bytes() == emu.state.card.local_path(entry.path).read_bytes()


async def _append(found: list[str], attempt: Any) -> bool:
    path = await attempt
    if path is not None:
        found.append(path)
    return path is not None


@pytest.mark.parametrize("moment", ["starting", "broker down", "camera reconnecting", "serving"])
async def test_one_sigterm_ends_the_agent_whatever_it_is_doing(
    moment: str,
    broker: Mosquitto,
    emulators: list[Emulator],
    tmp_path: Path,
    loop: LoopThread,
    agents: Agents,
) -> None:
    if moment == "broker down":
        broker.stop()  # the agent keeps trying to reach it
    agent = agents(broker.url, "pi1", ["cam0", "cam1"], tmp_path / "pi1")
    await wait_until(agent.started, 30)
    if moment in ("starting", "broker down"):
        assert await asyncio.to_thread(agent.terminate) == 0
    else:
        async with AgentClient(broker.url) as client:
            await connected(client, "pi1", "cam0")
            if moment == "camera reconnecting":
                await asyncio.to_thread(loop.run, emulators[0].close())
                await wait_until(
                    lambda: (
                        (i := client.find("pi1/cam0")) is not None
                        and i.state.get("connection") == "reconnecting"
                    ),
                    20,
                )
            assert await asyncio.to_thread(agent.terminate) == 0
            await wait_until(lambda: client.status.get("pi1") == "offline", 20)  # its goodbye
    assert b"Traceback" not in agent.errors.read_bytes()


async def test_one_sigterm_ends_the_agent_at_random_moments_of_its_start(
    broker: Mosquitto, emulators: list[Emulator], tmp_path: Path, agents: Agents
) -> None:
    moments = random.Random(20261206)
    for i in range(20):
        agent = agents(broker.url, "pi1", ["cam0"], tmp_path / f"pi1-{i}")
        await wait_until(agent.started, 30)
        # The moment of the signal (no condition to wait for): connecting to the broker or
        # the camera, publishing the states, serving.
        await asyncio.sleep(moments.uniform(0.0, 1.5))
        errors = agent.errors
        assert await asyncio.to_thread(agent.terminate) == 0, errors.read_text()
        assert b"Traceback" not in errors.read_bytes()


async def test_a_publish_cancelled_as_the_broker_acknowledges_it_ends_cancelled(
    broker: Mosquitto,
) -> None:
    # Python 3.11's wait_for returned the result instead: a stopping agent served on.
    # The cancel lands 0 to 39 loop turns after the publish: on the turns where the broker's
    # acknowledgement is read (a few in every 40), it comes together with it.
    link = Link(BrokerURL.parse(broker.url), client_id="canceller", on_message=lambda _: None)
    async with link:
        carried_on = 0
        for turns in list(range(40)) * 10:
            publish = asyncio.create_task(link.publish("yicam/test", b"x"))
            for _ in range(turns):
                await asyncio.sleep(0)
            if publish.done():
                continue
            publish.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publish
            carried_on += not publish.cancelled()
    assert carried_on == 0
