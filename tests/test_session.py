"""Sessions, tokens, the 1793 take-over, events, timeouts and the Yi 4K keep-alive."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

import yicam._session.session
from yicam import (
    Camera,
    CameraConnectionError,
    CameraTimeoutError,
    Disconnected,
    Event,
    InvalidTokenError,
    MsgId,
    NotConnectedError,
    Notification,
    Notify,
    ProtocolError,
    SessionHeldError,
    SessionRequested,
)
from yicam.emulator import Emulator, Faults

from .conftest import wait_until
from .scripted import Hangup, scripted_camera, session_then


async def raw_exchange(port: int, *exchanges: tuple[bytes, int]) -> list[dict[str, Any]]:
    """Send each payload in its own write and read the given number of objects back."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    buffer = ""
    try:
        for payload, answers in exchanges:
            writer.write(payload)  # the next one only after these answers: one per write
            expected = len(objects) + answers
            while len(objects) < expected:
                async with asyncio.timeout(2):
                    data = await reader.read(4096)
                if not data:
                    return objects
                buffer += data.decode()
                while buffer.strip():
                    try:
                        obj, end = decoder.raw_decode(buffer.lstrip())
                    except ValueError:
                        break
                    objects.append(obj)
                    buffer = buffer.lstrip()[end:]
    finally:
        writer.close()
        await writer.wait_closed()
    return objects


async def test_session_lifecycle(emulator: Emulator) -> None:
    async with Camera("127.0.0.1", emulator.port, timeout=2.0) as cam:
        assert emulator.state.holder is not None
        assert cam.model is None  # the Yi 1 does not say
        assert cam.rtsp_url == "rtsp://127.0.0.1/live"
    assert emulator.state.received[MsgId.STOP_SESSION] == 1
    assert emulator.state.holder is None


