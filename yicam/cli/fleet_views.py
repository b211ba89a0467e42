"""How `yicam fleet` shows its results: tables per camera, JSON rows, progress and --watch."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Group, RenderableType
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from .. import CameraResult, CameraStatus, ClockSync, Fleet, FleetResult, MediaItem, ShotReport
from .. import SyncReport as SyncReportType
from .output import console, dumps, human_size, safe

__all__ = [
    "clock_view",
    "plain_view",
    "shot_view",
    "status_json",
    "status_view",
    "sync_bars",
    "sync_failures",
    "sync_view",
    "watch_status",
]

T = TypeVar("T")
FileProgress = Callable[[int, int], None]


def clean(text: object) -> Text:
    """A table cell: camera text with control characters escaped (`safe`), never as markup."""
    return Text("" if text is None else safe(text))


def status_json(result: FleetResult[CameraStatus]) -> list[dict[str, Any]]:
    """One object per camera."""
    rows = []
    for r in result:
        s = r.value
        rows.append(
            {
                "name": r.name,
                "ok": r.ok,
                "error": r.reason or None,
                "connected": s.connected if s else False,
                "host": s.host if s else None,
                "model": s.model if s else None,
                "battery": s.battery if s else None,
                "on_adapter": s.on_adapter if s else None,
                "card_free": s.card_free if s else None,
                "card_total": s.card_total if s else None,
                "recording": s.recording if s else None,
            }
        )
    return rows


def status_view(result: FleetResult[CameraStatus]) -> RenderableType:
    """The status table and the summary line."""
    table = Table(title_justify="left")
    for column in ("Camera", "Host", "Model", "Battery", "Card free", "Recording", "Status"):
        table.add_column(column)
    for r in result:
        s = r.value
        if s is None:
            table.add_row(clean(r.name), "", "", "", "", "", "failed (below)")
            continue
        battery = "" if s.battery is None else f"{s.battery}%" + (" (USB)" if s.on_adapter else "")
        card = "no card" if s.card_free is None else human_size(s.card_free)
        recording = {True: "yes", False: "no", None: "?"}[s.recording]
        cells = (r.name, s.host, s.model or "-", battery, card, recording, "ok")
        table.add_row(*(clean(c) for c in cells))
    return Group(table, clean(result.summary()))


def shot_view(shot: ShotReport) -> RenderableType:
    """Per camera: result, send and reply times after the first send; then the spread."""
    first = min((t.sent for t in shot.values().values()), default=0.0)
    table = Table()
    for column in ("Camera", "Result", "Sent (ms)", "Reply (ms)", "Note"):
        table.add_column(column)
    for r in shot:
        t = r.value
        if t is None:
            table.add_row(clean(r.name), clean(f"error: {r.reason}"), "", "", "")
            continue
        note = ", ".join(
            n for n, on in (("retried", t.retried), ("reconnected", t.reconnected)) if on
        )
        table.add_row(
            clean(r.name),
            clean(t.path or "ok"),
            f"{(t.sent - first) * 1000:.3f}",
            f"{(t.replied - first) * 1000:.3f}",
            note,
        )
    spread = (
        f"{shot.summary()}; spread: sends {shot.send_spread * 1000:.3f} ms, "
        f"replies {shot.reply_spread * 1000:.3f} ms"
    )
    return Group(table, clean(spread))


def scheduled_view(shot: ShotReport, at: datetime) -> RenderableType:
    """Per camera: who started it (its clock or this computer) and when the start was
    announced, after the first; then the spread of the announcements."""
    starts = [t.started for t in shot.values().values() if t.started is not None]
    first = min(starts, default=0.0)
    table = Table(title=f"recording from {at:%H:%M:%S}", title_justify="left")
    for column in ("Camera", "Started by", "Announced (ms)"):
        table.add_column(column)
    for r in shot:
        t = r.value
        if t is None:
            table.add_row(clean(r.name), clean(f"error: {r.reason}"), "")
            continue
        when = "" if t.started is None else f"{(t.started - first) * 1000:.3f}"
        table.add_row(clean(r.name), "its clock" if t.scheduled else "this computer", when)
    spread = (max(starts) - first) * 1000 if starts else 0.0
    return Group(table, clean(f"{shot.summary()}; starts announced within {spread:.3f} ms"))


def plain_view(result: FleetResult[T], describe: Callable[[T | None], str]) -> RenderableType:
    """Camera and result (or error) per row, then the summary."""
    table = Table()
    table.add_column("Camera")
    table.add_column("Result")
    for r in result:
        table.add_row(clean(r.name), clean(describe(r.value) if r.ok else f"error: {r.reason}"))
    return Group(table, clean(result.summary()))


def clock_view(result: FleetResult[ClockSync]) -> RenderableType:
    """Each camera's offset before the sync, the second written and the round trip."""
    table = Table()
    for column in ("Camera", "Offset before (s)", "Set to", "Round trip (ms)"):
        table.add_column(column)
    for r in result:
        c = r.value
        if c is None:
            table.add_row(clean(r.name), clean(f"error: {r.reason}"), "", "")
        else:
            table.add_row(
                clean(r.name),
                f"{c.offset_before:+.1f}",
                c.set_to.isoformat(sep=" "),
                f"{c.round_trip * 1000:.1f}",
            )
    return Group(table, clean(result.summary()))


