"""Tether delay: the camera's `photo_taken` to the verified file on disk, against a plain download.

The emulator runs in its own process (photos at 1/20 of the real delays). For each small
photo the client takes, the time from the `photo_taken` notification to the tether's
`on_file` (listing, download, MD5 check, fsync, rename) is measured; then the same file is
downloaded again with a plain `cam.download()` into another folder, in the same run. Prints
the median and p95 of both, and what the tether adds (goal: at most 20 ms at the median).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from emulator_process import emulator_process

from yicam import Camera, Event, Notification, Notify, SyncEntry, Tether

HOST = "127.0.0.1"
PHOTOS = 40


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


async def measure(ports: list[int], folder: Path) -> tuple[list[float], list[float], int]:
    """Per photo: tether delay and plain download time (seconds); and the photo size."""
    taken: dict[str, float] = {}
    landed: dict[str, float] = {}
    delays, plain = [], []
    size = 0

    def on_event(event: Event) -> None:
        if isinstance(event, Notification) and event.type == Notify.PHOTO_TAKEN:
            taken[str(event.param)] = time.perf_counter()

    def on_file(entry: SyncEntry) -> None:
        landed[entry.path] = time.perf_counter()
        assert entry.status == "downloaded", entry.error

    async with Camera(HOST, ports[0], data_port=ports[1], http_port=ports[2]) as cam:
        cam.subscribe(on_event)  # before the tether's own subscription: stamped first
        async with Tether(cam, folder / "tether", on_file=on_file) as tether:
            for n in range(PHOTOS):
                path = await cam.take_photo()
                await tether.drain()
                delays.append(landed[path] - taken[path])
                start = time.perf_counter()
                await cam.download(path, folder / "plain" / f"{n}.jpg")
                plain.append(time.perf_counter() - start)
                size = (folder / "plain" / f"{n}.jpg").stat().st_size
    return delays, plain, size


def main() -> None:
    """Run the emulator process and the measurement; print the figures."""
    with emulator_process(time_scale=0.05) as ports, tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "plain").mkdir()
        delays, plain, size = asyncio.run(measure(list(ports[:3]), Path(tmp)))
    added = [d - p for d, p in zip(delays, plain, strict=True)]
    ratio = statistics.median(delays) / statistics.median(plain)
    print(f"{PHOTOS} photos of {size} bytes, emulator in its own process")
    print(f"tether delay (photo_taken -> verified file): {_figures(delays)}")
    print(f"plain download of the same file:             {_figures(plain)}")
    print(f"tether adds:                                 {_figures(added)} (goal: <= 20 ms)")
    print(f"ratio tether / plain download (medians): {ratio:.2f}")


def _figures(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:5.1f} ms, p95 {p95(seconds) * 1000:5.1f} ms"


if __name__ == "__main__":
    main()
