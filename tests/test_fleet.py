"""`Fleet` against four emulators on 127.0.0.2..5: shots, faults, settings, clocks, sync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from yicam import (
    Camera,
    CameraError,
    Disconnected,
    Event,
    Fleet,
    MsgId,
    Notify,
    OutcomeUnknownError,
    ShotReport,
    UnsafeOperationError,
)
from yicam.emulator import Emulator, Faults

Start = Callable[..., Any]


def camera_for(emu: Emulator, timeout: float = 2.0) -> Camera:
    return Camera(
        emu.host,
        emu.port,
        data_port=emu.data_port,
        http_port=emu.http_port,
        rtsp_port=emu.rtsp_port or 554,
        timeout=timeout,
        event_timeout=5.0,
    )


async def start_four(start: Start, **faulty: Any) -> list[Emulator]:
    """cam1..cam4 on 127.0.0.2..5; `faulty` are the emulator options of cam4."""
    emulators = [await start(host=f"127.0.0.{i}") for i in range(2, 5)]
    emulators.append(await start(host="127.0.0.5", **faulty))
    return emulators


def fleet_of(emulators: list[Emulator], timeout: float = 2.0) -> Fleet:
    return Fleet({f"cam{i}": camera_for(e, timeout) for i, e in enumerate(emulators, 1)})


def card_files(emu: Emulator) -> list[str]:
    """The photos and videos on the emulator's card (not their sidecars)."""
    media = (".jpg", ".mp4")
    return sorted(p.name for p in (emu.sd / "DCIM").rglob("*") if p.suffix.lower() in media)


def assert_good_shot(shot: ShotReport, names: list[str]) -> None:
    for name in names:
        trigger = shot[name].value
        assert trigger is not None, shot[name].reason
        assert trigger.replied >= trigger.sent


