"""The README's examples really run: its Python blocks and its `$ yicam ...` lines.

The helpers here also run the documentation site's examples (tests/test_docs.py).
"""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread
from .conftest import wait_until

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Long-running commands are tested on their own (test_cli_process.py, test_cli.py).
_NOT_HERE = {"emulate", "watch", "demo", "tether"}
# The "Several cameras" commands need several emulators: tests/test_readme_fleet.py runs them.
_NOT_HERE |= {"discover", "cameras", "fleet", "profile"}
_LONG_RUNNING = ["live", "--url"]


def fences(text: str) -> list[tuple[str, str, str]]:
    """Every fenced block of a Markdown text in order: language, rest of its first line, body."""
    return _BLOCK.findall(text)


def blocks(language: str, text: str | None = None) -> list[str]:
    """The bodies of the README's (or `text`'s) blocks in `language`."""
    text = README.read_text() if text is None else text
    return [body for lang, _info, body in fences(text) if lang == language]


def commands_with_output(text: str | None = None) -> list[tuple[list[str], list[str]]]:
    """Each `$ yicam ...` line of the console blocks with the output lines shown under it."""
    found: list[tuple[list[str], list[str]]] = []
    for block in blocks("console", text):
        for line in block.splitlines():
            if line.startswith("$ "):
                words = shlex.split(line[2:])
                while words and "=" in words[0]:
                    words.pop(0)  # VAR=value prefixes
                found.append((words, []))
            elif found:
                found[-1][1].append(line)
    return [(words, out) for words, out in found if words and words[0] == "yicam"]


def retarget(words: list[str], emu: Emulator) -> tuple[list[str], list[str]]:
    """Drop the README's address options; the emulator's, and the command with its arguments."""
    args: list[str] = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word in _ADDRESS:
            skip = True
        else:
            args.append(word)
    ports = [emu.port, emu.data_port, emu.http_port, emu.rtsp_port]
    address = ["--host", emu.host]
    for option, port in zip(_ADDRESS[1:], ports, strict=True):
        address += [option, str(port)]
    return address, args


_ADDRESS = ("--host", "--port", "--data-port", "--http-port", "--rtsp-port")


def retarget_python(code: str, emu: Emulator) -> str:
    """The example's `Camera("192.168.42.1"...)` pointed at the emulator instead."""
    target = (
        f'Camera("{emu.host}", {emu.port}, data_port={emu.data_port}, '
        f"http_port={emu.http_port}, rtsp_port={emu.rtsp_port})"
    )
    code = code.replace('Camera("192.168.42.1")', target)
    return code.replace('Camera("192.168.42.1", ', target[:-1] + ", ")


def test_readme_has_the_short_quickstart() -> None:
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("##", 1)[0]
    assert blocks("sh")[0].split("\n") == ["make demo", "make test", "make gui", ""]
    assert "make demo\nmake test\n" in quickstart


def test_readme_cli_examples(
    loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the examples write files where they run
    emu = loop.emulator()
    examples = commands_with_output()
    assert len(examples) > 8
    for words, expected in examples:
        address, args = retarget(words, emu)
        if _NOT_HERE & set(args) or args[:2] == _LONG_RUNNING:
            continue
        result = CliRunner().invoke(cli, [*address, *args])
        assert result.exit_code == 0, (words, result.output)
        if expected:
            assert result.stdout.splitlines() == expected, words
        loop.run(wait_until(lambda: quiet(emu)))


def quiet(emu: Emulator) -> bool:
    """The camera has seen the last command's client leave (which ends what that session had
    started, such as a reboot that would drop the next client) and its card is ready again
    (like a real card, the emulated one is busy just after a format)."""
    busy_until = emu.state.card_busy_until
    return not emu.state.sessions and asyncio.get_running_loop().time() >= busy_until


def test_readme_python_examples(
    loop: LoopThread,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    emu = loop.emulator()
    examples = blocks("python")
    assert len(examples) == 2  # the rest of the examples are in docs/ (tests/test_docs.py)
    for code in examples:
        exec(compile(retarget_python(code, emu), str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "battery: 86%" in out
    assert "photo: /tmp/fuse_d/DCIM/100MEDIA/YDXJ0001.jpg" in out
    assert "event: Notification(type=<Notify.PHOTO_TAKEN" in out
    assert re.search(r"^YDXJ0001\.jpg \d+ ", out, re.MULTILINE)
    assert re.search(r"^/tmp/fuse_d/DCIM/100MEDIA/YDXJ0001\.jpg is in ", out, re.MULTILINE)
    assert (tmp_path / "YDXJ0001.jpg").stat().st_size > 0
