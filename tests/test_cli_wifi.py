"""`yicam wifi station` / `access-point` against emulators: what lands on the card, what is
shown (never the password), and `yicam emulate --network-mode` reading it back."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread

SECRET = "correct-horse-battery"


def wifi(emu: Emulator, *args: str, password_env: str | None = None) -> tuple[int, str, str]:
    argv = [
        "--host", "127.0.0.1", "--port", str(emu.port), "--data-port", str(emu.data_port),
        "--http-port", str(emu.http_port), "--timeout", "2", "wifi", *args,
    ]  # fmt: skip
    env = {"YICAM_WIFI_PASSWORD": password_env} if password_env is not None else {}
    result = CliRunner().invoke(cli, argv, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_station_writes_sta_conf_and_shows_it_masked(
    loop: LoopThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = loop.emulator(model="yi4k")
    code, out, err = wifi(
        emu, "station", "--ssid", "Studio", "--password", SECRET, "--name", "left", "--country",
        "de",
    )  # fmt: skip
    assert code == 0, err
    assert b"PASSWORD=" + SECRET.encode() in (emu.sd / "sta.conf").read_bytes()
    assert b"COUNTRY_CODE=DE" in (emu.sd / "sta.conf").read_bytes()
    assert "--- sta.conf" in out
    assert "PASSWORD=********" in out
    assert "restart the camera" in out
    assert SECRET not in out + err + caplog.text


def test_the_password_comes_from_a_hidden_prompt_or_the_environment(loop: LoopThread) -> None:
    emu = loop.emulator(model="yi4k")
    argv = [
        "--host", "127.0.0.1", "--port", str(emu.port), "--data-port", str(emu.data_port),
        "--timeout", "2", "wifi", "station", "--ssid", "Studio", "--name", "cam",
    ]  # fmt: skip
    prompted = CliRunner().invoke(cli, argv, input=SECRET + "\n")
    assert prompted.exit_code == 0, prompted.output
    assert SECRET not in prompted.output  # hidden input is not echoed
    assert SECRET.encode() in (emu.sd / "sta.conf").read_bytes()
    code, _out, err = wifi(emu, "station", "--ssid", "Other", "--name", "cam", password_env=SECRET)
    assert code == 0, err
    assert b"SSID=Other" in (emu.sd / "sta.conf").read_bytes()


def test_json_carries_the_masked_files_only(loop: LoopThread) -> None:
    emu = loop.emulator(model="yi1")
    argv = [
        "--json", "--host", "127.0.0.1", "--port", str(emu.port), "--data-port",
        str(emu.data_port), "--timeout", "2", "wifi", "station", "--ssid", "Home", "--password",
        SECRET,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "yi1"
    assert [f["path"] for f in data["files"]] == [
        "autoexec.ash",
        "wifi/sta.sh",
        "wifi/wpa_supplicant.conf",
    ]
    assert 'psk="********"' in data["files"][2]["shown"]
    assert SECRET not in result.stdout
    assert any("no device name" in note for note in data["notes"])


def test_a_bad_value_is_one_error_line_without_the_password(loop: LoopThread) -> None:
    emu = loop.emulator(model="yi4k")
    code, out, err = wifi(emu, "station", "--ssid", "Home", "--password", "tiny7")
    assert code == 1
    assert err.startswith("Error: ")
    assert "8-63" in err
    assert "tiny7" not in out + err
    assert sorted(p.name for p in emu.sd.iterdir()) == ["DCIM"]


def test_access_point_removes_the_files(loop: LoopThread) -> None:
    emu = loop.emulator(model="yi4kplus")
    assert wifi(emu, "station", "--ssid", "Home", "--password", SECRET)[0] == 0
    assert (emu.sd / "Wi-Fi.DEBUG" / "start.sh").exists()
    code, out, err = wifi(emu, "access-point")
    assert code == 0, err
    assert "removed Wi-Fi.DEBUG/start.sh" in out
    assert not (emu.sd / "Wi-Fi.DEBUG" / "start.sh").exists()
    code, out, _ = wifi(emu, "access-point")
    assert "no station-mode files" in out


def test_emulate_network_mode_starts_in_station_mode(tmp_path: Path) -> None:
    (tmp_path / "sta.conf").write_text("SSID=Studio\nPASSWORD=abcdefgh\nDEVICE_NAME=right\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "yicam.cli.main", "--port", "0", "--data-port", "0",
         "--http-port", "0", "--rtsp-port", "0", "emulate", "--model", "yi4k", "--sd",
         str(tmp_path), "--network-mode", "--discovery-port", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert "station mode (joined 'Studio' as right)" in line
    assert "discovery on UDP " in line
