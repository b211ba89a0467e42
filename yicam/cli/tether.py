"""`yicam tether`: each new photo and video lands in a folder as the camera makes it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click
from rich.live import Live
from rich.text import Text

from .. import Camera, Disconnected, Event, Reconnected, SyncEntry, Tether, Via, cancel_and_wait
from .base import global_options, run_camera
from .media import VIA
from .output import Result, console, emit, human_size, safe
from .saved_files import ExecHook, entry_data, entry_line, exec_argv, print_line

__all__ = ["tether_cmd"]


@click.command("tether")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--delete-after", is_flag=True, help="Delete each file on the camera once its copy is verified."
)
@click.option(
    "--exec",
    "command",
    metavar="CMD",
    help="Run CMD with each verified file's path as its last argument (no shell).",
)
@click.option("--include-sidecars", is_flag=True, help="Also fetch _thm.mp4 and .THM files.")
@click.option("--via", type=VIA, default="auto", show_default=True, help="Transport.")
@click.option("--count", type=click.IntRange(min=1), help="Stop after N files.")
@click.option(
    "--reconnect/--no-reconnect",
    default=True,
    show_default=True,
    help="Reconnect after a drop (backing off up to 10 s between attempts), or stop.",
)
def tether_cmd(
    folder: Path,
    delete_after: bool,
    command: str | None,
    include_sidecars: bool,
    via: Via,
    count: int | None,
    reconnect: bool,
) -> None:
    """Download each new photo and video into FOLDER as the camera makes it, until Ctrl-C.

    Files go to FOLDER/NNNMEDIA/NAME, verified, whether the camera's own button took them or
    a program did; after a drop it reconnects and fetches what was made meanwhile. With
    --json, one JSON object per file.

    Prints a status line (one JSON object per file with --json); exits 1 if a file failed.
    """
    argv = exec_argv(command)
    json_mode = global_options().json
    entries: list[SyncEntry] = []
    hooks: list[ExecHook] = []

    kept_on: list[str] = []  # the agent whose folder keeps the files, when one runs the job

    async def job(cam: Camera) -> None:
        from .agent_jobs import is_remote, run_job

        if is_remote(cam):
            if argv:
                raise click.UsageError("--exec runs where the files are: not through an agent")
            kept_on.append(str(cam.agent))  # type: ignore[attr-defined]

            def on_remote_file(entry: SyncEntry) -> None:
                entries.append(entry)
                emit(Result(entry_data(entry))) if json_mode else print_line(entry_line(entry))

            options = {"delete_after": delete_after, "include_sidecars": include_sidecars}
            await run_job(cam, "tether", options, on_remote_file, quiet=json_mode, stop_after=count)
            return
        hook = ExecHook(argv) if argv else None
        hooks.extend([hook] if hook else [])
        enough = asyncio.Event()
        status = _Status(json_mode)
        cam.subscribe(status.on_event)

        def on_file(entry: SyncEntry) -> None:
            entries.append(entry)
            if json_mode:
                emit(Result(entry_data(entry)))
            else:
                status.print(entry_line(entry))
            status.update(entries)
            if hook is not None and entry.status == "downloaded" and entry.local is not None:
                hook.submit(entry.local)
            if count is not None and len(entries) >= count:
                enough.set()

        tether = Tether(
            cam,
            folder,
            delete_after=delete_after,
            on_file=on_file,
            include_sidecars=include_sidecars,
            via=via,
        )
        try:
            with status:
                async with tether:
                    status.update(entries)
                    running = asyncio.create_task(tether.run())
                    stop = asyncio.create_task(enough.wait())
                    await asyncio.wait([running, stop], return_when=asyncio.FIRST_COMPLETED)
                    await cancel_and_wait(stop)
                    if running.done():
                        running.result()  # the connection was lost, or the folder is full
                    await cancel_and_wait(running)
            if hook is not None:
                await hook.finish()
        finally:
            if hook is not None:
                await hook.cancel()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a tether ends
        run_camera(job, reconnect=reconnect)
    failed = [e for e in entries if e.status != "downloaded"]
    total = sum(e.size for e in entries if e.status == "downloaded")
    where = f"kept on agent {kept_on[0]}" if kept_on else f"saved in {folder}"
    summary = f"{len(entries) - len(failed)} file(s), {human_size(total)} {where}"
    summary += f"; {len(failed)} failed" if failed else ""
    exec_failures = sum(h.failures for h in hooks)
    summary += f"; --exec failed {exec_failures} time(s)" if exec_failures else ""
    if not json_mode:
        emit(Result(None, safe(summary)))
    if failed or exec_failures:
        raise click.exceptions.Exit(1)


class _Status:
    """The status line under the file lines (on stderr when it is a terminal; not with --json)."""

    def __init__(self, json_mode: bool) -> None:
        self._live = (
            None
            if json_mode
            else Live(Text(""), console=console(stderr=True), transient=True, auto_refresh=False)
        )
        self._entries: list[SyncEntry] = []
        self._waiting = "waiting for new media (Ctrl-C to stop)"

    def __enter__(self) -> _Status:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.stop()

    def print(self, line: str) -> None:
        print_line(line)

    def on_event(self, event: Event) -> None:
        """Show a dropped connection on the status line until it is back."""
        if isinstance(event, Disconnected) and event.reconnecting:
            self._waiting = "connection lost; reconnecting (Ctrl-C to stop)"
        elif isinstance(event, Reconnected):
            self._waiting = "reconnected; waiting for new media (Ctrl-C to stop)"
        else:
            return
        self.update(self._entries)

    def update(self, entries: list[SyncEntry]) -> None:
        self._entries = entries
        if self._live is None:
            return
        done = [e for e in entries if e.status == "downloaded"]
        size = human_size(sum(e.size for e in done))
        last = f", last {safe(done[-1].path.rsplit('/', 1)[-1])}" if done else ""
        self._live.update(Text(f"{len(done)} file(s), {size}{last}; {self._waiting}"), refresh=True)
