"""`yicam` commands through an agent: a local one found by itself, or one named by --broker."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from yicam import Camera
from yicam.agent import Agent, AgentClient, EmbeddedBroker, local_agents
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .agent_helpers import free_port
from .cli_helpers import LoopThread


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--timeout", "2", *args])


def where(emu: Emulator) -> list[str]:
    return ["--host", emu.host, "--port", str(emu.port), "--data-port", str(emu.data_port),
            "--http-port", str(emu.http_port)]  # fmt: skip


class AgentThread:
    """An embedded broker and an agent for one emulator, on the test's loop thread."""

    def __init__(self, loop: LoopThread, emu: Emulator, folder: Path) -> None:
        self.loop = loop
        self.broker = loop.enter(EmbeddedBroker("127.0.0.1", 0))
        cam = Camera(emu.host, emu.port, data_port=emu.data_port, http_port=emu.http_port,
                     timeout=2.0, event_timeout=5.0, reconnect=True)  # fmt: skip
        self.cam = cam
        self.agent = Agent({"cam": cam}, self.broker.url, name="desk", folder=folder)
        self.task: asyncio.Task[None] = loop.call(lambda: asyncio.ensure_future(self.agent.run()))
        loop.run(self._online(), timeout=20)

    async def _online(self) -> None:
        async with AgentClient(self.broker.url) as client:
            found = await client.wait_for(
                lambda: (i := client.find("desk/cam")) and i.state.get("connection") == "connected",
                15,
            )
            assert found, "the agent never served its camera"

    def stop(self) -> None:
        self.loop.call(self.task.cancel)
        self.loop.run(asyncio.wait([self.task]))


@pytest.fixture
def served(loop: LoopThread, tmp_path: Path) -> Iterator[tuple[AgentThread, Emulator]]:
    emu = loop.emulator()
    running = AgentThread(loop, emu, tmp_path / "agent")
    try:
        yield running, emu
    finally:
        running.stop()


def test_photo_goes_through_the_local_agent(served: tuple[AgentThread, Emulator]) -> None:
    running, emu = served
    assert [a.name for a in local_agents()] == ["desk"]
    result = run(*where(emu), "photo")
    assert result.exit_code == 0, result.output
    path = result.output.strip()
    assert emu.state.card.local_path(path).is_file()
    assert running.cam.connected  # the agent kept its session all along
    # The agent's state shows the same camera to every other tool.
    battery = run(*where(emu), "--json", "battery")
    assert battery.exit_code == 0, battery.output
    assert json.loads(battery.output)["level"] == emu.state.battery


def test_without_the_agent_the_camera_refuses_a_second_session(
    served: tuple[AgentThread, Emulator],
) -> None:
    _running, emu = served
    result = run(*where(emu), "--no-agent", "photo")
    assert result.exit_code == 1
    assert "another client holds the camera session" in result.output


def test_broker_option_finds_the_camera_by_name(served: tuple[AgentThread, Emulator]) -> None:
    running, _emu = served
    result = run("--broker", running.broker.url, "-c", "desk/cam", "--json", "info")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["name"] == "Yi 1"
    missing = run("--broker", running.broker.url, "-c", "nope", "battery")
    assert missing.exit_code == 1
    assert "no online agent" in missing.output
    assert "desk/cam" in missing.output


def test_agent_gone_means_a_session_of_its_own(loop: LoopThread, tmp_path: Path) -> None:
    emu = loop.emulator()
    running = AgentThread(loop, emu, tmp_path / "agent")
    running.stop()  # its file is gone with it; the camera's session is free again
    assert local_agents() == []
    result = run(*where(emu), "battery")
    assert result.exit_code == 0, result.output


def test_broker_that_is_not_there_is_one_error_line() -> None:
    result = run("--broker", f"mqtt://127.0.0.1:{free_port()}", "battery")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line]
    assert len(lines) == 1
    assert lines[0].startswith("Error: cannot reach the broker")