async def test_photo_on_four_cameras(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    async with fleet_of(emulators) as fleet:
        assert fleet.names == ("cam1", "cam2", "cam3", "cam4")
        shot = await fleet.take_photo()
    assert shot.ok, shot.summary()
    assert shot.summary() == "4 of 4 cameras ok"
    assert_good_shot(shot, ["cam1", "cam2", "cam3", "cam4"])
    sent = [t.sent for t in shot.values().values()]
    assert shot.send_spread == max(sent) - min(sent)
    for emu, result in zip(emulators, shot, strict=True):
        assert result.value is not None
        assert result.value.path is not None
        assert result.value.path.endswith(card_files(emu)[0])


async def test_record_start_and_stop(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    async with fleet_of(emulators) as fleet:
        started = await fleet.start_recording()
        assert started.ok, started.summary()
        assert all(e.state.recording_since is not None for e in emulators)
        stopped = await fleet.stop_recording()
    assert stopped.ok, stopped.summary()
    for emu, result in zip(emulators, stopped, strict=True):
        assert result.value is not None
        assert result.value.path is not None
        assert result.value.path.endswith(".mp4")
        assert emu.state.recording_since is None


async def test_card_full_fails_only_that_camera(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator, card_size=32 * 1024)
    async with fleet_of(emulators) as fleet:
        shot = await fleet.take_photo()
    assert shot.failed == ("cam4",)
    error = shot["cam4"].error
    assert isinstance(error, CameraError)
    assert error.rval == -17  # no space left
    assert shot.summary().startswith("3 of 4 cameras ok; failed: cam4 (")
    assert_good_shot(shot, ["cam1", "cam2", "cam3"])
    assert [len(card_files(e)) for e in emulators] == [1, 1, 1, 0]


async def test_slow_camera_times_out_alone(start_emulator: Start) -> None:
    # Short delays: the emulator drains what it queued well within its 2 s close.
    emulators = await start_four(start_emulator, faults=Faults(delay=0.6))
    cameras = {f"cam{i}": camera_for(e) for i, e in enumerate(emulators[:3], 1)}
    cameras["cam4"] = camera_for(emulators[3], timeout=0.3)
    async with Fleet(cameras) as fleet:
        shot = await fleet.start_recording()
    assert shot.failed == ("cam4",)
    assert "within 0.3 s" in shot["cam4"].reason
    assert_good_shot(shot, ["cam1", "cam2", "cam3"])


async def test_stale_token_is_renewed_and_retried(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    async with fleet_of(emulators) as fleet:
        emulators[1].invalidate_token()
        shot = await fleet.take_photo()
    assert shot.ok, shot.summary()
    retried = {name: t.retried for name, t in shot.values().items()}
    assert retried == {"cam1": False, "cam2": True, "cam3": False, "cam4": False}
    assert [len(card_files(e)) for e in emulators] == [1, 1, 1, 1]


async def lose_connection(cam: Camera, emu: Emulator) -> None:
    """Drop the camera's connection on the emulator's side and wait until the client sees it."""
    lost = asyncio.get_running_loop().create_future()

    def on_event(event: Event) -> None:
        if isinstance(event, Disconnected) and not lost.done():
            lost.set_result(None)

    unsubscribe = cam.subscribe(on_event)
    try:
        for session in list(emu.state.sessions):
            session.close()
        await asyncio.wait_for(lost, 5)
    finally:
        unsubscribe()


async def test_dropped_camera_is_reconnected_and_reported(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    async with fleet_of(emulators) as fleet:
        await lose_connection(fleet.cameras["cam3"], emulators[2])
        shot = await fleet.take_photo()
        assert shot.ok, shot.summary()
        reconnected = {n: t.reconnected for n, t in shot.values().items()}
        assert reconnected == {"cam1": False, "cam2": False, "cam3": True, "cam4": False}

        await emulators[2].close()  # now it is gone for good
        shot = await fleet.take_photo()
    assert shot.failed == ("cam3",)
    assert "127.0.0.4" in shot["cam3"].reason
    assert [len(card_files(e)) for e in (emulators[0], emulators[1], emulators[3])] == [2, 2, 2]


async def test_camera_dropping_after_the_shot_is_outcome_unknown(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    async with fleet_of(emulators) as fleet:
        # The fourth camera hangs up as soon as the record request arrives.
        emu = emulators[3]
        original = emu.handlers[513]

        async def hang_up(session: Any, request: Any) -> Any:
            session.close()
            return None

        emu.handlers[513] = hang_up
        shot = await fleet.start_recording()
        assert shot.failed == ("cam4",)
        assert isinstance(shot["cam4"].error, OutcomeUnknownError)
        emu.handlers[513] = original
        again = await fleet.stop_recording()  # cam4 was reconnected, but is not recording
    assert again.failed == ("cam4",)
    assert_good_shot(again, ["cam1", "cam2", "cam3"])


async def test_unreachable_camera_at_start(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    gone = camera_for(emulators[3])
    await emulators[3].close()
    fleet = Fleet({"a": camera_for(emulators[0]), "gone": gone})
    async with fleet:
        status = await fleet.status()
    assert status.failed == ("gone",)
    assert status["a"].value is not None
    assert status["a"].value.battery == 86


async def test_set_setting_refused_on_a_recording_camera(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    async with fleet_of(emulators) as fleet:
        await fleet.cameras["cam2"].start_recording()
        result = await fleet.set_setting("video_resolution", "1280x720 60P 16:9")
    assert result.failed == ("cam2",)
    assert isinstance(result["cam2"].error, UnsafeOperationError)
    values = [e.state.settings["video_resolution"] for e in emulators]
    assert values[0] == values[2] == values[3] == "1280x720 60P 16:9"
    assert values[1] != "1280x720 60P 16:9"


async def test_status(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator, card_inserted=False)
    emulators[0].state.battery = 42
    async with fleet_of(emulators) as fleet:
        await fleet.cameras["cam3"].start_recording()
        status = await fleet.status()
    assert status.ok, status.summary()
    values = status.values()
    assert values["cam1"].battery == 42
    assert values["cam1"].card_total == emulators[0].state.card.capacity
    assert values["cam4"].card_free is None
    assert [values[n].recording for n in ("cam1", "cam2", "cam3", "cam4")] == [
        False,
        False,
        True,
        False,
    ]


async def test_clock_sync_aligns_every_clock(start_emulator: Start) -> None:
    emulators = await start_four(start_emulator)
    skews = [timedelta(hours=1), timedelta(seconds=-30), timedelta(days=-400), timedelta()]
    for emu, skew in zip(emulators, skews, strict=True):
        emu.state.clock_offset = skew
    async with fleet_of(emulators) as fleet:
        result = await fleet.sync_clock()
    assert result.ok, result.summary()
    for (name, sync), skew in zip(result.values().items(), skews, strict=True):
        assert abs(sync.offset_before - skew.total_seconds()) < 1.0, name
        assert sync.set_to.microsecond == 0
    # Every write landed on its whole second: clocks agree to well under a second, where
    # writing `now()` truncated to the second would leave each up to a second behind.
    # (0.5 s of slack: a loaded machine may run a write late; typical offsets are a few ms.)
    after = [e.state.clock_offset.total_seconds() for e in emulators]
    assert max(abs(a) for a in after) < 0.5, after
    assert max(after) - min(after) < 0.5, after


async def test_sync_into_one_folder_per_camera(start_emulator: Start, tmp_path: Path) -> None:
    emulators = await start_four(start_emulator, faults=Faults(drop_data=1.0, seed=1))
    async with fleet_of(emulators) as fleet:
        assert (await fleet.take_photo()).ok
        result = await fleet.sync(tmp_path)
    for i, emu in enumerate(emulators[:3], 1):
        report = result[f"cam{i}"].value
        assert report is not None
        assert report.ok
        assert report.count("downloaded") == 1
        name = card_files(emu)[0]
        local = tmp_path / f"cam{i}" / "100MEDIA" / name
        assert local.read_bytes() == next((emu.sd / "DCIM").rglob(name)).read_bytes()
    # The camera whose transfers always break: reported, and no file under its final name.
    bad = result["cam4"]
    assert not bad.ok or (bad.value is not None and not bad.value.ok)
    assert not any(p.suffix == ".jpg" for p in (tmp_path / "cam4").rglob("*"))
    assert not all(r.ok and r.value is not None and r.value.ok for r in result)


def test_names_hosts_and_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from yicam import CameraConfig, ConnectionSettings, add_camera

    monkeypatch.setenv("YICAM_CONFIG", str(tmp_path / "config.toml"))
    add_camera(CameraConfig("left", ConnectionSettings("10.1.1.1", 7000)))
    fleet = Fleet(
        [
            "left",
            "10.1.1.2",
            "10.1.1.3:7001",
            "10.1.1.3",
            CameraConfig("x", ConnectionSettings("h")),
        ]
    )
    assert fleet.names == ("left", "10.1.1.2", "10.1.1.3:7001", "10.1.1.3", "x")
    left = fleet.cameras["left"]
    assert (left.host, left.settings.port) == ("10.1.1.1", 7000)
    assert fleet.cameras["10.1.1.3:7001"].settings.port == 7001
    with pytest.raises(ValueError, match=r"10\.1\.1\.1:7000 and left are the same camera"):
        Fleet(["left", "10.1.1.1:7000"])
    with pytest.raises(ValueError, match="neither a named camera"):
        Fleet(["nobody:here"])
    with pytest.raises(ValueError, match="at least one"):
        Fleet([])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_dropping_camera_never_harms_the_others(
    start_emulator: Start, tmp_path: Path, seed: int
) -> None:
    """cam4 hangs up at a random moment of each connection (the `drop` fault)."""
    emulators = await start_four(start_emulator, faults=Faults(drop=True, seed=seed))
    async with fleet_of(emulators) as fleet:
        photo = await fleet.take_photo()
        setting = await fleet.set_setting("video_quality", "Normal")
        sync = await fleet.sync(tmp_path)
        status = await fleet.status()
    for result in (photo, setting, sync, status):
        assert result.succeeded[:3] == ("cam1", "cam2", "cam3"), result.summary()
        assert set(result.failed) <= {"cam4"}
        if result.failed:
            assert result["cam4"].reason  # named, with the reason
            assert "cam4 (" in result.summary()
    for i, emu in enumerate(emulators[:3], 1):
        assert emu.state.settings["video_quality"] == "Normal"
        (name,) = card_files(emu)
        local = tmp_path / f"cam{i}" / "100MEDIA" / name
        assert local.read_bytes() == next((emu.sd / "DCIM").rglob(name)).read_bytes()
    for local in (tmp_path / "cam4").rglob("*"):  # what arrived from cam4 is whole, or .part
        if local.is_file() and local.suffix != ".part":
            assert local.read_bytes() == next(emulators[3].sd.rglob(local.name)).read_bytes()


async def test_setting_while_a_yi1_restarts_its_viewfinder(start_emulator: Start) -> None:
    """The Yi 1 turns its viewfinder back on by itself just after a photo; when that lands
    between the status read and the change (-15), the change is made all the same."""
    emu: Emulator = await start_emulator()
    set_setting = emu.handlers[MsgId.SET_SETTING]
    restarted = False

    async def viewfinder_restarts_just_before(session: Any, request: Any) -> Any:
        nonlocal restarted
        if not restarted:
            restarted = session.state.viewfinder = True
            session.notify(Notify.VF_START)
        return await set_setting(session, request)

    emu.handlers[MsgId.SET_SETTING] = viewfinder_restarts_just_before
    async with Fleet({"yi1": camera_for(emu)}) as fleet:
        result = await fleet.set_setting("video_quality", "Normal")
    assert result.ok, result.summary()
    assert emu.state.settings["video_quality"] == "Normal"
    assert emu.state.viewfinder  # left as the camera had it
