"""File commands on the camera's card: `ls` and `rm`."""

from __future__ import annotations

from posixpath import join
from typing import TYPE_CHECKING

import click

from .base import run_camera
from .output import Result, human_size, safe

if TYPE_CHECKING:
    from .. import Camera

__all__ = ["DCIM", "ls", "rm"]

DCIM = "/tmp/fuse_d/DCIM/"


@click.command()
@click.argument("path", default=DCIM)
def ls(path: str) -> Result:
    """List a directory on the camera (default /tmp/fuse_d/DCIM/).

    Prints one entry per line with its size and date. Refuses a path that looks like a file;
    fails with `Error: ...` (exit 1) when the camera cannot be reached or refuses.
    """
    from rich.table import Table
    from rich.text import Text

    entries = run_camera(lambda cam: cam.list_dir(path))
    data = [
        {
            "name": e.name,
            "path": join(path, e.name) + ("/" if e.is_dir else ""),
            "size": e.size,
            "modified": e.modified,
            "is_dir": e.is_dir,
        }
        for e in entries
    ]
    table = Table(box=None, pad_edge=False)
    table.add_column("Name")
    table.add_column("Size", justify="right")
    table.add_column("Modified")
    for e in entries:
        table.add_row(
            Text(safe(e.name + "/" if e.is_dir else e.name)),  # untrusted: escaped, no markup
            "" if e.is_dir else human_size(e.size),
            f"{e.modified:%Y-%m-%d %H:%M:%S}" if e.modified else "",
        )
    view = table if entries else safe(f"{path} is empty")
    return Result(data, view)


@click.command()
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@click.option(
    "--wildcards", is_flag=True, help="Let * and ? in a name delete every match (a Yi 1 does)."
)
def rm(paths: tuple[str, ...], wildcards: bool) -> Result:
    """Delete files on the camera.

    Prints each path deleted. Refuses * and ? without --wildcards; fails with `Error: ...` (exit
    1) when the camera cannot be reached or refuses.
    """

    async def job(cam: Camera) -> None:
        for path in paths:
            await cam.delete(path, allow_wildcards=wildcards)

    run_camera(job)
    return Result({"deleted": list(paths)}, "\n".join(safe(f"Deleted {p}") for p in paths))