async def test_yi4k_session_reports_model_and_rtsp(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(model="yi4k", rtsp_port=None)  # binds no fixed port
    emu.state.rtsp_port = 8554  # what it announces
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        assert cam.model == "Z16"
        assert cam.rtsp_url == "rtsp://127.0.0.1:8554/live"


async def test_rtsp_url_default_uses_rtsp_port(emulator: Emulator) -> None:
    async with Camera("127.0.0.1", emulator.port, rtsp_port=8554, timeout=2.0) as cam:
        assert cam.rtsp_url == "rtsp://127.0.0.1:8554/live"


async def test_yi4k_keepalive(
    start_emulator: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yicam._session.session, "HEARTBEAT_INTERVAL", 0.05)
    emu = await start_emulator(model="yi4k")
    async with Camera("127.0.0.1", emu.port, timeout=2.0):
        await wait_until(lambda: emu.state.received[MsgId.HEARTBEAT] >= 2)


async def test_no_keepalive_for_yi1(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yicam._session.session, "HEARTBEAT_INTERVAL", 0.05)
    async with Camera("127.0.0.1", emulator.port, timeout=2.0) as cam:
        await cam.get_settings()  # now known to be a Yi 1, not only "no model"
        assert not cam.quirks.heartbeat
        names = [task.get_name() for task in asyncio.all_tasks()]
        assert not any(name.startswith("yicam-heartbeat") for name in names)
    assert emulator.state.received[MsgId.HEARTBEAT] == 0


async def test_stale_token_is_renewed_and_the_request_resent(
    camera: Camera, emulator: Emulator
) -> None:
    emulator.invalidate_token()
    assert (await camera.get_battery()).level == 86
    assert emulator.state.received[MsgId.START_SESSION] == 2
    assert emulator.state.received[MsgId.GET_BATTERY] == 2


async def test_second_client_is_refused_while_the_first_keeps_the_session(
    camera: Camera, emulator: Emulator
) -> None:
    requests: list[SessionRequested] = []
    camera.subscribe(lambda e: requests.append(e) if isinstance(e, SessionRequested) else None)
    with pytest.raises(SessionHeldError, match="another client") as info:
        async with Camera("127.0.0.1", emulator.port, timeout=2.0):
            pass
    assert info.value.rval == -3
    assert requests == [SessionRequested(kept=True)]
    assert (await camera.get_battery()).level == 86


async def test_first_client_can_let_the_session_go(emulator: Emulator) -> None:
    first = Camera("127.0.0.1", emulator.port, timeout=2.0, keep_session=False)
    await first.connect()
    try:
        async with Camera("127.0.0.1", emulator.port, timeout=2.0) as second:
            assert (await second.get_battery()).level == 86
            with pytest.raises(InvalidTokenError):
                await first.get_battery()  # no silent re-take of a session given away
    finally:
        await first.close()


async def test_silent_holder_loses_the_session_after_800_ms(emulator: Emulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
    writer.write(b'{"msg_id":257,"token":0}')
    await reader.readuntil(b'"param": 1 }')
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with Camera("127.0.0.1", emulator.port, timeout=2.0) as cam:
        waited = loop.time() - start
        assert (await cam.get_battery()).level == 86
        assert await reader.readuntil(b"}") == b'{ "msg_id": 1793 }'
        writer.write(b'{"msg_id":13,"token":1}')
        async with asyncio.timeout(2):
            assert await reader.readuntil(b"}") == b'{ "rval": -4, "msg_id": 13 }'
    assert waited >= 0.8
    writer.close()
    await writer.wait_closed()


async def test_after_258_commands_get_minus_14(emulator: Emulator) -> None:
    replies = await raw_exchange(
        emulator.port,
        (b'{"msg_id":257,"token":0}', 2),
        (b'{"msg_id":258,"token":1}', 1),
        (b'{"msg_id":13,"token":1}', 1),
    )
    assert replies[0] == {"msg_id": 7, "type": "vf_stop"}  # Yi 1 greets with vf_stop
    assert [(r.get("msg_id"), r.get("rval")) for r in replies[1:]] == [
        (257, 0),
        (258, 0),
        (13, -14),
    ]


async def test_meta_errors_for_malformed_input(emulator: Emulator) -> None:
    replies = await raw_exchange(
        emulator.port,
        (b"hello", 2),  # vf_stop greets every connection, then the answer
        (b"{}", 1),
        (b'{"token":1}', 1),
        (b'{"msg_id":257,"token":0}', 1),
    )
    assert replies[1:4] == [{"rval": -7}, {"rval": -4, "msg_id": 0}, {"rval": -9, "msg_id": 0}]
    assert replies[4]["rval"] == 0  # the connection still works


async def test_listing_a_file_crashes_the_emulated_server(emulator: Emulator) -> None:
    (emulator.sd / "DCIM/100MEDIA/YDXJ0001.jpg").write_bytes(b"x")
    replies = await raw_exchange(
        emulator.port,
        (b'{"msg_id":257,"token":0}', 2),
        (b'{"msg_id":1282,"token":1,"param":"/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.jpg -D -S"}', 1),
    )
    assert len(replies) == 2  # no reply: the server dropped the connection


async def test_events_iterator_and_unsubscribe(camera: Camera) -> None:
    seen: list[object] = []
    unsubscribe = camera.subscribe(seen.append)
    unsubscribe()
    events = camera.events()
    photo = asyncio.create_task(camera.take_photo())
    kinds = []
    async for event in events:
        assert isinstance(event, Notification)
        kinds.append(event.type)
        if event.type == Notify.PHOTO_TAKEN:
            break
    await events.aclose()
    await photo
    assert kinds[-1] == Notify.PHOTO_TAKEN
    assert seen == []


async def test_events_end_with_disconnected(emulator: Emulator) -> None:
    cam = Camera("127.0.0.1", emulator.port, timeout=2.0)
    await cam.connect()
    events = cam.events()
    await emulator.close()
    collected = [event async for event in events]
    assert isinstance(collected[-1], Disconnected)
    assert isinstance(collected[-1].error, CameraConnectionError)
    with pytest.raises(CameraConnectionError):
        await cam.get_battery()
    await cam.close()


async def test_timeout_and_late_reply_is_dropped(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(faults=Faults(delay=0.3))
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        cam.settings = replace(cam.settings, timeout=0.1)
        with pytest.raises(CameraTimeoutError, match="did not answer msg 3"):
            await cam.get_settings()
        cam.settings = replace(cam.settings, timeout=2.0)
        # The late msg 3 reply arrives first; it must not answer this request.
        assert (await cam.get_battery()).level == 86


async def test_unreachable_camera() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(CameraConnectionError, match="camera's Wi-Fi"):
        async with Camera("127.0.0.1", port, timeout=1.0):
            pass


async def test_camera_that_never_answers() -> None:
    async with (
        scripted_camera(session_then(lambda _req: b"")) as port,
        Camera("127.0.0.1", port, timeout=0.2) as cam,
    ):
        with pytest.raises(CameraTimeoutError):
            await cam.get_battery()


async def test_garbage_from_the_camera_fails_the_pending_call() -> None:
    async with scripted_camera(session_then(lambda _req: b"<html>oops</html>")) as port:
        cam = Camera("127.0.0.1", port, timeout=2.0)
        await cam.connect()
        with pytest.raises(ProtocolError, match="garbage from the camera"):
            await cam.get_battery()
        with pytest.raises(NotConnectedError, match="garbage") as later:
            await cam.get_settings()
        assert isinstance(later.value.__cause__, ProtocolError)  # the first error is the cause
        await cam.close()


async def test_camera_closing_mid_reply() -> None:
    async with scripted_camera(
        session_then(lambda _req: Hangup(b'{"rval":0,"msg_id":13,'))
    ) as port:
        cam = Camera("127.0.0.1", port, timeout=2.0)
        await cam.connect()
        with pytest.raises(CameraConnectionError, match="closed the connection"):
            await cam.get_battery()
        await cam.close()


async def test_session_refused_without_token() -> None:
    async with scripted_camera(lambda _req: b'{"rval":0,"msg_id":257}') as port:
        with pytest.raises(ProtocolError, match="no session token"):
            await Camera("127.0.0.1", port, timeout=1.0).connect()


async def test_several_emulators_on_their_own_addresses() -> None:
    async with (
        Emulator("127.0.0.2", 0, data_port=0, http_port=0, rtsp_port=0, time_scale=0.05) as second,
        Emulator("127.0.0.3", 0, data_port=0, http_port=0, rtsp_port=0, time_scale=0.05) as third,
    ):
        second.state.battery, third.state.battery = 20, 30
        async with (
            Camera("127.0.0.2", second.port, timeout=2.0) as a,
            Camera("127.0.0.3", third.port, timeout=2.0) as b,
        ):
            levels = await asyncio.gather(a.get_battery(), b.get_battery())
        assert [level.level for level in levels] == [20, 30]


async def test_a_photo_from_the_camera_button_holds_requests_until_it_is_written(
    start_emulator: Callable[..., Any],
) -> None:
    # A Yi 1 asked anything between start_photo_capture and photo_taken can hang.
    emu = await start_emulator(time_scale=1.0)  # a real camera's capture takes ~0.5 s
    cam = Camera("127.0.0.1", emu.port, timeout=2.0, event_timeout=5.0)
    asked: list[asyncio.Task[Any]] = []
    seen_at_photo_taken: list[int] = []

    def on_event(event: Event) -> None:
        if isinstance(event, Notification) and event.type == Notify.START_PHOTO_CAPTURE:
            asked.append(asyncio.create_task(cam.get_battery()))
        if isinstance(event, Notification) and event.type == Notify.PHOTO_TAKEN:
            seen_at_photo_taken.append(emu.state.received[MsgId.GET_BATTERY])

    async with cam:
        cam.subscribe(on_event)
        emu.press_shutter()
        await wait_until(lambda: bool(asked) and asked[0].done())
        battery = await asked[0]
    assert seen_at_photo_taken == [0]  # the request waited for the photo
    assert battery.level > 0
