"""`yicam tether` and `yicam timelapse` against the emulator (in-process and as a process)."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from yicam import MsgId
from yicam.emulator import Emulator, Faults

from .cli_helpers import LoopThread, yicam
from .test_tether import card_bytes, files_in, jpegs_on_card, press_shutter

YICAM = [sys.executable, "-m", "yicam.cli.main"]
APPEND_ARG = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"


@pytest.fixture
def emu(loop: LoopThread) -> Emulator:
    """An emulator on the background loop."""
    return loop.emulator()


def cli(emu: Emulator, *args: str) -> Result:
    """`yicam ARGS...` in-process, with every port of `emu`."""
    ports = ("--data-port", str(emu.data_port), "--http-port", str(emu.http_port))
    return yicam(emu.port, *ports, *args)


class in_thread:
    """Run `run` in a thread; calling the object returns its result once it ends."""

    def __init__(self, run: Callable[[], Result]) -> None:
        self._box: list[Result] = []
        self._thread = threading.Thread(target=lambda: self._box.append(run()), daemon=True)
        self._thread.start()

    def finished(self) -> bool:
        """True once the command has ended."""
        return not self._thread.is_alive()

    def __call__(self) -> Result:
        self._thread.join(30)
        assert self._box, "the command did not end"
        return self._box[0]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll a condition the test cannot be notified of (another process or thread)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def watching(loop: LoopThread, emu: Emulator, lists: int = 2) -> Callable[[], bool]:
    """True once the client listed the card (DCIM and 100MEDIA: the tether's starting point)."""
    return lambda: loop.call(lambda: emu.state.received[MsgId.LIST]) >= lists


def test_tether_saves_shutter_photos_and_runs_exec_once_each(
    loop: LoopThread, emu: Emulator, tmp_path: Path
) -> None:
    dest, log = tmp_path / "dest", tmp_path / "exec.log"
    hook = shlex.join([sys.executable, "-c", APPEND_ARG, str(log)])
    args = ("--json", "tether", str(dest), "--count", "3", "--exec", hook)
    done = in_thread(lambda: cli(emu, *args))
    wait_for(watching(loop, emu), "the tether to start")
    for _ in range(3):
        loop.run(press_shutter(emu))
    result = done()
    assert result.exit_code == 0, result.output
    files = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["path"] for f in files] == loop.call(lambda: jpegs_on_card(emu))
    for file in files:
        assert file["status"] == "downloaded"
        camera = loop.call(lambda: card_bytes(emu, file["path"]))  # noqa: B023
        assert Path(file["local"]).read_bytes() == camera
    assert log.read_text().splitlines() == [f["local"] for f in files]


def test_tether_reports_a_failing_exec_and_goes_on(
    loop: LoopThread, emu: Emulator, tmp_path: Path
) -> None:
    hook = shlex.join([sys.executable, "-c", "raise SystemExit(3)"])
    args = ("tether", str(tmp_path), "--count", "2", "--exec", hook, "--delete-after")
    done = in_thread(lambda: cli(emu, *args))
    wait_for(watching(loop, emu), "the tether to start")
    for _ in range(2):
        loop.run(press_shutter(emu))
    result = done()
    assert result.exit_code == 1
    assert result.stderr.count("failed for") == 2
    assert "exit status 3" in result.stderr
    assert "2 file(s)" in result.stdout
    assert len(files_in(tmp_path, "*.jpg")) == 2
    assert loop.call(lambda: [p.name for p in files_in(emu.sd, "*.jpg")]) == []  # deleted


