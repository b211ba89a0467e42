"""Reopening a Camera, reconnecting after drops, and the errors of a session that is gone."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import yicam._session.session
from yicam import (
    Camera,
    CameraBusyError,
    CameraConnectionError,
    CameraError,
    ConnectionState,
    Disconnected,
    Event,
    MsgId,
    NotConnectedError,
    Notification,
    Notify,
    OutcomeUnknownError,
    Reconnected,
    Reconnecting,
    ReconnectPolicy,
)
from yicam.emulator import Emulator, Faults

from .agent_helpers import free_port
from .conftest import FAST, wait_until
from .scripted import Hangup, scripted_camera, session_then

QUICK = ReconnectPolicy(initial_delay=0.01, max_delay=0.05, jitter=0.5)


def open_files() -> int | None:
    """How many file descriptors this process holds, where the OS lists them; else None."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        if Path(folder).is_dir():
            return len(os.listdir(folder))
    return None  # Windows: no portable count without psutil; the task guard still runs


class Recorder:
    """Every event of a camera, and a way to wait for one kind of them."""

    def __init__(self, cam: Camera) -> None:
        self.events: list[Event] = []
        self._waiters: list[tuple[type, int, asyncio.Future[None]]] = []
        cam.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        for kind, count, future in self._waiters:
            if not future.done() and self.count(kind) >= count:
                future.set_result(None)

    async def wait_for(self, kind: type, count: int = 1, timeout: float = 10.0) -> None:
        """Until `count` events of `kind` have been seen."""
        if self.count(kind) >= count:
            return
        waiter = (kind, count, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter[2]
        finally:
            self._waiters.remove(waiter)

    def count(self, kind: type) -> int:
        """How many events of `kind` came so far."""
        return sum(isinstance(e, kind) for e in self.events)


def camera_for(port: int, **kwargs: Any) -> Camera:
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("event_timeout", 5.0)
    return Camera("127.0.0.1", port, **kwargs)


async def test_open_and_close_one_camera_fifty_times(emulator: Emulator) -> None:
    cam = camera_for(emulator.port)
    async with cam:  # warm up: the first connection allocates the loop's own descriptors
        await cam.get_battery()
    before = open_files()
    for _ in range(50):
        async with cam:
            assert (await cam.get_battery()).level == 86
        assert not cam.connected
        assert cam.connection_state is ConnectionState.CLOSED
    await cam.connect()  # connect()/close() work the same as `async with`
    await cam.close()
    await cam.close()  # closing twice is harmless
    assert emulator.state.received[MsgId.START_SESSION] == 52
    assert emulator.state.received[MsgId.STOP_SESSION] == 52
    after = open_files()
    if before is not None and after is not None:
        assert after <= before


async def test_enter_again_after_a_drop(emulator: Emulator) -> None:
    cam = camera_for(emulator.port)
    log = Recorder(cam)
    async with cam:
        assert emulator.state.holder is not None
        emulator.state.holder.close()  # the camera drops us
        await log.wait_for(Disconnected)
        with pytest.raises(NotConnectedError, match="closed the connection"):
            await cam.get_battery()
    async with cam:
        assert (await cam.get_battery()).level == 86
    assert log.count(Disconnected) == 2  # the drop, then the clean close


async def test_a_call_without_a_session_is_not_a_camera_error(emulator: Emulator) -> None:
    cam = camera_for(emulator.port)
    with pytest.raises(NotConnectedError, match="not connected") as info:
        await cam.get_battery()
    assert not isinstance(info.value, CameraError)
    async with cam:
        pass
    with pytest.raises(NotConnectedError):
        await cam.take_photo()


async def test_closing_while_waiting_for_a_notification_is_not_minus_14(
    emulator: Emulator,
) -> None:
    cam = camera_for(emulator.port)
    async with cam:
        waiting = cam.session.expect(Notify.PHOTO_TAKEN)
        await cam.close()
        with pytest.raises(NotConnectedError, match="closed while waiting"):
            await waiting.wait(1.0)
        waiting.close()


async def test_reconnects_to_an_emulator_restarted_on_the_same_port() -> None:
    # A port below the ephemeral range: one from bind(0) can be taken while nobody listens,
    # by another process's connection or by the client's own retry connecting to itself.
    port = free_port()
    first = Emulator("127.0.0.1", port, data_port=0, http_port=0, rtsp_port=None, time_scale=FAST)
    await first.start()
    cam = camera_for(port, reconnect=QUICK)
    log = Recorder(cam)
    notes: list[Notification] = []
    cam.subscribe(lambda e: notes.append(e) if isinstance(e, Notification) else None)
    try:
        async with cam:
            await first.close()
            await log.wait_for(Reconnecting, count=2)  # nobody listens: attempts go on
            assert cam.connection_state is ConnectionState.RECONNECTING
            second = Emulator("127.0.0.1", port, data_port=0, http_port=0, rtsp_port=None)
            async with second:
                battery = asyncio.create_task(cam.get_battery())  # waits for the session
                await log.wait_for(Reconnected)
                assert (await battery).level == 86
                assert cam.connected
                assert second.state.received[MsgId.START_SESSION] == 1
                assert any(n.type == Notify.VF_STOP for n in notes)  # subscribers kept
                first_drop = next(e for e in log.events if isinstance(e, Disconnected))
                assert first_drop.reconnecting
    finally:
        await first.close()


async def test_a_call_while_reconnecting_gives_up_after_its_timeout() -> None:
    emu = Emulator("127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=None, time_scale=FAST)
    await emu.start()
    cam = camera_for(emu.port, reconnect=QUICK, timeout=0.3)
    log = Recorder(cam)
    async with cam:
        await emu.close()
        await log.wait_for(Reconnecting)
        with pytest.raises(CameraConnectionError, match=r"not back within 0\.3 s"):
            await cam.get_battery()
    assert log.events[-1] == Disconnected(None)  # close() ends the attempts
    assert cam.connection_state is ConnectionState.CLOSED


async def test_gives_up_after_max_attempts() -> None:
    emu = Emulator("127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=None, time_scale=FAST)
    await emu.start()
    policy = ReconnectPolicy(initial_delay=0.01, max_delay=0.02, max_attempts=3)
    cam = camera_for(emu.port, reconnect=policy)
    log = Recorder(cam)
    async with cam:
        stream = cam.events()
        await emu.close()
        kinds = [type(event) async for event in stream]  # ends with the final Disconnected
        assert kinds.count(Reconnecting) == 3
        assert kinds[-1] is Disconnected
        final = log.events[-1]
        assert isinstance(final, Disconnected)
        assert not final.reconnecting
        assert final.error is not None
        assert cam.connection_state is ConnectionState.CLOSED
        with pytest.raises(NotConnectedError):
            await cam.get_battery()


def policy_delays(policy: ReconnectPolicy, attempts: int) -> list[float]:
    return [policy.delay(n) for n in range(1, attempts + 1)]


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = ReconnectPolicy(initial_delay=0.5, max_delay=10.0, factor=2.0, jitter=0.25)
    delays = policy_delays(policy, 8)
    for n, delay in enumerate(delays, start=1):
        nominal = min(10.0, 0.5 * 2 ** (n - 1))
        assert 0.75 * nominal <= delay <= nominal
    assert max(delays) <= 10.0
    assert sum(policy_delays(ReconnectPolicy(), 12)) >= 60 * 0.75  # rides out a minute


async def test_a_photo_whose_request_was_cut_is_never_resent() -> None:
    received: list[int] = []

    def handler(request: dict[str, object]) -> bytes | None:
        msg_id = request.get("msg_id")
        assert isinstance(msg_id, int)
        received.append(msg_id)
        if msg_id == MsgId.TAKE_PHOTO and received.count(MsgId.TAKE_PHOTO) == 1:
            return Hangup(b"")  # the shutter may have fired: the camera is gone
        return b'{"rval":0,"msg_id":13,"param":50}'

    async with scripted_camera(session_then(handler)) as port:
        cam = camera_for(port, reconnect=QUICK)
        log = Recorder(cam)
        async with cam:
            with pytest.raises(OutcomeUnknownError, match="may or may not"):
                await cam.take_photo()
            await log.wait_for(Reconnected)
            assert (await cam.get_battery()).level == 50
    assert received.count(MsgId.TAKE_PHOTO) == 1


async def test_a_drop_between_the_ack_and_photo_taken_is_outcome_unknown() -> None:
    script = session_then(lambda _req: Hangup(b'{"rval":0,"msg_id":769}'))
    async with scripted_camera(script) as port, camera_for(port) as cam:
        with pytest.raises(OutcomeUnknownError, match="photo_taken"):
            await cam.take_photo()


async def test_a_read_cut_by_a_drop_is_a_connection_error_not_outcome_unknown() -> None:
    script = session_then(lambda _req: Hangup(b""))
    async with scripted_camera(script) as port, camera_for(port) as cam:
        with pytest.raises(CameraConnectionError) as info:
            await cam.get_battery()
        assert not isinstance(info.value, OutcomeUnknownError)


@pytest.mark.parametrize("seed", range(12))
async def test_random_drops_end_reconnected_without_resent_photos(
    start_emulator: Callable[..., Any], seed: int
) -> None:
    emu = await start_emulator(faults=Faults(drop=True, seed=seed))
    cam = camera_for(emu.port, reconnect=QUICK)
    log = Recorder(cam)
    photos = 0
    async with cam:
        for step in range(12):
            try:
                if step % 3 == 0:
                    photos += 1
                    await cam.take_photo()
                else:
                    await cam.get_settings()
            except CameraConnectionError:
                pass  # the drop itself; the session comes back on its own
            except CameraBusyError:
                pass  # -21: still writing the photo taken before the drop
        for _ in range(20):  # every run ends reconnected: a read goes through in the end
            try:
                await cam.get_battery()
                break
            except CameraConnectionError:
                continue
        assert cam.connected
    assert emu.state.received[MsgId.TAKE_PHOTO] <= photos  # never sent twice
    assert log.count(Disconnected) >= 2  # at least one drop, then close()
    assert log.count(Reconnected) == log.count(Disconnected) - 1  # the last one is close()


async def test_close_while_connecting_leaves_nothing_open(emulator: Emulator) -> None:
    async with scripted_camera(lambda _request: b"") as port:  # 257 is never answered
        cam = camera_for(port)
        opening = asyncio.create_task(cam.connect())
        await wait_until(lambda: cam.session._conn is not None)  # waiting for the 257 reply
        assert cam.connection_state is ConnectionState.CONNECTING
        await cam.close()
        with pytest.raises(NotConnectedError, match="closed while connecting"):
            await opening
        assert not cam.connected
    cam.settings = replace(
        cam.settings, port=emulator.port
    )  # the same Camera, now at a camera that answers
    async with cam:  # closed that way, it opens again normally
        assert (await cam.get_battery()).level == 86


async def test_a_camera_that_silently_stops_answering_counts_as_a_drop() -> None:
    def handler(request: dict[str, object]) -> bytes | None:
        return b""  # the Wi-Fi went away: no answer, and no FIN either

    policy = ReconnectPolicy(initial_delay=0.01, max_delay=0.05, probe_interval=0.05)
    async with scripted_camera(session_then(handler)) as port:
        cam = camera_for(port, reconnect=policy, timeout=0.2)
        log = Recorder(cam)
        async with cam:
            await log.wait_for(Reconnected)  # the probe went unanswered: a new session
        drop = next(e for e in log.events if isinstance(e, Disconnected))
        assert drop.reconnecting
        assert "stopped answering" in str(drop.error)


async def test_the_yi4k_keepalive_comes_back_after_a_reconnect(
    start_emulator: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yicam._session.session, "HEARTBEAT_INTERVAL", 0.05)
    emu = await start_emulator(model="yi4k")
    cam = camera_for(emu.port, reconnect=QUICK)
    log = Recorder(cam)
    async with cam:
        await wait_until(lambda: emu.state.received[MsgId.HEARTBEAT] >= 1)
        assert emu.state.holder is not None
        emu.state.holder.close()
        await log.wait_for(Reconnected)
        before = emu.state.received[MsgId.HEARTBEAT]
        await wait_until(lambda: emu.state.received[MsgId.HEARTBEAT] >= before + 2)
    assert emu.state.received[MsgId.START_SESSION] == 2


async def test_the_yi4k_hears_the_client_address_again_after_a_reconnect(
    start_emulator: Callable[..., Any],
) -> None:
    emu = await start_emulator(model="yi4k")
    cam = camera_for(emu.port, reconnect=QUICK)
    log = Recorder(cam)
    async with cam:
        assert emu.state.received[MsgId.SET_CLIENT_INFO] == 1
        assert emu.state.holder is not None
        emu.state.holder.close()
        await log.wait_for(Reconnected)
        # The camera forgot the client with the old session: 261 again before Reconnected.
        assert emu.state.received[MsgId.SET_CLIENT_INFO] == 2
    assert emu.state.received[MsgId.START_SESSION] == 2
