"""How fast the desktop app shows the camera, and whether a long live view keeps its memory.

1. Launch to the first painted live frame: `yicam gui` (Qt's offscreen platform, a fresh
   settings folder so the live view starts on connect as on a first run) against launch to
   the file of `yicam live --snapshot`, the CLI's quickest way to a frame, both against the
   same emulated camera in another process, in interleaved rounds. Prints the medians and
   gui / snapshot (goal: at most 2).
2. Memory: the app's resident set (RSS) after `--minutes` (default 10) of live view minus
   the RSS after a fifth of that (2 minutes of 10), sampled from outside (goal: under 5 MB).
   Linux only (it reads /proc); skipped elsewhere. SIGTERM then ends the app, which must exit
   with status 0.

    python benchmarks/gui_startup.py               # the full figure: about 11 minutes
    python benchmarks/gui_startup.py --minutes 1   # a quick look (not the goal's figure)
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROUNDS = 3
LAUNCH_LIMIT = 120.0  # seconds: a launch that takes longer has failed

# The real `yicam` command line, with a timer that reports the first painted frame.
GUI = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from yicam.cli.main import main
    from yicam.gui.main_window import MainWindow

    qapp = QApplication(sys.argv[:1])

    def poll():
        for window in QApplication.topLevelWidgets():
            if isinstance(window, MainWindow) and window.live_panel.view.frames_painted > 0:
                print("painted", flush=True)
                return  # no more polling: the memory figure is the app's alone
        QTimer.singleShot(10, poll)

    QTimer.singleShot(0, poll)
    sys.argv = ["yicam", *sys.argv[1:]]
    main()
    """
)


def emulator() -> tuple[subprocess.Popen[str], list[str]]:
    """A `yicam emulate` process on free ports, and the options that reach it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "yicam.cli.main", "--port", "0", "--data-port", "0",
         "--http-port", "0", "--rtsp-port", "0", "emulate"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    found = re.search(r"ready: yicam (.*?)\s+\(card", ready)
    if found is None:
        proc.kill()
        raise SystemExit(f"the emulator did not start: {ready!r}")
    return proc, found[1].split()


def snapshot_time(reach: list[str], folder: Path) -> float:
    """Seconds from launch to the snapshot file of `yicam live --snapshot`."""
    target = folder / f"snap-{time.monotonic_ns()}.jpg"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "yicam.cli.main", *reach, "live", "--snapshot", str(target)],
        capture_output=True, text=True, timeout=LAUNCH_LIMIT,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or not target.is_file():
        raise SystemExit(f"yicam live --snapshot failed: {done.stderr.strip()}")
    return elapsed


def gui_process(reach: list[str], home: Path) -> subprocess.Popen[str]:
    """The app on a fresh settings folder (a first run: the live view starts on connect)."""
    env = {
        **os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-c", GUI, *reach, "gui"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def first_frame(proc: subprocess.Popen[str], start: float) -> float:
    """Seconds from `start` until the app reports its first painted frame."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "painted":
        proc.kill()
        _out, err = proc.communicate()
        raise SystemExit(f"the app painted no frame: {err.strip()[-2000:]}")
    return time.perf_counter() - start


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, as a session's end sends it; returns the exit status and stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return proc.returncode, err


def gui_time(reach: list[str], folder: Path) -> float:
    """Seconds from launch to the first painted frame, on a fresh settings folder."""
    home = Path(tempfile.mkdtemp(dir=folder))
    start = time.perf_counter()
    proc = gui_process(reach, home)
    elapsed = first_frame(proc, start)
    status, err = stop(proc)
    if status != 0 or "Traceback" in err:
        raise SystemExit(f"the app did not exit cleanly ({status}): {err.strip()[-2000:]}")
    return elapsed


def rss(pid: int) -> int | None:
    """Resident set of `pid` in bytes (Linux), else None."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    return int(found[1]) * 1024 if found else None


def memory(reach: list[str], folder: Path, minutes: float) -> None:
    """RSS after `minutes` of live view minus RSS after a fifth of them."""
    home = Path(tempfile.mkdtemp(dir=folder))
    proc = gui_process(reach, home)
    first_frame(proc, time.perf_counter())
    started = time.monotonic()
    if rss(proc.pid) is None:
        stop(proc)
        print("memory: skipped (no /proc on this system)")
        return
    warm = _rss_at(proc, started + minutes * 60 / 5)
    end = _rss_at(proc, started + minutes * 60)
    status, err = stop(proc)
    growth = (end - warm) / 1e6
    print(
        f"memory: RSS {warm / 1e6:.1f} MB after {minutes / 5:g} min of live view, "
        f"{end / 1e6:.1f} MB after {minutes:g} min: {growth:+.1f} MB (goal: under 5 MB"
        f"{'' if minutes == 10 else ', over 10 minutes'})"
    )
    print(f"SIGTERM: exit status {status}{', a traceback' if 'Traceback' in err else ''}")


def _rss_at(proc: subprocess.Popen[str], when: float) -> int:
    while (left := when - time.monotonic()) > 0:
        try:
            proc.wait(timeout=min(left, 5.0))
        except subprocess.TimeoutExpired:
            continue
        raise SystemExit(
            f"the app ended during the live view: {proc.stderr.read() if proc.stderr else ''}"
        )
    value = rss(proc.pid)
    assert value is not None
    return value


def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="live view for the RSS")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    proc, reach = emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="yicam-gui-bench-") as tmp:
            folder = Path(tmp)
            snapshot_time(reach, folder)  # warm-up: bytecode, disk caches, the encoder
            gui_time(reach, folder)
            snaps, guis = [], []
            for _ in range(args.rounds):
                snaps.append(snapshot_time(reach, folder))
                guis.append(gui_time(reach, folder))
            snap, gui = statistics.median(snaps), statistics.median(guis)
            print(
                f"launch to first frame: yicam gui {gui:.2f} s, yicam live --snapshot "
                f"{snap:.2f} s (medians of {args.rounds}): {gui / snap:.2f}x (goal: at most 2x)"
            )
            memory(reach, folder, args.minutes)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
