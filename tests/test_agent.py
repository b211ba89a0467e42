"""`yicam.agent` against a real broker (the embedded one) and real emulators, in one process."""

from __future__ import annotations

import asyncio
import errno
import json
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import yicam
from yicam import Camera
from yicam.agent import Agent, AgentClient, EmbeddedBroker, RemoteCamera
from yicam.agent._broker_process import set_nodelay_on_listener
from yicam.emulator import Emulator

from .agent_helpers import free_ports
from .conftest import wait_until


@pytest.fixture
async def broker() -> AsyncIterator[EmbeddedBroker]:
    async with EmbeddedBroker("127.0.0.1", 0) as running:  # it takes a free port itself
        yield running


def camera_of(emu: Emulator, **kwargs: Any) -> Camera:
    return Camera(
        emu.host, emu.port, data_port=emu.data_port, http_port=emu.http_port,
        rtsp_port=emu.rtsp_port or 554, timeout=2.0, event_timeout=5.0, **kwargs,
    )  # fmt: skip


class Running:
    """An agent running in this loop, and a client connected to the same broker."""

    def __init__(self, agent: Agent, client: AgentClient, task: asyncio.Task[None]) -> None:
        self.agent = agent
        self.client = client
        self.task = task

    async def stop(self) -> None:
        """Stop the agent (as Ctrl-C does)."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def camera(self, name: str = "cam") -> RemoteCamera:
        info = await self.client.wait_for(lambda: self.client.find(f"{self.agent.name}/{name}"), 10)
        assert info is not None, "the agent's camera never appeared on the broker"
        await wait_until(lambda: info.state.get("connection") == "connected", 10)
        return RemoteCamera(self.client, info, timeout=2.0, event_timeout=5.0)


@pytest.fixture
async def serve(broker: EmbeddedBroker, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[tuple[asyncio.Task[None], AgentClient]] = []

    async def start(cameras: dict[str, Camera], **kwargs: Any) -> Running:
        kwargs.setdefault("name", f"agent{len(started)}")
        kwargs.setdefault("folder", tmp_path / kwargs["name"])
        agent = Agent(cameras, broker.url, refresh_every=0.5, **kwargs)
        task = asyncio.create_task(agent.run())
        client = AgentClient(broker.url)
        await client.__aenter__()
        started.append((task, client))
        await client.wait_for(lambda: client.online(agent.name), 10)
        return Running(agent, client, task)

    yield start
    for task, client in started:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_state_is_retained_and_presence_online(
    serve: Callable[..., Any], emulator: Emulator
) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)})
    remote = await running.camera()
    await wait_until(lambda: remote.state.battery is not None, 10)
    # A client that arrives later gets the retained state and status at once.
    async with AgentClient(running.client.url) as late:
        info = await late.wait_for(lambda: late.find("agent0/cam"), 5)
        assert info is not None
        assert late.status["agent0"] == "online"
        state = info.state
    assert state["model_name"] == "Yi 1"
    assert state["connection"] == "connected"
    assert state["battery"] == emulator.state.battery
    assert state["card"]["total"] > 0
    assert state["recording"] is False


async def test_photo_through_the_agent_while_it_holds_the_session(
    serve: Callable[..., Any], emulator: Emulator
) -> None:
    cam = camera_of(emulator, reconnect=True)
    running = await serve({"cam": cam})
    remote = await running.camera()
    events: list[yicam.Event] = []
    async with remote:
        remote.subscribe(events.append)
        path = await remote.take_photo()
        await wait_until(lambda: any(
            isinstance(e, yicam.Notification) and e.type == yicam.Notify.PHOTO_TAKEN for e in events
        ))  # fmt: skip
    assert path.endswith(".jpg")
    assert emulator.state.card.local_path(path).is_file()
    assert cam.connected  # the agent's own session, never taken over
    # A second direct session is refused by the camera: the agent is its one owner.
    with pytest.raises(yicam.SessionHeldError):
        async with camera_of(emulator):
            pass


async def test_the_camera_rules_apply_through_the_agent(
    serve: Callable[..., Any], emulator: Emulator
) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)})
    remote = await running.camera()
    await remote.start_recording()
    with pytest.raises(yicam.UnsafeOperationError, match="recording"):
        await remote.set_setting("video_resolution", "1280x720 60P 16:9")
    video = await remote.stop_recording()
    assert emulator.state.card.local_path(video).is_file()
    with pytest.raises(yicam.UnsafeOperationError, match="allow-destructive"):
        await remote.format_card()
    with pytest.raises(yicam.UnsafeOperationError, match=r"\*"):
        await remote.delete("/tmp/fuse_d/DCIM/100MEDIA/*")
    with pytest.raises(ValueError, match="unknown operation"):
        await running.client.request("agent0", "cam", "__init__", {}, timeout=5)
    with pytest.raises(yicam.UnsafeNameError):
        await running.client.request(
            "agent0", None, "file_read", {"file": "../../etc/passwd", "offset": 0}, timeout=5
        )
    assert emulator.state.card.local_path(video).is_file()  # nothing was deleted or formatted


async def test_a_repeated_request_runs_once(serve: Callable[..., Any], emulator: Emulator) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)})
    await running.camera()
    client = running.client
    replies: list[dict[str, Any]] = []
    request_id = uuid.uuid4().hex
    topic = client.topics.cmd("agent0", "cam")
    payload = json.dumps(
        {"id": request_id, "reply_to": client.reply_topic, "op": "take_photo", "args": {}}
    )
    original = client._on_reply
    client._on_reply = lambda data: replies.append(json.loads(data))
    try:
        await client.link.publish(topic, payload)
        await client.link.publish(topic, payload)  # a QoS 1 duplicate while it runs: ignored
        await wait_until(lambda: len(replies) == 1, 15)
        await client.link.publish(topic, payload)  # after it ran: the same reply again
        await wait_until(lambda: len(replies) == 2, 15)
    finally:
        client._on_reply = original
    assert replies[0] == replies[1]
    assert replies[0]["ok"] is True
    photos = [p for p in emulator.state.card.root.rglob("*.jpg")]
    assert len(photos) == 1


async def test_download_is_copied_and_verified(
    serve: Callable[..., Any], emulator: Emulator, tmp_path: Path
) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)})
    remote = await running.camera()
    path = await remote.take_photo()
    (tmp_path / "here").mkdir()
    result = await remote.download(path, tmp_path / "here")
    assert result.path == tmp_path / "here" / path.rsplit("/", 1)[-1]
    assert result.path.read_bytes() == emulator.state.card.local_path(path).read_bytes()
    kept = running.agent.folder / "cam" / "100MEDIA" / result.path.name
    assert kept.read_bytes() == result.path.read_bytes()  # it stays on the agent's computer too
    assert not list((tmp_path / "here").glob(".yicam-*"))


async def test_a_dropped_camera_comes_back_and_the_state_says_so(
    serve: Callable[..., Any], start_emulator: Callable[..., Any]
) -> None:
    # Ports below the ephemeral range: one from bind(0), once closed, can be taken by any
    # process's next connection before the camera comes back on it.
    control, data, http = free_ports(3)
    emu = await start_emulator(port=control, data_port=data, http_port=http)
    port = emu.port
    running = await serve(
        {"cam": camera_of(emu, reconnect=yicam.ReconnectPolicy(initial_delay=0.05, max_delay=0.2))}
    )
    remote = await running.camera()
    await emu.close()
    await wait_until(lambda: remote.info.state.get("connection") == "reconnecting", 10)
    with pytest.raises(yicam.CameraConnectionError):
        await remote.get_battery()
    await start_emulator(port=port, data_port=emu.data_port, http_port=emu.http_port)
    await wait_until(lambda: remote.info.state.get("connection") == "connected", 15)
    assert (await remote.get_battery()).level >= 0


async def test_fleet_fires_at_one_moment_across_two_agents(
    serve: Callable[..., Any], start_emulator: Callable[..., Any]
) -> None:
    from yicam.agent import AgentFleet

    emus = [await start_emulator(host=f"127.0.0.{i}") for i in (2, 3, 4, 5)]
    cams = [camera_of(e, reconnect=True) for e in emus]
    first = await serve({"a": cams[0], "b": cams[1]}, name="pi1")
    await serve({"c": cams[2], "d": cams[3]}, name="pi2")
    client = first.client
    await client.wait_for(
        lambda: sum(i.state.get("connection") == "connected" for i in client.online_cameras()) == 4,
        15,
    )
    fleet = AgentFleet(client)
    clocks = await fleet.clocks()
    assert [c.agent for c in clocks] == ["pi1", "pi2"]
    assert all(abs(c.offset) < 0.05 for c in clocks)  # one computer: one clock
    # ... so no offset can be told from zero (a ping's stamp lies within its round trip)
    assert all(c.correction == 0.0 for c in clocks)
    shot = await fleet.fire("take_photo")
    assert shot.ok, shot
    assert [(c.agent, c.name) for c in shot.cameras] == [
        ("pi1", "a"),
        ("pi1", "b"),
        ("pi2", "c"),
        ("pi2", "d"),
    ]
    for emu, camera in zip(emus, shot.cameras, strict=True):
        assert camera.path is not None
        assert emu.state.card.local_path(camera.path).is_file()
        assert camera.late is not None
        assert camera.late >= 0
    started = await fleet.fire("start_recording")
    assert started.ok, started
    assert all(e.state.recording_since is not None for e in emus)
    stopped = await fleet.fire("stop_recording")
    assert stopped.ok, stopped
    assert all(c.path and c.path.endswith(".mp4") for c in stopped.cameras)
    assert all(e.state.recording_since is None for e in emus)


async def test_an_agent_whose_clock_is_ahead_gets_t_in_its_clock(
    serve: Callable[..., Any], start_emulator: Callable[..., Any]
) -> None:
    from yicam.agent import AgentFleet

    emu = await start_emulator(host="127.0.0.2")
    running = await serve({"a": camera_of(emu, reconnect=True)}, name="pi1")
    ping = running.agent.handlers["ping"]

    async def ahead(args: dict[str, Any]) -> Any:  # its clock reads 400 ms later than ours
        reply = await ping(args)
        return {**reply, "time": reply["time"] + 0.4}

    running.agent.handlers["ping"] = ahead
    await running.camera("a")
    fleet = AgentFleet(running.client)
    shot = await fleet.fire("start_recording", lead=0.2)
    done = time.time()
    assert shot.ok, shot
    (clock,) = shot.clocks
    assert abs(clock.offset - 0.4) <= clock.round_trip / 2 + 1e-6  # its error bound
    assert clock.correction == clock.offset
    # The agent waited for T + 0.4 s on its real clock, this computer's.
    assert done >= shot.at + clock.offset
    assert emu.state.recording_since is not None


@pytest.mark.skipif(sys.platform == "win32", reason="descriptors cannot be looked at on Windows")
def test_nagle_is_turned_off_on_a_listener_and_its_connections() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        assert set_nodelay_on_listener(port) == port
        assert set_nodelay_on_listener(0) == port  # the process's one listener, on any port
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert set_nodelay_on_listener(port) is None  # nothing listens there any more


@pytest.mark.skipif(sys.platform == "win32", reason="descriptors cannot be looked at on Windows")
def test_looking_for_the_listener_leaves_no_descriptor_open() -> None:
    # The broker process looks every 10 ms until rumqttd listens: a leak per look adds up.
    folder = Path("/proc/self/fd") if Path("/proc/self/fd").is_dir() else Path("/dev/fd")
    before = len(list(folder.iterdir()))
    for _ in range(100):
        assert set_nodelay_on_listener(1) is None  # stdin, stdout, ... are looked at too
    assert len(list(folder.iterdir())) < before + 50  # leaking was 3 or more per look


@pytest.mark.skipif(sys.platform == "win32", reason="descriptors cannot be looked at on Windows")
async def test_the_embedded_broker_runs_without_nagle(broker: EmbeddedBroker) -> None:
    # Else each small reply waits for a delayed acknowledgement: ~40 ms per request.
    assert broker.nodelay


async def test_embedded_brokers_on_port_0_each_get_a_free_port_of_their_own(
    broker: EmbeddedBroker,
) -> None:
    async with EmbeddedBroker("127.0.0.1", 0) as other:
        assert 0 != broker.port != other.port != 0
        for running in (broker, other):
            assert running.url == f"mqtt://127.0.0.1:{running.port}"
            async with AgentClient(running.url) as client:
                assert not client.online("nobody")  # entered: connected and subscribed


async def test_a_port_taken_while_the_broker_starts_is_an_oserror_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from iotcore.iotcore import IotCoreBroker

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        broker = EmbeddedBroker("127.0.0.1", port)
        with pytest.raises(OSError, match="in use"):  # taken before it starts
            await broker.start()
        # Taken between that check and the broker process's own bind (another process won).
        monkeypatch.setattr(IotCoreBroker, "check_ports", lambda self: None)
        with pytest.raises(OSError, match=f"cannot listen on mqtt://127.0.0.1:{port}") as race:
            await broker.start(timeout=600)  # the process's word, not a timer, ends the wait
    assert race.value.errno == errno.EADDRINUSE
    assert "Address already in use" in str(race.value)


async def test_a_broker_process_that_dies_at_once_is_an_error_with_what_it_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yicam.agent._broker as embedded

    script = "import sys; print('rumqttd: no such thing', file=sys.stderr); sys.exit(3)"
    monkeypatch.setattr(embedded, "BOOTSTRAP", script)
    broker = EmbeddedBroker("127.0.0.1", 0)
    with pytest.raises(RuntimeError, match="did not start") as failed:
        await broker.start(timeout=600)  # pytest's own timeout is 60 s: it must not wait
    assert "exited with status 3" in str(failed.value)
    assert "rumqttd: no such thing" in str(failed.value)


async def test_a_tether_job_keeps_each_new_file_on_the_agent_while_tools_take_photos(
    serve: Callable[..., Any], emulator: Emulator
) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)})
    remote = await running.camera()
    old = await remote.take_photo()
    job = await remote.start_job("tether")
    assert job.status == "running"
    first = await remote.take_photo()  # another tool's photo, through the same agent
    second = await remote.take_photo()
    await wait_until(lambda: len(job.entries) == 2, 20)
    for camera_path, entry in zip((first, second), job.entries, strict=True):
        assert entry.path == camera_path
        assert entry.status == "downloaded"
        assert entry.verified_by in ("md5", "size")
        assert entry.local is not None
        kept = running.agent.folder / entry.local
        assert kept.read_bytes() == emulator.state.card.local_path(camera_path).read_bytes()
    # The file that was on the card before the job is not the job's.
    assert not (running.agent.folder / "cam" / "100MEDIA" / old.rsplit("/", 1)[-1]).exists()
    await job.stop()
    await wait_until(lambda: job.status == "stopped", 10)
    # A tool that arrives later gets the retained report.
    async with AgentClient(running.client.url) as late:
        info = await late.wait_for(lambda: late.find("agent0/cam"), 5)
        again = (await RemoteCamera(late, info).jobs())[-1]
        await late.wait_for(lambda: (again.agent, again.camera, again.id) in late.jobs, 5)
        assert [e.path for e in again.entries] == [first, second]
        assert again.status == "stopped"


async def test_sync_and_timelapse_jobs_report_what_they_did(
    serve: Callable[..., Any], emulator: Emulator
) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)})
    remote = await running.camera()
    photo = await remote.take_photo()
    sync = await remote.start_job("sync")
    await sync.follow()
    assert sync.status == "finished", sync.error
    assert isinstance(sync.result, yicam.SyncReport)
    assert [(e.path, e.status) for e in sync.entries] == [(photo, "downloaded")]
    with pytest.raises(ValueError, match="unexpected option"):
        await remote.start_job("sync", every=3)
    timelapse = await remote.start_job("timelapse", every=0.5, count=2, download=True)
    with pytest.raises(yicam.UnsafeOperationError, match="already runs a job"):
        await remote.start_job("tether")
    reports: list[dict[str, Any]] = []
    await timelapse.follow(reports.append)
    assert timelapse.status == "finished", timelapse.error
    assert isinstance(timelapse.result, yicam.TimelapseReport)
    assert timelapse.result.count("taken") == 2
    await wait_until(lambda: len(timelapse.entries) == 2, 10)
    assert all(e.status == "downloaded" for e in timelapse.entries)
    assert len(reports) >= 2  # followed as it went, not only at the end


async def test_a_tether_job_is_taken_up_after_the_agent_stops_and_nothing_is_lost(
    serve: Callable[..., Any], emulator: Emulator, tmp_path: Path
) -> None:
    running = await serve({"cam": camera_of(emulator, reconnect=True)}, name="pi")
    remote = await running.camera()
    job = await remote.start_job("tether")
    before = await remote.take_photo()
    await wait_until(lambda: len(job.entries) == 1, 20)
    await running.stop()  # the job's task ends with the agent; its file says "running"
    async with camera_of(emulator) as direct:  # meanwhile, a photo the agent never heard of
        meanwhile = await direct.take_photo()
    again = await serve({"cam": camera_of(emulator, reconnect=True)}, name="pi")
    resumed = await again.camera()
    after = await resumed.take_photo()
    jobs = await resumed.jobs()
    assert [j.id for j in jobs] == [job.id]
    taken_up = jobs[0]
    await again.client.wait_for(lambda: len(taken_up.entries) == 3, 20)
    assert sorted(e.path for e in taken_up.entries) == sorted([before, meanwhile, after])
    assert all(e.status == "downloaded" for e in taken_up.entries)  # each fetched once
    assert taken_up.report["resumed"] == 1
    kept = sorted(p.name for p in (tmp_path / "pi" / "cam").rglob("*.jpg"))
    assert len(kept) == 3
