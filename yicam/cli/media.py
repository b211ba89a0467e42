"""Media commands: `download`, `sync`, `upload` and `thumb`, with rich progress bars."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

import click

from .base import global_options, run_camera
from .output import Result, console, emit, human_size, safe

if TYPE_CHECKING:
    from .. import Camera, MediaItem, Via

__all__ = ["VIA", "download_cmd", "sync_cmd", "thumb", "upload"]

VIA = click.Choice(["auto", "data", "http"])  # the `--via` of every transfer command
_stall_option = click.option(
    "--stall-timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds without data before a transfer fails.",
)


@contextlib.contextmanager
def _bars() -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """A factory of per-file progress callbacks drawing rich bars (none under --json)."""
    if global_options().json:
        yield lambda _label: lambda _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}", markup=False),  # camera names: escaped, no markup
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=False,
    )

    def bar(label: str) -> Callable[[int, int], None]:
        task = progress.add_task(safe(label), total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return update

    with progress:
        yield bar


@click.command("download")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="Folder to download into.")  # fmt: skip
@click.option("--via", type=VIA, default="auto", show_default=True, help="Transport.")
@click.option("--no-resume", is_flag=True, help="Start over instead of resuming a partial file.")
@_stall_option
def download_cmd(
    paths: tuple[str, ...], out: Path, via: Via, no_resume: bool, stall_timeout: float
) -> Result:
    """Download camera files (resumable, verified) into a folder.

    Shows progress bars, then the number of files and bytes downloaded and where. Fails with
    `Error: ...` (exit 1) when the camera cannot be reached or refuses. A file that fails its
    check is never left under its name.
    """

    async def job(cam: Camera) -> list[dict[str, Any]]:
        done = []
        with _bars() as bar:
            for path in paths:
                result = await cam.download(
                    path, out, resume=not no_resume, progress=bar(_name(path)), via=via,
                    stall_timeout=stall_timeout,
                )  # fmt: skip
                done.append(
                    {"path": path, "local": str(result.path), "size": result.size,
                     "md5": result.md5, "via": result.via, "resumed_from": result.resumed_from,
                     "verified_by": result.verified_by}
                )  # fmt: skip
        return done

    out.mkdir(parents=True, exist_ok=True)
    files = run_camera(job)
    total = sum(f["size"] for f in files)
    return Result(files, safe(f"{len(files)} file(s), {human_size(total)} downloaded to {out}"))


@click.command("sync")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--delete-after", is_flag=True,
              help="Delete on the camera the files this run downloaded and verified.")  # fmt: skip
@click.option("--include-sidecars", is_flag=True, help="Also fetch _thm.mp4 and .THM files.")
@click.option("--via", type=VIA, default="auto", show_default=True, help="Transport.")
@click.option("--retries", type=click.IntRange(0, 20), default=3, show_default=True,
              help="Retries of a file whose transfer was cut or stalled.")  # fmt: skip
@_stall_option
@click.option("--from-agent", is_flag=True,
              help="Copy the files the camera's agent keeps (its jobs') into FOLDER.")  # fmt: skip
@click.pass_context
def sync_cmd(
    ctx: click.Context,
    folder: Path,
    delete_after: bool,
    include_sidecars: bool,
    via: Via,
    retries: int,
    stall_timeout: float,
    from_agent: bool,
) -> Result | None:
    """Download every media file not yet in FOLDER (FOLDER/NNNMEDIA/NAME).

    When an agent owns the camera, the sync runs on the agent and the files stay in its
    folder; --from-agent then copies what the agent keeps into FOLDER (verified, resumable).
    Shows progress, then a line per file skipped or failed with the reason; exits 1 unless every
    camera file is now in FOLDER.
    """
    from .agent_jobs import fetch_kept, is_remote, run_job

    async def job(cam: Camera) -> Any:
        if from_agent:
            if not is_remote(cam):
                raise click.UsageError("--from-agent: no agent owns this camera")
            return await fetch_kept(cam, folder)
        if is_remote(cam):
            options = {"delete_after": delete_after, "include_sidecars": include_sidecars}
            done = await run_job(cam, "sync", options, lambda e: None, quiet=True)
            if done.result is None:
                raise click.ClickException(f"the sync on the agent failed: {done.error}")
            return done.result
        with _bars() as bar:

            def progress(item: MediaItem) -> Callable[[int, int], None]:
                return bar(item.name)

            return await cam.sync(
                folder, include_sidecars=include_sidecars,
                delete_after=delete_after, via=via, progress=progress, retries=retries,
                stall_timeout=stall_timeout,
            )  # fmt: skip

    folder.mkdir(parents=True, exist_ok=True)
    report = run_camera(job, reconnect=True)  # a Wi-Fi blip does not end the sync
    data = {
        "downloaded": report.count("downloaded"),
        "present": report.count("present"),
        "skipped": report.count("skipped"),
        "failed": report.count("failed"),
        "deleted": report.deleted,
        "retries": report.retries,
        "files": report.entries,
    }
    lines = [
        f"{data['downloaded']} downloaded, {data['present']} already present, "
        f"{data['skipped']} skipped, {data['failed']} failed, "
        f"{data['deleted']} deleted on the camera, {data['retries']} retries"
    ]
    lines += [safe(f"  {e.status}: {e.path}: {e.error}") for e in report.entries if e.error]
    result = Result(data, "\n".join(lines))
    if not report.ok:
        emit(result)
        ctx.exit(1)
    return result


@click.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("dest")
def upload(src: Path, dest: str) -> Result:
    """Upload a local file to the camera (DEST ending in / keeps the file name).

    Prints the local file, the camera path and the size. Fails with `Error: ...` (exit 1) when
    the camera cannot be reached or refuses.
    """
    if dest.endswith("/"):
        dest += src.name
    run_camera(lambda cam: cam.upload(src, dest))
    size = src.stat().st_size
    view = safe(f"uploaded {src} to {dest}")
    return Result({"local": str(src), "path": dest, "size": size}, view)


@click.command()
@click.argument("path")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="File to write the JPEG to.")  # fmt: skip
@click.option("--size", type=click.Choice(["thumb", "screen"]), default="thumb",
              show_default=True, help="Small thumbnail or screen-sized preview.")  # fmt: skip
@click.option("--via", type=VIA, default="auto", show_default=True,
              help="Web server (?type=...), data port (msg 1025), or auto.")  # fmt: skip
def thumb(path: str, out: Path, size: Literal["thumb", "screen"], via: Via) -> Result:
    """Save the thumbnail of a photo or video as a JPEG.

    Writes the JPEG and prints where. Fails with `Error: ...` (exit 1) when the camera cannot be
    reached or refuses.
    """
    data = run_camera(lambda cam: cam.thumbnail(path, size=size, via=via))
    out.write_bytes(data)
    return Result(
        {"path": path, "local": str(out), "size": len(data)}, safe(f"{len(data)} bytes to {out}")
    )


def _name(path: str) -> str:
    return PurePosixPath(path).name