def sync_failures(result: FleetResult[SyncReportType]) -> FleetResult[SyncReportType]:
    """The sync result with a camera whose files did not all arrive counted as failed."""
    rows: list[CameraResult[SyncReportType]] = []
    for r in result:
        report = r.value
        if report is not None and not report.ok:
            bad = report.count("failed") + report.count("skipped")
            rows.append(CameraResult(r.name, report, RuntimeError(f"{bad} file(s) not synced")))
        else:
            rows.append(r)
    return FleetResult(tuple(rows))


def sync_view(result: FleetResult[SyncReportType], folder: Path) -> RenderableType:
    """Per camera: what was downloaded into which folder, and each file's error."""
    from .. import camera_folder

    lines: list[RenderableType] = []
    for r in result:
        report = r.value
        where = folder / camera_folder(r.name)
        if report is None:
            lines.append(clean(f"{r.name}: error: {r.reason}"))
            continue
        lines.append(
            clean(
                f"{r.name}: {report.count('downloaded')} downloaded, "
                f"{report.count('present')} already present, "
                f"{report.count('failed') + report.count('skipped')} failed, "
                f"{report.deleted} deleted on the camera -> {where}"
            )
        )
        lines += [clean(f"  {e.path}: {e.error}") for e in report.entries if e.error]
    lines.append(clean(sync_failures(result).summary()))
    return Group(*lines)


@contextlib.contextmanager
def sync_bars(
    names: tuple[str, ...], *, quiet: bool
) -> Iterator[Callable[[str, MediaItem], FileProgress | None] | None]:
    """One overall bar and one per camera (bytes); nothing when `quiet` (--json)."""
    if quiet:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description}", markup=False),  # camera names: escaped, no markup
        BarColumn(),
        DownloadColumn(),
        console=console(stderr=True),
    )
    overall = progress.add_task("all cameras", total=0)
    bars: dict[str, TaskID] = {n: progress.add_task(safe(n), total=0) for n in names}
    done: dict[TaskID, float] = {}

    def per_file(name: str, item: MediaItem) -> FileProgress:
        bar = bars[name]
        for task in (bar, overall):
            progress.update(task, total=(progress.tasks[task].total or 0) + item.size)
        seen = 0

        def update(now: int, _total: int) -> None:
            nonlocal seen
            step, seen = now - seen, now
            for task in (bar, overall):
                done[task] = done.get(task, 0) + step
                progress.update(task, completed=done[task])

        return update

    with progress:
        yield per_file


async def watch_status(fleet: Fleet, interval: float) -> None:
    """Refresh the status (table, or one JSON line per camera with --json) until Ctrl-C."""
    from .base import global_options

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows, non-main thread
            loop.add_signal_handler(signum, stop.set)
    json_mode = global_options().json
    with contextlib.ExitStack() as stack:
        live = None if json_mode else stack.enter_context(Live(console=console()))
        while not stop.is_set():
            result = await fleet.status()
            if live is None:
                for row in status_json(result):
                    click.echo(dumps(row))
            else:
                live.update(status_view(result))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await stop.wait()