def test_timelapse_downloads_and_summarises(
    loop: LoopThread, emu: Emulator, tmp_path: Path
) -> None:
    args = ("--json", "timelapse", "--every", "200ms", "--count", "3",
            "--download", str(tmp_path), "--delete-after")  # fmt: skip
    result = cli(emu, *args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["stopped"] == "done"
    assert summary["taken"] + summary["skipped"] == 3
    assert summary["taken"] >= 1
    assert [s["index"] for s in summary["shots"]] == [0, 1, 2]
    assert [s["due"] for s in summary["shots"]] == [0, 0.2, 0.4]
    saved = [f for f in summary["files"] if f["status"] == "downloaded" and f["deleted"]]
    assert len(saved) == summary["taken"]
    assert loop.call(lambda: [p.name for p in files_in(emu.sd, "*.jpg")]) == []


def test_timelapse_text_summary(emu: Emulator) -> None:
    result = cli(emu, "timelapse", "--every", "100ms", "--for", "250ms")
    assert result.exit_code == 0, result.output
    assert "3 taken" in result.stdout or "skipped" in result.stdout
    assert "late (worst " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "10s"], "either --count N or --for DURATION"),
        (["--every", "10s", "--count", "2", "--for", "1m"], "either --count"),
        (["--every", "soon", "--count", "2"], "invalid duration"),
        (["--every", "1s", "--count", "2", "--exec", "true"], "need --download"),
        (["--every", "1s", "--count", "2", "--clip", "2s"], "shorter than every"),
        (["--every", "1s", "--count", "2", "--min-free", "lots"], "invalid size"),
    ],
)
def test_timelapse_bad_arguments(emu: Emulator, args: list[str], message: str) -> None:
    result = cli(emu, "timelapse", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_ctrl_c_leaves_no_partial_file_under_a_final_name(loop: LoopThread, tmp_path: Path) -> None:
    emu = loop.emulator(faults=Faults(slow_data=1))  # 4 s for the photo: Ctrl-C comes first
    proc = subprocess.Popen(
        [*YICAM, "--host", "127.0.0.1", "--port", str(emu.port), "--data-port",
         str(emu.data_port), "--http-port", str(emu.http_port), "tether", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(watching(loop, emu), "the tether to start")
        loop.run(press_shutter(emu))
        wait_for(lambda: bool(files_in(tmp_path, ".yicam-*.partial")), "the download to start")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in err
    files = files_in(tmp_path)
    assert sorted(p.suffix for p in files) == [".json", ".partial"]  # the partial and its record
    assert all(p.name.startswith(".yicam-") for p in files)
    assert "0 file(s)" in out


def test_ctrl_c_stops_a_timelapse_with_its_summary(loop: LoopThread, tmp_path: Path) -> None:
    emu = loop.emulator()
    proc = subprocess.Popen(
        [*YICAM, "--host", "127.0.0.1", "--port", str(emu.port), "--data-port",
         str(emu.data_port), "--http-port", str(emu.http_port), "timelapse", "--every",
         "100ms", "--count", "10000", "--download", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: len(files_in(tmp_path, "*.jpg")) >= 2, "two shots on disk")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "stopped by Ctrl-C" in out
    assert re.search(r"^\d+ taken, \d+ skipped, 0 failed", out, re.MULTILINE), out
    for file in files_in(tmp_path, "*.jpg"):
        on_card = emu.sd / "DCIM" / file.parent.name / file.name
        assert file.read_bytes() == on_card.read_bytes()


def test_tether_reconnects_and_loses_no_photo(loop: LoopThread, tmp_path: Path) -> None:
    emu = loop.emulator()
    done = in_thread(lambda: cli(emu, "--json", "tether", str(tmp_path), "--count", "3"))
    wait_for(watching(loop, emu), "the tether to start")
    loop.run(press_shutter(emu))
    wait_for(lambda: len(files_in(tmp_path, "*.jpg")) == 1, "the first photo on disk")

    def hang_up() -> None:
        assert emu.state.holder is not None
        emu.state.holder.close()  # as a camera does when its Wi-Fi hiccups

    loop.call(hang_up)
    loop.run(press_shutter(emu))  # taken while the tether is away: no notification reaches it
    loop.run(press_shutter(emu))
    result = done()
    assert result.exit_code == 0, result.output
    files = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(f["path"] for f in files) == loop.call(lambda: jpegs_on_card(emu))
    assert all(f["status"] == "downloaded" for f in files)


# A hook that works elsewhere: it changes directory before it opens the file it was given.
CHDIR_THEN_READ = (
    "import os, sys; os.chdir(sys.argv[2]); path = sys.argv[3]; "
    "open(sys.argv[1], 'a').write(path + ' ' + str(len(open(path, 'rb').read())) + '\\n')"
)


@pytest.mark.parametrize("where", [".", "dest"])
def test_exec_gets_an_absolute_path_that_works_from_another_directory(
    loop: LoopThread, emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    dest, log, elsewhere = tmp_path / "dest", tmp_path / "exec.log", tmp_path / "elsewhere"
    dest.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(dest if where == "." else tmp_path)  # `tether .` and `tether dest`
    hook = shlex.join([sys.executable, "-c", CHDIR_THEN_READ, str(log), str(elsewhere)])
    done = in_thread(lambda: cli(emu, "tether", where, "--count", "2", "--exec", hook))
    wait_for(watching(loop, emu), "the tether to start")
    for _ in range(2):
        loop.run(press_shutter(emu))
    result = done()
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    saved = sorted(files_in(dest, "*.jpg"))
    assert len(saved) == 2
    runs = sorted(line.rsplit(" ", 1) for line in log.read_text().splitlines())
    assert [Path(path) for path, _ in runs] == [p.absolute() for p in saved]
    assert [int(size) for _, size in runs] == [p.stat().st_size for p in saved]
