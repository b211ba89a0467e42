"""`yicam emulate` and `yicam watch` as real processes: ready line, signals, clean exits."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from yicam.emulator import Emulator

from .cli_helpers import LoopThread, yicam
from .test_cli import push_notifications

YICAM = [sys.executable, "-m", "yicam.cli.main"]
EPHEMERAL = ["--port", "0", "--data-port", "0", "--http-port", "0", "--rtsp-port", "0"]


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*YICAM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_emulate_prints_one_ready_line_and_stops_on_signal(signum: signal.Signals) -> None:
    proc = spawn(*EPHEMERAL, "emulate", "--model", "yi4k")
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert ready.startswith("yicam emulator (yi4k) ready: yicam --host 127.0.0.1 --port ")
        port = re.search(r"--port (\d+)", ready)
        assert port is not None
        assert yicam(int(port[1]), "battery").exit_code == 0  # it really serves
        proc.send_signal(signum)
    finally:
        out, err = finish(proc)
    assert proc.returncode == 0, err
    assert out == ""  # the ready line was the only one
    assert "Traceback" not in err


def test_emulate_with_faults_and_card_dir(tmp_path: Path) -> None:
    faults = ["--fault", "split", "--fault", "delay=1", "--seed", "3"]
    proc = spawn(*EPHEMERAL, "emulate", "--sd", str(tmp_path), *faults)
    try:
        assert proc.stdout is not None
        port = re.search(r"--port (\d+)", proc.stdout.readline())
        assert port is not None
        assert yicam(int(port[1]), "photo").exit_code == 0
        proc.terminate()
    finally:
        _out, err = finish(proc)
    assert proc.returncode == 0, err
    assert (tmp_path / "DCIM" / "100MEDIA" / "YDXJ0001.jpg").is_file()


@pytest.mark.parametrize(
    ("args", "env_host", "bound"),
    [
        (["--host", "127.0.0.2"], "127.0.0.3", "127.0.0.2"),  # --host on the command line
        ([], "127.0.0.3", "127.0.0.1"),  # loopback unless told: not from YICAM_HOST
    ],
)
def test_emulate_serves_where_the_global_options_point(
    args: list[str], env_host: str, bound: str
) -> None:
    proc = subprocess.Popen(
        [*YICAM, *args, *EPHEMERAL, "emulate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "YICAM_HOST": env_host},
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        assert f"ready: yicam --host {bound} --port " in ready
        port = re.search(r"--port (\d+)", ready)
        assert port is not None
        assert yicam(int(port[1]), "battery", host=bound).exit_code == 0
        proc.terminate()
    finally:
        finish(proc)


def test_emulate_bad_fault_is_an_error_line() -> None:
    out, err = finish(spawn(*EPHEMERAL, "emulate", "--fault", "explode"))
    assert out == ""
    assert err.strip().splitlines() == [
        "Error: unknown fault 'explode'; use split, glue, drop, delay=MS, drop-data=P, "
        "slow-data=KBPS, rtp-loss=P, rtp-reorder=P, rtp-junk=N, rtsp-silent=METHOD[,...], "
        "stap-a or no-marker"
    ]


def test_emulate_port_in_use_is_an_error_line(emu: Emulator) -> None:
    out, err = finish(spawn("--port", str(emu.port), *EPHEMERAL[2:], "emulate"))
    assert out == ""
    assert err.startswith("Error: ")
    assert "Traceback" not in err


@pytest.fixture
def emu(loop: LoopThread) -> Emulator:
    return loop.emulator()


def test_watch_stops_cleanly_on_ctrl_c(emu: Emulator, loop: LoopThread) -> None:
    push_notifications(loop, emu, "sd_card_status")
    proc = spawn("--host", "127.0.0.1", "--port", str(emu.port), "watch")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().endswith("  sd_card_status  75\n")
        proc.send_signal(signal.SIGINT)
    finally:
        _out, err = finish(proc)
    assert proc.returncode == 0, err
    assert err == ""
