"""What `tether` and `timelapse` do with each file they save: report it, run `--exec` on it."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import sys
from pathlib import Path
from typing import IO, Any

import click

from .. import SyncEntry, cancel_and_wait
from .base import global_options
from .output import dumps, human_size, safe

__all__ = ["ExecHook", "entry_data", "entry_line", "exec_argv", "print_line"]


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
    """Runs `argv + [absolute path]` for each verified file, one at a time, in order; no shell.

    A command that fails (cannot start, or exits non-zero) is reported on stderr; the files
    keep coming.
    """

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.failures = 0
        self._queue: asyncio.Queue[Path] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="yicam-exec")

    def submit(self, path: Path) -> None:
        """Queue the command for `path`, made absolute: the command may run elsewhere."""
        self._queue.put_nowait(path.absolute())

    async def finish(self) -> None:
        """Run what is queued, then stop."""
        await self._queue.join()
        await self.cancel()

    async def cancel(self) -> None:
        """Stop now (a command in progress is terminated)."""
        await cancel_and_wait(self._task)

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
