"""`yicam fleet`: drive several cameras at once; exit 0 only when every camera succeeded."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from .base import GlobalOptions, global_options
from .output import Result, dumps, emit, safe

if TYPE_CHECKING:
    from datetime import datetime

    from .. import Camera, Fleet, FleetResult, ShotReport

__all__ = ["Selection", "finish", "fleet", "run_fleet", "selection", "selection_options"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Selection:
    """Which cameras `yicam fleet` was given: every named one, some names, or hosts."""

    all: bool
    names: tuple[str, ...]
    hosts: tuple[str, ...]

    def fleet(self, options: GlobalOptions, **camera_options: Any) -> Fleet:
        """The `Fleet` for this selection; `--hosts` take their other ports from the options."""
        from .. import Camera, Fleet, get_camera, load_cameras
        from .cameras import report_skipped

        cameras: dict[str, Camera | str] = {}
        timeouts = options.typed_timeouts()
        if self.all:
            entries = list(load_cameras(on_skip=report_skipped).values())
            if not entries:
                raise click.UsageError("no named cameras yet: `yicam cameras add NAME HOST`")
        else:
            entries = [get_camera(name) for name in self.names]
        for entry in entries:
            cameras[entry.name] = entry.camera(**timeouts, **camera_options)
        for spec in self.hosts:
            host, sep, port = spec.rpartition(":")
            at = replace(options.settings, host=spec)
            if sep and port.isdigit():
                at = replace(at, host=host, port=int(port))
            cameras[spec] = Camera(settings=at, **camera_options)
        if not cameras:
            raise click.UsageError("choose cameras: yicam fleet --all, --hosts H1,H2 or -c A -c B")
        return Fleet(cameras)


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--all` and `--hosts H1,H2`: which cameras, besides the global `-c NAME`s (`selection`)."""
    for option in (
        click.option("--hosts", metavar="H1,H2,...", help="Cameras by address (HOST[:PORT])."),
        click.option("--all", "all_", is_flag=True, help="Every named camera (`yicam cameras`)."),
    ):
        command = option(command)
    return command


def selection(all_: bool, hosts: str | None) -> Selection | None:
    """The cameras chosen by `--all`, `--hosts` and the global `-c NAME`s; None for none."""
    names = global_options().camera_names
    host_list = tuple(h.strip() for h in (hosts or "").split(",") if h.strip())
    return Selection(all_, names, host_list) if all_ or names or host_list else None


@click.group()
@selection_options
@click.option(
    "-c",
    "--camera",
    "names",
    multiple=True,
    metavar="NAME",
    help="A named camera; repeat it. The same as the global -c: both lists are driven.",
)
@click.pass_context
def fleet(ctx: click.Context, all_: bool, hosts: str | None, names: tuple[str, ...]) -> None:
    """Several cameras at once: `yicam fleet --all photo`, `yicam fleet -c A -c B photo`.

    Every camera gets the command at the same moment; one failing never stops the others.
    With --broker, the cameras are those of every online agent there (`yicam agent`), and
    photo and record are sent as "fire at T", 300 ms ahead, with each agent's clock checked.
    Exits 0 only when every camera succeeded; the summary says which failed and why.
    """
    host_list = tuple(h.strip() for h in (hosts or "").split(",") if h.strip())
    chosen = global_options().camera_names
    from_env = ctx.parent and ctx.parent.get_parameter_source("camera")
    if names and from_env is ParameterSource.ENVIRONMENT:
        chosen = ()  # names typed on the command line win over YICAM_CAMERA
    ctx.obj = Selection(all_, tuple(dict.fromkeys(chosen + names)), host_list)


@fleet.command()
@click.option("--watch", is_flag=True, help="Refresh the table until Ctrl-C.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between refreshes.")
@click.pass_context
def status(ctx: click.Context, watch: bool, interval: float) -> Result | None:
    """Battery, card, recording and model of every camera.

    Prints a table with a row per camera; exits 1 unless every camera answered.
    """
    from .fleet_views import status_json, status_view, watch_status

    if global_options().broker:
        from .fleet_agents import agent_status

        return agent_status()
    if watch:
        _run(ctx, lambda f: watch_status(f, interval))
        return None
    result = _run(ctx, lambda f: f.status())
    return finish(ctx, result, Result(status_json(result), status_view(result)))


@fleet.command()
@click.pass_context
def photo(ctx: click.Context) -> Result | None:
    """Every camera takes a photo at the same moment.

    Prints each camera's photo path, send and reply times and the spread; exits 1 unless every
    camera succeeded.
    """
    if global_options().broker:
        from .fleet_agents import agent_shot

        return agent_shot("take_photo")
    shot = _run(ctx, lambda f: f.take_photo())
    return finish(ctx, shot, _shot_result(shot))


