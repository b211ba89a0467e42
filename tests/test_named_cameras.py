"""Named cameras: the config file, `yicam cameras`, `--camera`/YICAM_CAMERA, `emulate --count`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from yicam import (
    CameraConfig,
    ConfigError,
    ConnectionSettings,
    add_camera,
    config_path,
    get_camera,
    load_cameras,
    remove_camera,
)
from yicam.cli.emulate import settings_of
from yicam.cli.emulate_many import plan_fleet, reach_all_lines
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread

COMMENTED = """\
# My rig: three cameras on the club Wi-Fi.
[cameras.left]   # on the tripod
host = "192.168.1.51"  # fixed lease
port = 7878

[cameras.right]
host = "192.168.1.52"

[other]
keep = true  # not ours, must survive
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "yicam" / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(path))
    return path


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args))


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


# -- the file ------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="XDG applies to Linux")
def test_config_follows_xdg_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YICAM_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "yicam" / "config.toml"


def test_no_file_means_no_cameras(config: Path) -> None:
    assert load_cameras() == {}
    assert "No named cameras yet" in ok(run("cameras"))
    assert json.loads(ok(run("--json", "cameras"))) == []


def test_add_and_rm_keep_comments(config: Path) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(COMMENTED)
    ok(run("--port", "7000", "--http-port", "8080", "cameras", "add", "back", "192.168.1.53"))
    text = config.read_text()
    for line in COMMENTED.splitlines():
        assert line in text.splitlines()  # untouched, comments and all
    assert load_cameras()["back"] == CameraConfig(
        "back", ConnectionSettings("192.168.1.53", 7000, http_port=8080)
    )

    ok(run("cameras", "rm", "right"))
    text = config.read_text()
    assert "# My rig" in text
    assert "# fixed lease" in text
    assert "# not ours" in text
    assert list(load_cameras()) == ["left", "back"]


def test_add_takes_its_ports_after_the_command_too(config: Path) -> None:
    ok(run("cameras", "add", "back", "10.0.0.7", "--port", "7000", "--rtsp-port", "8554"))
    ok(run("--data-port", "9000", "cameras", "add", "top", "10.0.0.8", "--http-port", "8080"))
    ok(run("--port", "7001", "cameras", "add", "side", "10.0.0.9", "--port", "7002"))  # last wins
    assert list(load_cameras().values()) == [
        CameraConfig("back", ConnectionSettings("10.0.0.7", 7000, rtsp_port=8554)),
        CameraConfig("top", ConnectionSettings("10.0.0.8", data_port=9000, http_port=8080)),
        CameraConfig("side", ConnectionSettings("10.0.0.9", 7002)),
    ]


def test_add_keeps_the_interface_that_reaches_the_camera(config: Path) -> None:
    ok(run("cameras", "add", "left", "192.168.42.1", "--interface", "wlan1"))
    ok(run("--interface", "wlan2", "cameras", "add", "right", "192.168.42.1"))
    assert [c.settings.interface for c in load_cameras().values()] == ["wlan1", "wlan2"]
    assert 'interface = "wlan1"' in config.read_text()
    assert "Interface" in ok(run("cameras"))


def test_list_table_and_json(config: Path) -> None:
    add_camera(CameraConfig("left", ConnectionSettings("10.0.0.5")))
    add_camera(
        CameraConfig("right", ConnectionSettings("10.0.0.6", rtsp_port=8554), serial="Z23L0000001")
    )
    out = ok(run("cameras"))
    assert "left" in out
    assert "10.0.0.6" in out
    assert "Z23L0000001" in out
    data = json.loads(ok(run("--json", "cameras")))
    assert [(c["name"], c["host"], c["rtsp_port"]) for c in data] == [
        ("left", "10.0.0.5", 554),
        ("right", "10.0.0.6", 8554),
    ]


def test_bad_edits_are_error_lines(config: Path) -> None:
    add_camera(CameraConfig("left", ConnectionSettings("10.0.0.5")))
    for args, message in [
        (("cameras", "add", "left", "10.0.0.9"), "exists already"),
        (("cameras", "add", "no spaces", "10.0.0.9"), "bad camera name"),
        (("cameras", "rm", "nobody"), "no camera named 'nobody'"),
    ]:
        result = run(*args)
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: ")
        assert message in result.stderr
    ok(run("cameras", "add", "left", "10.0.0.9", "--replace"))
    assert load_cameras()["left"].settings.host == "10.0.0.9"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[cameras.x\n", "not TOML"),
        ("cameras = 3\n", "must be a table"),
    ],
)
def test_broken_file_is_a_config_error(config: Path, text: str, message: str) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_cameras()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[cameras.x]\nport = 1\n", "needs host"),
        ('[cameras.x]\nhost = "h"\nport = 99999\n', "port number"),
        ('[cameras.x]\nhost = "h"\nport = 0\n', "port number (1-65535)"),
        ('[cameras.x]\nhost = "h"\ntimeout = -1\n', "positive"),
        ('[cameras.x]\nhost = "h"\ntimeout = nan\n', "positive"),
        ('[cameras.x]\nhost = "h h"\n', "bad host"),
    ],
)
def test_a_broken_entry_is_skipped(config: Path, text: str, message: str) -> None:
    config.parent.mkdir(parents=True)
    config.write_text(text + '[cameras.y]\nhost = "h"\n')
    skipped: list[ConfigError] = []
    assert list(load_cameras(on_skip=skipped.append)) == ["y"]
    assert len(skipped) == 1
    assert str(skipped[0]).startswith(f"{config}: [cameras.x]")
    assert message in str(skipped[0])
    with pytest.warns(UserWarning, match=re.escape(message)):
        assert list(load_cameras()) == ["y"]
    with pytest.raises(ConfigError, match=re.escape(message)):
        get_camera("x")
    assert get_camera("y").settings.host == "h"


