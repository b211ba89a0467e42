"""Starting the app: the extra, the display, the entry points, and Qt kept out of the CLI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from yicam.cli.main import cli
from yicam.gui import app

# PySide6-Essentials 6.12.0 on Python 3.11 drops a reference to True/False on every
# Signal(object) emit and the interpreter aborts (ecosystem.md pitfall 13): the live view
# emits one per frame, so a release with that bug must fail here.
SIGNAL_STRESS = textwrap.dedent(
    """
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Source(QObject):
        fired = Signal(object)

    app = QCoreApplication([])
    source = Source()
    seen = []
    source.fired.connect(lambda value: seen.append(value is True))
    for i in range(20_000):
        source.fired.emit(i % 2 == 0)
        if i % 1000 == 0:
            seen.clear()
    print("ok")
    """
)


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=50,
        env={"PATH": "/usr/bin:/bin", "YICAM_HOST": "127.0.0.1", **env},
    )


def test_pyside_survives_many_signal_emits() -> None:
    done = _python(SIGNAL_STRESS, QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_import_yicam_and_the_cli_never_import_qt() -> None:
    code = (
        "import sys, yicam, yicam.cli.main\n"
        "from yicam.cli.main import cli\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
        "print(bad)"
    )
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_the_extra_one_line_names_it() -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None  # as if the gui extra were not installed\n"
        "from yicam.cli.main import main\n"
        "sys.argv = ['yicam', 'gui']\n"
        "main()"
    )
    done = _python(code)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: the desktop app needs the gui extra: pip install 'yicam[gui]'"
    )
    assert "Traceback" not in done.stderr


def test_without_a_display_it_says_so() -> None:
    code = "from yicam.cli.main import main\nimport sys\nsys.argv = ['yicam', 'gui']\nmain()"
    done = _python(code)  # no DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM
    if sys.platform in ("win32", "darwin"):
        return
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: no display:")
    assert "qt.qpa" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_display_qt_cannot_open_gives_one_line() -> None:
    if sys.platform in ("win32", "darwin"):
        return
    code = "from yicam.cli.main import main\nimport sys\nsys.argv = ['yicam', 'gui']\nmain()"
    done = _python(code, DISPLAY=":97")  # no X server there (and maybe no xcb libraries)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: Qt cannot open the display ':97'")


def test_display_problem_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    mp = monkeypatch
    if sys.platform in ("win32", "darwin"):
        assert app.display_problem() is None
        return
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        mp.delenv(name, raising=False)
    assert app.display_problem() is not None
    mp.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.display_problem() is None


def test_gui_command_is_listed_with_demo() -> None:
    result = CliRunner().invoke(cli, ["gui", "--help"])
    assert result.exit_code == 0
    assert "--demo" in result.output


def test_yicam_gui_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="gui_scripts") if e.name == "yicam-gui"]
    assert script.value == "yicam.gui.app:main"


DEMO_RUN = textwrap.dedent(
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from yicam.gui import app
    from yicam.gui.main_window import MainWindow
    from yicam.gui.target import Target

    qapp = QApplication([])
    seen = {}

    def poll():
        for window in QApplication.topLevelWidgets():
            if not isinstance(window, MainWindow):
                continue
            if window.live.available and not window.live.running and "live" not in seen:
                seen["live"] = True
                window.live.start()
            if window.live_panel.view.frames_painted > 10:
                sizes = window.windowIcon().availableSizes()  # the app's icon, from app.run
                print(window.windowTitle(), [(q.width(), q.height()) for q in sizes], flush=True)
                window.close()
                return
        QTimer.singleShot(50, poll)

    QTimer.singleShot(50, poll)
    print("exit", app.run(Target(), demo=True))
    """
)


def test_demo_app_opens_streams_and_closes_cleanly(tmp_path: Path) -> None:
    done = _python(
        DEMO_RUN,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["yicam - Yi 1 (127.0.0.1) [(256, 256)]", "exit 0"]
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "config").rglob("*.conf")) == [
        tmp_path / "config" / "yicam" / "yicam-demo.conf"
    ]
