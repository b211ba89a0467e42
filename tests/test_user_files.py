"""Files a user hands yicam are untrusted too: profiles, the config file, setting values.

Each case goes through the CLI and must end in one `Error:` line (no traceback); the big and
endless files run in a child process under a memory limit, so reading one whole would fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from yicam import MsgId
from yicam._user_files import MAX_NESTING
from yicam._wire.limits import MAX_SETTING_TEXT
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread, yicam

MEMORY_LIMIT = 256 << 20  # address space of the child: Python and yicam need about 100 MiB
DEEP = 100_000
TOO_DEEP = f"nested deeper than {MAX_NESTING} levels, the limit for this file"


def run_limited(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`yicam ARGS...` in a child process that cannot map more than `MEMORY_LIMIT`."""
    if sys.platform != "linux":
        pytest.skip("the memory limit (RLIMIT_AS) is set the Linux way")
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "yicam.cli.main", "--port", "1", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        env={**os.environ, **(env or {})},
        check=False,
    )


def one_error(code: int, stdout: str, stderr: str) -> str:
    """The one `Error:` line of a failed run, with no traceback and nothing on stdout."""
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def failed(result: Result) -> str:
    return one_error(result.exit_code, result.stdout, result.stderr)


# -- profiles ------------------------------------------------------------------------------


def test_an_endless_profile_is_refused_at_the_size_limit() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    done = run_limited("profile", "apply", "/dev/zero")
    line = one_error(done.returncode, done.stdout, done.stderr)
    assert line == "Error: /dev/zero: larger than 1 MiB, the limit for this file"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_huge_profile_is_refused_without_reading_it(tmp_path: Path, suffix: str) -> None:
    huge = tmp_path / f"huge{suffix}"
    with huge.open("wb") as file:
        file.truncate(400 << 20)  # more than the memory the child may use
    done = run_limited("profile", "apply", str(huge))
    line = one_error(done.returncode, done.stdout, done.stderr)
    assert f"{huge}: larger than 1 MiB" in line


DEEP_FILES = {
    "json-arrays": ("p.json", "[" * DEEP + "]" * DEEP),
    "json-objects": ("p.json", '{"a":' * DEEP + "1" + "}" * DEEP),
    "toml-arrays": ("p.toml", "x = " + "[" * DEEP + "]" * DEEP + "\n"),
    "toml-inline-tables": ("p.toml", "x = " + "{a=" * DEEP + "1" + "}" * DEEP + "\n"),
    "toml-dotted-key": ("p.toml", ".".join(["a"] * DEEP) + " = 1\n"),
    "toml-table-name": ("p.toml", "[" + ".".join(["a"] * DEEP) + "]\n"),
}


@pytest.mark.parametrize("case", DEEP_FILES)
def test_a_deeply_nested_profile_is_refused_before_parsing(tmp_path: Path, case: str) -> None:
    name, text = DEEP_FILES[case]
    path = tmp_path / name
    path.write_text(text)
    for command in ("apply", "diff"):
        line = failed(CliRunner().invoke(cli, ["profile", command, str(path)]))
        assert line == f"Error: {path}: {TOO_DEEP}"


def test_brackets_in_strings_and_comments_are_no_nesting(
    loop: LoopThread, emu: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        "# [[[[[[[[ {{{{{{{{ a.b.c.d.e.f.g\n"
        + "note = '''"
        + "[" * 100
        + "'''\n"
        + 'other = "'
        + "{" * 100
        + '"\n'
        + '[settings]\nvideo_standard = "PAL"\n'
    )
    result = yicam(emu.port, "profile", "apply", str(path))
    assert result.exit_code == 0, result.output
    assert loop.call(lambda: emu.state.settings["video_standard"]) == "PAL"


def test_a_profile_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[settings]\nvideo_standard = "PAL é"\n'.encode("latin-1"))
    line = failed(CliRunner().invoke(cli, ["profile", "apply", str(path)]))
    assert line.startswith(f"Error: {path}: not UTF-8 text")


@pytest.fixture
def emu(loop: LoopThread) -> Emulator:
    return loop.emulator()


@pytest.mark.parametrize("what", ["value", "name"])
def test_an_overlong_setting_in_a_profile_is_refused_before_anything_is_sent(
    loop: LoopThread, emu: Emulator, tmp_path: Path, what: str
) -> None:
    long = "x" * (MAX_SETTING_TEXT + 1)
    name, value = (long, "on") if what == "name" else ("video_stamp", long)
    path = tmp_path / "long.toml"
    path.write_text(f'[settings]\nvideo_standard = "PAL"\n{name} = "{value}"\n')
    received = sum(loop.call(lambda: dict(emu.state.received)).values())
    line = failed(yicam(emu.port, "profile", "apply", str(path)))
    assert f"{path}: setting {what} of {MAX_SETTING_TEXT + 1} characters" in line
    assert f"at most {MAX_SETTING_TEXT}" in line
    assert sum(loop.call(lambda: dict(emu.state.received)).values()) == received  # not connected


