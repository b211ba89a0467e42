"""`ConnectionSettings`: one frozen object from the CLI options and the config file to Camera."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from yicam import Camera, CameraConfig, ConnectionSettings, add_camera, load_cameras
from yicam.cli.base import GlobalOptions, options_for
from yicam.cli.main import cli
from yicam.emulator import Emulator


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"host": ""}, "host"),
        ({"port": 70000}, "port must be a port number"),
        ({"data_port": -1}, "data_port must be a port number"),
        ({"http_port": True}, "http_port must be a port number"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"event_timeout": float("nan")}, "event_timeout must be a positive number"),
        ({"interface": ""}, "interface"),
        ({"interface": 3}, "interface"),
    ],
)
def test_bad_values_are_refused_when_made(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConnectionSettings(**changes)
    with pytest.raises(ValueError, match=message):
        Camera(**changes)


def test_camera_shortcut_and_settings_agree() -> None:
    settings = ConnectionSettings("10.0.0.5", 7000, http_port=8080, timeout=2.0, interface="wlan1")
    assert Camera(settings=settings).settings == settings
    assert Camera("10.0.0.5", 7000, http_port=8080, timeout=2.0, interface="wlan1").settings == (
        settings
    )
    overridden = Camera(settings=settings, timeout=9.0).settings  # a keyword wins over settings
    assert overridden == dataclasses.replace(settings, timeout=9.0)
    with pytest.raises(TypeError, match="bogus"):
        Camera("10.0.0.5", bogus=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.timeout = 1.0  # type: ignore[misc]


async def test_a_changed_timeout_applies_to_the_next_request(start_emulator: Any) -> None:
    emu: Emulator = await start_emulator()
    async with Camera("127.0.0.1", emu.port, timeout=2.0) as cam:
        cam.settings = dataclasses.replace(cam.settings, timeout=3.5)
        assert cam.session.settings.timeout == 3.5
        assert (await cam.get_battery()).level == 86


def test_config_file_round_trips_every_setting(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    settings = ConnectionSettings("10.0.0.5", event_timeout=60.0, interface="eth1")
    add_camera(CameraConfig("left", settings, serial="Z1"), path)
    text = path.read_text()
    assert "event_timeout = 60.0" in text
    assert "port" not in text  # defaults are not written
    assert load_cameras(path)["left"] == CameraConfig("left", settings, serial="Z1")


def test_named_camera_settings_yield_to_options_typed(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(path))
    add_camera(CameraConfig("left", ConnectionSettings("10.0.0.5", 7000, timeout=3.0)), path)
    typed = GlobalOptions(
        ConnectionSettings(port=7100), camera_name="left", explicit=frozenset({"port"})
    )
    assert typed.resolved().settings == ConnectionSettings("10.0.0.5", 7100, timeout=3.0)


def test_options_for_reaches_the_same_settings() -> None:
    settings = ConnectionSettings("127.0.0.9", 7001, 8788, 8080, 8554, event_timeout=45.0)
    line = options_for(settings)
    assert line == (
        "--host 127.0.0.9 --port 7001 --data-port 8788 --http-port 8080 --rtsp-port 8554"
        " --event-timeout 45.0"
    )
    seen: list[GlobalOptions] = []

    @cli.command("seen", hidden=True)
    def _seen() -> None:
        from yicam.cli.base import global_options

        seen.append(global_options())

    try:
        result = CliRunner().invoke(cli, [*line.split(), "seen"])
    finally:
        cli.commands.pop("seen")
    assert result.exit_code == 0, result.output
    assert seen[0].settings == settings
