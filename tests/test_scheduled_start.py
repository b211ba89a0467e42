"""Scheduled record starts: the Yi 4K's msg 16777247 (Synctime_Hour/Minute/Second, after the
clock alignment), this computer's own timing for the others, and 513 as the SDK sends it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from yicam import Camera, Fleet, MsgId, Notify, UnsafeOperationError
from yicam.emulator import Emulator

from .raw_client import RawClient

Start = Callable[..., Any]
SYNCED = int(MsgId.START_RECORD_SYNCED)


def camera_for(emu: Emulator) -> Camera:
    return Camera(emu.host, emu.port, data_port=emu.data_port, timeout=2.0, event_timeout=10.0)


def soon(seconds: float = 6.0) -> datetime:
    """A whole second at least `seconds` - 1 ahead: room for connecting and the clock
    alignment on a loaded machine (with under a second left, this computer starts them all)."""
    return (datetime.now() + timedelta(seconds=seconds)).replace(microsecond=0)


async def test_513_with_the_sdks_zero_synctime_keys_starts_recording(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi4k")
    async with RawClient(emu.port) as raw:
        keys = {"Synctime_Hour": 0, "Synctime_Minute": 0, "Synctime_Second": 0}
        reply = await raw.call(513, heartbeat="1", **keys)
        assert reply.rval == 0
        await raw.notification(Notify.START_VIDEO_RECORD)
    assert emu.state.recording_since is not None


async def test_a_yi4k_starts_by_itself_when_its_clock_shows_the_time(start_emulator: Start) -> None:
    emu = await start_emulator(model="yi4k")
    async with camera_for(emu) as cam:
        await cam.sync_clock()
        at = soon(3.0)
        with cam.session.expect(Notify.START_VIDEO_RECORD) as started:
            await cam.schedule_recording(at)
            assert emu.state.recording_since is None  # not yet: it waits for its clock
            await started.wait()
        assert emu.state.now() >= at
        assert emu.state.received[SYNCED] == 1
        assert emu.state.received[MsgId.START_RECORD] == 0


async def test_models_without_it_are_refused_before_anything_is_sent(
    start_emulator: Start,
) -> None:
    emu = await start_emulator(model="yi1")
    async with camera_for(emu) as cam:
        with pytest.raises(UnsafeOperationError, match="16777247"):
            await cam.schedule_recording(soon())
        assert emu.state.received[SYNCED] == 0


@pytest.mark.parametrize(
    ("fields", "rval"),
    [
        ({"Synctime_Hour": 25, "Synctime_Minute": 0, "Synctime_Second": 0}, -13),
        ({"Synctime_Hour": 1, "Synctime_Minute": 0}, -25),
        ({"Synctime_Hour": "1", "Synctime_Minute": 0, "Synctime_Second": 0}, -25),
    ],
)
async def test_the_emulator_refuses_a_time_it_cannot_read(
    start_emulator: Start, fields: dict[str, Any], rval: int
) -> None:
    emu = await start_emulator(model="yi4k")
    async with RawClient(emu.port) as raw:
        assert (await raw.call(SYNCED, **fields)).rval == rval
    yi1 = await start_emulator(model="yi1")
    async with RawClient(yi1.port) as raw:
        ok = {"Synctime_Hour": 1, "Synctime_Minute": 0, "Synctime_Second": 0}
        assert (await raw.call(SYNCED, **ok)).rval == -23  # a Yi 1 does not know it
    assert emu.state.scheduled_record is None


async def test_a_mixed_fleet_starts_together_at_the_time(start_emulator: Start) -> None:
    emulators = [await start_emulator(model=m) for m in ("yi4k", "yi4k", "yi1")]
    for emu in emulators:
        emu.state.clock_offset = timedelta(hours=-3)  # wrong clocks: aligned first
    at = soon()
    async with Fleet({f"cam{i}": camera_for(e) for i, e in enumerate(emulators)}) as fleet:
        shot = await fleet.start_recording(at=at)
    assert shot.ok, shot.summary()
    triggers = shot.values()
    assert [triggers[f"cam{i}"].scheduled for i in range(3)] == [True, True, False]
    assert all(t.started is not None for t in triggers.values())
    for emu in emulators:
        assert emu.state.received[MsgId.SET_SETTING] >= 1  # its clock was set
        assert abs(emu.state.clock_offset) < timedelta(seconds=1)
        assert emu.state.recording_since is not None
    assert [e.state.received[SYNCED] for e in emulators] == [1, 1, 0]
    assert [e.state.received[MsgId.START_RECORD] for e in emulators] == [0, 0, 1]


@pytest.mark.parametrize("ahead", [timedelta(seconds=1), timedelta(days=1)])
async def test_a_start_time_too_close_or_a_day_away_is_refused(
    start_emulator: Start, ahead: timedelta
) -> None:
    emu = await start_emulator(model="yi4k")
    async with Fleet([camera_for(emu)]) as fleet:
        with pytest.raises(ValueError, match="ahead"):
            await fleet.start_recording(at=datetime.now() + ahead)
    assert emu.state.received[SYNCED] == 0
    assert emu.state.received[MsgId.SET_SETTING] == 0
