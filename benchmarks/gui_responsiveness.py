"""Is the desktop app responsive while it works hardest? Live view + thumbnails + a big download.

An emulated camera (a Yi 1 with a 432x240 30 fps live view) runs in its own process with a card
holding 60 photos and one 256 MiB video. The window (1280x800, Qt's offscreen platform unless a
display is set) connects to it, starts the live view, and then, all at once, scrolls the media
grid so that thumbnails load, and downloads the 256 MiB file (verified, to a temporary folder).

A 5 ms Qt timer measures its own lateness: a late tick is time the GUI event loop could not
answer a click or paint. Printed, for the idle window (the baseline) and under load:
- the longest and the p99 stall (goals under load: <= 50 ms and <= 20 ms); on Linux also the
  same less the time the GUI thread was runnable but waited for a CPU (the process's own
  share: on a shared, overloaded machine most of a long stall is the OS running others);
- the live view's capture-to-paint latency median next to `live_view()`'s own capture-to-decode
  median over the same frames (goal: painting adds <= 10 ms).

Then the rig view (issue 19): four emulated cameras in one process of their own (as
`yicam emulate --count 4` runs them), each with 10 photos and a 64 MiB video; the rig window
(1000x720) shows all four live, takes Photo all every 2 s and runs Download all new (4 x 64 MiB
and the photos, verified, into FOLDER/NAME), all at once. The same stall figures and goals, and
the capture-to-paint minus capture-to-decode latency of every tile (goal <= 10 ms each).

    .venv/bin/python benchmarks/gui_responsiveness.py [--idle 3] [--big-mib 256] [--rig-mib 64]
                                                      [--no-rig | --rig-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from yicam.gui.app import GuiThreadGarbageCollector
from yicam.gui.main_window import MainWindow
from yicam.gui.target import Target

SERVER = """
import asyncio, sys
from yicam.emulator import Emulator
async def main():
    async with Emulator("127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=0,
                        sd=sys.argv[1], card_size=4 * 1024**3) as emu:
        print(emu.port, emu.data_port, emu.http_port, emu.rtsp_port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""
RIG_SERVER = """
import asyncio, contextlib, sys
from yicam.emulator import Emulator
async def main():
    async with contextlib.AsyncExitStack() as stack:
        for card in sys.argv[1:]:
            emu = await stack.enter_async_context(Emulator(
                "127.0.0.1", 0, data_port=0, http_port=0, rtsp_port=0, sd=card))
            print(emu.port, emu.data_port, emu.http_port, emu.rtsp_port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""
PHOTOS = 60
RIG = ("cam1", "cam2", "cam3", "cam4")
RIG_PHOTOS = 10
TICK_MS = 5


class StallMeter:
    """A precise 5 ms timer that records how late each tick is, and (Linux) how much of that the
    GUI thread spent runnable but waiting for a CPU that the OS gave to other work."""

    def __init__(self) -> None:
        self.stalls: list[float] = []
        self.waits: list[float] = []
        self._last = 0.0
        self._waited = 0.0
        self._schedstat: int | None = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        if self._schedstat is None:  # opened in the GUI thread: it stays that thread's
            with contextlib.suppress(OSError):
                self._schedstat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        self.stalls.clear()
        self.waits.clear()
        self._last = time.perf_counter()
        self._waited = self._run_queue()
        self._timer.start(TICK_MS)

    def stop(self) -> list[float]:
        self._timer.stop()
        return list(self.stalls)

    def own(self) -> list[float] | None:
        """Each stall less the time waiting for a CPU; None where the OS does not tell."""
        if self._schedstat is None:
            return None
        return [max(0.0, s - w) for s, w in zip(self.stalls, self.waits, strict=True)]

    def waiting_share(self, over: float = 0.020) -> float | None:
        """The share of the time in stalls over `over` s that was spent waiting for a CPU."""
        if self._schedstat is None:
            return None
        long = [(s, w) for s, w in zip(self.stalls, self.waits, strict=True) if s > over]
        total = sum(s for s, _ in long)
        return sum(min(s, w) for s, w in long) / total if total else 0.0

    def _run_queue(self) -> float:
        """Seconds this thread has waited on a run queue (0 where unknown)."""
        if self._schedstat is None:
            return 0.0
        os.lseek(self._schedstat, 0, os.SEEK_SET)
        return int(os.read(self._schedstat, 128).split()[1]) / 1e9

    def _tick(self) -> None:
        now = time.perf_counter()
        waited = self._run_queue()
        self.stalls.append(max(0.0, now - self._last - TICK_MS / 1000))
        self.waits.append(waited - self._waited)
        self._last, self._waited = now, waited


class CpuClock:
    """CPU time of the GUI thread and of the whole process (decoders, downloads) since made,
    as shares of the wall time: figures a loaded machine inflates far less than stalls."""

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._thread = time.thread_time()
        self._process = time.process_time()

    def read(self) -> tuple[float, float]:
        """(GUI thread busy, process CPU) as fractions of one core."""
        wall = time.perf_counter() - self._wall
        thread = time.thread_time() - self._thread
        return thread / wall, (time.process_time() - self._process) / wall


def summary(stalls: list[float]) -> tuple[float, float]:
    """(longest, p99) in milliseconds."""
    ordered = sorted(stalls)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return ordered[-1] * 1000, p99 * 1000


def own_share(meter: StallMeter) -> str:
    """What the stalls are without the time the OS gave the CPU to other processes."""
    own, share = meter.own(), meter.waiting_share()
    if own is None or share is None:
        return "  (the time spent waiting for a CPU is known on Linux only)"
    longest, p99 = summary(own)
    return (
        f"  less the time the GUI thread waited for a CPU: longest {longest:.1f} ms, "
        f"p99 {p99:.1f} ms; that waiting was {share:.0%} of the time in stalls over 20 ms"
    )


def make_card(sd: Path, big_mib: int, photos: int = PHOTOS) -> Path:
    folder = sd / "DCIM" / "100MEDIA"
    folder.mkdir(parents=True)
    for n in range(1, photos + 1):
        image = QImage(640, 480, QImage.Format.Format_RGB32)
        image.fill(QColor.fromHsv(n * 6 % 360, 160, 220))
        painter = QPainter(image)
        painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, f"photo {n}")
        painter.end()
        image.save(str(folder / f"YDXJ{n:04d}.jpg"))  # JPEG, from the suffix
    big = folder / f"YDXJ{photos + 1:04d}.mp4"
    with big.open("wb") as file:
        for _ in range(big_mib):
            file.write(os.urandom(1024 * 1024))
    return big


async def until(condition: Callable[[], object], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - widget state has no event to wait on
            await asyncio.sleep(0.02)


async def run(args: argparse.Namespace, target: Target, work: Path) -> None:
    settings = QSettings(str(work / "yicam.ini"), QSettings.Format.IniFormat)
    settings.setValue("downloads/folder", str(work / "downloads"))
    window = MainWindow(target, settings)
    window.resize(1280, 800)
    window.show()
    GuiThreadGarbageCollector.settle()  # as the app does
    meter = StallMeter()
    try:
        window.session.connect_to()
        await until(lambda: window.media.items.rowCount() == PHOTOS + 1)
        meter.start()
        await asyncio.sleep(args.idle)
        idle = meter.stop()

        window.live.start()
        view = window.live_panel.view
        await until(lambda: view.frames_painted > 60)
        GuiThreadGarbageCollector.settle()  # PyAV and the stream are loaded now
        window.tabs.setCurrentWidget(window.media_panel)
        grid = window.media_panel.grid
        big = next(i for i in window.media.items.items if i.name.endswith(".mp4"))
        items = window.media.items

        meter.start()
        cpu = CpuClock()
        painted_before = view.frames_painted
        started = time.perf_counter()
        window.downloads.enqueue([big])
        job = window.downloads.jobs[-1]
        scroll = grid.verticalScrollBar()
        while job.state not in ("done", "failed") or time.perf_counter() - started < 5:
            scroll.setValue(min(scroll.maximum(), scroll.value() + 40))  # thumbnails come into view
            await asyncio.sleep(0.1)
        loaded = meter.stop()
        loaded_own = own_share(meter)
        gui_busy, process_cpu = cpu.read()
        elapsed = time.perf_counter() - started
        thumbs = sum(1 for i in items.items if items.has_thumbnail(i.path))
        stats = window.live_panel.view.stats
        paint = sorted(view.paint_latencies)[-300:]
    finally:
        await window.shutdown()
        window.close()

    if job.state != "done":
        sys.exit(f"the download failed: {job.error}")
    idle_max, idle_p99 = summary(idle)
    load_max, load_p99 = summary(loaded)
    decode = stats.latency_median * 1000 if stats and stats.latency_median is not None else None
    painted = statistics.median(paint) * 1000 if paint else None
    frames = view.frames_painted - painted_before
    print(
        f"under load: {big.size / 2**20:.0f} MiB download in {elapsed:.1f} s "
        f"({big.size / elapsed / 2**20:.0f} MiB/s, verified), {thumbs}/{PHOTOS + 1} thumbnails, "
        f"{frames} frames painted ({frames / elapsed:.1f} fps)"
    )
    print(f"event-loop stall, idle (baseline): longest {idle_max:.1f} ms, p99 {idle_p99:.1f} ms")
    print(
        f"event-loop stall, under load:      longest {load_max:.1f} ms, p99 {load_p99:.1f} ms"
        "  (goals <= 50 ms, <= 20 ms)"
    )
    print(loaded_own)
    print(
        f"CPU under load: GUI thread busy {gui_busy:.0%} of the time, the process "
        f"{process_cpu:.0%} of one core"
    )
    if load_p99 and idle_p99:
        print(
            f"ratio under load / idle: longest x{load_max / max(idle_max, 0.1):.1f}, "
            f"p99 x{load_p99 / max(idle_p99, 0.1):.1f}"
        )
    if decode is not None and painted is not None:
        print(
            f"live view latency median: capture-to-decode (live_view) {decode:.1f} ms, "
            f"capture-to-paint (window) {painted:.1f} ms, painting adds {painted - decode:.1f} ms"
            f"  (goal <= 10 ms)"
        )
    else:
        print("live view latency: the stream carries no capture times")


async def run_rig(args: argparse.Namespace, targets: list[Target], work: Path) -> None:
    """The rig view of four live cameras, Photo all and Download all new at once."""
    from yicam.gui.rig_window import RigWindow

    settings = QSettings(str(work / "rig.ini"), QSettings.Format.IniFormat)
    settings.setValue("downloads/folder", str(work / "rig-downloads"))
    meter = StallMeter()
    window = RigWindow(list(zip(RIG, targets, strict=True)), settings)
    said: list[str] = []
    window.model.message.connect(said.append)
    window.show()
    GuiThreadGarbageCollector.settle()
    try:
        meter.start()  # the window open, before it connects: the baseline
        await asyncio.sleep(args.idle)
        idle = meter.stop()
        window.start()
        tiles = window.tiles
        await until(lambda: all(t.view.frames_painted > 60 for t in tiles))
        GuiThreadGarbageCollector.settle()
        meter.start()  # the four pictures alone
        cpu = CpuClock()
        live_before = [t.view.frames_painted for t in tiles]
        await asyncio.sleep(5.0)
        live_only = meter.stop()
        live_own = own_share(meter)
        live_busy, live_cpu = cpu.read()
        live_frames = [t.view.frames_painted - b for t, b in zip(tiles, live_before, strict=True)]
        meter.start()
        cpu = CpuClock()
        painted_before = [t.view.frames_painted for t in tiles]
        for tile in tiles:
            tile.view.paint_latencies.clear()
        started = time.perf_counter()
        window.model.download_all()
        shots = 0
        while window.model.downloading or time.perf_counter() - started < 5:
            if not window.model.busy:
                window.model.photo_all()
                shots += 1
            await asyncio.sleep(2.0)
        await until(lambda: not window.model.busy)
        loaded = meter.stop()
        loaded_own = own_share(meter)
        gui_busy, process_cpu = cpu.read()
        elapsed = time.perf_counter() - started
        summary_text = next((m for m in said if m.startswith("Download all new")), "")
        stats = [t.view.stats for t in tiles]
        paint = [sorted(t.view.paint_latencies)[-300:] for t in tiles]
        frames = [t.view.frames_painted - b for t, b in zip(tiles, painted_before, strict=True)]
        copied = sum(1 for p in (work / "rig-downloads").rglob("*") if p.is_file())
    finally:
        await window.shutdown()
        window.close()

    if "4 of 4 cameras ok" not in summary_text:
        sys.exit(f"the rig's download failed: {summary_text or said}")
    idle_max, idle_p99 = summary(idle)
    load_max, load_p99 = summary(loaded)
    mib = len(RIG) * args.rig_mib
    print(
        f"rig view, 4 live cameras: {shots} x Photo all and Download all new "
        f"({copied} files, {mib} MiB, verified) in {elapsed:.1f} s; frames painted per tile "
        + ", ".join(f"{n / elapsed:.1f}" for n in frames)
        + " fps"
    )
    print(f"event-loop stall, idle (baseline): longest {idle_max:.1f} ms, p99 {idle_p99:.1f} ms")
    live_max, live_p99 = summary(live_only)
    painted = max(sum(live_frames), 1)
    print(
        f"4 live tiles alone (5 s): stall longest {live_max:.1f} ms, p99 {live_p99:.1f} ms; "
        "painted " + ", ".join(f"{n / 5:.1f}" for n in live_frames) + " fps"
    )
    print(
        f"  CPU: GUI thread busy {live_busy:.0%}, the process {live_cpu:.0%} of one core, that is "
        f"{live_busy * 5000 / painted:.2f} ms of the GUI thread and {live_cpu * 5000 / painted:.2f}"
        " ms of the process (decoding included) per painted frame"
    )
    print(live_own)
    print(
        f"event-loop stall, rig under load:  longest {load_max:.1f} ms, p99 {load_p99:.1f} ms"
        "  (goals <= 50 ms, <= 20 ms)"
    )
    print(loaded_own)
    print(
        f"CPU under load: GUI thread busy {gui_busy:.0%} of the time, the process "
        f"{process_cpu:.0%} of one core"
    )
    added = []
    for stat, latencies in zip(stats, paint, strict=True):
        if stat is not None and stat.latency_median is not None and latencies:
            added.append(statistics.median(latencies) * 1000 - stat.latency_median * 1000)
    if added:
        print(
            "live view latency, painting adds per tile: "
            + ", ".join(f"{a:.1f}" for a in added)
            + " ms  (goal <= 10 ms each)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle baseline")
    parser.add_argument("--big-mib", type=int, default=256, help="size of the downloaded file")
    parser.add_argument("--rig-mib", type=int, default=64, help="each rig camera's video")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-rig", action="store_true", help="only the main window")
    which.add_argument("--rig-only", action="store_true", help="only the rig view")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QApplication.setQuitOnLastWindowClosed(False)
    sys.setswitchinterval(0.001)  # as the app does
    work = Path(tempfile.mkdtemp(prefix="yicam-gui-bench-"))
    servers: list[subprocess.Popen[str]] = []
    try:
        phases: list[Callable[[], Awaitable[None]]] = []
        if not args.rig_only:
            make_card(work / "sd", args.big_mib)
            (target,) = serve(servers, SERVER, [work / "sd"])
            phases.append(lambda: run(args, target, work))
        if not args.no_rig:
            cards = [work / "rig" / name for name in RIG]
            for card in cards:
                make_card(card, args.rig_mib, RIG_PHOTOS)
            targets = serve(servers, RIG_SERVER, cards)
            phases.append(lambda: run_rig(args, targets, work))

        async def all_phases() -> None:
            for phase in phases:
                await phase()

        collector = GuiThreadGarbageCollector()
        try:
            qasync.run(all_phases())
        finally:
            collector.stop()
    finally:
        for server in servers:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    del app


def serve(servers: list[subprocess.Popen[str]], script: str, cards: list[Path]) -> list[Target]:
    """Start emulators in a process of their own (`script`, a card each): where they are."""
    server = subprocess.Popen(
        [sys.executable, "-c", script, *map(str, cards)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    servers.append(server)
    assert server.stdout is not None
    targets = []
    for _card in cards:
        port, data, http, rtsp = (int(p) for p in re.findall(r"\d+", server.stdout.readline()))
        targets.append(Target("127.0.0.1", port, data, http, rtsp))
    return targets


if __name__ == "__main__":
    main()
