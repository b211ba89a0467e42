"""`yicam timelapse`: a photo (or clip) every N seconds, optionally downloaded as it goes."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .. import (
    Camera,
    Intervalometer,
    Shot,
    SyncEntry,
    Tether,
    TimelapseReport,
    cancel_and_wait,
    format_duration,
    parse_duration,
)
from .base import global_options, run_camera
from .output import Result, console, emit, human_size, safe
from .saved_files import ExecHook, entry_data, entry_line, exec_argv, print_line

__all__ = ["timelapse"]


class DurationType(click.ParamType[float]):
    """A duration such as 500ms, 10s, 5m or 2h, in seconds."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """Seconds, or a usage error."""
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class SizeType(click.ParamType[int]):
    """A size such as 500MB, 2GB or 1048576 (bytes)."""

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {
        **{"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3},
        **{"KIB": 1024, "MIB": 1024**2, "GIB": 1024**3},
    }

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Bytes, or a usage error."""
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().replace(" ", "")
        number = text.rstrip("KMGIB")
        unit = text[len(number) :]
        try:
            if unit not in self._UNITS:
                raise ValueError
            return int(float(number) * self._UNITS[unit])
        except ValueError:
            self.fail(f"invalid size {value!r}: use e.g. 500MB or 2GB", param, ctx)


DURATION = DurationType()


@click.command()
@click.option("--every", type=DURATION, required=True, help="Interval: 500ms, 10s, 5m, 2h.")
@click.option("--count", type=click.IntRange(min=1), help="Number of shots.")
@click.option("--for", "duration", type=DURATION, help="Shoot for this long (e.g. 2h).")
@click.option("--clip", type=DURATION, help="Record a clip this long at each shot (not a photo).")
@click.option(
    "--download",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Download each shot into this folder as it is taken.",
)
@click.option(
    "--delete-after",
    is_flag=True,
    help="With --download: delete each shot on the camera once its copy is verified.",
)
@click.option(
    "--exec",
    "command",
    metavar="CMD",
    help="With --download: run CMD with each file's path as its last argument.",
)
@click.option(
    "--min-free",
    type=SizeType(),
    default="64MB",
    show_default=True,
    help="Stop when the card has less free space than this (e.g. 500MB).",
)
@click.option(
    "--reconnect/--no-reconnect",
    default=True,
    show_default=True,
    help="Reconnect after a drop and go on with the schedule (shots meanwhile fail), or stop.",
)
def timelapse(
    every: float,
    count: int | None,
    duration: float | None,
    clip: float | None,
    folder: Path | None,
    delete_after: bool,
    command: str | None,
    min_free: int,
    reconnect: bool,
) -> None:
    """Take a photo (or a --clip) every interval, on a schedule that does not drift.

    A shot that comes due while the previous one is still in progress is skipped, not
    queued. Stops after --count shots or --for a duration, on Ctrl-C, or when the card is
    nearly full; then prints shots taken, skipped and late. With --json, the summary as JSON.

    Shows a progress bar, then a summary of shots taken, skipped and late; exits 1 when the run
    stopped on an error or a file failed.
    """
    if (count is None) == (duration is None):
        raise click.UsageError("give either --count N or --for DURATION")
    if folder is None and (delete_after or command):
        raise click.UsageError("--delete-after and --exec need --download DIR")
    argv = exec_argv(command)
    json_mode = global_options().json
    holder: dict[str, Any] = {}
    files: list[SyncEntry] = []

    async def job(cam: Camera) -> TimelapseReport:
        from .agent_jobs import is_remote

        if is_remote(cam):
            return await _on_agent(cam, every, count, duration, clip, folder, delete_after,
                                   min_free, files, json_mode, argv)  # fmt: skip
        hook = holder["hook"] = ExecHook(argv) if argv else None

        def on_file(entry: SyncEntry) -> None:
            files.append(entry)
            if not json_mode:
                print_line(entry_line(entry))
            if hook is not None and entry.status == "downloaded" and entry.local is not None:
                hook.submit(entry.local)

        bar = _bar(json_mode)
        tether = None
        if folder is not None:
            tether = Tether(cam, folder, delete_after=delete_after, on_file=on_file)
        timer = Intervalometer(
            cam,
            every=every,
            count=count,
            until=None if duration is None else timedelta(seconds=duration),
            mode="clip" if clip else "photo",
            clip_seconds=clip,
            min_free=min_free,
            tether=tether,
            on_shot=lambda shot: _show_shot(shot, json_mode),
        )
        holder["timer"] = timer
        try:
            with bar:
                task = bar.add_task("shots", total=count, next="", free="")
                ticker = asyncio.create_task(_tick(bar, task, timer))
                try:
                    report = await timer.run()
                finally:
                    await cancel_and_wait(ticker)
            if hook is not None:
                await hook.finish()
        finally:
            if hook is not None:
                await hook.cancel()
        return report

    report: TimelapseReport | None
    try:
        report = run_camera(job, reconnect=reconnect)
    except KeyboardInterrupt:
        timer = holder.get("timer")
        report = timer.report if timer is not None else None
        if report is None:
            raise click.exceptions.Exit(130) from None
    _summary(report, files, json_mode)
    hook = holder.get("hook")
    failed = any(e.status != "downloaded" for e in files) or (hook and hook.failures)
    if report.stopped == "error" or failed:
        raise click.exceptions.Exit(1)


