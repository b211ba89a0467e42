"""The model table: recognition, names, and behaviour that follows from it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from yicam import Camera, Notification, Notify
from yicam._wire.quirks import SJ8, UNKNOWN, YI_1, YI_4K, YI_Z18, identify
from yicam.emulator import Emulator
from yicam.emulator.card import CARD_ROOT
from yicam.emulator.profiles import PROFILES


@pytest.mark.parametrize(
    ("model", "versions", "expected"),
    [
        ("Z13", None, YI_1),
        ("Z16", None, YI_4K),
        ("Z18", None, YI_Z18),
        ("SJ8PRO_TAIWAN", None, SJ8),
        (None, {"hw_version": "YDXJ_v22"}, YI_1),  # 2015 firmware (protocol.md 5.2)
        (None, {"hw_version": "YDXJ_v23L"}, YI_1),  # JCP's camera
        (None, {"sw_version": "YDXJv25L_1.5.12"}, YI_1),
        (None, {"hw_version": "Z16_V13"}, YI_4K),
        (None, {"hw_version": "something else"}, UNKNOWN),
        (None, None, UNKNOWN),
    ],
)
def test_identify(model: str | None, versions: dict[str, str] | None, expected: Any) -> None:
    assert identify(model, versions) is expected


def test_an_unknown_model_id_is_named_after_itself_and_handled_carefully() -> None:
    quirks = identify("Z99")
    assert quirks.name == "Z99"
    assert quirks.settings_locked_in_viewfinder  # careful defaults, as for a Yi 1
    assert dataclasses.replace(quirks, name=UNKNOWN.name, model_ids=frozenset()) == UNKNOWN


def test_quirks_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        YI_1.heartbeat = True  # type: ignore[misc]


def test_rtsp_url_keeps_the_announced_path_on_the_connected_host() -> None:
    # A Yi 4K in station mode announces 192.168.42.1 wherever it is (rigs.md section 4).
    announced = "rtsp://192.168.42.1/live"
    assert YI_4K.rtsp_url("10.0.0.7", 554, announced) == "rtsp://10.0.0.7/live"
    assert YI_4K.rtsp_url("10.0.0.7", 8554, announced) == "rtsp://10.0.0.7:8554/live"
    # The announced port counts only where the user left RTSP's own 554.
    other = "rtsp://192.168.42.1:9000/liveview"
    assert YI_4K.rtsp_url("10.0.0.7", 554, other) == "rtsp://10.0.0.7:9000/liveview"
    assert YI_4K.rtsp_url("10.0.0.7", 8554, other) == "rtsp://10.0.0.7:8554/liveview"
    assert YI_4K.rtsp_url("::1", 554, announced) == "rtsp://[::1]/live"
    # Untrusted text never reaches the RTSP request line.
    for odd in ("rtsp://h/live\r\nX: y", "rtsp://h/a b", "http://h/x", "rtsp://h:99999/x"):
        assert YI_4K.rtsp_url("10.0.0.7", 554, odd) in ("rtsp://10.0.0.7/live", "rtsp://10.0.0.7/x")


def test_rtsp_url_form() -> None:
    assert YI_1.rtsp_url("192.168.42.1") == "rtsp://192.168.42.1/live"
    assert YI_1.rtsp_url("127.0.0.1", 8554) == "rtsp://127.0.0.1:8554/live"


def test_the_emulator_takes_shared_facts_from_the_same_table() -> None:
    assert {p.quirks.card_root for p in PROFILES.values()} == {CARD_ROOT}
    for profile in PROFILES.values():
        assert profile.model_id in profile.quirks.model_ids
        assert profile.spaced_json == profile.quirks.spaced_json
        assert profile.settings_locked_in_vf == profile.quirks.settings_locked_in_viewfinder
        assert profile.vf_stop_on_connect == profile.quirks.vf_stop_on_connect


async def test_a_yi1_is_recognised_from_its_versions(camera: Camera) -> None:
    assert camera.model is None  # the Yi 1's 257 reply names no model
    assert camera.model_name == "unknown model"
    info = await camera.device_info()
    assert (info.name, camera.model_name) == ("Yi 1", "Yi 1")
    assert camera.quirks is YI_1


async def test_a_yi4k_names_itself(start_emulator: Callable[..., Any]) -> None:
    emu = await start_emulator(model="yi4k")
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        assert (cam.model, cam.model_name) == ("Z16", "Yi 4K")
        assert cam.quirks.heartbeat
        assert repr(cam) == f"<Camera 127.0.0.1:{emu.port} Yi 4K connected>"
    assert repr(cam).endswith("Yi 4K closed>")


async def test_state_is_cached_and_kept_fresh_by_notifications(
    camera: Camera, emulator: Emulator
) -> None:
    assert camera.state.battery is None  # nothing read yet
    state = await camera.refresh()
    assert state.battery is not None
    assert state.battery.level == 86
    assert state.storage is not None
    assert state.storage.total == emulator.state.card.capacity
    assert state.settings["video_standard"] == "NTSC"
    assert not state.recording
    assert camera.model_name == "Yi 1"  # refresh reads the versions too
    seen: list[Notification] = []
    camera.subscribe(lambda e: seen.append(e) if isinstance(e, Notification) else None)
    with camera.session.expect(Notify.VIDEO_RECORD_COMPLETE) as done:
        await camera.start_recording()
        assert camera.state.recording
        with camera.session.expect(Notify.BATTERY) as low:
            assert emulator.state.holder is not None
            emulator.state.holder.notify(Notify.BATTERY, "42")
            await low.wait()
        assert camera.state.battery == dataclasses.replace(state.battery, level=42)
        await camera.stop_recording()
        await done.wait()
    assert not camera.state.recording
