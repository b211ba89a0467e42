"""SIGTERM and Ctrl+C close the app as its close button does: exit 0, downloads resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from yicam.emulator import Faults

from ..cli_helpers import LoopThread

# The app as `yicam gui` runs it, told to download one big file as soon as it is connected.
APP = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from yicam.cli.main import main
    from yicam.gui.main_window import MainWindow

    qapp = QApplication(sys.argv[:1])
    said = set()

    def poll():
        for window in QApplication.topLevelWidgets():
            if not isinstance(window, MainWindow):
                continue
            items = window.media.items.items
            if items and "queued" not in said:
                said.add("queued")
                window.downloads.enqueue(items)
            jobs = window.downloads.jobs
            if jobs and jobs[0].done > 0 and "downloading" not in said:
                said.add("downloading")
                print("downloading", flush=True)
        QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    sys.argv = ["yicam", *sys.argv[1:]]
    main()
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_closes_like_the_close_button_and_keeps_the_download(
    signum: signal.Signals, emu_thread: LoopThread, tmp_path: Path
) -> None:
    emu = emu_thread.emulator(faults=Faults(slow_data=256))  # 256 KiB/s: minutes for 40 MB
    (emu.sd / "DCIM/100MEDIA/YDXJ0001.mp4").write_bytes(os.urandom(40 * 1024 * 1024))
    folder = tmp_path / "downloads"
    config = tmp_path / "config" / "yicam" / "yicam.conf"
    config.parent.mkdir(parents=True)
    config.write_text(f"[downloads]\nfolder={folder}\n[live]\nstartOnConnect=false\n")
    reach = ["--host", "127.0.0.1", "--port", str(emu.port), "--data-port", str(emu.data_port),
             "--http-port", str(emu.http_port)]  # fmt: skip
    app = subprocess.Popen(
        [sys.executable, "-c", APP, *reach, "gui"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
             "XDG_CONFIG_HOME": str(tmp_path / "config")},
    )  # fmt: skip
    try:
        assert app.stdout is not None
        assert app.stdout.readline().strip() == "downloading"
        app.send_signal(signum)
        _out, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err
    assert "Traceback" not in err
    saved = QSettings(str(config), QSettings.Format.IniFormat).value("downloads/pending")
    pending = json.loads(str(saved))
    assert [job["name"] for job in pending] == ["YDXJ0001.mp4"]  # resumes on the next start
    partial = [p for p in (folder / "100MEDIA").iterdir() if p.name.endswith(".partial")]
    assert len(partial) == 1
    assert 0 < partial[0].stat().st_size < 40 * 1024 * 1024
    assert not (folder / "100MEDIA" / "YDXJ0001.mp4").exists()
