"""Terminal injection: camera text reaches the terminal with control characters escaped.

A hostile camera sends names, paths, settings and notifications with ANSI sequences (colour,
clear screen, window title) and bidi overrides; the CLI shows them as visible escapes, and
`--json` keeps the exact strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from yicam import CameraError, ProtocolError
from yicam.cli.output import dumps, error_data, format_error, safe
from yicam.emulator import Emulator

from .cli_helpers import LoopThread, yicam
from .scripted import scripted_camera, session_then
from .test_cli import ok

RED = "\x1b[31mred\x1b[0m"
TITLE = "/tmp/fuse_d/DCIM/100MEDIA/\x1b[2J\x1b]0;pwned\x07YDXJ0001.jpg"
SHOWN_TITLE = "/tmp/fuse_d/DCIM/100MEDIA/\\x1b[2J\\x1b]0;pwned\\x07YDXJ0001.jpg"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def clean(result: Result) -> str:
    """The output of a run, asserting that no raw control character reached the terminal."""
    for char in RAW:
        assert char not in result.stdout, repr(result.stdout)
        assert char not in result.stderr, repr(result.stderr)
    return result.stdout + result.stderr


def reply(msg_id: int, **fields: object) -> bytes:
    return json.dumps({"rval": 0, "msg_id": msg_id, **fields}).encode()


def hostile(loop: LoopThread, answers: dict[int, Callable[[dict[str, object]], bytes]]) -> int:
    """A camera that answers the given msg_ids with hostile replies."""

    def handler(request: dict[str, object]) -> bytes:
        msg_id = request["msg_id"]
        assert isinstance(msg_id, int)
        if msg_id in answers:
            return answers[msg_id](request)
        return reply(msg_id)

    return loop.enter(scripted_camera(session_then(handler)))


def test_ls_escapes_names_and_json_keeps_them(loop: LoopThread) -> None:
    listing = [{RED + ".jpg": "10 bytes|2015-05-25 14:35:18"}, {"\u202egpj.exe": "5 bytes"}]
    port = hostile(loop, {1282: lambda _r: reply(1282, listing=listing)})
    shown = clean(yicam(port, "ls", "/tmp/fuse_d/DCIM/100MEDIA/"))
    assert "\\x1b[31mred\\x1b[0m.jpg" in shown
    assert "\\u202egpj.exe" in shown
    data = json.loads(ok(yicam(port, "--json", "ls", "/tmp/fuse_d/DCIM/100MEDIA/")))
    assert [e["name"] for e in data] == [RED + ".jpg", "\u202egpj.exe"]


def test_photo_path_cannot_clear_the_screen_or_set_the_title(loop: LoopThread) -> None:
    taken = json.dumps({"msg_id": 7, "type": "photo_taken", "param": TITLE}).encode()
    port = hostile(loop, {769: lambda _r: reply(769) + taken})
    assert clean(yicam(port, "photo")) == SHOWN_TITLE + "\n"
    assert json.loads(ok(yicam(port, "--json", "photo"))) == {"path": TITLE}


def test_settings_and_values_are_escaped(loop: LoopThread) -> None:
    settings = [{"video_quality": RED}, {"\x1b]0;title\x07": "x"}]
    port = hostile(
        loop,
        {
            3: lambda _r: reply(3, param=settings),
            1: lambda r: reply(1, type=r["type"], param=RED),
            9: lambda r: reply(9, param=r["param"], permission="settable", options=[RED, "ok"]),
        },
    )
    table = clean(yicam(port, "settings"))
    assert "\\x1b[31mred\\x1b[0m" in table
    assert "\\x1b]0;title\\x07" in table
    assert clean(yicam(port, "get", "video_quality")) == "\\x1b[31mred\\x1b[0m\n"
    assert "\\x1b[31mred" in clean(yicam(port, "options", "video_quality"))
    refused = yicam(port, "set", "video_quality", "bad")
    assert "accepts: \\x1b[31mred\\x1b[0m, ok" in clean(refused)
    assert json.loads(ok(yicam(port, "--json", "get", "video_quality")))["value"] == RED


def test_watch_escapes_notifications(loop: LoopThread) -> None:
    emu: Emulator = loop.emulator()

    def tick() -> None:  # the session holder gets a hostile notification every 50 ms
        for session in list(emu.state.sessions):
            if emu.state.holder is session:
                session.notify("\x1b[31mbattery", "\x9b2J75")
        loop.loop.call_later(0.05, tick)

    loop.loop.call_soon_threadsafe(tick)
    line = clean(yicam(emu.port, "watch", "--count", "1"))
    assert line.endswith("  \\x1b[31mbattery  \\x9b2J75\n")
    event = json.loads(ok(yicam(emu.port, "--json", "watch", "--count", "1")))
    assert (event["type"], event["param"]) == ("\x1b[31mbattery", "\x9b2J75")


def test_raw_reply_is_escaped(loop: LoopThread) -> None:
    port = hostile(loop, {13: lambda _r: reply(13, param="\u202e\x9b31m")})
    shown = clean(yicam(port, "raw", "13"))
    assert '"param": "\\u202e\\u009b31m"' in shown
    assert json.loads(shown)["param"] == "\u202e\x9b31m"  # still JSON, still exact


def test_progress_bar_and_result_escape_the_file_name(loop: LoopThread, tmp_path: Path) -> None:
    emu: Emulator = loop.emulator()
    name = "YDXJ\u202e4pm.\x9b31m.mp4"  # no C0 controls: the download itself is allowed
    folder = emu.sd / "DCIM" / "100MEDIA"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"x" * 5000)
    path = f"/tmp/fuse_d/DCIM/100MEDIA/{name}"
    ports = ["--data-port", str(emu.data_port), "--http-port", str(emu.http_port)]
    result = yicam(emu.port, *ports, "download", path, "-o", str(tmp_path), "--via", "data")
    assert result.exit_code == 0, result.output
    shown = clean(result)
    assert "YDXJ\\u202e4pm.\\x9b31m.mp4" in shown  # the bar's label on stderr
    assert (tmp_path / name).read_bytes() == b"x" * 5000


@pytest.mark.parametrize(
    "exc",
    [
        ProtocolError(f"bad name {RED}"),
        CameraError(-26, 1282),
        ValueError("\x1b]0;title\x07 and \u2028 line separator"),
    ],
)
def test_error_lines_are_escaped_and_json_errors_exact(exc: Exception) -> None:
    line = format_error(exc)
    assert line.startswith("Error: ")
    assert line.isprintable()
    data = json.loads(dumps(error_data(exc)))
    assert data["error"] == line.removeprefix("Error: ")
    assert ("rval" in data) is isinstance(exc, CameraError)


def test_safe_and_dumps() -> None:
    assert safe("plain café 日本") == "plain café 日本"
    assert safe("a\nb\tc\x7f\udcff\U000e0001") == "a\\x0ab\\x09c\\x7f\\udcff\\U000e0001"
    text = "\x1b\x9b\u202e\udcff\U0001f600"
    encoded = dumps({"k": text})
    assert encoded.isprintable()
    assert json.loads(encoded) == {"k": text}
