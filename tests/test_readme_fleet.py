"""The README's "Several cameras" workflow, run as written against three emulators.

The emulators share their ports on 127.77.1.2..4, as cameras share 7878 on their own
addresses; `discover` is pointed at 127.77.1.0/29 and those ports, everything else runs as
the README shows it.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from yicam import load_cameras
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread
from .test_cli_readme import README, blocks

SECTION = README.read_text().split("## Several cameras", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def rig(loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Emulator]:
    monkeypatch.setenv("YICAM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.chdir(tmp_path)
    first = loop.emulator(host="127.77.1.2")
    ports = {"port": first.port, "data_port": first.data_port, "http_port": first.http_port}
    rest = [loop.emulator(host=f"127.77.1.{i}", rtsp_port=None, **ports) for i in (3, 4)]
    return [first, *rest]


def test_readme_workflow(rig: list[Emulator], tmp_path: Path) -> None:
    lines = [m[1] for m in re.finditer(r"^\$ (yicam .*)$", SECTION, re.MULTILINE)]
    commands = [shlex.split(line) for line in lines]
    assert [w[1:3] for w in commands][:2] == [["discover", "--save"], ["cameras"]]
    first = rig[0]
    address = ["--port", str(first.port), "--data-port", str(first.data_port),
               "--http-port", str(first.http_port)]  # fmt: skip
    for words in commands:
        args = words[1:]
        if args[0] == "discover":
            args = [*address, *args, "--network", "127.77.1.0/29"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (words, result.output)
        if args[-1] == "status":
            assert "3 of 3 cameras ok" in result.stdout
    assert list(load_cameras()) == ["left", "right", "back"]
    assert all(e.state.settings["video_resolution"] for e in rig)
    videos = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.mp4"))
    assert [v for v in videos if "_thm" not in v] == [
        f"footage/{name}/100MEDIA/YDXJ0001.mp4" for name in ("back", "left", "right")
    ]
    assert (tmp_path / "rig.toml").is_file()


def test_readme_fleet_python(
    rig: list[Emulator], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = rig[0]
    found = CliRunner().invoke(
        cli,
        ["--port", str(first.port), "--data-port", str(first.data_port), "--http-port",
         str(first.http_port), "--json", "discover", "--network", "127.77.1.0/29", "--save",
         "--name", "left", "--name", "right", "--name", "back"],
    )  # fmt: skip
    assert [c["name"] for c in json.loads(found.stdout)] == ["left", "right", "back"]
    (code,) = [b for b in blocks("python") if "Fleet(" in b]
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "3 of 3 cameras ok spread" in out
    assert "left /tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.mp4" in out
    assert (tmp_path / "footage" / "back" / "100MEDIA" / "YDXJ0001.mp4").is_file()
