"""`yicam fleet` against named emulators on 127.0.0.2..5: output, JSON, exit status."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from yicam import CameraConfig, add_camera
from yicam.cli.emulate import settings_of
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread

NAMES = ["a", "b", "c", "d"]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(path))
    return path


def name_emulators(emulators: list[Emulator]) -> None:
    for name, emu in zip(NAMES, emulators, strict=True):
        add_camera(CameraConfig(name, replace(settings_of(emu), timeout=2.0)))


@pytest.fixture
def four(config: Path, loop: LoopThread) -> list[Emulator]:
    emulators = [loop.emulator(host=f"127.0.0.{i}") for i in range(2, 6)]
    name_emulators(emulators)
    return emulators


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def media(emu: Emulator) -> list[Path]:
    return sorted(p for p in (emu.sd / "DCIM").rglob("*") if p.suffix in (".jpg", ".mp4"))


def test_status_table_and_json(four: list[Emulator]) -> None:
    four[1].state.battery = 17
    result = run("fleet", "--all", "status")
    assert result.exit_code == 0, result.output
    assert "17%" in result.stdout
    assert "4 of 4 cameras ok" in result.stdout
    rows = ok_json(run("--json", "fleet", "--all", "status"))
    assert [r["name"] for r in rows] == NAMES
    assert [r["battery"] for r in rows] == [86, 17, 86, 86]
    assert all(r["connected"] and r["recording"] is False for r in rows)
    assert rows[0]["card_total"] == four[0].state.card.capacity
    assert rows[0]["model"] == "Yi 1"


def test_photo_on_chosen_cameras(four: list[Emulator]) -> None:
    data = ok_json(run("--json", "-c", "a", "-c", "c", "fleet", "photo"))
    assert [c["name"] for c in data["cameras"]] == ["a", "c"]
    assert all(c["ok"] and c["path"].endswith(".jpg") for c in data["cameras"])
    assert data["send_spread_ms"] >= 0
    assert [len(media(e)) for e in four] == [1, 0, 1, 0]


def test_names_after_fleet_add_to_the_global_ones(four: list[Emulator]) -> None:
    data = ok_json(run("--json", "fleet", "-c", "b", "--camera", "d", "photo"))
    assert [c["name"] for c in data["cameras"]] == ["b", "d"]
    data = ok_json(run("--json", "-c", "a", "fleet", "-c", "c", "-c", "a", "photo"))
    assert [c["name"] for c in data["cameras"]] == ["a", "c"]  # each camera once
    assert [len(media(e)) for e in four] == [1, 1, 1, 1]


def test_names_after_fleet_win_over_the_environment(four: list[Emulator]) -> None:
    result = CliRunner().invoke(
        cli, ["--json", "fleet", "-c", "b", "photo"], env={"YICAM_CAMERA": "a"}
    )
    assert [c["name"] for c in ok_json(result)["cameras"]] == ["b"]
    assert [len(media(e)) for e in four] == [0, 1, 0, 0]


def test_hosts_take_ports_from_the_addresses(four: list[Emulator], loop: LoopThread) -> None:
    hosts = ",".join(f"{e.host}:{e.port}" for e in four[:2])
    data = ok_json(run("--json", "fleet", "--hosts", hosts, "record", "start"))
    assert [c["name"] for c in data["cameras"]] == [f"{e.host}:{e.port}" for e in four[:2]]
    assert [e.state.recording_since is not None for e in four] == [True, True, False, False]
    data = ok_json(run("--json", "fleet", "--hosts", hosts, "record", "stop"))
    assert all(c["path"].endswith(".mp4") for c in data["cameras"])


def test_one_failing_camera_fails_the_command(config: Path, loop: LoopThread) -> None:
    emulators = [loop.emulator(host=f"127.0.0.{i}") for i in range(2, 5)]
    emulators.append(loop.emulator(host="127.0.0.5", card_size=32 * 1024))
    name_emulators(emulators)
    result = run("--json", "fleet", "--all", "photo")
    assert result.exit_code == 1
    data = json.loads(result.stdout)  # every camera's result is still printed
    assert [c["ok"] for c in data["cameras"]] == [True, True, True, False]
    assert json.loads(result.stderr) == {
        "error": "3 of 4 cameras ok; failed: d (camera refused msg 769: no space left (rval -17))"
    }
    assert [len(media(e)) for e in emulators] == [1, 1, 1, 0]


def test_unreachable_camera_is_named(four: list[Emulator], loop: LoopThread) -> None:
    loop.run(four[2].close())
    result = run("fleet", "--all", "set", "video_resolution", "1280x720 60P 16:9")
    assert result.exit_code == 1
    assert "video_resolution = 1280x720 60P 16:9" in result.stdout
    assert result.stderr.startswith("Error: 3 of 4 cameras ok; failed: c (cannot connect")
    values = [e.state.settings["video_resolution"] for e in four]
    assert values[0] == values[1] == values[3] == "1280x720 60P 16:9"


def test_clock_sync(four: list[Emulator]) -> None:
    from datetime import timedelta

    four[0].state.clock_offset = timedelta(minutes=5)
    rows = ok_json(run("--json", "fleet", "--all", "clock", "sync"))
    assert 299 < rows[0]["offset_before"] < 301
    assert abs(rows[1]["offset_before"]) < 1
    assert len({r["set_to"] for r in rows}) == 1  # one whole second for every camera
    assert all(abs(e.state.clock_offset.total_seconds()) < 0.5 for e in four)


def test_sync_into_a_folder_per_camera(four: list[Emulator], tmp_path: Path) -> None:
    assert run("fleet", "--all", "photo").exit_code == 0
    out = tmp_path / "footage"
    rows = ok_json(run("--json", "fleet", "--all", "sync", str(out)))
    assert [(r["name"], r["downloaded"]) for r in rows] == [(n, 1) for n in NAMES]
    for name, emu in zip(NAMES, four, strict=True):
        photo = media(emu)[0]
        assert (out / name / "100MEDIA" / photo.name).read_bytes() == photo.read_bytes()
    again = ok_json(run("--json", "fleet", "--all", "sync", str(out)))
    assert [(r["downloaded"], r["present"]) for r in again] == [(0, 1)] * 4


def test_no_cameras_chosen_is_a_usage_error(config: Path) -> None:
    result = run("fleet", "photo")
    assert result.exit_code == 2
    assert "choose cameras" in result.stderr
    result = run("fleet", "--all", "photo")
    assert result.exit_code == 2
    assert "no named cameras yet" in result.stderr


def test_status_watch_refreshes_until_ctrl_c(four: list[Emulator], config: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "yicam.cli.main", "--json", "fleet", "--all", "status",
         "--watch", "--interval", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        rows = [json.loads(proc.stdout.readline()) for _ in range(8)]  # two refreshes
        assert [r["name"] for r in rows] == NAMES * 2
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_record_start_in_a_few_seconds(config: Path, loop: LoopThread) -> None:
    emulators = [loop.emulator(host=f"127.0.0.{i}", model=m) for i, m in ((2, "yi4k"), (3, "yi1"))]
    name_emulators([*emulators, loop.emulator(host="127.0.0.4"), loop.emulator(host="127.0.0.5")])
    data = ok_json(run("--json", "fleet", "-c", "a", "-c", "b", "record", "start", "--in", "6s"))
    assert [(c["name"], c["ok"], c["by"]) for c in data["cameras"]] == [
        ("a", True, "camera clock"),
        ("b", True, "this computer"),
    ]
    assert data["start_spread_ms"] is not None
    assert all(e.state.recording_since is not None for e in emulators)
    assert emulators[0].state.received[16777247] == 1


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["start", "--in", "1s"], "less than 3 s ahead"),
        (["start", "--at", "25:00"], "use HH:MM or HH:MM:SS"),
        (["start", "--at", "12:00", "--in", "5s"], "not both"),
        (["stop", "--in", "5s"], "go with `record start`"),
    ],
)
def test_record_start_times_that_cannot_be(
    four: list[Emulator], args: list[str], problem: str
) -> None:
    result = run("fleet", "--all", "record", *args)
    assert result.exit_code == 2
    assert problem in result.stderr
    assert all(e.state.received[2] == 0 for e in four)  # no clock was touched