@fleet.command()
@click.argument("action", type=click.Choice(["start", "stop"]))
@click.option(
    "--at",
    "at_time",
    metavar="HH:MM[:SS]",
    help="Start at this time of day (local): clocks set first, then a Yi 4K starts itself "
    "by its clock, the others are started from here at that moment.",
)
@click.option(
    "--in",
    "in_time",
    metavar="DURATION",
    help="Start this long from now (10s, 1m30s), as --at does.",
)
@click.pass_context
def record(
    ctx: click.Context, action: str, at_time: str | None, in_time: str | None
) -> Result | None:
    """Every camera starts (or stops) recording at the same moment.

    Prints each camera's result, send and reply times and the spread (with --at/--in: how
    each started and when its start was announced); exits 1 unless every camera succeeded.
    Fails (exit 2) for --at/--in with stop, both at once, or a time less than 3 s ahead.
    """
    if action == "stop" or (at_time is None and in_time is None):
        if at_time is not None or in_time is not None:
            raise click.UsageError("--at and --in go with `record start`")
        if global_options().broker:
            from .fleet_agents import agent_shot

            return agent_shot("start_recording" if action == "start" else "stop_recording")
        shot = _run(ctx, lambda f: f.start_recording() if action == "start" else f.stop_recording())
        return finish(ctx, shot, _shot_result(shot))
    if global_options().broker:
        raise click.UsageError("--at and --in start cameras of this computer, not --broker agents")
    start = _start_time(at_time, in_time)
    chosen: list[datetime] = []

    async def start_at(fleet: Fleet) -> ShotReport:
        chosen.append(start())  # --in counts from here: the cameras are connected
        return await fleet.start_recording(at=chosen[0])

    shot = _run(ctx, start_at)
    return finish(ctx, shot, _scheduled_result(shot, chosen[0]))


def _start_time(at_time: str | None, in_time: str | None) -> Callable[[], datetime]:
    """When `--at HH:MM[:SS]` (today) or `--in DURATION` (from the call) starts, checked as
    the fleet does: at least 3 s ahead, rounded up to a whole second."""
    from datetime import datetime, timedelta

    from .. import parse_duration

    if at_time is not None and in_time is not None:
        raise click.UsageError("give --at or --in, not both")

    def whole(at: datetime) -> datetime:
        return at.replace(microsecond=0) + timedelta(seconds=1) if at.microsecond else at

    lead = timedelta(seconds=3)
    if in_time is not None:
        try:
            wait = timedelta(seconds=parse_duration(in_time))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--in'") from None
        if wait < lead:
            raise click.BadParameter(
                f"{in_time} is less than 3 s ahead (the clocks are set first)",
                param_hint="'--in'",
            )
        return lambda: whole(datetime.now() + wait)
    assert at_time is not None
    try:
        clock = datetime.strptime(at_time, "%H:%M:%S" if at_time.count(":") == 2 else "%H:%M")
    except ValueError:
        raise click.BadParameter(
            f"{at_time!r}: use HH:MM or HH:MM:SS", param_hint="'--at'"
        ) from None
    at = datetime.combine(datetime.now().date(), clock.time())
    if at < datetime.now() + lead:
        raise click.BadParameter(
            f"{at:%H:%M:%S} is less than 3 s ahead (the clocks are set first)",
            param_hint="'--at'",
        )
    return lambda: at


@fleet.command("set")
@click.argument("name")
@click.argument("value")
@click.pass_context
def set_(ctx: click.Context, name: str, value: str) -> Result | None:
    """Change a setting on every camera.

    Prints each camera's result; exits 1 unless every camera succeeded.
    """
    from .fleet_views import plain_view

    if global_options().broker:
        from .fleet_agents import agent_set

        return agent_set(name, value)
    result = _run(ctx, lambda f: f.set_setting(name, value))
    view = plain_view(result, lambda _v: f"{name} = {value}")
    return finish(ctx, result, Result(_plain_json(result, lambda _v: {}), view))


@fleet.group()
def clock() -> None:
    """Camera clocks."""


