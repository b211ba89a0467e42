"""The intervalometer against the emulator: schedule, skips, stops, clips and tethering.

No assertion here is on absolute time: the schedule is checked on its due times (exact
multiples of the interval) and on bounds counted in intervals.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from yicam import (
    Camera,
    Intervalometer,
    MsgId,
    Notification,
    Notify,
    Shot,
    Tether,
)
from yicam.emulator import Emulator, Faults

from .test_tether import camera_for, card_bytes, dropping_camera

# The emulator's photo takes 0.9 s x time scale (start_photo_capture .. vf_start).
PHOTO = 0.9


@pytest.fixture
async def slow_cam(start_emulator: Callable[..., Any]) -> AsyncIterator[tuple[Emulator, Camera]]:
    """An emulator whose photo takes 0.09 s, and a client."""
    emu = await start_emulator(time_scale=0.1)
    async with camera_for(emu) as cam:
        yield emu, cam


async def test_thirty_shots_keep_their_schedule(slow_cam: tuple[Emulator, Camera]) -> None:
    emu, cam = slow_cam
    every = 0.15  # a photo takes 0.09 s: 60 % of each interval
    report = await Intervalometer(cam, every=every, count=30).run()
    assert report.stopped == "done"
    assert [s.index for s in report.shots] == list(range(30))
    assert [s.due for s in report.shots] == [n * every for n in range(30)]
    taken = [s for s in report.shots if s.status == "taken"]
    assert len(taken) >= 15, report.shots  # most shots fit (they need 60 % of a slot)
    assert emu.state.received[MsgId.TAKE_PHOTO] == len(taken)
    assert all(s.late is not None and s.late >= 0 for s in taken)  # never early
    # A schedule that restarted its interval after each shot would be late by the sum of
    # the shots' durations at the end (over 15 intervals here); ours stays within a few.
    busy = sum(s.finished - s.started for s in taken if s.finished and s.started)
    assert busy > 8 * every
    assert taken[-1].late is not None
    assert taken[-1].late < 5 * every


async def test_a_busy_camera_makes_shots_skip_not_stack(
    slow_cam: tuple[Emulator, Camera],
) -> None:
    emu, cam = slow_cam
    every = PHOTO * 0.1 / 2.5  # each photo takes 2.5 intervals
    report = await Intervalometer(cam, every=every, count=12).run()
    taken = [s for s in report.shots if s.status == "taken"]
    skipped = [s for s in report.shots if s.status == "skipped"]
    assert taken
    assert skipped
    assert len(taken) + len(skipped) == 12
    assert len(taken) <= 12 // 2  # at most one shot in every two slots
    assert emu.state.received[MsgId.TAKE_PHOTO] == len(taken)
    for before, after in itertools.pairwise(taken):
        assert before.finished is not None
        assert after.started is not None
        assert after.started >= before.finished  # never two shots at once
    assert all(s.reason for s in skipped)


async def test_a_shot_the_camera_refuses_as_busy_is_skipped(
    emulator: Emulator, camera: Camera
) -> None:
    await camera.start_recording()  # the camera refuses photos while it records
    # A slot long enough that a loaded machine never makes a shot miss it.
    report = await Intervalometer(camera, every=1.0, count=2).run()
    await camera.stop_recording()
    assert [s.status for s in report.shots] == ["skipped", "skipped"]
    assert all(s.reason and s.reason.startswith("camera busy") for s in report.shots)


async def test_stops_when_the_card_is_nearly_full(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(card_size=10 * 1024 * 1024)
    async with camera_for(emu) as cam:
        path = await cam.take_photo()
        photo = sum(f.stat().st_size for f in emu.sd.rglob("*") if f.is_file())
        assert photo
        assert path
        min_free = emu.state.card.free() - 2 * photo - photo // 2  # room for two more photos
        report = await Intervalometer(cam, every=0.05, count=60, min_free=min_free).run()
    assert report.stopped == "card full"
    assert report.count("taken") == 3
    assert report.count("failed") == 0


async def test_stop_and_until(camera: Camera) -> None:
    shots: list[Shot] = []

    def on_shot(shot: Shot) -> None:
        shots.append(shot)
        if len(shots) == 2:
            timer.stop()

    timer = Intervalometer(camera, every=0.05, count=100, on_shot=on_shot)
    report = await timer.run()
    assert report.stopped == "stopped"
    # Only the shot in progress when stop() was called may end after it.
    assert len(report.shots) in (2, 3)
    planned = await Intervalometer(camera, every=0.02, until=timedelta(seconds=0.1)).run()
    assert [s.index for s in planned.shots] == [0, 1, 2, 3, 4]


async def test_clips_and_tethered_timelapse(
    emulator: Emulator, camera: Camera, tmp_path: Path
) -> None:
    tether = Tether(camera, tmp_path, delete_after=True)
    timer = Intervalometer(
        camera, every=0.4, count=3, mode="clip", clip_seconds="100ms", tether=tether
    )
    report = await timer.run()
    taken = [s for s in report.shots if s.status == "taken"]
    assert taken
    assert all(s.path and s.path.endswith(".mp4") for s in taken)
    assert [e.path for e in tether.entries] == [s.path for s in taken]
    assert all(e.status == "downloaded" and e.deleted for e in tether.entries), tether.entries
    for entry in tether.entries:
        assert entry.local is not None
        assert entry.local.stat().st_size == entry.size
    assert not tether.running  # the run started it, so the run closed it
    left = [m.name for m in await camera.list_media()]
    assert left == [f"YDXJ{n:04d}_thm.mp4" for n in range(1, len(left) + 1)]  # sidecars stay


async def test_cancelling_a_clip_leaves_the_camera_not_recording(
    emulator: Emulator, camera: Camera
) -> None:
    timer = Intervalometer(camera, every=5, count=3, mode="clip", clip_seconds=4)
    async with camera.events() as events:
        task = asyncio.create_task(timer.run())
        async for event in events:
            if isinstance(event, Notification) and event.type == Notify.START_VIDEO_RECORD:
                break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert timer.report is not None
    assert timer.report.stopped == "cancelled"
    assert emulator.state.recording_since is None
    assert await camera.get_setting("app_status") != "record"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": 0, "count": 1}, "longer than zero"),
        ({"every": 1}, "count or until"),
        ({"every": 1, "count": 2, "until": timedelta(1)}, "count or until"),
        ({"every": 1, "count": 2, "mode": "clip"}, "clip_seconds"),
        ({"every": 1, "count": 2, "mode": "clip", "clip_seconds": 2}, "shorter"),
        ({"every": "soon", "count": 2}, "invalid duration"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Intervalometer(None, **kwargs)  # type: ignore[arg-type]


async def test_a_tethered_timelapse_through_drops_loses_no_photo(
    start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    emu = await start_emulator(faults=Faults(drop=True, seed=6))
    async with dropping_camera(emu) as cam:
        tether = Tether(cam, tmp_path, retry_delay=0)
        report = await Intervalometer(cam, every=0.15, count=12, tether=tether).run()
        on_card = sorted(p.name for p in emu.sd.rglob("*.jpg"))
    assert report.stopped == "done", report.error
    assert len(report.shots) == 12
    taken = {s.path for s in report.shots if s.status == "taken"}
    landed = {e.path: e for e in tether.entries}
    assert taken <= set(landed)  # and photos whose outcome was unknown were found too
    assert sorted(p.rsplit("/", 1)[-1] for p in landed) == on_card
    for entry in landed.values():
        assert entry.status == "downloaded", entry.error
        assert entry.local is not None
        assert entry.local.read_bytes() == card_bytes(emu, entry.path)
