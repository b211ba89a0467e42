"""`yicam tether`: each new photo and video lands in a folder as the camera makes it.

Also the pieces `timelapse` shares: the `--exec` hook and the one-line file report.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import sys
from pathlib import Path
from typing import IO, Any

import click
from rich.live import Live
from rich.text import Text

from .. import Camera, Disconnected, Event, Reconnected, SyncEntry, Tether
from .._download import Via
from .base import global_options, run_camera
from .output import Result, console, dumps, emit, human_size, safe

__all__ = ["ExecHook", "entry_data", "entry_line", "exec_argv", "print_line", "tether_cmd"]

_VIA = click.Choice(["auto", "data", "http"])


def print_line(line: str) -> None:
    """A line on stdout that a live status line or progress bar on the terminal redraws under.

    `print`, not `click.echo`: rich redirects `sys.stdout` while the display is live, and
    click writes past that redirection to the stream underneath.
    """
    print(line, flush=True)


def exec_argv(command: str | None) -> list[str] | None:
    """The program and arguments of `--exec CMD`, split like a shell would but never run by one."""
    if command is None:
        return None
    argv = shlex.split(command, posix=sys.platform != "win32")
    if not argv:
        raise click.BadParameter("the command is empty", param_hint="--exec")
    return argv


class ExecHook:
    """Runs `argv + [path]` for each verified file, one at a time and in order; never a shell.

    A command that fails (cannot start, or exits non-zero) is reported on stderr; the files
    keep coming.
    """

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.failures = 0
        self._queue: asyncio.Queue[Path] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="yicam-exec")

    def submit(self, path: Path) -> None:
        """Queue the command for `path`."""
        self._queue.put_nowait(path)

    async def finish(self) -> None:
        """Run what is queued, then stop."""
        await self._queue.join()
        await self.cancel()

    async def cancel(self) -> None:
        """Stop now (a command in progress is terminated)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            path = await self._queue.get()
            try:
                error = await self._exec(path)
            finally:
                self._queue.task_done()
            if error is not None:
                self.failures += 1
                message = f"--exec {shlex.join(self.argv)} failed for {path}: {error}"
                if global_options().json:
                    click.echo(dumps({"error": message, "local": str(path)}), err=True)
                else:
                    click.echo(safe(f"Error: {message}"), err=True)

    async def _exec(self, path: Path) -> str | None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, str(path), stdin=asyncio.subprocess.DEVNULL, stdout=_child_stdout()
            )
        except OSError as exc:
            return f"cannot run it ({exc.strerror or exc})"
        try:
            code = await proc.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            await proc.wait()
            raise
        return None if code == 0 else f"exit status {code}"


def _child_stdout() -> int | IO[Any] | None:
    """Under --json the commands print to stderr, so stdout stays one JSON object per line."""
    if not global_options().json:
        return None
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return asyncio.subprocess.DEVNULL  # no real stderr (tests)
    return sys.stderr


def entry_line(entry: SyncEntry) -> str:
    """One line for a file the tether handled."""
    name = "/".join(entry.path.split("/")[-2:])
    if entry.status == "downloaded":
        where = entry.local.name if entry.local is not None else "?"
        renamed = f" as {where}" if where != name.rsplit("/", 1)[-1] else ""
        deleted = ", deleted on the camera" if entry.deleted else ""
        note = f" ({entry.error})" if entry.error else ""
        return safe(f"saved {name}{renamed} ({human_size(entry.size)}{deleted}){note}")
    return safe(f"FAILED {name}: {entry.error}")


def entry_data(entry: SyncEntry) -> dict[str, Any]:
    """The `--json` object for a file."""
    return {
        "path": entry.path,
        "local": str(entry.local) if entry.local is not None else None,
        "size": entry.size,
        "status": entry.status,
        "deleted": entry.deleted,
        "error": entry.error,
    }


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
@click.option("--via", type=_VIA, default="auto", show_default=True, help="Transport.")
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
    """
    argv = exec_argv(command)
    json_mode = global_options().json
    entries: list[SyncEntry] = []
    hooks: list[ExecHook] = []

    async def job(cam: Camera) -> None:
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
                    stop.cancel()
                    if running.done():
                        running.result()  # the connection was lost, or the folder is full
                    running.cancel()
            if hook is not None:
                await hook.finish()
        finally:
            if hook is not None:
                await hook.cancel()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a tether ends
        run_camera(job, reconnect=reconnect)
    failed = [e for e in entries if e.status != "downloaded"]
    total = sum(e.size for e in entries if e.status == "downloaded")
    summary = f"{len(entries) - len(failed)} file(s), {human_size(total)} saved in {folder}"
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