@clock.command("sync")
@click.pass_context
def clock_sync(ctx: click.Context) -> Result | None:
    """Set every clock to this computer's time, at the same whole second.

    Prints each camera's offset before and its result; exits 1 unless every camera succeeded.
    """
    from .fleet_views import clock_view

    if global_options().broker:
        from .fleet_agents import agent_clock_sync

        return agent_clock_sync()
    result = _run(ctx, lambda f: f.sync_clock())
    data = _plain_json(
        result,
        lambda v: {
            "offset_before": round(v.offset_before, 3),
            "set_to": v.set_to.isoformat(),
            "round_trip_ms": round(v.round_trip * 1000, 2),
        },
    )
    return finish(ctx, result, Result(data, clock_view(result)))


@fleet.command("sync")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--delete-after", is_flag=True,
              help="Delete on each camera the files this run downloaded and verified.")  # fmt: skip
@click.pass_context
def sync_cmd(ctx: click.Context, folder: Path, delete_after: bool) -> Result | None:
    """Download every camera's new media into FOLDER/<camera name>/.

    Shows progress and prints each camera's result; exits 1 unless every camera's files were
    copied.
    """
    from .. import camera_folder
    from .fleet_views import sync_bars, sync_failures, sync_view

    async def job(f: Fleet) -> Any:
        with sync_bars(f.names, quiet=global_options().json) as progress:
            return await f.sync(folder, delete_after=delete_after, progress=progress)

    folder.mkdir(parents=True, exist_ok=True)
    result = _run(ctx, job)
    data = [
        {
            "name": r.name,
            "ok": r.ok and r.value is not None and r.value.ok,
            "error": r.reason or None,
            "folder": str(folder / camera_folder(r.name)),
            **(
                {}
                if r.value is None
                else {
                    "downloaded": r.value.count("downloaded"),
                    "present": r.value.count("present"),
                    "failed": r.value.count("failed") + r.value.count("skipped"),
                    "deleted": r.value.deleted,
                }
            ),
        }
        for r in result
    ]
    return finish(ctx, sync_failures(result), Result(data, sync_view(result, folder)))


# -- helpers -------------------------------------------------------------------------------


def _run(ctx: click.Context, job: Callable[[Fleet], Awaitable[T]]) -> T:
    selection = ctx.find_object(Selection)
    assert selection is not None
    return run_fleet(selection, job)


def run_fleet(selection: Selection, job: Callable[[Fleet], Awaitable[T]]) -> T:
    """Connect the selected cameras, run `job(fleet)` in `asyncio.run`, close them."""
    import asyncio

    options = global_options().resolved()
    the_fleet = selection.fleet(options)

    async def session() -> T:
        async with the_fleet:
            return await job(the_fleet)

    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(session())
    raise click.exceptions.Exit(130)


def finish(ctx: click.Context, result: FleetResult[Any], shown: Result) -> Result | None:
    """Print the result; when a camera failed, the summary as the error line and exit 1."""
    if result.ok:
        return shown
    emit(shown)
    summary = result.summary()
    json_mode = global_options().json
    click.echo(dumps({"error": summary}) if json_mode else f"Error: {safe(summary)}", err=True)
    ctx.exit(1)
    return None


def _shot_result(shot: ShotReport) -> Result:
    from .fleet_views import shot_view

    first = min((t.sent for t in shot.values().values()), default=0.0)
    data = {
        "send_spread_ms": round(shot.send_spread * 1000, 3),
        "reply_spread_ms": round(shot.reply_spread * 1000, 3),
        "cameras": _plain_json(
            shot,
            lambda t: {
                "sent_ms": round((t.sent - first) * 1000, 3),
                "replied_ms": round((t.replied - first) * 1000, 3),
                "path": t.path,
                "retried": t.retried,
                "reconnected": t.reconnected,
            },
        ),
    }
    return Result(data, shot_view(shot))


def _scheduled_result(shot: ShotReport, at: datetime) -> Result:
    from .fleet_views import scheduled_view

    starts = [t.started for t in shot.values().values() if t.started is not None]
    first = min(starts, default=0.0)
    data = {
        "at": at.isoformat(),
        "start_spread_ms": round((max(starts) - first) * 1000, 3) if starts else None,
        "cameras": _plain_json(
            shot,
            lambda t: {
                "by": "camera clock" if t.scheduled else "this computer",
                "started_ms": None if t.started is None else round((t.started - first) * 1000, 3),
            },
        ),
    }
    return Result(data, scheduled_view(shot, at))


def _plain_json(result: FleetResult[T], fields: Callable[[T], dict[str, Any]]) -> list[Any]:
    rows = []
    for r in result:
        row: dict[str, Any] = {"name": r.name, "ok": r.ok, "error": r.reason or None}
        if r.value is not None:
            row.update(fields(r.value))
        rows.append(row)
    return rows