def test_remove_missing_file(config: Path) -> None:
    with pytest.raises(ConfigError, match="no camera named"):
        remove_camera("left")


# -- --camera / YICAM_CAMERA ---------------------------------------------------------------


@pytest.fixture
def named(config: Path, loop: LoopThread) -> Emulator:
    """An emulator on 127.0.0.2 named `left`; YICAM_HOST (127.0.0.1) would miss it."""
    emu = loop.emulator(host="127.0.0.2")
    emu.state.settings["serial_number"] = "Z23LNAMED01"
    add_camera(CameraConfig("left", replace(settings_of(emu), timeout=2.0)))
    return emu


COMMANDS = [
    ["info"],
    ["battery"],
    ["settings"],
    ["get", "video_resolution"],
    ["options", "video_resolution"],
    ["clock"],
    ["photo"],
    ["ls"],
    ["raw", "13"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_every_camera_command_takes_a_named_camera(named: Emulator, args: list[str]) -> None:
    before = sum(named.state.received.values())
    ok(run("-c", "left", *args))
    assert sum(named.state.received.values()) > before  # it was this emulator that answered


def test_camera_from_the_environment(named: Emulator) -> None:
    data = json.loads(ok(run("--json", "info", env={"YICAM_CAMERA": "left"})))
    assert data["serial"] == "Z23LNAMED01"
    data = json.loads(ok(run("--camera", "left", "--json", "info")))
    assert data["serial"] == "Z23LNAMED01"


def test_photo_and_download_through_a_named_camera(named: Emulator, tmp_path: Path) -> None:
    path = json.loads(ok(run("-c", "left", "--json", "photo")))["path"]
    ok(run("-c", "left", "download", path, "-o", str(tmp_path)))
    assert (tmp_path / Path(path).name).stat().st_size > 0


def test_command_line_options_win_over_the_named_camera(named: Emulator) -> None:
    # --port given on the command line wins: nothing listens on port 1, so it fails.
    result = run("-c", "left", "--port", "1", "--timeout", "1", "battery")
    assert result.exit_code == 1
    assert ":1" in result.stderr


def test_unknown_name_is_an_error_line(config: Path) -> None:
    add_camera(CameraConfig("left", ConnectionSettings("10.0.0.5")))
    result = run("-c", "lefty", "battery")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: no camera named 'lefty' in {config} (known: left)"
    ]


def test_unknown_name_in_the_environment_does_not_break_cameras(config: Path) -> None:
    ok(run("cameras", "add", "left", "10.0.0.5", env={"YICAM_CAMERA": "nobody"}))
    assert "left" in ok(run("cameras", env={"YICAM_CAMERA": "nobody"}))


# -- emulate --count -----------------------------------------------------------------------

EPHEMERAL = ["--port", "0", "--data-port", "0", "--http-port", "0", "--rtsp-port", "0"]


def test_emulate_count_runs_separate_cameras(tmp_path: Path, config: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "yicam.cli.main", *EPHEMERAL, "emulate", "--count", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = [proc.stdout.readline() for _ in range(3)]
        # Ephemeral ports differ per camera: the way to reach them all is naming them.
        reach = [proc.stdout.readline() for _ in range(5)]
        assert reach[0].startswith("reach them all")
        assert reach[1].strip().startswith("yicam --port")
        assert reach[1].strip().endswith("cameras add emu1 127.0.0.1")
        assert reach[4].strip() == "yicam -c emu1 -c emu2 -c emu3 fleet status"
        serials, hosts = set(), []
        for line in ready:
            found = re.search(r"--host (\S+) --port (\d+) --data-port (\d+)", line)
            assert found is not None, line
            hosts.append(found[1])
            result = run("--host", found[1], "--port", found[2], "--json", "info")
            serials.add(json.loads(ok(result))["serial"])
        assert hosts == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        assert len(serials) == 3
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == ""


def test_count_without_loopback_aliases_shifts_ports() -> None:
    plan = plan_fleet(3, "127.0.0.1", 7878, 8787, 8080, 8554, can_bind=lambda _host: False)
    assert plan.shared_address
    assert [(s.host, s.port, s.data_port, s.http_port, s.rtsp_port) for s in plan.slots] == [
        ("127.0.0.1", 7878, 8787, 8080, 8554),
        ("127.0.0.1", 7879, 8788, 8081, 8555),
        ("127.0.0.1", 7880, 8789, 8082, 8556),
    ]


def test_count_with_aliases_keeps_ports_and_prints_one_fleet_command(tmp_path: Path) -> None:
    plan = plan_fleet(2, "127.0.0.1", 7878, 8787, 8080, 554, can_bind=lambda _host: True)
    assert [(s.host, s.port) for s in plan.slots] == [("127.0.0.1", 7878), ("127.0.0.2", 7878)]
    emulators = [Emulator(s.host, s.port, http_port=s.http_port, sd=tmp_path) for s in plan.slots]
    assert reach_all_lines(plan, emulators) == [
        "reach them all: yicam --http-port 8080 fleet --hosts 127.0.0.1,127.0.0.2 status"
    ]