def test_fleet_through_the_broker(served: tuple[AgentThread, Emulator]) -> None:
    running, emu = served
    shot = run("--broker", running.broker.url, "fleet", "photo")
    assert shot.exit_code == 0, shot.output
    assert "agent desk: clock" in shot.output
    path = next(line for line in shot.output.splitlines() if line.startswith("desk/cam:"))
    assert emu.state.card.local_path(path.split(": ", 1)[1].split(" (")[0]).is_file()
    status = run("--broker", running.broker.url, "--json", "fleet", "status")
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)[0]["camera"] == "cam"


def test_a_command_the_agent_does_not_serve_is_one_error_line(
    served: tuple[AgentThread, Emulator], tmp_path: Path
) -> None:
    _running, emu = served
    local = tmp_path / "up.jpg"
    local.write_bytes(b"x")
    result = run(*where(emu), "upload", str(local), "/tmp/fuse_d/up.jpg")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: upload is not available through an agent yet")


def test_sync_runs_on_the_agent_and_from_agent_copies_its_files_verified(
    served: tuple[AgentThread, Emulator], tmp_path: Path
) -> None:
    running, emu = served
    photo = run(*where(emu), "photo").output.strip()
    out = tmp_path / "out"
    synced = run(*where(emu), "sync", str(out))
    assert synced.exit_code == 0, synced.output
    assert synced.output.startswith("1 downloaded")
    name = photo.rsplit("/", 1)[-1]
    kept = running.agent.folder / "cam" / "100MEDIA" / name
    original = emu.state.card.local_path(photo).read_bytes()
    assert kept.read_bytes() == original  # on the agent's computer; nothing here yet
    assert not (out / "100MEDIA" / name).exists()
    # A copy cut short with wrong bytes is never given the file's name.
    partial = (
        out
        / "100MEDIA"
        / f".yicam-{hashlib.md5(f'cam/100MEDIA/{name}'.encode()).hexdigest()[:12]}.partial"
    )
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"garbage")
    bad = run(*where(emu), "sync", "--from-agent", str(out))
    assert bad.exit_code == 1
    assert "does not match the agent's MD5" in bad.output
    assert not (out / "100MEDIA" / name).exists()
    assert not partial.exists()
    partial.write_bytes(original[:1000])  # a copy cut short: it goes on from there
    copied = run(*where(emu), "sync", "--from-agent", str(out))
    assert copied.exit_code == 0, copied.output
    assert (out / "100MEDIA" / name).read_bytes() == original
    assert not partial.exists()
    again = run(*where(emu), "--json", "sync", "--from-agent", str(out))
    assert json.loads(again.output)["present"] == 1


def test_tether_runs_on_the_agent_while_photo_works_from_another_terminal(
    served: tuple[AgentThread, Emulator], tmp_path: Path
) -> None:
    running, emu = served
    argv = [sys.executable, "-m", "yicam.cli.main", "--timeout", "2", *where(emu),
            "tether", str(tmp_path / "here"), "--count", "1"]  # fmt: skip
    tether = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert tether.stdout is not None
        first = tether.stdout.readline()
        assert "tether runs on agent desk" in first
        photo = run(*where(emu), "photo")  # the second terminal
        assert photo.exit_code == 0, photo.output
        output, _ = tether.communicate(timeout=60)
    finally:
        if tether.poll() is None:
            tether.kill()
    assert tether.returncode == 0, output
    name = photo.output.strip().rsplit("/", 1)[-1]
    assert f"saved 100MEDIA/{name}" in output
    assert "1 file(s)" in output
    assert "kept on agent desk" in output
    kept = running.agent.folder / "cam" / "100MEDIA" / name
    assert kept.read_bytes() == emu.state.card.local_path(photo.output.strip()).read_bytes()
    assert not (tmp_path / "here").exists() or not any((tmp_path / "here").rglob("*.jpg"))
