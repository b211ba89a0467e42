"""End to end: `yicam emulate --count 4`, its cameras named, then `yicam gui --rig NAMES`."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from yicam.cli.main import cli

# Two processes (four cameras, the app) on a shared two-core machine: more than the default 60 s.
APP_TIMEOUT = 150

EPHEMERAL = ["--port", "0", "--data-port", "0", "--http-port", "0", "--rtsp-port", "0"]

# The app process: once every tile paints, click Photo all; print what the window says.
RIG_RUN = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from yicam.cli.main import main
    from yicam.gui.rig_window import RigWindow

    qapp = QApplication([])
    shot = []

    def poll():
        for window in QApplication.topLevelWidgets():
            if not isinstance(window, RigWindow):
                continue
            if not shot and all(t.view.frames_painted > 5 for t in window.tiles):
                shot.append(True)
                print(window.windowTitle(), *(t.title.text() for t in window.tiles), flush=True)
                window.photo.click()
            if window.summary.text().startswith("Photo all"):
                print(window.summary.text().split(", sent")[0], flush=True)
                window.close()
                return
        QTimer.singleShot(50, poll)

    QTimer.singleShot(50, poll)
    sys.argv = ["yicam", "gui", "--rig", *sys.argv[1:]]
    main()
    """
)


@pytest.fixture
def emulated(tmp_path: Path) -> Iterator[tuple[list[Path], list[str]]]:
    """`yicam emulate --count 4` on free ports: the four cards, and the lines naming them."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "yicam.cli.main", *EPHEMERAL, "emulate", "--count", "4"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        lines = [proc.stdout.readline() for _ in range(9)]  # 4 ready lines, then how to reach
        cards = [Path(m[1]) for m in re.finditer(r"\(card: (.+)\)", "".join(lines))]
        adds = [line.strip() for line in lines if " cameras add " in line]
        yield cards, adds
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


@pytest.mark.timeout(APP_TIMEOUT + 30)
def test_the_rig_of_yicam_emulate_count_4(
    emulated: tuple[list[Path], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards, adds = emulated
    assert len(cards) == 4
    assert len(adds) == 4
    config = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(config))
    for line in adds:  # as printed: yicam --port P ... cameras add emuN 127.0.0.N
        result = CliRunner().invoke(cli, shlex.split(line)[1:])
        assert result.exit_code == 0, result.output
    names = ["emu1", "emu2", "emu3", "emu4"]
    done = subprocess.run(
        [sys.executable, "-c", RIG_RUN, *names],
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
        env={
            "PATH": "/usr/bin:/bin",
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "YICAM_CONFIG": str(config),
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "yicam - rig of 4 cameras emu1 emu2 emu3 emu4",
        "Photo all: 4 of 4 cameras ok",
    ]
    assert "Traceback" not in done.stderr
    for card in cards:  # each camera took its photo
        assert len([p for p in card.glob("DCIM/*/*.jpg")]) == 1


@pytest.mark.timeout(APP_TIMEOUT + 30)
def test_the_demo_rig(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RIG_RUN, "--demo"],
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
        env={
            "PATH": "/usr/bin:/bin",
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "YICAM_CONFIG": str(tmp_path / "none.toml"),  # no named cameras: the demo needs none
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "yicam - rig of 4 cameras cam1 cam2 cam3 cam4",
        "Photo all: 4 of 4 cameras ok",
    ]
    assert "Traceback" not in done.stderr


def test_rig_names_need_the_rig_option() -> None:
    result = CliRunner().invoke(cli, ["gui", "emu1"])
    assert result.exit_code == 2
    assert "yicam gui --rig NAMES" in result.output


def test_two_names_for_one_camera_is_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YICAM_CONFIG", str(tmp_path / "config.toml"))
    assert CliRunner().invoke(cli, ["cameras", "add", "left", "127.0.0.1"]).exit_code == 0
    result = CliRunner().invoke(cli, ["gui", "--rig", "left", "127.0.0.1:7878"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: left and 127.0.0.1:7878 are the same camera (127.0.0.1)"
    )
