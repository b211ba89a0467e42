"""Settings profiles: save, round-trip through TOML and JSON, apply, diff; library and CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from yicam import Camera, CameraConfig, Fleet, Profile, add_camera
from yicam._jobs.profiles import differing_settings
from yicam.cli.emulate import settings_of
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread
from .test_fleet import camera_for

Start = Callable[..., Any]
HD = "1280x720 60P 16:9"


async def test_save_holds_only_settable_settings(camera: Camera, emulator: Emulator) -> None:
    saved = await Profile.read(camera)
    assert saved.model == "Yi 1"
    assert saved.settings["video_resolution"] == emulator.state.settings["video_resolution"]
    for never in ("camera_clock", "serial_number", "sw_version", "dev_reboot", "app_status"):
        assert never not in saved.settings
    assert "dual_stream_status" not in saved.settings  # read-only on a Yi 1


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    original = Profile({"video_standard": "PAL", 'odd "name"': 'va"l\\ue\n'}, "Yi 1")
    path = original.save(tmp_path / f"rig{suffix}")
    assert Profile.load(path) == original


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.toml"
    for text in ("not = [toml", "model = 1\n", "[settings]\nfov = 3\n"):
        bad.write_text(text)
        with pytest.raises(ValueError, match=r"x\.toml"):
            Profile.load(bad)


async def test_apply_reports_each_setting(start_emulator: Start) -> None:
    emu: Emulator = await start_emulator()
    wanted = Profile(
        {
            "video_resolution": HD,  # before video_standard in the file
            "video_standard": "PAL",
            "video_quality": emu.state.settings["video_quality"],
            "photo_size": "huge",
            "dual_stream_status": "off",
            "no_such_setting": "1",
            "serial_number": "Z23LCOPY",
        }
    )
    async with camera_for(emu) as cam:
        report = await wanted.apply(cam)
    statuses = [(o.name, o.status) for o in report.outcomes]
    assert statuses == [
        ("video_standard", "applied"),  # a standard first: it limits the resolutions
        ("video_resolution", "applied"),
        ("video_quality", "unchanged"),
        ("photo_size", "refused"),
        ("dual_stream_status", "read-only"),
        ("no_such_setting", "unsupported"),
    ]  # the serial is never applied
    refused = report.outcomes[3]
    assert "16M (4608x3456 4:3)" in refused.accepted
    assert not report.ok
    assert emu.state.settings["video_standard"] == "PAL"
    assert emu.state.settings["video_resolution"] == HD
    assert emu.state.settings["serial_number"] != "Z23LCOPY"


async def test_fleet_apply_and_diff(start_emulator: Start) -> None:
    emulators = [await start_emulator(host=f"127.0.0.{i}") for i in (2, 3, 4)]
    emulators[2].state.settings["video_resolution"] = HD
    async with Fleet({f"cam{i}": camera_for(e) for i, e in enumerate(emulators, 1)}) as fleet:
        before = await fleet.each(lambda _n, cam: cam.get_settings())
        assert differing_settings(before.values()) == {
            "video_resolution": {"cam1": "1920x1080 60P 16:9", "cam2": "1920x1080 60P 16:9",
                                 "cam3": HD},
        }  # fmt: skip
        reference = await Profile.read(fleet.cameras["cam3"])
        applied = await fleet.apply_profile(reference)
        assert applied.ok, applied.summary()
        after = await fleet.each(lambda _n, cam: cam.get_settings())
    assert differing_settings(after.values()) == {}
    assert [e.state.settings["video_resolution"] for e in emulators] == [HD] * 3


# -- the commands --------------------------------------------------------------------------


@pytest.fixture
def three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loop: LoopThread) -> list[Emulator]:
    monkeypatch.setenv("YICAM_CONFIG", str(tmp_path / "config.toml"))
    emulators = [loop.emulator(host=f"127.0.0.{i}") for i in (2, 3, 4)]
    for name, emu in zip("abc", emulators, strict=True):
        add_camera(CameraConfig(name, settings_of(emu)))
    return emulators


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_cli_save_apply_diff(three: list[Emulator], tmp_path: Path) -> None:
    three[0].state.settings["video_resolution"] = HD
    three[0].state.settings["video_quality"] = "Normal"
    file = tmp_path / "rig.toml"
    saved = run("-c", "a", "--json", "profile", "save", str(file))
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.stdout)["settings"]["video_resolution"] == HD
    assert 'video_resolution = "1280x720 60P 16:9"' in file.read_text()

    diff = run("--json", "profile", "diff", "--all")
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.stdout)["video_resolution"] == {
        "a": HD,
        "b": "1920x1080 60P 16:9",
        "c": "1920x1080 60P 16:9",
    }
    table = run("-c", "b", "profile", "diff", str(file))
    assert "video_quality" in table.stdout
    assert "2 setting(s) differ" in table.stdout

    applied = run("--json", "-c", "b", "-c", "c", "profile", "apply", str(file))
    assert applied.exit_code == 0, applied.output
    rows = json.loads(applied.stdout)
    assert [r["name"] for r in rows] == ["b", "c"]
    statuses = {s["name"]: s["status"] for s in rows[0]["settings"]}
    assert statuses["video_resolution"] == "applied"
    assert statuses["video_standard"] == "unchanged"
    assert [e.state.settings["video_quality"] for e in three] == ["Normal"] * 3
    assert "No differences." in run("profile", "diff", "--all").stdout


def test_cli_apply_refused_setting_fails(three: list[Emulator], tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    Profile({"video_resolution": "9999x9999"}).save(file)
    result = run("--host", three[1].host, "--port", str(three[1].port), "profile", "apply",
                 str(file))  # fmt: skip
    assert result.exit_code == 1
    assert "refused; accepts: 1920x1080 60P 16:9" in result.stdout
    assert (
        result.stderr.strip()
        == "Error: 0 of 1 cameras ok; failed: 127.0.0.3 (refused video_resolution)"
    )


def test_cli_diff_needs_something_to_compare() -> None:
    result = run("profile", "diff")
    assert result.exit_code == 2
    assert "give a FILE" in result.stderr
