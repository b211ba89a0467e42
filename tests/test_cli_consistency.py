"""One CLI: JSON errors, setting names and values checked, global options unshadowed, lazy start."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from yicam import MsgId
from yicam.cli import main as cli_main
from yicam.cli.main import COMMANDS, cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread, yicam
from .scripted import scripted_camera, session_then
from .test_cli import failed, ok


@pytest.fixture
def emu(loop: LoopThread) -> Emulator:
    return loop.emulator()


# -- --json errors -------------------------------------------------------------------------


def test_camera_error_under_json_is_one_object_with_the_rval(emu: Emulator) -> None:
    result = yicam(emu.port, "--json", "rm", "/tmp/fuse_d/DCIM/100MEDIA/YDXJ9999.jpg")
    assert result.exit_code == 1
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert set(error) == {"error", "rval"}
    assert error["rval"] == -26
    assert "no such file" in error["error"]
    assert "yicam ls" in error["error"]  # the hint, as on the text line


def test_local_error_under_json_has_no_rval(emu: Emulator) -> None:
    result = yicam(emu.port, "--json", "set", "video_quality", "Ultra")
    assert result.exit_code == 1
    assert json.loads(result.stderr) == {
        "error": "video_quality cannot be 'Ultra'; the camera accepts: S.Fine, Fine, Normal"
    }


def test_usage_error_under_json_keeps_its_exit_status(emu: Emulator) -> None:
    result = yicam(emu.port, "--json", "raw", "NO_SUCH_MESSAGE")
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert "neither a number nor a known message name" in error["error"]
    assert "rval" not in error


def test_bad_global_option_under_json() -> None:
    result = CliRunner().invoke(cli, ["--json", "--port", "abc", "info"])
    assert result.exit_code == 2
    assert "'abc' is not a valid integer" in json.loads(result.stderr)["error"]


def test_refused_format_under_json(emu: Emulator) -> None:
    result = yicam(emu.port, "--json", "format")
    assert result.exit_code == 1
    assert "--yes" in json.loads(result.stderr)["error"]


# -- setting names and values --------------------------------------------------------------


@pytest.mark.parametrize("command", [["get"], ["options"], ["set", "--", "Fine"]])
def test_unknown_setting_name_suggests_close_ones(emu: Emulator, command: list[str]) -> None:
    args = [command[0], "video_qualty", *command[1:]]
    line = failed(yicam(emu.port, *args))
    assert line == (
        "Error: the camera has no setting 'video_qualty'; "
        "did you mean video_quality, photo_quality or video_stamp?"
    )
    assert emu.state.received[MsgId.SET_SETTING] == 0


def test_unknown_setting_name_without_close_ones(emu: Emulator) -> None:
    line = failed(yicam(emu.port, "get", "zzz"))
    assert line == "Error: the camera has no setting 'zzz'; `yicam settings` lists them"


def test_set_checks_the_value_on_old_firmware_too(loop: LoopThread) -> None:
    emu = loop.emulator(legacy_options=True)  # options through msg 3 + param (2015 firmware)
    line = failed(yicam(emu.port, "set", "video_quality", "fine"))
    assert line.endswith("the camera accepts: S.Fine, Fine, Normal")
    assert emu.state.received[MsgId.SET_SETTING] == 0
    assert ok(yicam(emu.port, "set", "video_quality", "Fine")) == "video_quality = Fine\n"


# -- options and timeouts ------------------------------------------------------------------


def _commands(group: click.Group, path: str = "") -> list[tuple[str, click.Command]]:
    """Every command under `group`, with its path such as `cameras add`."""
    ctx = click.Context(group)
    found: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append((f"{path} {name}".strip(), command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{path} {name}")
    return found


def _names(command: click.Command) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts + param.secondary_opts)
    return names


# A command option with a global option's name is a trap when it means something else
# (`discover --timeout` would be the probe wait, not the per-request one: it is
# `--probe-timeout`). These few mean exactly what the global option means, so the issue's
# syntax may put them after the command; each one's behaviour is tested with the command.
SAME_MEANING = {
    # `yicam fleet -c A -c B photo`: names added to the global -c names (tests/test_cli_fleet.py)
    "fleet": {"-c", "--camera"},
    # `cameras add NAME HOST --port P ...`: the camera's ports and interface, as the global
    # ones (tests/test_named_cameras.py)
    "cameras add": {"--port", "--data-port", "--http-port", "--rtsp-port", "--interface"},
}


def shadows(group: click.Group, allowed: dict[str, set[str]]) -> dict[str, set[str]]:
    """Command options that reuse a global option's name without being `allowed` to."""
    global_names = _names(group) - {"--help", "-h"}
    found = {}
    for path, command in _commands(group):
        if clash := (_names(command) & global_names) - allowed.get(path, set()):
            found[path] = clash
    return found


def test_no_command_option_shadows_a_global_one() -> None:
    assert {"--host", "--port", "--timeout", "--json"} <= _names(cli)
    assert shadows(cli, SAME_MEANING) == {}
    commands = dict(_commands(cli))
    for path, names in SAME_MEANING.items():  # the list names only real, clashing options
        assert names <= _names(commands[path]) & _names(cli), path


def test_a_real_shadow_is_caught() -> None:
    @click.group()
    @click.option("--timeout", default=5.0)
    @click.option("--port", default=7878)
    def top(timeout: float, port: int) -> None: ...

    @top.command()
    @click.option("--timeout", default=1.0)
    def probe(timeout: float) -> None: ...

    @top.command()
    @click.option("--port", type=int)
    def add(port: int) -> None: ...

    assert shadows(top, {"add": {"--port"}}) == {"probe": {"--timeout"}}
    assert shadows(top, {}) == {"probe": {"--timeout"}, "add": {"--port"}}


def test_event_timeout_is_a_global_option(loop: LoopThread) -> None:
    # The camera accepts the photo request but never says the photo was taken.
    def no_photo(request: dict[str, object]) -> bytes:
        return json.dumps({"rval": 0, "msg_id": request["msg_id"]}).encode()

    port = loop.enter(scripted_camera(session_then(no_photo)))
    line = failed(yicam(port, "--event-timeout", "0.3", "photo"))
    assert "within 0.3 s" in line


def test_live_has_one_duration_option() -> None:
    live = cli.get_command(click.Context(cli), "live")
    assert live is not None
    durations = [p.name for p in live.params if p.name in ("duration", "seconds")]
    assert durations == ["duration"]


# -- start-up ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_lines_match_the_commands(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert command.name == name
    assert COMMANDS[name][2] == command.get_short_help_str(limit=1000)


def test_help_loads_neither_asyncio_nor_rich_nor_the_library() -> None:
    code = (
        "import sys\n"
        "from yicam.cli.main import main\n"
        "sys.argv = ['yicam', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('asyncio', 'rich', 'yicam._camera', 'yicam.emulator', 'yicam._fleet.config')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "Control a Xiaomi Yi" in result.stdout
    assert result.stderr.strip() == "[]"


def test_no_command_hard_codes_a_timeout() -> None:
    # Timeouts come from the global --timeout/--event-timeout, never from a number in a command.
    found = []
    for path in Path(cli_main.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if (
                        keyword.arg is not None
                        and keyword.arg.endswith("timeout")
                        and isinstance(keyword.value, ast.Constant)
                    ):
                        found.append(f"{path.name}:{node.lineno} {keyword.arg}=")
    assert found == []