def test_set_refuses_an_overlong_value_before_sending_it(loop: LoopThread, emu: Emulator) -> None:
    line = failed(yicam(emu.port, "set", "camera_clock", "x" * 10_000))  # a free-form setting
    assert f"setting value of 10000 characters ('{'x' * 24}'...)" in line
    line = failed(yicam(emu.port, "set", "video_stamp", "x" * 10_000))  # one with options
    assert f"video_stamp cannot be '{'x' * 24}... (10000 characters)'" in line
    line = failed(yicam(emu.port, "set", "x" * 10_000, "on"))
    assert f"setting name of 10000 characters ('{'x' * 24}'...)" in line
    assert loop.call(lambda: emu.state.received[MsgId.SET_SETTING]) == 0
    # The longest value a real camera sends still goes through.
    longest = "12MP (4000x3000 4:3) fov:w"
    assert "setting value" not in yicam(emu.port, "set", "photo_size", longest).output


# -- the config file -----------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(path))
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "99999"), "is not in the range 1<=x<=65535"),
        (("--port", "-5"), "is not in the range 1<=x<=65535"),
        (("--data-port", "0"), "is not in the range 1<=x<=65535"),
        (("--rtsp-port", "70000"), "is not in the range 1<=x<=65535"),
    ],
)
def test_cameras_add_refuses_a_bad_port(config: Path, args: tuple[str, ...], message: str) -> None:
    result = run("cameras", "add", "bad", "127.0.0.1", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not config.exists()


def test_cameras_add_refuses_a_bad_global_port(config: Path) -> None:
    line = failed(run("--port", "99999", "cameras", "add", "bad", "127.0.0.1"))
    assert "port must be a port number" in line
    assert "not 99999" in line
    assert not config.exists()


@pytest.mark.parametrize(
    "host", ["bad host", "x-.example", "999.1.1.1", "a..b", "x" * 64 + ".com", "[::1]"]
)
def test_cameras_add_refuses_a_bad_host(config: Path, host: str) -> None:
    line = failed(run("cameras", "add", "bad", host))
    assert "bad host" in line
    assert "IP address or a host name" in line
    assert not config.exists()


@pytest.mark.parametrize("host", ["192.168.1.51", "::1", "fe80::1%eth0", "yi-left.local", "cam."])
def test_cameras_add_takes_addresses_and_host_names(config: Path, host: str) -> None:
    assert run("cameras", "add", "left", host).exit_code == 0
    assert f'host = "{host}"' in config.read_text()


def test_a_bad_entry_is_reported_and_skipped(config: Path, loop: LoopThread, emu: Emulator) -> None:
    config.write_text(
        "[cameras.bad]\nhost = '127.0.0.1'\nport = 99999\n"
        "[cameras.worse]\nhost = 'no such host!'\n"
        f"[cameras.good]\nhost = '127.0.0.1'\nport = {emu.port}\ntimeout = 2\n"
    )
    listed = run("--json", "cameras")
    assert listed.exit_code == 0
    assert [c["name"] for c in json.loads(listed.stdout)] == ["good"]
    warnings = [json.loads(line)["warning"] for line in listed.stderr.splitlines()]
    assert warnings == [
        f"{config}: [cameras.bad] port must be a port number (1-65535), not 99999; skipped",
        f"{config}: [cameras.worse]: bad host 'no such host!': give an IP address or a host name"
        " (letters, digits, '-', '.'); skipped",
    ]
    listed = run("cameras")  # the same, one line each, as text
    assert listed.stderr.splitlines() == [f"Warning: {w}" for w in warnings]
    assert run("-c", "good", "battery").exit_code == 0  # the other cameras still work
    line = failed(run("-c", "bad", "battery"))
    assert line.startswith(f"Error: {config}: [cameras.bad] port must be a port number")


def test_a_huge_config_file_is_refused_without_reading_it(config: Path) -> None:
    with config.open("wb") as file:
        file.truncate(400 << 20)
    for args in (("cameras",), ("-c", "left", "battery"), ("fleet", "--all", "photo")):
        done = run_limited(*args, env={"YICAM_CONFIG": str(config)})
        line = one_error(done.returncode, done.stdout, done.stderr)
        assert line == f"Error: {config}: larger than 1 MiB, the limit for this file"


@pytest.mark.parametrize("case", [k for k in DEEP_FILES if k.startswith("toml")])
def test_a_deeply_nested_config_file_is_a_clean_error(config: Path, case: str) -> None:
    config.write_text(DEEP_FILES[case][1])
    for args in (("cameras",), ("-c", "left", "battery"), ("cameras", "add", "x", "127.0.0.1")):
        line = failed(run(*args))
        assert line == f"Error: {config}: {TOO_DEEP}"


def test_a_config_file_that_is_not_utf8_names_the_file(config: Path) -> None:
    config.write_bytes(b"[cameras.left]\nhost = '127.0.0.1' # caf\xe9\n")
    for args in (("cameras",), ("-c", "left", "battery"), ("cameras", "rm", "left")):
        line = failed(run(*args))
        assert line.startswith(f"Error: {config}: not UTF-8 text")


def test_raw_fields_nested_deep_are_refused(loop: LoopThread, emu: Emulator) -> None:
    line = failed(yicam(emu.port, "raw", "13", '{"a":' + "[" * DEEP + "]" * DEEP + "}"))
    assert line == "Error: FIELDS nested too deep"