async def _on_agent(
    cam: Any,
    every: float,
    count: int | None,
    duration: float | None,
    clip: float | None,
    folder: Path | None,
    delete_after: bool,
    min_free: int,
    files: list[SyncEntry],
    json_mode: bool,
    argv: list[str] | None,
) -> TimelapseReport:
    """The time-lapse as a job on the agent that owns the camera; its files stay there."""
    from .agent_jobs import run_job

    if argv:
        raise click.UsageError("--exec runs where the files are: not through an agent")
    options = {"every": every, "count": count, "duration": duration, "clip": clip,
               "min_free": min_free, "download": folder is not None,
               "delete_after": delete_after}  # fmt: skip
    shown: set[int] = set()

    def on_file(entry: SyncEntry) -> None:
        files.append(entry)
        if not json_mode:
            print_line(entry_line(entry))

    def on_report(job: Any) -> None:
        shot = job.last_shot
        if shot is not None and shot.index not in shown:
            shown.add(shot.index)
            _show_shot(shot, json_mode)

    done = await run_job(cam, "timelapse", options, on_file, on_report, quiet=json_mode)
    if not isinstance(done.result, TimelapseReport):
        raise click.ClickException(f"the time-lapse on agent {cam.agent}: {done.error}")
    return done.result


def _bar(json_mode: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[next]}"),
        TextColumn("{task.fields[free]}"),
        console=console(stderr=True),
        transient=True,
        disable=json_mode,
    )


async def _tick(bar: Progress, task: Any, timer: Intervalometer) -> None:
    """Refresh the bar's countdown and card space twice a second."""
    while True:
        next_in = timer.next_in
        free = timer.card_free
        bar.update(
            task,
            total=timer.total,
            completed=len(timer.shots),
            next="" if next_in is None else f"next in {format_duration(next_in)}",
            free="" if free is None else f"card free {human_size(free)}",
        )
        await asyncio.sleep(0.5)


def _show_shot(shot: Shot, json_mode: bool) -> None:
    if json_mode or shot.status == "taken":
        return
    print_line(safe(f"shot {shot.index + 1} {shot.status}: {shot.reason}"))


def _summary(report: TimelapseReport, files: list[SyncEntry], json_mode: bool) -> None:
    data = {
        "stopped": report.stopped,
        "error": report.error,
        "taken": report.count("taken"),
        "skipped": report.count("skipped"),
        "failed": report.count("failed"),
        "late": report.late,
        "worst_late": round(report.worst_late, 3),
        "every": report.every,
        "shots": report.shots,
        "files": [entry_data(e) for e in files],
    }
    text = (
        f"{data['taken']} taken, {data['skipped']} skipped, {data['failed']} failed, "
        f"{data['late']} late (worst {format_duration(report.worst_late)}); "
    )
    text += {
        "done": "done",
        "stopped": "stopped",
        "cancelled": "stopped by Ctrl-C",
        "card full": "stopped: the card is nearly full",
        "error": f"stopped: {safe(report.error)}",
    }[report.stopped]
    if files:
        saved = [e for e in files if e.status == "downloaded"]
        text += f"\n{len(saved)} file(s), {human_size(sum(e.size for e in saved))} downloaded"
        text += f", {len(files) - len(saved)} failed" if len(saved) < len(files) else ""
    with contextlib.suppress(BrokenPipeError):
        emit(Result(data, text), json_mode=json_mode)
