"""Threads and CPU per frame of the live view: the old RGB conversion against the current one.

Before: `frame.to_ndarray(format="rgb24")` for each frame, which sets up a new scaler with one
thread per core and ends them again, every frame. After (`yicam.live.sink`): one reused
`VideoReformatter`, single-threaded. Both run in the same live view (the old one patched in
here only; the library no longer has it), one after the other, against an emulated camera in
its own process (its encoder is not on our CPU), at the Yi 1's 432x240 and at 1280x720. The
old scalers are not freed at once (the garbage collector ends them, and their threads, later),
so the old way runs second.

"threads" is how many threads this process has while frames come (min-max over the samples
taken at each frame) and how many different threads existed over the run (Linux: from
/proc/self/task, sampled every 0.5 ms by a watcher thread; elsewhere not measured). "CPU/frame"
is this process's CPU time (all threads: receiving, decoding, converting) over the frames;
"convert" is the conversion alone, timed around the call in the decoding thread.

    .venv/bin/python benchmarks/live_threads.py [--frames 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator_process import emulator_process

from yicam import Camera

HOST = "127.0.0.1"
TASKS = Path("/proc/self/task")


@dataclass
class Run:
    """What one live-view session cost."""

    frames: int
    cpu: float  # CPU seconds of the process over the frames
    convert: float  # seconds spent in the conversion alone
    alive: tuple[int, int]  # threads alive at each frame: min, max
    distinct: int | None  # threads that existed during the run (None: not measurable here)

    def show(self, name: str) -> None:
        distinct = "n/a" if self.distinct is None else f"{self.distinct:4d}"
        print(
            f"  {name:<44} frames {self.frames:4d}  threads {self.alive[0]:3d}-{self.alive[1]:<3d}"
            f"  distinct {distinct}  CPU/frame {self.cpu / self.frames * 1e3:5.2f} ms"
            f"  convert {self.convert / self.frames * 1e3:5.3f} ms"
        )


def threads_alive() -> set[str]:
    try:
        return set(os.listdir(TASKS))
    except OSError:
        return {str(t.native_id) for t in threading.enumerate()}  # Python's threads only


@contextmanager
def watching() -> Iterator[Callable[[], int | None]]:
    """Samples the threads while the block runs; yields a function giving how many existed."""
    seen: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.0005):
            seen.update(threads_alive())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield lambda: len(seen - {str(watcher.native_id)}) if TASKS.is_dir() else None
    finally:
        done.set()
        watcher.join()


class Converted:
    """An RGB frame as `Sink.frame` uses it (`.to_ndarray()`)."""

    def __init__(self, image: Any) -> None:
        self.image = image

    def to_ndarray(self) -> Any:
        return self.image


class TimedConversion:
    """Stands in for the sink's scaler: converts the old or the new way, timing the call."""

    def __init__(self, scaler: Any, *, old: bool) -> None:
        self.scaler = scaler
        self.old = old
        self.spent: list[float] = []

    def reformat(self, frame: Any, **options: Any) -> Converted:
        began = time.perf_counter()
        if self.old:  # what yicam did before: a new, multi-threaded scaler for each frame
            image = frame.to_ndarray(format="rgb24")
        else:
            image = self.scaler.reformat(frame, **options).to_ndarray()
        self.spent.append(time.perf_counter() - began)
        return Converted(image)


async def measure(cam: Camera, frames: int, *, old: bool) -> Run:
    async with cam.live_view() as live:
        sink = live._sink  # a benchmark may look inside
        timed = TimedConversion(sink._rgb, old=old)
        sink._rgb = timed  # type: ignore[assignment]
        for _ in range(15):  # warm up: decoder, scaler and threads settle
            await live.next_frame()
        timed.spent.clear()
        alive: list[int] = []
        first = live.stats().frames
        with watching() as distinct:
            cpu = time.process_time()
            async for _ in live.frames():
                alive.append(len(threads_alive()))
                if live.stats().frames - first >= frames:
                    break
            cpu = time.process_time() - cpu
            count = live.stats().frames - first
            existed = distinct()
    return Run(count, cpu, sum(timed.spent[:count]), (min(alive), max(alive)), existed)


async def session(port: int, rtsp_port: int, frames: int) -> tuple[Run, Run]:
    async with Camera(HOST, port, rtsp_port=rtsp_port) as cam:
        await measure(cam, 30, old=False)  # not measured: imports, first decoder
        # The current way first: the old one leaves scalers (and their threads) for the garbage
        # collector, which would still be ending them during a run that came after.
        after = await measure(cam, frames, old=False)
        before = await measure(cam, frames, old=True)
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames per run")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.frames} frames per run, 30 fps from its own process")
    for size in ((432, 240), (1280, 720)):
        with emulator_process(rtsp_port=0, preview_size=list(size)) as ports:
            before, after = asyncio.run(session(ports.port, ports.rtsp_port, args.frames))
        name = f"{size[0]}x{size[1]}"
        before.show(f"{name} before: to_ndarray(format='rgb24')")
        after.show(f"{name} after: one VideoReformatter, 1 thread")
        if before.distinct is not None and after.distinct is not None:
            cpu = (after.cpu / after.frames) / (before.cpu / before.frames)
            convert = (after.convert / after.frames) / (before.convert / before.frames)
            print(
                f"  {name}: threads that existed {before.distinct} -> {after.distinct};"
                f" CPU/frame after/before {cpu:.2f}x; conversion after/before {convert:.2f}x"
            )


if __name__ == "__main__":
    main()
